#include "app/loopback_network.h"

#include <charconv>

namespace meshsim::app {

namespace net = boost::asio;
using net::ip::tcp;

namespace {
constexpr std::string_view kHopHeader = "x-meshsim-hop";
}  // namespace

struct LoopbackNetwork::Pod {
  proxy::Endpoint endpoint;  // a copy: snapshots come and go
  std::unique_ptr<proxy::asio::HttpListener> listener;
};

LoopbackNetwork::LoopbackNetwork(net::io_context& io, sim::World& world, std::function<void()> sync)
    : io_(io), world_(world), sync_(std::move(sync)), transport_(io) {}

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
        Hop hop{proxy::PeerInfo{}, 80, false};  // from outside the mesh: plaintext, no identity
        if (auto id_text = request.headers.get(kHopHeader)) {
          uint64_t id = 0;
          std::from_chars(id_text->data(), id_text->data() + id_text->size(), id);
          if (auto it = hops_.find(id); it != hops_.end()) {
            hop = it->second;
            hops_.erase(it);
          }
          request.headers.remove(kHopHeader);
        } else if (!pod->endpoint.ports.empty()) {
          hop.port = pod->endpoint.ports.front().container_port;
        }
        world_.arrive(pod->endpoint, hop.port, hop.from, proxy::serialize(request), hop.mirrored,
                      [respond = std::move(respond)](proxy::TransportResult&& tr) {
                        proxy::HttpResponse response;
                        if (!tr.connected || !proxy::take_response(tr, response)) {
                          response.status = 503;
                          response.body = tr.failure.empty() ? "invalid response" : tr.failure;
                        }
                        respond(std::move(response));
                      });
        sync_();  // wake up for what the arrival scheduled
      });
  return *slot;
}

void LoopbackNetwork::carry(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from, std::string bytes,
                            bool mirrored, std::function<void(proxy::TransportResult&&)> done) {
  Pod& pod = pod_for(to);
  transport_.map(to.ip, port, {net::ip::make_address("127.0.0.1"), pod.listener->port()});
  uint64_t id = ++next_hop_;
  hops_[id] = {from, port, mirrored};
  // The hop id goes in as the first header line, after the request line.
  auto line_end = bytes.find("\r\n");
  if (line_end != std::string::npos) bytes.insert(line_end + 2, std::string(kHopHeader) + ": " + std::to_string(id) + "\r\n");
  transport_.send(to, port, from, std::move(bytes), [this, id, done = std::move(done)](proxy::TransportResult&& tr) {
    hops_.erase(id);  // if the request never arrived
    sync_();
    done(std::move(tr));
    sync_();
  });
}

std::vector<LoopbackNetwork::PodAddress> LoopbackNetwork::pods() const {
  std::vector<PodAddress> out;
  for (const auto& [key, pod] : pods_) out.push_back({key, pod->listener->port()});
  return out;
}

}  // namespace meshsim::app
