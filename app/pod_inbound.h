// The destination side of `meshsim proxy --endpoint WORKLOAD=HOST:PORT`:
// several real servers behind one proxy, one per Deployment (bar-v1 and
// bar-v2 as two `meshsim app` processes), each endpoint reached through its
// own pod's inbound sidecar played in this process — the same
// proxy::Sidecar::inbound as in the simulated mesh (peer authentication,
// JWT, AuthorizationPolicy, destination-side telemetry, which Istio's
// dashboards and `meshsim check` read) — and then over the keep-alive pool
// to the workload's address. Single-threaded: all on the proxy's io_context.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "proxy_core/asio/asio_adapter.h"
#include "proxy_core/sidecar.h"

namespace meshsim::app {

// "WORKLOAD=HOST:PORT" entries (--endpoint, POST /endpoints) into `into`;
// false with the bad entry in `error`.
bool parse_endpoint_entries(const std::vector<std::string>& entries,
                            std::map<std::string, boost::asio::ip::tcp::endpoint>& into, std::string* error);

// The non-empty lines of a request body (trailing CR and spaces removed).
std::vector<std::string> body_lines(const std::string& body);

// Points every port of every endpoint of a mapped Deployment (its container
// ports, and the port and targetPort of each Service selecting it) at the
// workload's address in `pool`.
void map_workload_endpoints(proxy::asio::AsioTransport& pool, const proxy::RouteTable& table,
                            const std::map<std::string, boost::asio::ip::tcp::endpoint>& by_workload);

// "WORKLOAD=on|off" lines (POST /injection): whether each Deployment's pods
// have a sidecar; "*=on|off" sets every workload named so far and the
// default. False with the bad line in `error`.
struct Injection {
  bool by_default = true;
  std::map<std::string, bool> workloads;
  bool injected(const std::string& workload) const {
    auto it = workloads.find(workload);
    return it != workloads.end() ? it->second : by_default;
  }
};
bool parse_injection(const std::string& body, Injection& into, std::string* error);

class PodInboundTransport final : public proxy::Transport {
 public:
  // `env` is the proxy's (clock, timers, telemetry, snapshot); its transport
  // is ignored. `caller_has_sidecar`: whether requests arrive over mTLS from
  // the outbound sidecar's identity (`--pod`), else as plain text from a
  // client without a sidecar (source labels "unknown", as Istio reports it).
  // A pod without a sidecar (`injection`) gets the request as sent, plain
  // text, with nothing reported: no istio-proxy there.
  PodInboundTransport(proxy::asio::AsioTransport& pool, proxy::SidecarEnv env, bool caller_has_sidecar,
                      const Injection& injection);
  ~PodInboundTransport() override;

  void send(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from, std::string request_bytes,
            std::function<void(proxy::TransportResult&&)> done) override;
  // A mirrored copy goes through the destination's sidecar too; nobody waits.
  void send_mirror(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from, std::string request_bytes) override;

  // After a new snapshot: each pod's own copy of its endpoint is refreshed
  // (indices and labels follow the new table; a pod gone keeps its last copy).
  void refresh(const proxy::RouteTable& table);

 private:
  struct Pod;
  Pod& pod_for(const proxy::Endpoint& to);
  proxy::asio::AsioTransport& pool_;
  proxy::SidecarEnv env_;
  bool caller_has_sidecar_;
  const Injection& injection_;
  std::map<std::string, std::unique_ptr<Pod>> pods_;  // by "namespace/pod"; at most one per endpoint of the mesh
};

}  // namespace meshsim::app
