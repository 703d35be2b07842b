// `meshsim validate FILE|DIR|-...`: schema and cross-resource checks.
#include <algorithm>
#include <iostream>

#include <cxxopts.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "config/analyzer.h"
#include "config/loader.h"
#include "config/traffic_analysis.h"
#include "sim/scenario_runner.h"

namespace meshsim::app {

int validate_command(int argc, char** argv) {
  cxxopts::Options options("meshsim validate", "Check mesh YAML files as `istioctl analyze` would, without a cluster.");
  options.add_options()
      ("o,output", "output format: text or json", cxxopts::value<std::string>()->default_value("text"))
      ("h,help", "show this help")
      ("paths", "files, directories or - for stdin", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"paths"});
  options.positional_help("FILE|DIR|-...");
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    fmt::print("{}", options.help());
    return kExitOk;
  }
  const std::string format = args["output"].as<std::string>();
  if (format != "text" && format != "json") {
    fmt::print(stderr, "meshsim validate: unknown --output \"{}\" (valid: text, json)\n", format);
    return kExitBadInput;
  }
  if (!args.count("paths")) {
    fmt::print(stderr, "meshsim validate: no files given\n{}", options.help());
    return kExitBadInput;
  }
  std::vector<config::Diagnostic> diagnostics;
  auto sources = config::read_sources(args["paths"].as<std::vector<std::string>>(), diagnostics);
  config::LoadResult loaded = config::load(sources);
  diagnostics.insert(diagnostics.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
  if (!config::has_errors(loaded.diagnostics)) {
    auto findings = config::analyze(loaded.resources);
    diagnostics.insert(diagnostics.end(), findings.begin(), findings.end());
    // With Behaviors and traffic in the files, check what the traffic can match.
    std::vector<sim::TrafficSource> sources;
    for (const auto& s : loaded.scenarios) sources.insert(sources.end(), s.sources.begin(), s.sources.end());
    proxy::Resources everything = loaded.resources;
    for (const auto& s : loaded.scenarios)
      for (const auto& step : s.timeline)
        if (step.apply) sim::apply_resources(everything, *step.apply);
    auto traffic = config::analyze_traffic(everything, loaded.behaviors, sources);
    diagnostics.insert(diagnostics.end(), traffic.begin(), traffic.end());
  }
  size_t errors = 0, warnings = 0, infos = 0;
  for (const auto& d : diagnostics) {
    if (d.severity == config::Severity::kError) ++errors;
    else if (d.severity == config::Severity::kWarning) ++warnings;
    else ++infos;
  }
  if (format == "json") {
    nlohmann::json out = nlohmann::json::object();
    out["files"] = sources.size();
    out["documents"] = loaded.documents;
    out["errors"] = errors;
    out["warnings"] = warnings;
    auto& list = out["findings"] = nlohmann::json::array();
    for (const auto& d : diagnostics)
      list.push_back({{"level", config::severity_name(d.severity)}, {"code", d.code}, {"resource", d.resource},
                      {"file", d.pos.file}, {"line", d.pos.line}, {"column", d.pos.column}, {"message", d.message}});
    fmt::print("{}\n", out.dump(2));
  } else {
    for (const auto& d : diagnostics) fmt::print("{}\n", config::format_diagnostic(d));
    fmt::print("{} file(s), {} document(s): {} error(s), {} warning(s), {} info\n", sources.size(),
               loaded.documents, errors, warnings, infos);
  }
  return errors > 0 ? kExitBadInput : kExitOk;
}

}  // namespace meshsim::app
