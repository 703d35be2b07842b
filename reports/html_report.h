// report.html: one self-contained page (inline CSS and SVG, no scripts, no
// network fetches) that a person reads instead of the JSON: the timeline of
// steps, share by version over time per service with the steps marked,
// error rate (by where errors started) and latency over time, the service
// graph, a sample trace as a waterfall and the expectations table. Readable
// from a 360 px phone to a wide screen (viewport meta, scalable SVG).
#pragma once

#include <string>

#include "reports/html_charts.h"
#include "reports/mesh_telemetry.h"
#include "reports/time_series.h"
#include "sim/run_result.h"

namespace meshsim::reports {

// refresh_seconds > 0: the live dashboard of `meshsim serve`. Its script
// polls report.json (header, timeline, expectations) and the page itself
// (charts) every refresh_seconds; without scripts it reloads itself.
// Expectations not judged yet (reached == false) show as pending.
std::string html_report(const sim::RunResult& result, const TimeSeries& series, const MeshTelemetry& telemetry,
                        int refresh_seconds = 0);

}  // namespace meshsim::reports
