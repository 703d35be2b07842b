// `meshsim plan --before PATH... --after PATH... [--traffic SCENARIO] [-o text|json|markdown]`:
// the same probes through the mesh before and after a change; exit 0 nothing
// moved, 1 something moved, 2 bad input (issue 17).
#include <algorithm>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

#include "app/commands.h"
#include "config/loader.h"
#include "config/replay_source.h"
#include "reports/plan_output.h"
#include "sim/plan.h"
#include "sim/replay.h"

namespace meshsim::app {
namespace {

constexpr std::string_view kHelp = R"(usage: meshsim plan --before PATH... --after PATH... [options]

Sends the same requests through the mesh before and after a change and prints
what moves: destination shares, status, response flags, authorization, and the
timeouts, retries, faults, mirrors and header edits of the rule taken; and the
rules no request reaches (route coverage).

  --before PATH...     the config before: files, directories or - (stdin)
  --after PATH...      the config after
  --traffic SCENARIO   send the scenario's traffic sources instead of generated probes
  --replay LOG...      send the requests of access logs instead (Istio's default TEXT
                       format or JSON, one object per line); lines not replayed are
                       listed on stderr with their line numbers
  --replay-format F    istio-text or envoy-json (default: JSON when a log's first
                       line starts with '{')
  --replay-from W      the caller of lines that name no pod or workload of the
                       files ([NAMESPACE/]WORKLOAD, default default/replay)
  -o, --output FORMAT  text (default), json or markdown (a pull-request comment)
  --seed N             random seed for both versions (default 1)
  --samples N          requests per probe whose outcome is not uniform (default 200)
  -h, --help           this text

Exit status: 0 nothing moved, 1 something moved, 2 bad input.
)";

std::optional<proxy::Resources> load_version(const std::vector<std::string>& paths) {
  std::vector<config::Diagnostic> diagnostics;
  auto sources = config::read_sources(paths, diagnostics);
  auto loaded = config::load(sources);
  diagnostics.insert(diagnostics.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
  if (!config::has_errors(diagnostics)) return std::move(loaded.resources);
  for (const auto& d : diagnostics)
    if (d.severity == config::Severity::kError) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
  return std::nullopt;
}

int bad(const std::string& message) {
  fmt::print(stderr, "meshsim plan: {}\n", message);
  return kExitBadInput;
}

// `--replay LOG`: a replay source per log, calling from `from` ("[ns/]name")
// when a line names no Deployment. Problems go to stderr: never a silent drop.
std::optional<sim::TrafficSource> replay_source(const std::string& log, const std::string& format, const std::string& from,
                                                std::string* error) {
  auto replay = config::read_replay(log, format, 1, error);
  if (!replay) return std::nullopt;
  sim::TrafficSource t;
  t.name = std::filesystem::path(log).filename().string();
  auto slash = from.find('/');
  t.from_namespace = slash == std::string::npos ? "default" : from.substr(0, slash);
  t.from = slash == std::string::npos ? from : from.substr(slash + 1);
  t.sidecar = true;  // the log was written by a sidecar
  t.replay = std::make_shared<const sim::ReplayTraffic>(std::move(*replay));
  return t;
}

// Probes for the replay sources among `sources`, callers resolved in `resources`.
std::vector<sim::PlanProbe> replayed_probes(const std::vector<sim::TrafficSource>& sources, const proxy::Resources& resources) {
  std::vector<sim::PlanProbe> probes;
  for (const auto& src : sources) {
    if (!src.replay) continue;
    std::vector<std::string> notes{sim::replay_summary(src)};
    notes.insert(notes.end(), src.replay->problems.begin(), src.replay->problems.end());
    auto callers = sim::replay_callers(src, resources, &notes);
    for (const auto& n : notes) fmt::print(stderr, "meshsim plan: {}\n", n);
    probes = sim::merge_probes(std::move(probes), sim::replay_probes(src, callers));
  }
  return probes;
}

}  // namespace

int plan_command(int argc, char** argv) {
  std::vector<std::string> before, after, traffic, replay_logs;
  std::string output = "text", replay_format, replay_from = "replay";
  sim::PlanOptions options;
  std::vector<std::string>* list = nullptr;  // where bare arguments go
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    if (a == "-h" || a == "--help") {
      fmt::print("{}", kHelp);
      return kExitOk;
    }
    if (a == "--before") list = &before;
    else if (a == "--after") list = &after;
    else if (a == "--traffic") list = &traffic;
    else if (a == "--replay") list = &replay_logs;
    else if (a == "--replay-format" || a == "--replay-from") {
      auto v = value();
      if (!v) return bad(fmt::format("{} needs a value", a));
      list = nullptr;
      (a == "--replay-format" ? replay_format : replay_from) = *v;
    } else if (a == "-o" || a == "--output" || a == "--seed" || a == "--samples") {
      auto v = value();
      if (!v) return bad(fmt::format("{} needs a value", a));
      list = nullptr;
      try {
        if (a == "--seed") options.seed = std::stoull(*v);
        else if (a == "--samples") options.samples = std::stoi(*v);
        else output = *v;
      } catch (const std::exception&) {
        return bad(fmt::format("{} needs a number, got \"{}\"", a, *v));
      }
    } else if (a.starts_with("--") || (a.starts_with("-") && a != "-")) {
      return bad(fmt::format("unknown option \"{}\"\n{}", a, kHelp));
    } else if (list == nullptr) {
      return bad(fmt::format("\"{}\" follows no --before, --after, --traffic or --replay", a));
    } else {
      list->push_back(std::string(a));
    }
  }
  if (output != "text" && output != "json" && output != "markdown")
    return bad(fmt::format("unknown --output \"{}\" (valid: text, json, markdown)", output));
  if (before.empty() || after.empty()) return bad(fmt::format("need --before and --after\n{}", kHelp));
  size_t stdin_uses = 0;
  for (const auto* paths : {&before, &after, &traffic, &replay_logs}) stdin_uses += std::count(paths->begin(), paths->end(), "-");
  if (stdin_uses > 1) return bad("- (stdin) can be given once");
  if (!replay_format.empty() && !config::access_log_format_from_name(replay_format))
    return bad(fmt::format("unknown --replay-format \"{}\" (valid: istio-text, envoy-json)", replay_format));
  if (options.samples < options.quick_samples || options.samples > 100'000)
    return bad(fmt::format("--samples must be between {} and 100000", options.quick_samples));
  auto old_config = load_version(before);
  auto new_config = load_version(after);
  if (!old_config || !new_config) return kExitBadInput;

  std::vector<sim::PlanProbe> probes;
  std::string error;
  if (!traffic.empty()) {
    auto loaded = config::load_scenario(traffic);
    for (const auto& d : loaded.diagnostics)
      if (d.severity == config::Severity::kError) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
    if (!loaded.scenario) return kExitBadInput;
    auto from_traffic = sim::probes_from_traffic(loaded.scenario->sources, &error);
    if (!from_traffic) return bad(error);
    probes = sim::merge_probes(std::move(*from_traffic), replayed_probes(loaded.scenario->sources, *old_config));
    if (probes.empty()) return bad("the scenario has no traffic sources");
    sim::add_traffic_clients(*old_config, loaded.scenario->sources);
    sim::add_traffic_clients(*new_config, loaded.scenario->sources);
  }
  if (!replay_logs.empty()) {
    std::vector<sim::TrafficSource> sources;
    for (const auto& log : replay_logs) {
      auto src = replay_source(log, replay_format, replay_from, &error);
      if (!src) return bad(error);
      sources.push_back(std::move(*src));
    }
    auto replayed = replayed_probes(sources, *old_config);
    if (replayed.empty()) return bad("the access logs have no request to replay");
    probes = sim::merge_probes(std::move(probes), replayed);
    sim::add_traffic_clients(*old_config, sources);
    sim::add_traffic_clients(*new_config, sources);
  }
  if (traffic.empty() && replay_logs.empty()) {
    probes = sim::merge_probes(sim::generate_probes(*old_config), sim::generate_probes(*new_config));
  }
  auto result = sim::run_plan(*old_config, *new_config, probes, options, &error);
  if (!result) return bad(error);
  if (output == "json") fmt::print("{}\n", reports::plan_json(*result).dump(2));
  else if (output == "markdown") fmt::print("{}", reports::plan_markdown(*result));
  else fmt::print("{}", reports::plan_text(*result));
  return result->moved() ? kExitFailed : kExitOk;
}

}  // namespace meshsim::app
