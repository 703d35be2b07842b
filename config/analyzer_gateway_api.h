// `meshsim validate` for Gateway API Gateways and the routes attached to
// them (see analyzer_gateway_api.cc).
#pragma once

#include <vector>

#include "config/diagnostics.h"
#include "proxy_core/resources.h"

namespace meshsim::config {

void analyze_gateway_api(const proxy::Resources& resources, std::vector<Diagnostic>& out);

}  // namespace meshsim::config
