// The report files of one run (`meshsim run --out`, and `meshsim serve` on
// shutdown): report.json, junit.xml, metrics.prom, metrics.om.txt,
// traces.json, traces.otlp.json, graph.dot,
// graph.mmd and report.html, all from the same telemetry.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>

#include "reports/mesh_telemetry.h"
#include "reports/time_series.h"
#include "sim/run_result.h"

namespace meshsim::app {

// Creates `dir` if needed; false + error names the file that failed.
bool write_report_files(const std::string& dir, const sim::RunResult& result, const reports::MeshTelemetry& telemetry,
                        const reports::TimeSeries& series, std::string* error);

// Writes what `write` puts out to `path` so that a reader (or a run killed meanwhile)
// sees the old file or the whole new one, never part of it.
bool write_file_atomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write,
                           std::string* error);

}  // namespace meshsim::app
