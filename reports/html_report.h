// report.html: one self-contained page (inline CSS and SVG, no scripts, no
// network fetches) that a person reads instead of the JSON: the timeline of
// steps, share by version over time per service with the steps marked,
// error rate and latency over time, the service graph, a sample trace as a
// waterfall and the expectations table.
#pragma once

#include <string>

#include "reports/mesh_telemetry.h"
#include "reports/time_series.h"
#include "sim/run_result.h"

namespace meshsim::reports {

// refresh_seconds > 0: the page reloads itself (the live dashboard of `meshsim serve`).
std::string html_report(const sim::RunResult& result, const TimeSeries& series, const MeshTelemetry& telemetry,
                        int refresh_seconds = 0);
// The service graph as an inline SVG (GET /graph?format=svg).
std::string graph_svg(const MeshTelemetry& telemetry, double seconds);

}  // namespace meshsim::reports
