// Calls to real services by name, for `meshsim app` (a Behavior's call
// script) and `meshsim load` (a traffic source): a request to host:port
// answered once with a response, or with nothing (no address, refused,
// reset, timed out) — the services::Caller contract the simulator's world
// fulfils in virtual time. Names resolve through DNS (Kubernetes service
// names: `bar` finds bar.<namespace>.svc.cluster.local through the pod's
// search path) unless a --resolve entry maps them, for runs on one host.
// Connections are kept alive per address (AsioTransport's pool).
// Single-threaded: one io_context thread runs it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <utility>  // Boost 1.74 asio/awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>

#include "proxy_core/asio/asio_adapter.h"
#include "proxy_core/http.h"
#include "services/workload_app.h"

namespace meshsim::app {

// "NAME=HOST:PORT" or "NAME:PORT=HOST:PORT" (the first form for every port
// of NAME). Adds to `into`; false with the reason in `error`.
bool parse_resolve_entry(const std::string& entry, std::map<std::string, boost::asio::ip::tcp::endpoint>& into,
                         std::string* error);
// The entries of --resolve flags, then of `env_value` (MESHSIM_RESOLVE, comma-separated).
bool parse_resolve_entries(const std::vector<std::string>& flags, const char* env_value,
                           std::map<std::string, boost::asio::ip::tcp::endpoint>& into, std::string* error);

class HttpCaller {
 public:
  using Done = std::function<void(std::optional<proxy::HttpResponse>&&)>;
  struct Options {
    std::map<std::string, boost::asio::ip::tcp::endpoint> resolve;  // "name" or "name:port" -> address
    // A request not answered within this is given up (Envoy's default route
    // timeout is 15 s); its connection is dropped when the answer comes.
    std::chrono::milliseconds timeout{15'000};
    size_t idle_connections_per_address_max = 128;
  };
  HttpCaller(boost::asio::io_context& io, Options options);
  ~HttpCaller();

  void send(proxy::HttpRequest request, const std::string& host, uint32_t port, Done done);
  // The same as a services::Caller (the Behavior engine's way out).
  services::Caller caller();
  size_t connections_opened() const { return transport_.connections_opened(); }
  size_t in_flight() const { return pending_.size(); }

 private:
  struct Target {
    proxy::Endpoint endpoint;  // ip = the key; AsioTransport maps it to the address
    bool resolved = false;
    bool resolving = false;
    std::vector<std::pair<proxy::HttpRequest, Done>> waiting;  // for the DNS answer, bounded
  };
  struct Pending {
    std::chrono::steady_clock::time_point deadline;
    Done done;
  };
  void dispatch(Target& target, uint32_t port, proxy::HttpRequest request, Done done);
  void finish(uint64_t id, std::optional<proxy::HttpResponse>&& response);
  void arm_sweep();
  void sweep();

  boost::asio::io_context& io_;
  Options options_;
  proxy::asio::AsioTransport transport_;
  boost::asio::ip::tcp::resolver resolver_;
  std::map<std::string, Target> targets_;  // by "host:port"; nodes stay put
  std::map<uint64_t, Pending> pending_;    // requests sent, by id
  uint64_t next_id_ = 1;
  boost::asio::steady_timer sweep_timer_;
  bool sweep_armed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // callbacks after destruction do nothing
};

}  // namespace meshsim::app
