#include "app/report_files.h"

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "reports/html_report.h"
#include "reports/junit.h"
#include "reports/run_report.h"

namespace meshsim::app {

bool write_report_files(const std::string& dir_name, const sim::RunResult& result, const reports::MeshTelemetry& telemetry,
                        const reports::TimeSeries& series, std::string* error) {
  std::filesystem::path dir = dir_name;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  double seconds = static_cast<double>(result.duration.count()) / 1e6;
  auto report = reports::run_json(result, MESHSIM_VERSION);
  nlohmann::ordered_json edges = nlohmann::ordered_json::array();
  for (const auto& [key, e] : telemetry.edges())
    edges.push_back({{"from", e.from}, {"to", e.to}, {"service", e.to_service}, {"requests", e.requests},
                     {"errors", e.errors}, {"mtls", e.mtls},
                     {"latency_ms", {{"p50", static_cast<double>(e.latency.percentile(50)) / 1000.0},
                                     {"p99", static_cast<double>(e.latency.percentile(99)) / 1000.0}}}});
  report["graph"] = {{"edges", edges}};
  report["time_series"] = series.json();
  // Only when the series were widened to stay within their memory bound (issue 20).
  if (series.bin_width_s() > 1) report["time_series_bin_width_s"] = series.bin_width_s();
  const std::pair<const char*, std::string> files[] = {
      {"report.json", report.dump(2) + "\n"},
      {"junit.xml", reports::junit_xml(result)},
      {"metrics.prom", telemetry.prometheus()},
      {"traces.json", telemetry.zipkin().dump(2) + "\n"},
      {"traces.otlp.json", telemetry.otlp().dump(2) + "\n"},
      {"graph.dot", telemetry.dot(seconds)},
      {"graph.mmd", telemetry.mermaid(seconds)},
      {"report.html", reports::html_report(result, series, telemetry)},
  };
  for (const auto& file : files) {
    const std::string& content = file.second;  // not a structured binding: clang 14 cannot capture one
    if (!write_file_atomically(dir / file.first, [&content](std::ostream& out) { out << content; }, error)) return false;
  }
  // Streamed: one sample per series per scrape makes it the largest file.
  return write_file_atomically(
      dir / "metrics.om.txt", [&](std::ostream& out) { telemetry.write_openmetrics(out, result.duration.count()); }, error);
}

bool write_file_atomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write,
                           std::string* error) {
  // A temporary name in the same folder, then rename(2), which replaces the
  // old file in one step: a run killed mid-write leaves the previous file or
  // the new one, never half of one. The pid keeps two runs writing into the
  // same folder from sharing a temporary file.
  std::filesystem::path temporary = path;
  temporary += ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    write(out);
    out.flush();
    if (!out) {
      *error = "cannot write " + path.string();
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    *error = "cannot write " + path.string() + ": " + ec.message();
    std::filesystem::remove(temporary, ec);
    return false;
  }
  return true;
}

}  // namespace meshsim::app
