#include "app/loopback_network.h"

#include <charconv>

namespace meshsim::app {

namespace net = boost::asio;
using net::ip::tcp;

namespace {
constexpr std::string_view kHopHeader = "x-meshsim-hop";

proxy::Duration micros(std::chrono::steady_clock::duration d) { return std::chrono::duration_cast<proxy::Duration>(d); }
}  // namespace

struct LoopbackNetwork::Pod {
  proxy::Endpoint endpoint;  // a copy: snapshots come and go
  std::unique_ptr<proxy::asio::HttpListener> listener;
};

LoopbackNetwork::LoopbackNetwork(net::io_context& io, sim::World& world, std::function<void()> sync, const WallClock& clock)
    : io_(io), world_(world), sync_(std::move(sync)), clock_(clock), transport_(io) {}

LoopbackNetwork::~LoopbackNetwork() {
  for (auto& [key, pod] : pods_) pod->listener->close();
}

LoopbackNetwork::Pod& LoopbackNetwork::pod_for(const proxy::Endpoint& to) {
  std::string key = to.ns + "/" + to.pod;
  auto& slot = pods_[key];
  if (slot) return *slot;
  slot = std::make_unique<Pod>();
  slot->endpoint = to;
  Pod* pod = slot.get();
  slot->listener = std::make_unique<proxy::asio::HttpListener>(
      io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0),
      [this, pod](proxy::HttpRequest&& request, proxy::asio::HttpListener::Respond respond) {
        sync_();
        // From outside the mesh unless a hop says otherwise: plaintext, no identity.
        proxy::PeerInfo from;
        uint32_t port = pod->endpoint.ports.empty() ? 80 : pod->endpoint.ports.front().container_port;
        bool mirrored = false;
        uint64_t id = 0;
        if (auto id_text = request.headers.get(kHopHeader)) {
          std::from_chars(id_text->data(), id_text->data() + id_text->size(), id);
          request.headers.remove(kHopHeader);
        }
        if (auto it = hops_.find(id); it != hops_.end() && !it->second.arrived) {
          Hop& hop = it->second;
          hop.arrived = true;
          hop.arrived_sim = world_.scheduler().now();
          hop.arrived_wall = clock_.steady_now();
          hop.protocol = request.protocol;
          from = hop.from;
          port = hop.port;
          mirrored = hop.mirrored;
        } else {
          id = 0;
        }
        // HTTP/1.1 goes in as bytes again, so the sidecar's codec (and its
        // limits) runs as in the simulated network; HTTP/2 as the message.
        auto hop_request = request.protocol == proxy::WireProtocol::kHttp1
                               ? sim::World::HopRequest::http1(proxy::serialize(request))
                               : sim::World::HopRequest{"", std::move(request)};
        world_.arrive(pod->endpoint, port, from, std::move(hop_request), mirrored,
                      [this, id, respond = std::move(respond)](proxy::TransportResult&& tr) {
                        if (auto it = hops_.find(id); id != 0 && it != hops_.end()) {
                          Hop& hop = it->second;
                          hop.answered = true;
                          hop.answered_sim = world_.scheduler().now();
                          hop.answered_wall = clock_.steady_now();
                          hop.answer.plaintext = tr.plaintext;
                          hop.answer.proxy_flags = tr.proxy_flags;
                          hop.answer.dry_run = tr.dry_run;
                          hop.answer.overcount = tr.overcount;
                          hop.answer.connected = tr.connected;
                          hop.answer.failure = tr.failure;
                        }
                        proxy::HttpResponse response;
                        // The receiver reset the connection (e.g. a STRICT
                        // sidecar refusing plaintext): no answer on the socket,
                        // and the caller learns the receiver's reason below.
                        if (!tr.connected) {
                          response.status = 0;
                          return respond(std::move(response));
                        }
                        if (!proxy::take_response(tr, response)) {
                          response.status = 503;
                          response.body = tr.failure.empty() ? "invalid response" : tr.failure;
                        }
                        respond(std::move(response));
                      });
        sync_();  // wake up for what the arrival scheduled
      });
  return *slot;
}

void LoopbackNetwork::carry(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from,
                            sim::World::HopRequest request, bool mirrored,
                            std::function<void(proxy::TransportResult&&)> done) {
  Pod& pod = pod_for(to);
  transport_.map(to.ip, port, {net::ip::make_address("127.0.0.1"), pod.listener->port()});
  uint64_t id = ++next_hop_;
  Hop& hop = hops_[id];
  hop.from = from;
  hop.port = port;
  hop.mirrored = mirrored;
  hop.pod = to.ns + "/" + to.pod;
  hop.sent_sim = world_.scheduler().now();
  hop.sent_wall = clock_.steady_now();
  auto back = [this, id, done = std::move(done)](proxy::TransportResult&& tr) {
    sync_();
    if (auto it = hops_.find(id); it != hops_.end()) {
      settle(it->second, tr);
      hops_.erase(it);
    }
    done(std::move(tr));
    sync_();
  };
  if (request.message) {
    request.message->headers.set_checked("x-meshsim-hop", std::to_string(id));  // kHopHeader; digits
    transport_.send_http2(to, port, std::move(*request.message), std::move(back));
    return;
  }
  // The hop id goes in as the first header line, after the request line.
  std::string& bytes = request.bytes;
  auto line_end = bytes.find("\r\n");
  if (line_end != std::string::npos) bytes.insert(line_end + 2, std::string(kHopHeader) + ": " + std::to_string(id) + "\r\n");
  transport_.send(to, port, from, std::move(bytes), std::move(back));
}

void LoopbackNetwork::settle(Hop& hop, proxy::TransportResult& tr) {
  HopTime time;
  time.pod = hop.pod;
  time.simulated = world_.scheduler().now() - hop.sent_sim;
  time.network = micros(clock_.steady_now() - hop.sent_wall);
  proxy::Duration below{0};
  if (hop.answered) {
    // The receiver's own time is simulated service time (and what it
    // overcounted itself); only the transit both ways is network time.
    time.simulated -= hop.answered_sim - hop.arrived_sim;
    time.network -= micros(hop.answered_wall - hop.arrived_wall);
    below = hop.answer.overcount;
    if (!hop.answer.connected) {
      tr.connected = false;
      tr.failure = hop.answer.failure;
      tr.response_bytes.clear();
      tr.decoded.reset();
    }
    if (tr.connected) {
      tr.plaintext = hop.answer.plaintext;
      tr.proxy_flags = std::move(hop.answer.proxy_flags);
      tr.dry_run = std::move(hop.answer.dry_run);
    }
  }
  time.overcount = time.simulated - time.network + below;
  time.protocol = hop.protocol;
  tr.overcount = time.overcount;
  if (on_hop_) on_hop_(time);
}

size_t LoopbackNetwork::legs_on_wire() const {
  size_t n = 0;
  for (const auto& [id, hop] : hops_) n += !hop.arrived || hop.answered;
  return n;
}

std::vector<LoopbackNetwork::PodAddress> LoopbackNetwork::pods() const {
  std::vector<PodAddress> out;
  for (const auto& [key, pod] : pods_) out.push_back({key, pod->listener->port()});
  return out;
}

}  // namespace meshsim::app
