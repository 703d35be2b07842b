#include "app/live_front_door.h"

#include "app/admin_routes.h"
#include "config/say.h"
#include "proxy_core/app_labels.h"
#include "reports/html_report.h"
#include "reports/run_report.h"

namespace meshsim::app {

namespace {

std::string query_value(const proxy::HttpRequest& request, std::string_view name) {
  return std::string(proxy::query_param(request.query(), name).value_or(""));
}

// GET /topology?service=NAME: versions deployed, who it calls and who calls
// it, from the configuration and the traffic observed so far.
nlohmann::ordered_json topology(const LiveWorld& live, const std::string& service) {
  nlohmann::ordered_json versions = nlohmann::ordered_json::array(), callers = nlohmann::ordered_json::array();
  for (const auto& d : live.session().resources().deployments) {
    if (proxy::app_label(d.pod_labels) != service) continue;
    versions.push_back(
        {{"workload", d.header.meta.name}, {"version", proxy::version_label(d.pod_labels)}, {"replicas", d.replicas}});
  }
  for (const auto& [key, e] : live.telemetry().edges())
    if (e.to_service == service) callers.push_back(e.from);
  return {{"service", service},
          {"versions", versions},
          {"calls", live.telemetry().dependencies(service)},
          {"called_by", callers}};
}

// --target as the ingress gateway must name it: the ingress stands in
// istio-system, where a bare name would resolve to <name>.istio-system and
// match no VirtualService written for the Service's own namespace (Istio
// qualifies a short host by the rule's namespace, and a real gateway's
// routes name <name>.<namespace>). A bare name of exactly one Service (or
// of one in `default`) becomes <name>.<namespace>; anything else is kept.
std::string qualified_target(const proxy::Resources& resources, const std::string& host) {
  if (host.find('.') != std::string::npos) return host;
  const proxy::Service* found = nullptr;
  int count = 0;
  for (const auto& s : resources.services) {
    if (s.header.meta.name != host) continue;
    ++count;
    if (found == nullptr || s.header.meta.ns == "default") found = &s;
  }
  if (found == nullptr || (count > 1 && found->header.meta.ns != "default")) return host;
  return host + "." + found->header.meta.ns;
}

// Hands the mesh's answer (or Envoy's 503 when none came) to the client.
std::function<void(sim::CallResult&&)> answer(proxy::asio::HttpListener::Respond reply) {
  return [reply = std::move(reply)](sim::CallResult&& r) {
    if (r.outbound.response) return reply(std::move(*r.outbound.response));
    reply(respond(503, r.outbound.error + "\n"));
  };
}

}  // namespace

LiveFrontDoor::LiveFrontDoor(LiveWorld& live, sim::ParsedUrl target)
    : live_(live),
      target_(std::move(target)),
      config_([&live]() -> const proxy::Resources& { return live.session().resources(); },
              [&live](const proxy::Resources& next, std::vector<std::string>* errors) {
                return live.session().push(next, errors, "live config push through the admin API");
              }) {
  add_routes();
}

proxy::asio::HttpListener::Handler LiveFrontDoor::ingress() {
  return [this](proxy::HttpRequest&& request, proxy::asio::HttpListener::Respond reply) {
    // Through the scenario's own ingress gateway the client's Host picks the
    // Gateway's virtual host; without one, requests go to --target.
    if (live_.session().ingress_gateway()) {
      live_.send(std::move(request), target_.host, target_.port, answer(std::move(reply)));
      return;
    }
    std::string host = qualified_target(live_.session().resources(), target_.host);
    request.authority = host;
    live_.send(std::move(request), host, target_.port, answer(std::move(reply)));
  };
}

proxy::asio::HttpListener::Handler LiveFrontDoor::admin() {
  return [this](proxy::HttpRequest&& request, proxy::asio::HttpListener::Respond reply) { reply(api_.handle(request)); };
}

void LiveFrontDoor::add_routes() {
  LiveWorld& live = live_;
  add_config_routes(api_, config_);
  add_telemetry_routes(api_, live.telemetry());
  api_.on("GET", "/", "the live dashboard (HTML, updates itself from /report.json)", [&live](const proxy::HttpRequest&) {
    return respond(200, reports::html_report(live.snapshot(), live.series(), live.telemetry(), 2), "text/html; charset=utf-8");
  });
  api_.on("GET", "/report.json", "the run so far, as report.json (expectations not judged yet: reached false)",
          [&live](const proxy::HttpRequest&) {
            return respond(200, reports::run_json(live.snapshot(), MESHSIM_VERSION).dump(2) + "\n", "application/json");
          });
  api_.on("GET", "/graph", "the service graph: DOT, or ?format=svg|mermaid|text", [&live](const proxy::HttpRequest& request) {
    double seconds = std::max(1.0, static_cast<double>(live.now().count()) / 1e6);
    std::string format = query_value(request, "format");
    if (format.empty() || format == "dot") return respond(200, live.telemetry().dot(seconds), "text/vnd.graphviz");
    if (format == "svg") return respond(200, reports::graph_svg(live.telemetry(), seconds), "image/svg+xml");
    if (format == "mermaid") return respond(200, live.telemetry().mermaid(seconds));
    if (format == "text") return respond(200, live.telemetry().graph_text(seconds));
    return respond(400, "unknown format \"" + format + "\" (valid: dot, svg, mermaid, text)\n");
  });
  api_.on("GET", "/topology", "GET /topology?service=NAME (JSON)", [&live](const proxy::HttpRequest& request) {
    std::string service = query_value(request, "service");
    if (service.empty()) return respond(400, "expected /topology?service=NAME\n");
    return respond(200, topology(live, service).dump(2) + "\n", "application/json");
  });
  api_.on("POST", "/say", "a plain-word command in the body", [this](const proxy::HttpRequest& request) {
    auto said = config::interpret_say(request.body, live_.session().resources(), live_.scenario().behaviors);
    if (!said.understood) {
      std::string body = said.reply + "\nclosest phrasings:\n";
      for (const auto& s : said.suggestions) body += "  " + s + "\n";
      return respond(400, body);
    }
    std::string body = said.reply + "\n";
    if (!said.yaml.empty()) {
      PushResult pushed = config_.apply_yaml(said.yaml, "<say>");
      if (!pushed.ok) return push_response(pushed);
      body += "\n" + said.yaml;
    }
    for (const auto& key : said.delete_keys) {
      auto first = key.find('/'), last = key.rfind('/');
      PushResult removed = config_.remove(key.substr(0, first), key.substr(first + 1, last - first - 1), key.substr(last + 1));
      body += "# kubectl delete " + key + (removed.ok ? "\n" : " (not found)\n");
    }
    return respond(200, body);
  });
  api_.on("POST", "/step", "manual mode: apply the next timeline step", [&live](const proxy::HttpRequest&) {
    const sim::TimelineStep* step = live.next_held_step();
    if (!step) return respond(409, "no step held (not in --manual mode, or none left)\n");
    std::string caption = step->caption;
    live.apply_next_step();
    return respond(200, "applied: " + caption + "\n");
  });
  api_.on("GET", "/pods", "where each pod listens on 127.0.0.1 (JSON)", [&live](const proxy::HttpRequest&) {
    auto list = nlohmann::ordered_json::array();
    for (const auto& p : live.pods()) list.push_back({{"pod", p.pod}, {"url", "http://127.0.0.1:" + std::to_string(p.port) + "/"}});
    return respond(200, list.dump(2) + "\n", "application/json");
  });
  api_.on("GET", "/help", "this list", [this](const proxy::HttpRequest&) { return respond(200, api_.help()); });
}

}  // namespace meshsim::app
