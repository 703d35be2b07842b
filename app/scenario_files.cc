#include "app/scenario_files.h"

#include <fmt/format.h>

#include "config/loader.h"
#include "config/unmodeled_kinds.h"

namespace meshsim::app {

std::optional<sim::Scenario> load_scenario_files(const std::vector<std::string>& paths) {
  auto loaded = config::load_scenario(paths);
  for (const auto& d : loaded.diagnostics)
    if (d.severity != config::Severity::kInfo) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
  // One line naming every document whose effect the run leaves out.
  if (auto line = config::not_simulated_summary(loaded.diagnostics); !line.empty()) fmt::print(stderr, "meshsim: {}\n", line);
  return std::move(loaded.scenario);
}

}  // namespace meshsim::app
