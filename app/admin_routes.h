// Admin routes both live commands serve over their LiveConfig and telemetry:
// GET /metrics, GET /traces, GET /memory, GET /config, POST /config, DELETE
// /config/KIND/NAMESPACE/NAME, GET /help.
#pragma once

#include "app/admin_api.h"
#include "app/live_config.h"
#include "reports/mesh_telemetry.h"

namespace meshsim::app {

void add_config_routes(AdminApi& api, LiveConfig& config);
void add_telemetry_routes(AdminApi& api, const reports::MeshTelemetry& telemetry);
// Answer for a push: 200 with what changed, or 400 with every error.
proxy::HttpResponse push_response(const PushResult& result);

}  // namespace meshsim::app
