// Behaviors whose calls lead back to the service they started from
// (a -> b -> a, or a service calling itself). In a mesh every request that
// enters such a loop calls on without end, so a scenario that has one is
// almost always a slip in a call's `service`; `meshsim run` would answer
// such requests 503 once they are nested 100 deep (workload_app.h). Worked
// out from who calls whom as the scripts name it: a Service's pods, the
// most specific Behavior of each, the hosts its calls name. Routing rules
// are not followed (a VirtualService sending a host elsewhere can make or
// break a loop the names do not show).
#pragma once

#include <vector>

#include "config/diagnostics.h"
#include "proxy_core/resources.h"
#include "sim/scenario.h"

namespace meshsim::config {

// MSH2002 warnings, one per loop found (at most kCallCyclesReported),
// placed at the Behavior whose call closes it.
inline constexpr size_t kCallCyclesReported = 10;
std::vector<Diagnostic> analyze_call_cycles(const proxy::Resources& resources,
                                            const std::vector<sim::BehaviorRule>& behaviors);

}  // namespace meshsim::config
