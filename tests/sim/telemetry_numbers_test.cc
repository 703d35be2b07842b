// The numbers a report carries for its identities (proxy_core/telemetry_ids.h)
// stand for exactly its text, and aggregating by them changes no output: every
// scenario of the project runs with a sink that checks each report's numbers
// against its fields and feeds two MeshTelemetry, one with the numbers and
// one without; their metrics, OpenMetrics file and service graph must be the
// same bytes (issue 20: reports found by number, not by ~150 bytes of text).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "proxy_core/telemetry_ids.h"
#include "reports/mesh_telemetry.h"
#include "sim/scenario_runner.h"
#include "tests/sim/scenario_fixture.h"

namespace meshsim::sim {
namespace {

struct NumberCheckingSink : proxy::TelemetrySink {
  explicit NumberCheckingSink(const reports::TelemetryOptions& options) : with_numbers(options), without_numbers(options) {}
  reports::MeshTelemetry with_numbers, without_numbers;
  size_t reports = 0, numbered = 0;
  std::vector<std::string> wrong;

  void record(const proxy::TelemetryEvent& e) override {
    ++reports;
    auto check = [&](uint32_t id, const std::string& text, const char* what) {
      if (id != 0 && proxy::telemetry_text_of(id) != text && wrong.size() < 10)
        wrong.push_back(std::string(what) + " " + std::to_string(id) + " is \"" + proxy::telemetry_text_of(id) +
                        "\", the report says \"" + text + "\"");
    };
    check(e.source_peer_id,
          proxy::peer_identity_text(e.source_workload, e.source_namespace, e.source_version, e.source_app, e.source_principal,
                                    e.source_canonical_service, e.source_canonical_revision),
          "source_peer_id");
    check(e.destination_peer_id,
          proxy::peer_identity_text(e.destination_workload, e.destination_namespace, e.destination_version,
                                    e.destination_app, e.destination_principal, e.destination_canonical_service,
                                    e.destination_canonical_revision),
          "destination_peer_id");
    check(e.destination_service_id, std::string(e.destination_service), "destination_service_id");
    numbered += e.source_peer_id != 0 && e.destination_peer_id != 0 && e.destination_service_id != 0;
    with_numbers.record(e);
    proxy::TelemetryEvent bare = e;
    bare.source_peer_id = bare.destination_peer_id = bare.destination_service_id = 0;
    without_numbers.record(bare);
  }
};

std::string openmetrics(const reports::MeshTelemetry& m, int64_t end_us) {
  std::ostringstream out;
  m.write_openmetrics(out, end_us);
  return out.str();
}

std::vector<std::string> project_scenarios() {
  std::vector<std::string> files;
  for (const char* dir : {"scenarios", "tests/fidelity"})
    for (const auto& entry : std::filesystem::directory_iterator(std::string(MESHSIM_SOURCE_DIR) + "/" + dir))
      if (entry.path().extension() == ".yaml") files.push_back(std::string(dir) + "/" + entry.path().filename().string());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(TelemetryNumbers, StandForTheirTextAndChangeNoOutput) {
  size_t numbered_total = 0;
  for (const std::string& file : project_scenarios()) {
    SCOPED_TRACE(file);
    Scenario scenario = testing::load_scenario_file(file);
    NumberCheckingSink sink(reports::telemetry_options_for(scenario));
    RunOptions options;
    options.sinks.push_back(&sink);
    RunResult r = run_scenario(scenario, options);
    EXPECT_TRUE(sink.wrong.empty()) << ::testing::PrintToString(sink.wrong);
    EXPECT_GT(sink.reports, 0u);
    numbered_total += sink.numbered;
    EXPECT_EQ(sink.with_numbers.prometheus(), sink.without_numbers.prometheus());
    double seconds = static_cast<double>(r.duration.count()) / 1e6;
    EXPECT_EQ(sink.with_numbers.graph_text(seconds), sink.without_numbers.graph_text(seconds));
    EXPECT_EQ(openmetrics(sink.with_numbers, r.duration.count()), openmetrics(sink.without_numbers, r.duration.count()));
  }
  // The sidecars number their reports (else the numbered path goes untested).
  EXPECT_GT(numbered_total, 1000u);
}

TEST(TelemetryNumbers, TheDemoNumbersNearlyEveryReport) {
  Scenario scenario = testing::load_scenario_file("scenarios/hightower-demo.yaml");
  NumberCheckingSink sink(reports::telemetry_options_for(scenario));
  RunOptions options;
  options.sinks.push_back(&sink);
  run_scenario(scenario, options);
  // Sidecar to sidecar, every report is numbered (15,200 of 19,200 when
  // written); the traffic sources' hops from outside any pod are not.
  EXPECT_GT(sink.numbered * 4, sink.reports * 3);
}

}  // namespace
}  // namespace meshsim::sim
