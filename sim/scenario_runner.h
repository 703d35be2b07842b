// Runs a Scenario in virtual time: builds the World, drives the traffic
// sources, applies the timeline at its times, aggregates telemetry as it
// goes (no per-request storage) and checks the expectations.
#pragma once

#include <functional>
#include <vector>

#include "proxy_core/telemetry.h"

#include "sim/run_result.h"
#include "sim/scenario.h"

namespace meshsim::sim {

struct RunOptions {
  std::optional<uint64_t> seed;  // overrides the scenario's
  // Called now and then with the virtual time reached (progress bars).
  std::function<void(Duration now, Duration total)> progress;
  // Further consumers of every telemetry event (metrics, traces, graph).
  std::vector<proxy::TelemetrySink*> sinks;
};

RunResult run_scenario(const Scenario& scenario, const RunOptions& options = {});

using proxy::apply_resources;
using proxy::delete_resource;

}  // namespace meshsim::sim
