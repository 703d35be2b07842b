// The analyzer checks for Istio Gateways (see analyzer_gateway.cc).
#pragma once

#include <vector>

#include "config/diagnostics.h"
#include "proxy_core/resources.h"

namespace meshsim::config {

void analyze_gateways(const proxy::Resources& resources, std::vector<Diagnostic>& out);

}  // namespace meshsim::config
