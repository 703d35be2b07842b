// The admin API's access flags, shared by serve, proxy and demo:
// `--admin-token` (or MESHSIM_ADMIN_TOKEN, which `ps` does not show) guards
// every change, and an admin address other than loopback is refused without
// one: whoever reaches an unguarded admin API can rewrite the mesh.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>
#include <cxxopts.hpp>

#include "app/admin_api.h"

namespace meshsim::app {

inline void add_admin_token_option(cxxopts::Options& options) {
  options.add_options()
      ("admin-token", "bearer token the admin API requires for changes (default: $MESHSIM_ADMIN_TOKEN)",
       cxxopts::value<std::string>())
      ("admin-changes-per-second", "changes (POST, DELETE) the admin API accepts per second, in bursts of as many",
       cxxopts::value<double>()->default_value("20"));
}

inline std::string admin_token(const cxxopts::ParseResult& args) {
  if (args.count("admin-token")) return args["admin-token"].as<std::string>();
  const char* env = std::getenv("MESHSIM_ADMIN_TOKEN");
  return env ? env : "";
}

// The guard for an admin API on `address`, or nullopt and `error` when the
// address is reachable from other machines and no token is set.
inline std::optional<AdminGuard> admin_guard(const cxxopts::ParseResult& args, const boost::asio::ip::address& address,
                                             std::string* error) {
  AdminGuard guard;
  guard.token = admin_token(args);
  guard.changes_per_second = std::max(1.0, args["admin-changes-per-second"].as<double>());
  if (guard.token.empty() && !address.is_loopback()) {
    *error = "refusing an admin API on " + address.to_string() +
             " without --admin-token (or MESHSIM_ADMIN_TOKEN): anyone who can reach it could change the mesh";
    return std::nullopt;
  }
  return guard;
}

}  // namespace meshsim::app
