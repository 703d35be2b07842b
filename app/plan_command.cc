// `meshsim plan --before PATH... --after PATH... [--traffic SCENARIO] [-o text|json|markdown]`:
// the same probes through the mesh before and after a change; exit 0 nothing
// moved, 1 something moved, 2 bad input (issue 17).
#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include "app/commands.h"
#include "config/loader.h"
#include "reports/plan_output.h"
#include "sim/plan.h"

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

}  // namespace

int plan_command(int argc, char** argv) {
  std::vector<std::string> before, after, traffic;
  std::string output = "text";
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
    else if (a == "-o" || a == "--output" || a == "--seed" || a == "--samples") {
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
      return bad(fmt::format("\"{}\" follows no --before, --after or --traffic", a));
    } else {
      list->push_back(std::string(a));
    }
  }
  if (output != "text" && output != "json" && output != "markdown")
    return bad(fmt::format("unknown --output \"{}\" (valid: text, json, markdown)", output));
  if (before.empty() || after.empty()) return bad(fmt::format("need --before and --after\n{}", kHelp));
  size_t stdin_uses = 0;
  for (const auto* paths : {&before, &after, &traffic}) stdin_uses += std::count(paths->begin(), paths->end(), "-");
  if (stdin_uses > 1) return bad("- (stdin) can be given once");
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
    if (from_traffic->empty()) return bad("the scenario has no traffic sources");
    probes = std::move(*from_traffic);
    sim::add_traffic_clients(*old_config, loaded.scenario->sources);
    sim::add_traffic_clients(*new_config, loaded.scenario->sources);
  } else {
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
