// `meshsim serve SCENARIO [--port 8080] [--admin-port 15000] [--manual] [--speed N] [--out DIR]`:
// the scenario's mesh live against the wall clock. Real requests enter on
// --port through the ingress gateway and reach `frontend` (--target); the
// admin API on 127.0.0.1 shows and changes the mesh; SIGINT/SIGTERM writes
// the same report files as `meshsim run`.
#include <algorithm>
#include <csignal>

#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/admin_options.h"
#include "app/commands.h"
#include "app/listen_address.h"
#include "app/listener_options.h"
#include "app/live_front_door.h"
#include "app/live_world.h"
#include "app/report_files.h"
#include "app/scenario_files.h"
#include "app/trace_push.h"
#include "reports/run_report.h"

namespace meshsim::app {

namespace net = boost::asio;

int serve_command(int argc, char** argv) {
  cxxopts::Options options("meshsim serve", "Run a scenario's mesh live on 127.0.0.1, in real time.");
  options.add_options()
      ("port", "ingress port (requests reach --target; 0: any free port)", cxxopts::value<uint16_t>()->default_value("8080"))
      ("address", "ingress address", cxxopts::value<std::string>()->default_value("127.0.0.1"))
      ("target", "where ingress requests go when the scenario has no ingress gateway of its own", cxxopts::value<std::string>()->default_value("http://frontend/"))
      ("admin-port", "admin API port (0: any free port)", cxxopts::value<uint16_t>()->default_value("15000"))
      ("admin-address", "admin API address (127.0.0.1 unless you mean it)", cxxopts::value<std::string>()->default_value("127.0.0.1"))
      ("manual", "hold timeline steps; POST /step (meshsim ctl step) applies the next one")
      ("speed", "simulated seconds per wall-clock second", cxxopts::value<double>()->default_value("1"))
      ("seed", "random seed (overrides the scenario's)", cxxopts::value<uint64_t>())
      ("trace-sampling", "percent of requests traced, decided at the edge (overrides the scenario's spec.tracing.sampling; Istio's default is 1)",
       cxxopts::value<double>())
      ("scrape-interval", "metrics.om.txt written on shutdown: one sample of every series this often, in simulated time (default: the scenario's, 15s)",
       cxxopts::value<std::string>())
      ("otlp", "push sampled spans as OTLP/HTTP JSON to this URL (default path /v1/traces)", cxxopts::value<std::string>())
      ("zipkin", "push sampled spans as Zipkin v2 JSON to this URL (default path /api/v2/spans)", cxxopts::value<std::string>())
      ("o,out", "write report files here on shutdown", cxxopts::value<std::string>())
      ("h,help", "show this help")
      ("scenario", "scenario file(s)", cxxopts::value<std::vector<std::string>>());
  add_listener_options(options);
  add_admin_token_option(options);
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
  auto scenario = load_scenario_files(args["scenario"].as<std::vector<std::string>>());
  if (!scenario) return kExitBadInput;
  if (args.count("scrape-interval") && !override_scrape_interval(*scenario, args["scrape-interval"].as<std::string>(), "meshsim serve"))
    return kExitBadInput;
  if (args.count("trace-sampling")) scenario->trace_sampling_percent = std::clamp(args["trace-sampling"].as<double>(), 0.0, 100.0);
  std::string error;
  auto ingress_address = parse_address(args["address"].as<std::string>() + ":" + std::to_string(args["port"].as<uint16_t>()), &error);
  auto admin_address = ingress_address ? parse_address(args["admin-address"].as<std::string>() + ":" +
                                                           std::to_string(args["admin-port"].as<uint16_t>()), &error)
                                       : std::nullopt;
  auto target = admin_address ? sim::parse_url(args["target"].as<std::string>(), &error) : std::nullopt;
  auto guard = target ? admin_guard(args, admin_address->address(), &error) : std::nullopt;
  if (!guard) {
    fmt::print(stderr, "meshsim serve: {}\n", error);
    return kExitBadInput;
  }

  net::io_context io(proxy::asio::kOneThread);
  std::vector<std::unique_ptr<TracePusher>> pushers;
  for (auto [flag, format] : {std::pair{"otlp", TracePusher::Format::kOtlp}, std::pair{"zipkin", TracePusher::Format::kZipkin}}) {
    if (!args.count(flag)) continue;
    auto pusher = TracePusher::create(io, format, args[flag].as<std::string>(), &error);
    if (!pusher) {
      fmt::print(stderr, "meshsim serve: --{}: {}\n", flag, error);
      return kExitBadInput;
    }
    pushers.push_back(std::move(pusher));
  }
  LiveOptions live_options;
  for (auto& pusher : pushers) live_options.extra_sinks.push_back(pusher.get());
  live_options.speed = std::max(0.01, args["speed"].as<double>());
  live_options.manual = args.count("manual") > 0;
  if (args.count("seed")) live_options.seed = args["seed"].as<uint64_t>();
  live_options.sockets = true;
  LiveWorld live(io, *scenario, live_options);
  LiveFrontDoor door(live, *target);
  door.admin_api().guard(*guard);
  for (auto& pusher : pushers) {
    pusher->set_unix_time(live.telemetry().unix_time());
    pusher->start();
  }
  try {
    proxy::asio::HttpListener ingress(io, *ingress_address, door.ingress(), listener_limits(args));
    proxy::asio::HttpListener admin(io, *admin_address, door.admin());
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    auto gateway = live.session().ingress_gateway();
    std::string entry = gateway ? fmt::format("the ingress gateway Service {}:{} (Host picks the route)", gateway->host, gateway->port)
                                : args["target"].as<std::string>();
    fmt::print(stderr, "meshsim serve: {} live at {}x; ingress http://{}:{}/ -> {}; admin http://{}:{}/\n", scenario->name,
               live_options.speed, ingress_address->address().to_string(), ingress.port(), entry,
               admin_address->address().to_string(), admin.port());
    io.run();
  } catch (const boost::system::system_error& e) {
    fmt::print(stderr, "meshsim serve: {}\n", e.what());
    return kExitBadInput;
  }
  sim::RunResult result = live.finish();
  for (auto& pusher : pushers) {
    pusher->flush(std::chrono::seconds(5));
    fmt::print(stderr, "meshsim serve: {}\n", pusher->describe());
  }
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
