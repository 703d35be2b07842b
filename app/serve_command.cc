// `meshsim serve SCENARIO [--port 8080] [--admin-port 15000] [--manual] [--speed N] [--out DIR]`:
// the scenario's mesh live against the wall clock. Real requests enter on
// --port through the ingress gateway and reach `frontend` (--target); the
// admin API on 127.0.0.1 shows and changes the mesh; SIGINT/SIGTERM writes
// the same report files as `meshsim run`.
#include <csignal>
#include <memory>

#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/admin_api.h"
#include "app/admin_routes.h"
#include "app/commands.h"
#include "app/listen_address.h"
#include "app/live_config.h"
#include "app/live_world.h"
#include "app/report_files.h"
#include "config/loader.h"
#include "config/say.h"
#include "proxy_core/asio/asio_adapter.h"
#include "proxy_core/hosts.h"
#include "reports/html_report.h"
#include "reports/run_report.h"

namespace meshsim::app {

namespace net = boost::asio;
using net::ip::tcp;

namespace {

std::string query_value(const proxy::HttpRequest& request, std::string_view name) {
  return std::string(proxy::query_param(request.query(), name).value_or(""));
}

// GET /topology?service=NAME: versions deployed, who it calls and who calls
// it, from the configuration and the traffic observed so far.
nlohmann::ordered_json topology(const LiveWorld& live, const std::string& service) {
  nlohmann::ordered_json versions = nlohmann::ordered_json::array(), callers = nlohmann::ordered_json::array();
  for (const auto& d : live.session().resources().deployments) {
    auto app = d.pod_labels.find("app");
    if (app == d.pod_labels.end() || app->second != service) continue;
    auto version = d.pod_labels.find("version");
    versions.push_back({{"workload", d.header.meta.name},
                        {"version", version == d.pod_labels.end() ? "" : version->second},
                        {"replicas", d.replicas}});
  }
  for (const auto& [key, e] : live.telemetry().edges())
    if (e.to_service == service) callers.push_back(e.from);
  return {{"service", service},
          {"versions", versions},
          {"calls", live.telemetry().dependencies(service)},
          {"called_by", callers}};
}

}  // namespace

int serve_command(int argc, char** argv) {
  cxxopts::Options options("meshsim serve", "Run a scenario's mesh live on 127.0.0.1, in real time.");
  options.add_options()
      ("port", "ingress port (requests reach --target)", cxxopts::value<uint16_t>()->default_value("8080"))
      ("address", "ingress address", cxxopts::value<std::string>()->default_value("127.0.0.1"))
      ("target", "where ingress requests go", cxxopts::value<std::string>()->default_value("http://frontend/"))
      ("admin-port", "admin API port", cxxopts::value<uint16_t>()->default_value("15000"))
      ("admin-address", "admin API address (127.0.0.1 unless you mean it)", cxxopts::value<std::string>()->default_value("127.0.0.1"))
      ("manual", "hold timeline steps; POST /step or Enter applies the next one")
      ("speed", "simulated seconds per wall-clock second", cxxopts::value<double>()->default_value("1"))
      ("seed", "random seed (overrides the scenario's)", cxxopts::value<uint64_t>())
      ("o,out", "write report files here on shutdown", cxxopts::value<std::string>())
      ("h,help", "show this help")
      ("scenario", "scenario file(s)", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"scenario"});
  options.positional_help("SCENARIO...");
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    fmt::print("{}", options.help());
    return kExitOk;
  }
  if (!args.count("scenario")) {
    fmt::print(stderr, "meshsim serve: no scenario given\n{}", options.help());
    return kExitBadInput;
  }
  auto loaded = config::load_scenario(args["scenario"].as<std::vector<std::string>>());
  for (const auto& d : loaded.diagnostics)
    if (d.severity != config::Severity::kInfo) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
  if (!loaded.scenario) return kExitBadInput;
  const sim::Scenario& scenario = *loaded.scenario;
  std::string error;
  auto ingress_address = parse_address(args["address"].as<std::string>() + ":" + std::to_string(args["port"].as<uint16_t>()), &error);
  auto admin_address = ingress_address ? parse_address(args["admin-address"].as<std::string>() + ":" +
                                                           std::to_string(args["admin-port"].as<uint16_t>()), &error)
                                       : std::nullopt;
  auto target = admin_address ? sim::parse_url(args["target"].as<std::string>(), &error) : std::nullopt;
  if (!target) {
    fmt::print(stderr, "meshsim serve: {}\n", error);
    return kExitBadInput;
  }

  net::io_context io(1);
  LiveOptions live_options;
  live_options.speed = std::max(0.01, args["speed"].as<double>());
  live_options.manual = args.count("manual") > 0;
  if (args.count("seed")) live_options.seed = args["seed"].as<uint64_t>();
  LiveWorld live(io, scenario, live_options);

  LiveConfig config([&]() -> const proxy::Resources& { return live.session().resources(); },
                    [&](const proxy::Resources& next, std::vector<std::string>* errors) {
                      return live.session().push(next, errors, "live config push through the admin API");
                    });
  AdminApi api;
  add_config_routes(api, config);
  add_telemetry_routes(api, live.telemetry());
  api.on("GET", "/", "the live dashboard (HTML, refreshes itself)", [&](const proxy::HttpRequest&) {
    return respond(200, reports::html_report(live.snapshot(), live.series(), live.telemetry(), 2), "text/html; charset=utf-8");
  });
  api.on("GET", "/graph", "the service graph: DOT, or ?format=svg|mermaid|text", [&](const proxy::HttpRequest& request) {
    double seconds = std::max(1.0, static_cast<double>(live.now().count()) / 1e6);
    std::string format = query_value(request, "format");
    if (format.empty() || format == "dot") return respond(200, live.telemetry().dot(seconds), "text/vnd.graphviz");
    if (format == "svg") return respond(200, reports::graph_svg(live.telemetry(), seconds), "image/svg+xml");
    if (format == "mermaid") return respond(200, live.telemetry().mermaid(seconds));
    if (format == "text") return respond(200, live.telemetry().graph_text(seconds));
    return respond(400, "unknown format \"" + format + "\" (valid: dot, svg, mermaid, text)\n");
  });
  api.on("GET", "/topology", "GET /topology?service=NAME (JSON)", [&](const proxy::HttpRequest& request) {
    std::string service = query_value(request, "service");
    if (service.empty()) return respond(400, "expected /topology?service=NAME\n");
    return respond(200, topology(live, service).dump(2) + "\n", "application/json");
  });
  api.on("POST", "/say", "a plain-word command in the body", [&](const proxy::HttpRequest& request) {
    auto said = config::interpret_say(request.body, live.session().resources(), scenario.behaviors);
    if (!said.understood) {
      std::string body = said.reply + "\nclosest phrasings:\n";
      for (const auto& s : said.suggestions) body += "  " + s + "\n";
      return respond(400, body);
    }
    std::string body = said.reply + "\n";
    if (!said.yaml.empty()) {
      PushResult pushed = config.apply_yaml(said.yaml, "<say>");
      if (!pushed.ok) return push_response(pushed);
      body += "\n" + said.yaml;
    }
    for (const auto& key : said.delete_keys) {
      auto first = key.find('/'), last = key.rfind('/');
      PushResult removed = config.remove(key.substr(0, first), key.substr(first + 1, last - first - 1), key.substr(last + 1));
      body += "# kubectl delete " + key + (removed.ok ? "\n" : " (not found)\n");
    }
    return respond(200, body);
  });
  api.on("POST", "/step", "manual mode: apply the next timeline step", [&](const proxy::HttpRequest&) {
    const sim::TimelineStep* step = live.next_held_step();
    if (!step) return respond(409, live_options.manual ? "no steps left\n" : "not in --manual mode\n");
    std::string caption = step->caption;
    live.apply_next_step();
    return respond(200, "applied: " + caption + "\n");
  });
  api.on("GET", "/help", "this list", [&api](const proxy::HttpRequest&) { return respond(200, api.help()); });

  auto ingress_handler = [&](proxy::HttpRequest request, proxy::asio::HttpListener::Respond reply) {
    request.authority = target->host;
    live.send(std::move(request), target->host, target->port, [reply = std::move(reply)](sim::CallResult r) {
      if (r.outbound.response) return reply(std::move(*r.outbound.response));
      reply(respond(503, r.outbound.error + "\n"));
    });
  };
  try {
    proxy::asio::HttpListener ingress(io, *ingress_address, ingress_handler);
    proxy::asio::HttpListener admin(io, *admin_address, [&api](proxy::HttpRequest request, proxy::asio::HttpListener::Respond reply) {
      reply(api.handle(request));
    });
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    fmt::print(stderr, "meshsim serve: {} live at {}x; ingress http://{}:{}/ -> {}; admin http://{}:{}/\n", scenario.name,
               live_options.speed, ingress_address->address().to_string(), ingress.port(), args["target"].as<std::string>(),
               admin_address->address().to_string(), admin.port());
    io.run();
  } catch (const boost::system::system_error& e) {
    fmt::print(stderr, "meshsim serve: {}\n", e.what());
    return kExitBadInput;
  }
  sim::RunResult result = live.finish();
  result.duration = std::max(result.duration, live.now());
  fmt::print("{}", reports::run_text(result));
  if (args.count("out")) {
    if (!write_report_files(args["out"].as<std::string>(), result, live.telemetry(), live.series(), &error)) {
      fmt::print(stderr, "meshsim serve: {}\n", error);
      return kExitBadInput;
    }
    fmt::print(stderr, "meshsim serve: reports written to {}\n", args["out"].as<std::string>());
  }
  return kExitOk;
}

}  // namespace meshsim::app
