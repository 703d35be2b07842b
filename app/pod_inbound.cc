#include "app/pod_inbound.h"

#include <fmt/format.h>

#include "app/listen_address.h"

namespace meshsim::app {

using boost::asio::ip::tcp;

bool parse_endpoint_entries(const std::vector<std::string>& entries, std::map<std::string, tcp::endpoint>& into,
                            std::string* error) {
  auto next = into;  // all or nothing
  for (const auto& entry : entries) {
    auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      *error = fmt::format("endpoint \"{}\": want WORKLOAD=HOST:PORT (a Deployment's name and its server's address)", entry);
      return false;
    }
    std::string address_error;
    auto address = parse_address(entry.substr(eq + 1), &address_error);
    if (!address) {
      *error = fmt::format("endpoint \"{}\": {}", entry, address_error);
      return false;
    }
    next[entry.substr(0, eq)] = *address;
  }
  into = std::move(next);
  return true;
}

void map_workload_endpoints(proxy::asio::AsioTransport& pool, const proxy::RouteTable& table,
                            const std::map<std::string, tcp::endpoint>& by_workload) {
  for (const auto& e : table.endpoints()) {
    auto it = by_workload.find(e.workload);
    if (it == by_workload.end()) continue;
    for (const auto& p : e.ports) pool.map(e.ip, p.container_port, it->second);
  }
  for (const auto& [fqdn, info] : table.services()) {
    for (size_t index : info.endpoints) {
      const proxy::Endpoint& e = table.endpoints()[index];
      auto it = by_workload.find(e.workload);
      if (it == by_workload.end()) continue;
      for (const auto& p : info.spec->ports) {
        pool.map(e.ip, p.port, it->second);
        if (const auto* number = std::get_if<uint32_t>(&p.target_port); number && *number) pool.map(e.ip, *number, it->second);
      }
    }
  }
}

std::vector<std::string> body_lines(const std::string& body) {
  std::vector<std::string> lines;
  for (size_t start = 0; start < body.size();) {
    size_t end = std::min(body.find('\n', start), body.size());
    std::string line = body.substr(start, end - start);
    start = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

bool parse_injection(const std::string& body, Injection& into, std::string* error) {
  Injection next = into;
  for (const auto& line : body_lines(body)) {
    auto eq = line.find('=');
    std::string name = line.substr(0, eq), value = eq == std::string::npos ? "" : line.substr(eq + 1);
    if (name.empty() || (value != "on" && value != "off")) {
      *error = fmt::format("injection \"{}\": want WORKLOAD=on or WORKLOAD=off (* for every workload)", line);
      return false;
    }
    if (name == "*") {
      next.by_default = value == "on";
      for (auto& [workload, on] : next.workloads) on = next.by_default;
    } else {
      next.workloads[name] = value == "on";
    }
  }
  into = std::move(next);
  return true;
}

struct PodInboundTransport::Pod {
  proxy::Endpoint endpoint;  // a copy: snapshots come and go (the sidecar points here)
  std::unique_ptr<proxy::Sidecar> sidecar;
};

PodInboundTransport::PodInboundTransport(proxy::asio::AsioTransport& pool, proxy::SidecarEnv env, bool caller_has_sidecar,
                                         const Injection& injection)
    : pool_(pool), env_(env), caller_has_sidecar_(caller_has_sidecar), injection_(injection) {
  env_.transport = &pool_;  // what an inbound sidecar sends out (an ext_authz check) goes over the pool
}

PodInboundTransport::~PodInboundTransport() = default;

PodInboundTransport::Pod& PodInboundTransport::pod_for(const proxy::Endpoint& to) {
  auto& slot = pods_[to.ns + "/" + to.pod];
  if (!slot) {
    slot = std::make_unique<Pod>();
    slot->endpoint = to;
    slot->sidecar = std::make_unique<proxy::Sidecar>(&slot->endpoint, to.ns, to.labels, env_);
  }
  return *slot;
}

void PodInboundTransport::refresh(const proxy::RouteTable& table) {
  for (const auto& e : table.endpoints())
    if (auto it = pods_.find(e.ns + "/" + e.pod); it != pods_.end()) it->second->endpoint = e;
}

void PodInboundTransport::send(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from, std::string request_bytes,
                               std::function<void(proxy::TransportResult&&)> done) {
  Pod& pod = pod_for(to);
  if (!injection_.injected(to.workload)) {
    pool_.send(pod.endpoint, port, from, std::move(request_bytes), [done = std::move(done)](proxy::TransportResult&& tr) {
      tr.plaintext = true;  // no sidecar answered: no mTLS, no peer certificate
      done(std::move(tr));
    });
    return;
  }
  proxy::PeerInfo peer = from;
  if (!caller_has_sidecar_ || !from.mtls) {
    // No sidecar on the client: plain text, no identity, no peer metadata.
    peer = {};
    peer.ns = from.ns;
    peer.ip = "127.0.0.1";
  }
  // The pod's server: every port of the endpoint reaches the same workload address.
  auto app = [this, &pod, port](proxy::HttpRequest&& request, const proxy::PeerInfo& via,
                                std::function<void(proxy::HttpResponse&&)> respond) {
    pool_.send(pod.endpoint, port, via, proxy::serialize(request), [respond = std::move(respond)](proxy::TransportResult&& tr) {
      proxy::HttpResponse response;
      if (!tr.connected || !proxy::take_response(tr, response)) {
        // What Envoy's inbound cluster answers when the local app is not there.
        response = {};
        response.status = 503;
        response.body = tr.failure.empty() ? "upstream connect error: invalid response" : "upstream connect error: " + tr.failure;
      }
      respond(std::move(response));
    });
  };
  pod.sidecar->inbound(std::move(request_bytes), peer, port, app, std::move(done));
}

void PodInboundTransport::send_mirror(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from,
                                      std::string request_bytes) {
  send(to, port, from, std::move(request_bytes), [](proxy::TransportResult&&) {});
}

}  // namespace meshsim::app
