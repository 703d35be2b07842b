// `meshsim app --scenario FILE --workload NAME | --behavior FILE [--listen ADDR]`:
// one workload of a scenario as a real HTTP server, what `meshsim export`
// runs in each pod. The same Behavior engine as the simulator
// (services::WorkloadApp: latency distributions, errors, call scripts,
// bodies, header propagation) on real sockets: Asio timers instead of
// virtual time, and calls to real URLs (HttpCaller: Kubernetes service names
// through DNS, or --resolve / MESHSIM_RESOLVE for runs on one host).
//
// Who the pod is comes from flags, else from the environment Kubernetes'
// downward API fills (`env[].valueFrom.fieldRef`): POD_NAME
// (metadata.name), POD_NAMESPACE (metadata.namespace), POD_VERSION
// (metadata.labels['version']), POD_APP (metadata.labels['app']),
// POD_SERVICE_ACCOUNT (spec.serviceAccountName); MESHSIM_WORKLOAD names the
// workload when --workload is not given. The scenario's Deployment gives
// the rest (labels, namespace).
#include <csignal>
#include <cstdlib>
#include <random>

#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/commands.h"
#include "app/http_caller.h"
#include "app/listen_address.h"
#include "app/listener_options.h"
#include "app/scenario_files.h"
#include "config/loader.h"
#include "proxy_core/app_labels.h"
#include "proxy_core/asio/asio_adapter.h"
#include "services/workload_app.h"
#include "sim/random.h"
#include "sim/scenario.h"

namespace meshsim::app {

namespace net = boost::asio;
using net::ip::tcp;

namespace {

// A flag's value, else the environment variable's, else `fallback`.
std::string flag_or_env(const cxxopts::ParseResult& args, const char* flag, const char* env, const std::string& fallback) {
  if (args.count(flag)) return args[flag].as<std::string>();
  if (const char* v = std::getenv(env); v && *v) return v;
  return fallback;
}

struct Identity {
  proxy::Endpoint endpoint;
  services::Behavior behavior;
  std::string behavior_name;  // "" = none (echo)
};

// The workload's Deployment in the scenario and the Behavior that selects its pods.
std::optional<Identity> from_scenario(const std::string& path, const std::string& workload) {
  auto scenario = load_scenario_files({path});
  if (!scenario) return std::nullopt;
  const proxy::Deployment* found = nullptr;
  std::vector<std::string> names;
  for (const auto& d : scenario->resources.deployments) {
    names.push_back(d.header.meta.name);
    if (d.header.meta.name == workload) found = &d;
  }
  if (!found) {
    fmt::print(stderr, "meshsim app: no Deployment \"{}\" in {} (valid workloads: {})\n", workload, path, fmt::join(names, ", "));
    return std::nullopt;
  }
  Identity id;
  id.endpoint.workload = workload;
  id.endpoint.ns = found->header.meta.ns;
  id.endpoint.labels = found->pod_labels;
  id.endpoint.service_account = found->service_account;
  if (const auto* b = sim::most_specific_behavior(found->pod_labels, scenario->behaviors)) {
    id.behavior = b->behavior;
    id.behavior_name = b->name;
  }
  return id;
}

// A file of Behavior documents: the one selecting `labels` most specifically,
// or the only one.
std::optional<Identity> from_behavior_file(const std::string& path, const proxy::Labels& labels) {
  std::vector<config::Diagnostic> diagnostics;
  auto loaded = config::load(config::read_sources({path}, diagnostics));
  diagnostics.insert(diagnostics.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
  for (const auto& d : diagnostics)
    if (d.severity == config::Severity::kError) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
  if (config::has_errors(diagnostics)) return std::nullopt;
  Identity id;
  id.endpoint.labels = labels;
  const sim::BehaviorRule* rule = sim::most_specific_behavior(labels, loaded.behaviors);
  if (!rule && loaded.behaviors.size() == 1) rule = &loaded.behaviors.front();
  if (!rule && !loaded.behaviors.empty()) {
    std::vector<std::string> names, pairs;
    for (const auto& b : loaded.behaviors) names.push_back(b.name);
    for (const auto& [k, v] : labels) pairs.push_back(k + ": " + v);
    fmt::print(stderr, "meshsim app: {} has {} Behaviors and none selects {{{}}}; give --app/--version (Behaviors: {})\n", path,
               loaded.behaviors.size(), fmt::join(pairs, ", "), fmt::join(names, ", "));
    return std::nullopt;
  }
  if (rule) {
    id.behavior = rule->behavior;
    id.behavior_name = rule->name;
  }
  return id;
}

}  // namespace

int app_command(int argc, char** argv) {
  cxxopts::Options options("meshsim app",
                           "One workload of a scenario as a real HTTP server, with the simulator's Behavior engine.\n"
                           "Environment (Kubernetes downward API): POD_NAME, POD_NAMESPACE, POD_VERSION, POD_APP, "
                           "POD_SERVICE_ACCOUNT, MESHSIM_WORKLOAD, MESHSIM_RESOLVE.");
  options.add_options()
      ("scenario", "scenario file: the workload's Deployment and Behavior", cxxopts::value<std::string>())
      ("behavior", "a file of Behavior documents (the one selecting the pod's labels, or the only one)", cxxopts::value<std::string>())
      ("workload", "the Deployment to be (env MESHSIM_WORKLOAD)", cxxopts::value<std::string>())
      ("listen", "HOST:PORT to serve on (in a pod: 0.0.0.0:PORT)", cxxopts::value<std::string>()->default_value("127.0.0.1:8080"))
      ("pod", "pod name (env POD_NAME; default: the workload)", cxxopts::value<std::string>())
      ("namespace", "namespace (env POD_NAMESPACE; default: the Deployment's, else default)", cxxopts::value<std::string>())
      ("version", "the version label answered in x-meshsim-version and {{version}} (env POD_VERSION; default: the pod's version label)",
       cxxopts::value<std::string>())
      ("app", "the app label (env POD_APP; default: the pod's app label)", cxxopts::value<std::string>())
      ("resolve", "NAME=HOST:PORT or NAME:PORT=HOST:PORT: where calls to a service go instead of its DNS name (repeatable; "
                  "env MESHSIM_RESOLVE, comma-separated)",
       cxxopts::value<std::vector<std::string>>())
      ("call-timeout-ms", "a call not answered this soon fails like a reset (Envoy's default route timeout: 15 s)",
       cxxopts::value<int64_t>()->default_value("15000"))
      ("seed", "seed of the latency and error draws (default: random)", cxxopts::value<uint64_t>())
      ("h,help", "show this help");
  add_listener_options(options);
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    fmt::print("{}", options.help());
    return kExitOk;
  }
  if (args.count("scenario") == args.count("behavior")) {
    fmt::print(stderr, "meshsim app: give exactly one of --scenario FILE (with --workload NAME) or --behavior FILE\n{}",
               options.help());
    return kExitBadInput;
  }
  std::string workload = flag_or_env(args, "workload", "MESHSIM_WORKLOAD", "");
  std::optional<Identity> id;
  if (args.count("scenario")) {
    if (workload.empty()) {
      fmt::print(stderr, "meshsim app: --scenario needs --workload NAME (or MESHSIM_WORKLOAD)\n");
      return kExitBadInput;
    }
    id = from_scenario(args["scenario"].as<std::string>(), workload);
  } else {
    proxy::Labels labels;
    std::string app = flag_or_env(args, "app", "POD_APP", workload);
    std::string version = flag_or_env(args, "version", "POD_VERSION", "");
    if (!app.empty()) labels["app"] = app;
    if (!version.empty()) labels["version"] = version;
    id = from_behavior_file(args["behavior"].as<std::string>(), labels);
    if (id && workload.empty()) workload = app.empty() ? "app" : app;
    if (id) id->endpoint.workload = workload;
  }
  if (!id) return kExitBadInput;
  proxy::Endpoint& endpoint = id->endpoint;
  endpoint.pod = flag_or_env(args, "pod", "POD_NAME", workload);
  endpoint.ns = flag_or_env(args, "namespace", "POD_NAMESPACE", endpoint.ns.empty() ? "default" : endpoint.ns);
  if (const char* sa = std::getenv("POD_SERVICE_ACCOUNT"); sa && *sa) endpoint.service_account = sa;
  endpoint.app = flag_or_env(args, "app", "POD_APP", proxy::app_label(endpoint.labels));
  endpoint.version_label = flag_or_env(args, "version", "POD_VERSION", proxy::version_label(endpoint.labels));
  // A flag or env value replaces the label the app reports by (app_labels.h).
  if (!endpoint.app.empty()) {
    const char* key = proxy::app_label_key(endpoint.labels);
    endpoint.labels[key ? key : "app"] = endpoint.app;
  }
  if (!endpoint.version_label.empty()) {
    const char* key = proxy::version_label_key(endpoint.labels);
    endpoint.labels[key ? key : "version"] = endpoint.version_label;
  }
  proxy::CanonicalService canonical = proxy::canonical_service_of(endpoint.labels, endpoint.workload);
  endpoint.canonical_service = std::move(canonical.name);
  endpoint.canonical_revision = std::move(canonical.revision);

