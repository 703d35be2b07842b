// Loading scenario files for a command: diagnostics to stderr, the
// scenario or nothing (the command then exits 2).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/scenario.h"

namespace meshsim::app {

std::optional<sim::Scenario> load_scenario_files(const std::vector<std::string>& paths);

}  // namespace meshsim::app
