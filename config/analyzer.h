// The checks of `istioctl analyze` that need no cluster, run over a loaded
// resource set. Findings use Istio's message codes where Istio has one
// (pkg/config/analysis/msg/messages.yaml) and MSH codes otherwise.
#pragma once

#include <vector>

#include "config/diagnostics.h"
#include "proxy_core/resources.h"

namespace meshsim::config {

std::vector<Diagnostic> analyze(const proxy::Resources& resources);

// The CUSTOM AuthorizationPolicy findings of analyze() alone (MSH1004,
// MSH1005): what `run` and `curl` print before they simulate, since the
// policies they name decide requests differently from a plain reading.
std::vector<Diagnostic> analyze_custom_authz(const proxy::Resources& resources);

}  // namespace meshsim::config
