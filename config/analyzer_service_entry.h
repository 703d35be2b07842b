// ServiceEntry checks of `istioctl analyze`, with Istio's codes.
#pragma once

#include <vector>

#include "config/diagnostics.h"
#include "proxy_core/resources.h"

namespace meshsim::config {

void analyze_service_entries(const proxy::Resources& resources, std::vector<Diagnostic>& out);

}  // namespace meshsim::config
