#include "app/report_files.h"

#include <filesystem>
#include <fstream>

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
  for (const auto& [name, content] : files) {
    std::ofstream out(dir / name);
    out << content;
    if (!out) {
      *error = "cannot write " + (dir / name).string();
      return false;
    }
  }
  // Streamed: one sample per series per scrape makes it the largest file.
  std::ofstream om(dir / "metrics.om.txt");
  telemetry.write_openmetrics(om, result.duration.count());
  if (!om) {
    *error = "cannot write " + (dir / "metrics.om.txt").string();
    return false;
  }
  return true;
}

}  // namespace meshsim::app
