#include "app/admin_routes.h"

#include <fmt/format.h>

#include "app/memory_stats.h"

namespace meshsim::app {

// Names in the listing come from pushed YAML and may hold any bytes: invalid
// UTF-8 is replaced (U+FFFD) rather than thrown, which would end the process
// (found by admin_api_fuzz).

proxy::HttpResponse push_response(const PushResult& result) {
  std::string body;
  for (const auto& line : result.ok ? result.changed : result.errors) body += line + "\n";
  if (!result.ok) body += "config unchanged\n";
  return respond(result.ok ? 200 : 400, std::move(body));
}

void add_config_routes(AdminApi& api, LiveConfig& config) {
  api.on("GET", "/config", "the live resources (JSON)", [&config](const proxy::HttpRequest&) {
    return respond(200, config.listing().dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n", "application/json");
  });
  api.on("POST", "/config", "apply YAML in the body, as kubectl apply", [&config](const proxy::HttpRequest& request) {
    return push_response(config.apply_yaml(request.body, "<POST /config>"));
  });
  api.on("DELETE", "/config/", "DELETE /config/KIND/NAMESPACE/NAME", [&config](const proxy::HttpRequest& request) {
    std::string_view rest = request.path().substr(std::string_view("/config/").size());
    auto first = rest.find('/'), last = rest.rfind('/');
    if (first == std::string_view::npos || first == last || last + 1 == rest.size())
      return respond(400, "expected DELETE /config/KIND/NAMESPACE/NAME\n");
    return push_response(config.remove(std::string(rest.substr(0, first)),
                                       std::string(rest.substr(first + 1, last - first - 1)),
                                       std::string(rest.substr(last + 1))));
  });
}

void add_telemetry_routes(AdminApi& api, const reports::MeshTelemetry& telemetry) {
  auto metrics = [&telemetry](const proxy::HttpRequest&) {
    return respond(200, telemetry.prometheus(), "text/plain; version=0.0.4; charset=utf-8");
  };
  api.on("GET", "/metrics", "Istio standard metrics, Prometheus text format", metrics);
  // Envoy's admin endpoint for the same text, where Prometheus scrape
  // configs written for Envoy look (envoy admin docs: /stats/prometheus).
  api.on("GET", "/stats/prometheus", "the same as /metrics, at Envoy's admin path", metrics);
  api.on("GET", "/traces", "sampled traces, Zipkin v2 JSON", [&telemetry](const proxy::HttpRequest&) {
    return respond(200, telemetry.zipkin().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", "application/json");
  });
  // Envoy's admin /memory: the allocator's figures, so a soak tells a leak
  // (allocated grows) from pages the allocator keeps (issue 19).
  api.on("GET", "/memory", "the allocator's figures, as Envoy's /memory (JSON)", [](const proxy::HttpRequest&) {
    return respond(200, memory_stats().dump() + "\n", "application/json");
  });
}

}  // namespace meshsim::app
