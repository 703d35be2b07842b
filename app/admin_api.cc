#include "app/admin_api.h"

#include <algorithm>

#include <fmt/format.h>

namespace meshsim::app {

namespace {

bool path_matches(const std::string& pattern, std::string_view path) {
  if (!pattern.empty() && pattern.back() == '/' && pattern.size() > 1) return path.starts_with(pattern);
  return path == pattern;
}

}  // namespace

void AdminApi::guard(AdminGuard guard) { guard_ = std::move(guard); }

std::optional<proxy::HttpResponse> AdminApi::refuse_change(const proxy::HttpRequest& request) const {
  if (request.method == "GET" || request.method == "HEAD") return std::nullopt;
  if (!guard_.token.empty()) {
    std::string_view given = request.headers.get("authorization").value_or("");
    std::string expected = "Bearer " + guard_.token;
    // Compared in time independent of where they differ.
    unsigned char differs = given.size() != expected.size();
    for (size_t i = 0; i < expected.size(); ++i)
      differs |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
    if (differs) {
      auto response = respond(401, "this admin API needs `Authorization: Bearer TOKEN` to change the mesh "
                                   "(meshsim ctl --admin-token, or MESHSIM_ADMIN_TOKEN)\n");
      response.headers.set("www-authenticate", "Bearer realm=\"meshsim admin\"");
      return response;
    }
  }
  if (request.body.size() > guard_.body_bytes_max)
    return respond(413, fmt::format("request body of {} bytes; the admin API takes at most {}\n", request.body.size(),
                                    guard_.body_bytes_max));
  auto now = std::chrono::steady_clock::now();
  if (change_tokens_ < 0) change_tokens_ = guard_.changes_per_second;
  else
    change_tokens_ = std::min(guard_.changes_per_second,
                              change_tokens_ + std::chrono::duration<double>(now - refilled_at_).count() * guard_.changes_per_second);
  refilled_at_ = now;
  if (change_tokens_ < 1) {
    auto response = respond(429, fmt::format("more than {} changes per second; try again in a second\n", guard_.changes_per_second));
    response.headers.set("retry-after", "1");
    return response;
  }
  change_tokens_ -= 1;
  return std::nullopt;
}

void AdminApi::on(std::string method, std::string path, std::string help, Handler handler) {
  routes_.push_back({std::move(method), std::move(path), std::move(help), std::move(handler)});
}

proxy::HttpResponse AdminApi::handle(const proxy::HttpRequest& request) const {
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  std::string allowed;
  for (const auto& route : routes_) {
    if (!path_matches(route.path, path)) continue;
    if (route.method == request.method) {
      if (auto refused = refuse_change(request)) return std::move(*refused);
      return route.handler(request);
    }
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
