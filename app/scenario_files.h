// Loading scenario files for a command: diagnostics to stderr, the
// scenario or nothing (the command then exits 2).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/scenario.h"

namespace meshsim::app {

std::optional<sim::Scenario> load_scenario_files(const std::vector<std::string>& paths);

// --scrape-interval DURATION (Go syntax, e.g. 15s): false after telling
// stderr what is wrong with it.
bool override_scrape_interval(sim::Scenario& scenario, const std::string& text, const char* command);

}  // namespace meshsim::app
