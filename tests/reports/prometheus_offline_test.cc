// `meshsim run`'s metrics.om.txt loaded into a Prometheus data dir with
// `promtool tsdb create-blocks-from openmetrics FILE DIR` (the backfilling
// promtool documents: prometheus.io/docs/prometheus/latest/storage/
// #backfilling-from-openmetrics-format), a real Prometheus started on it
// with retention long enough for 2018, and the same PromQL as the live test
// (mesh_promql.cc) evaluated at each phase's end in the scenario's time
// (startTime, default 2018-05-03T00:00:00Z): the same per-phase answers.
// Also checks the file's shape against OpenMetrics 1.0
// (prometheus/docs docs/specs/om/open_metrics_spec.md).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/reports/mesh_promql.h"

namespace meshsim::testing {
namespace {

const std::string kScenario = std::string(MESHSIM_SOURCE_DIR) + "/tests/reports/prometheus-phases.yaml";
constexpr double kStart = 1525305600;  // the default startTime, 2018-05-03T00:00:00Z

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(PrometheusOffline, RunOutputLoadedWithPromtoolAnswersLikeTheLiveMesh) {
  if (!std::filesystem::exists(kPrometheusBinary) || !std::filesystem::exists(kPromtoolBinary))
    GTEST_SKIP() << "prometheus or promtool not installed";
  TempDir dir;
  LiveProcess run({"run", kScenario, "-q", "--out", dir.path() + "/out"});
  ASSERT_EQ(run.wait_exit(std::chrono::seconds(60)), 0) << run.stdout_text() << run.stderr_text();

  const std::string om = dir.path() + "/out/metrics.om.txt";
  std::string text = read_all(om);
  // OpenMetrics: ends with "# EOF\n"; counters declared by family name, sampled as _total.
  EXPECT_TRUE(text.ends_with("# EOF\n"));
  EXPECT_NE(text.find("# TYPE istio_requests counter\n"), std::string::npos);
  EXPECT_NE(text.find("le=\"1.0\""), std::string::npos) << "canonical le";
  // 180 s at the default 15 s: one sample of istio_build per scrape, 0 s .. 180 s.
  size_t builds = 0;
  for (size_t at = 0; (at = text.find("\nistio_build{", at)) != std::string::npos; ++at) ++builds;
  EXPECT_EQ(builds, 13u);

  const std::string data = dir.path() + "/data";
  LiveProcess promtool(kPromtoolBinary, {"tsdb", "create-blocks-from", "openmetrics", om, data});
  ASSERT_EQ(promtool.wait_exit(std::chrono::seconds(60)), 0) << promtool.stdout_text() << promtool.stderr_text();

  // Retention counts back from the newest sample; 100y keeps 2018 whatever the version does.
  PrometheusOptions options;
  options.data_dir = data;
  options.retention = "100y";
  LocalPrometheus prometheus(options);
  ASSERT_TRUE(prometheus.ready()) << prometheus.log();
  for (int phase = 0; phase < 3; ++phase)
    expect_phase(phase, ask_phase(prometheus, kStart + 60.0 * (phase + 1), 60), "run loaded with promtool");
}

TEST(PrometheusOffline, ScrapeIntervalFlagSetsTheSampleSpacing) {
  TempDir dir;
  LiveProcess run({"run", kScenario, "-q", "--scrape-interval", "1m", "--out", dir.path()});
  ASSERT_EQ(run.wait_exit(std::chrono::seconds(60)), 0) << run.stderr_text();
  std::string text = read_all(dir.path() + "/metrics.om.txt");
  // 0, 60, 120 and 180 s after the default startTime.
  for (int k = 0; k < 4; ++k)
    EXPECT_NE(text.find(fmt::format("istio_build{{component=\"proxy\",tag=\"1.31.0-meshsim\"}} 1 {}\n", 1525305600 + 60 * k)),
              std::string::npos)
        << k;
  EXPECT_EQ(text.find("1525305615"), std::string::npos);
}

// startTime moves every timestamp; the same seed gives the same bytes; the
// OTLP file holds the spans of the Zipkin one.
TEST(PrometheusOffline, StartTimeSetsTheClockAndFilesRepeatPerSeed) {
  TempDir dir;
  const std::string scenario = dir.path() + "/later.yaml";
  {
    std::ofstream out(scenario);
    out << read_all(kScenario);
    out << "  startTime: 2026-01-02T03:04:05Z\n";  // appended to the Scenario's spec (the last document)
  }
  for (const char* out : {"/a", "/b"}) {
    LiveProcess run({"run", scenario, "-q", "--trace-sampling", "10", "--out", dir.path() + out});
    ASSERT_EQ(run.wait_exit(std::chrono::seconds(60)), 0) << run.stderr_text();
  }
  std::string om = read_all(dir.path() + "/a/metrics.om.txt");
  EXPECT_EQ(om, read_all(dir.path() + "/b/metrics.om.txt"));
  EXPECT_EQ(read_all(dir.path() + "/a/traces.otlp.json"), read_all(dir.path() + "/b/traces.otlp.json"));
  EXPECT_NE(om.find(" 1767323045\n"), std::string::npos) << "a sample at startTime (Unix 1767323045)";
  EXPECT_EQ(om.find(" 15253"), std::string::npos) << "no sample on the default clock";
  auto zipkin = nlohmann::json::parse(read_all(dir.path() + "/a/traces.json"));
  auto otlp = nlohmann::json::parse(read_all(dir.path() + "/a/traces.otlp.json"));
  size_t otlp_spans = 0;
  for (const auto& rs : otlp["resourceSpans"])
    for (const auto& span : rs["scopeSpans"][0]["spans"]) {
      ++otlp_spans;
      EXPECT_GE(std::stoll(span["startTimeUnixNano"].get<std::string>()), 1767323045LL * 1000000000);
    }
  EXPECT_GT(otlp_spans, 0u);
  EXPECT_EQ(otlp_spans, zipkin.size());
  EXPECT_GE(zipkin[0]["timestamp"].get<int64_t>(), 1767323045LL * 1000000);
}

}  // namespace
}  // namespace meshsim::testing