  std::string error;
  auto listen = parse_address(args["listen"].as<std::string>(), &error);
  HttpCaller::Options caller_options;
  if (!listen || !parse_resolve_entries(args.count("resolve") ? args["resolve"].as<std::vector<std::string>>()
                                                                 : std::vector<std::string>{},
                                        std::getenv("MESHSIM_RESOLVE"), caller_options.resolve, &error)) {
    fmt::print(stderr, "meshsim app: {}\n", error);
    return kExitBadInput;
  }
  caller_options.timeout = std::chrono::milliseconds(std::max<int64_t>(1, args["call-timeout-ms"].as<int64_t>()));

  net::io_context io(proxy::asio::kOneThread);
  proxy::asio::AsioTimers timers(io);
  sim::SplitMix64 random(args.count("seed") ? args["seed"].as<uint64_t>() : std::random_device{}());
  HttpCaller caller(io, caller_options);
  services::WorkloadApp workload_app(endpoint, id->behavior, timers, random, caller.caller());
  try {
    proxy::asio::HttpListener listener(
        io, *listen,
        [&workload_app](proxy::HttpRequest&& request, proxy::asio::HttpListener::Respond respond) {
          workload_app.handle(std::move(request), std::move(respond));
        },
        listener_limits(args));
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    fmt::print(stderr, "meshsim app: listening on http://{}:{}/ (workload {}, pod {}, namespace {}, version {}, behavior {})\n",
               listen->address().to_string(), listener.port(), workload, endpoint.pod, endpoint.ns,
               endpoint.version().empty() ? "-" : endpoint.version(),
               id->behavior_name.empty() ? "none: echo" : id->behavior_name);
    io.run();
  } catch (const boost::system::system_error& e) {
    fmt::print(stderr, "meshsim app: {}\n", e.what());
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace meshsim::app
