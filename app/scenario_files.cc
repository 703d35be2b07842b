#include "app/scenario_files.h"

#include <fmt/format.h>

#include "config/loader.h"

namespace meshsim::app {

std::optional<sim::Scenario> load_scenario_files(const std::vector<std::string>& paths) {
  auto loaded = config::load_scenario(paths);
  for (const auto& d : loaded.diagnostics)
    if (d.severity != config::Severity::kInfo) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
  return std::move(loaded.scenario);
}

}  // namespace meshsim::app
