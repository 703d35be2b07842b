// The connection bounds of a live command's client-facing listener
// (`--max-connections`, `--request-timeout-ms`), shared by serve and proxy.
#pragma once

#include <cxxopts.hpp>

#include "proxy_core/asio/asio_adapter.h"

namespace meshsim::app {

inline void add_listener_options(cxxopts::Options& options) {
  options.add_options()
      ("max-connections", "client connections open at once; more are closed on accept",
       cxxopts::value<size_t>()->default_value("1024"))
      ("request-timeout-ms", "a request must arrive whole this soon after the connection is idle (slow clients are closed)",
       cxxopts::value<int64_t>()->default_value("30000"));
}

inline proxy::asio::ListenerLimits listener_limits(const cxxopts::ParseResult& args) {
  proxy::asio::ListenerLimits limits;
  limits.connections_max = std::max<size_t>(1, args["max-connections"].as<size_t>());
  limits.idle_timeout = std::chrono::milliseconds(std::max<int64_t>(1, args["request-timeout-ms"].as<int64_t>()));
  return limits;
}

}  // namespace meshsim::app
