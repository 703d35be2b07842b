#include "app/admin_api.h"

#include <fmt/format.h>

namespace meshsim::app {

namespace {

bool path_matches(const std::string& pattern, std::string_view path) {
  if (!pattern.empty() && pattern.back() == '/' && pattern.size() > 1) return path.starts_with(pattern);
  return path == pattern;
}

}  // namespace

void AdminApi::on(std::string method, std::string path, std::string help, Handler handler) {
  routes_.push_back({std::move(method), std::move(path), std::move(help), std::move(handler)});
}

proxy::HttpResponse AdminApi::handle(const proxy::HttpRequest& request) const {
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  std::string allowed;
  for (const auto& route : routes_) {
    if (!path_matches(route.path, path)) continue;
    if (route.method == request.method) return route.handler(request);
    allowed += (allowed.empty() ? "" : ", ") + route.method;
  }
  if (!allowed.empty()) {
    auto response = respond(405, fmt::format("method {} not allowed on {} (allowed: {})\n", request.method, path, allowed));
    response.headers.set("allow", allowed);
    return response;
  }
  return respond(404, fmt::format("no such admin path: {}\n{}", path, help()));
}

std::string AdminApi::help() const {
  std::string out = "admin commands:\n";
  for (const auto& route : routes_) out += fmt::format("  {:<6} {:<28} {}\n", route.method, route.path, route.help);
  return out;
}

proxy::HttpResponse respond(int status, std::string body, std::string content_type) {
  proxy::HttpResponse response;
  response.status = status;
  response.headers.set("content-type", content_type);
  response.body = std::move(body);
  return response;
}

}  // namespace meshsim::app
