// The admin API's request router, shared by `meshsim serve` and `meshsim
// proxy`: exact paths or prefixes ("/config/"), 404 for an unknown path and
// 405 (with Allow) for a known path with another method, as Envoy's admin
// interface answers. Runs on the command's io_context thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "proxy_core/http.h"

namespace meshsim::app {

class AdminApi {
 public:
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
};

proxy::HttpResponse respond(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");

}  // namespace meshsim::app
