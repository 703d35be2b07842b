#include "app/scenario_files.h"

#include <fmt/format.h>

#include "config/duration.h"
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

bool override_scrape_interval(sim::Scenario& scenario, const std::string& text, const char* command) {
  std::string error;
  auto interval = config::parse_go_duration(text, &error);
  if (interval && interval->count() < 1000) error = "a scrape interval is at least 1ms";
  if (!interval || !error.empty()) {
    fmt::print(stderr, "{}: --scrape-interval: {}\n", command, error);
    return false;
  }
  scenario.scrape_interval = *interval;
  return true;
}

}  // namespace meshsim::app
