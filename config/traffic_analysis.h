// Analysis only a simulator can do: with the Behaviors (who calls whom and
// which headers each app forwards) and the scenario's traffic sources, find
// route matches that can never see the header they test, e.g. a
// VirtualService for bar matching `user-agent` while frontend, bar's only
// caller, does not propagate `user-agent`; and Behaviors whose calls loop
// (call_cycles.h).
#pragma once

#include <vector>

#include "config/diagnostics.h"
#include "proxy_core/resources.h"
#include "sim/scenario.h"

namespace meshsim::config {

std::vector<Diagnostic> analyze_traffic(const proxy::Resources& resources, const std::vector<sim::BehaviorRule>& behaviors,
                                        const std::vector<sim::TrafficSource>& sources);

}  // namespace meshsim::config
