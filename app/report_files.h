// The report files of one run (`meshsim run --out`, and `meshsim serve` on
// shutdown): report.json, junit.xml, metrics.prom, traces.json, graph.dot,
// graph.mmd and report.html, all from the same telemetry.
#pragma once

#include <string>

#include "reports/mesh_telemetry.h"
#include "reports/time_series.h"
#include "sim/run_result.h"

namespace meshsim::app {

// Creates `dir` if needed; false + error names the file that failed.
bool write_report_files(const std::string& dir, const sim::RunResult& result, const reports::MeshTelemetry& telemetry,
                        const reports::TimeSeries& series, std::string* error);

}  // namespace meshsim::app
