// The inline SVG charts of report.html and the live dashboard. Every chart
// has a viewBox and no fixed size: the page scales it to its column, from a
// 360 px phone to a wide screen (class "chart": width 100%, height auto).
#pragma once

#include <string>
#include <vector>

#include "reports/mesh_telemetry.h"
#include "reports/time_series.h"
#include "sim/run_result.h"

namespace meshsim::reports {

// 0 and then ticks at 1, 2, 2.5 or 5 times a power of ten up to the first
// one at or above `max`: 4 to 6 ticks in all (max > 0).
std::vector<double> nice_ticks(double max);

// Share of requests by version over time, one chart per service.
// `width_s`: the seconds each bin covers (TimeSeries::bin_width_s).
std::string share_chart_svg(const std::string& service, const std::map<int64_t, TimeSeries::Bin>& bins, const sim::RunResult& r,
                            int64_t width_s = 1);
// Error rate over time, one strip per service, each error drawn by where it
// started (the service itself, or passed on from a call it made).
std::string error_chart_svg(const TimeSeries& series, const sim::RunResult& r);
// p50 and p99 latency over time per service.
std::string latency_chart_svg(const TimeSeries& series, const sim::RunResult& r);
// The service graph from observed traffic (GET /graph?format=svg).
std::string graph_svg(const MeshTelemetry& telemetry, double seconds);
// One sampled trace as a waterfall, or a sentence when none was sampled.
std::string trace_svg(const MeshTelemetry& telemetry);

}  // namespace meshsim::reports
