// The admin API's request router, shared by `meshsim serve` and `meshsim
// proxy`: exact paths or prefixes ("/config/"), 404 for an unknown path and
// 405 (with Allow) for a known path with another method, as Envoy's admin
// interface answers. Runs on the command's io_context thread.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "proxy_core/http.h"

namespace meshsim::app {

// What every request that changes the mesh (any method but GET and HEAD)
// must pass before its handler runs.
struct AdminGuard {
  std::string token;                  // `Authorization: Bearer TOKEN` required when set (else 401)
  size_t body_bytes_max = 1 << 20;    // a larger body gets 413: no config is that large
  double changes_per_second = 20;     // a token bucket, bursts of that many; more get 429
};

class AdminApi {
 public:
  void guard(AdminGuard guard);
  using Handler = std::function<proxy::HttpResponse(const proxy::HttpRequest&)>;
  // `path` ending in '/' matches every path under it.
  void on(std::string method, std::string path, std::string help, Handler handler);
  proxy::HttpResponse handle(const proxy::HttpRequest& request) const;
  // "GET /metrics  Prometheus scrape" lines, for `GET /help`.
  std::string help() const;

 private:
  struct Route {
    std::string method, path, help;
    Handler handler;
  };
  std::vector<Route> routes_;
  AdminGuard guard_;
  // The change-rate bucket; handle() is const to its callers, the bucket is not.
  mutable double change_tokens_ = -1;  // <0: full, set on first use
  mutable std::chrono::steady_clock::time_point refilled_at_{};
  std::optional<proxy::HttpResponse> refuse_change(const proxy::HttpRequest& request) const;
};

proxy::HttpResponse respond(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");

}  // namespace meshsim::app
