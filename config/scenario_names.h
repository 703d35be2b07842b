// Names in a scenario's expectations checked against what the run can see:
// an unknown traffic source, service, caller or version is an error with the
// nearest valid name (a misspelt `requests: {max: 0}` would pass silently).
#pragma once

#include <vector>

#include "config/diagnostics.h"
#include "sim/scenario.h"

namespace meshsim::config {

// Appends an error (MSH0007) per unknown name; names come from the mesh at
// t=0, the resources timeline steps apply, the traffic sources and their clients.
void check_expectation_names(const sim::Scenario& scenario, std::vector<Diagnostic>& diagnostics);

}  // namespace meshsim::config
