// `meshsim check --prometheus` gives the verdicts `meshsim run` gives: the
// run's metrics.om.txt loaded into a real Prometheus with promtool (as
// prometheus_offline_test.cc does), then every expectation asked of it as
// PromQL. Scenarios: tests/reports/prometheus-phases.yaml with expectations
// of every kind appended (some failing on purpose), and the Hightower demo.
// Skips without Debian's prometheus and promtool.
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/reports/local_prometheus.h"

namespace meshsim::testing {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Verdict {
  bool passed = false, reached = false;
  std::string observed;
};

std::map<std::string, Verdict> verdicts(const std::string& report_path) {
  std::map<std::string, Verdict> out;
  auto j = nlohmann::json::parse(read_all(report_path), nullptr, false);
  if (j.is_discarded()) return out;
  for (const auto& e : j["expectations"])
    out[e["name"].get<std::string>()] = {e["passed"].get<bool>(), e.value("reached", true), e.value("observed", "")};
  return out;
}

// Runs `scenario`, loads its metrics into Prometheus, checks it there; the
// verdicts of both, and both exit codes.
struct RunAndCheck {
  std::map<std::string, Verdict> run, check;
  int run_exit = -2, check_exit = -2;
  std::string check_stdout;
};

void run_and_check(const std::string& scenario, const std::string& scrape_interval, RunAndCheck& out) {
  TempDir dir;
  LiveProcess run({"run", scenario, "-q", "--scrape-interval", scrape_interval, "--out", dir.path() + "/run"});
  out.run_exit = run.wait_exit(std::chrono::seconds(60));
  ASSERT_TRUE(out.run_exit == 0 || out.run_exit == 1) << run.stderr_text();
  const std::string data = dir.path() + "/data";
  LiveProcess promtool(kPromtoolBinary, {"tsdb", "create-blocks-from", "openmetrics", dir.path() + "/run/metrics.om.txt", data});
  ASSERT_EQ(promtool.wait_exit(std::chrono::seconds(60)), 0) << promtool.stderr_text();
  PrometheusOptions options;
  options.data_dir = data;
  options.retention = "100y";  // the samples are stamped at the scenario's startTime (2018)
  LocalPrometheus prometheus(options);
  ASSERT_TRUE(prometheus.ready()) << prometheus.log();
  LiveProcess check({"check", "--prometheus", fmt::format("http://127.0.0.1:{}", prometheus.port()), scenario, "-v", "--out",
                     dir.path() + "/check"});
  out.check_exit = check.wait_exit(std::chrono::seconds(60));
  out.check_stdout = check.stdout_text();
  ASSERT_TRUE(out.check_exit == 0 || out.check_exit == 1) << check.stdout_text() << check.stderr_text();
  out.run = verdicts(dir.path() + "/run/report.json");
  out.check = verdicts(dir.path() + "/check/report.json");
  ASSERT_TRUE(std::filesystem::exists(dir.path() + "/check/junit.xml"));
}

TEST(PrometheusCheck, EveryKindOfExpectationGetsRunsVerdict) {
  if (!std::filesystem::exists(kPrometheusBinary) || !std::filesystem::exists(kPromtoolBinary))
    GTEST_SKIP() << "prometheus or promtool not installed";
  TempDir dir;
  const std::string scenario = dir.path() + "/phases.yaml";
  {
    std::ofstream out(scenario);
    out << read_all(std::string(MESHSIM_SOURCE_DIR) + "/tests/reports/prometheus-phases.yaml");
    // Appended to the Scenario's expectations (its last list).
    out << R"(  - {name: wrong share on purpose, window: {from: 0s, to: 60s}, service: bar, share: {version: v2, equals: 0.75}}
  - {name: half of bar denied, window: {from: 61s, to: 120s}, service: bar, errorRate: {min: 0.4, max: 0.6}}
  - {name: no errors at first, window: {from: 0s, to: 60s}, service: bar, errorRate: {max: 0.01}}
  - {name: bar p99 under a second, window: {from: 0s, to: 60s}, service: bar, latency: {p99: {max: 1s}}}
  - {name: bar p50 under 1ms on purpose, window: {from: 0s, to: 60s}, service: bar, latency: {p50: {max: 1ms}}}
  - {name: frontend calls bar, window: {from: 0s, to: 60s}, from: frontend, service: bar, requests: {min: 1000}}
  - {name: too many on purpose, window: {from: 0s, to: 60s}, service: bar, requests: {min: 5000}}
  - {name: the browser gets 2xx, window: {from: 121s, to: 180s}, source: browser, status: {class: 2xx, min: 0.99}}
)";
  }
  RunAndCheck r;
  run_and_check(scenario, "1s", r);
  if (HasFatalFailure()) return;
  std::printf("%s", r.check_stdout.c_str());
  EXPECT_EQ(r.check_exit, r.run_exit);
  EXPECT_EQ(r.run_exit, 1);  // the ones failing on purpose
  ASSERT_EQ(r.check.size(), r.run.size());
  for (const auto& [name, v] : r.run) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(r.check.count(name));
    EXPECT_TRUE(r.check.at(name).reached) << r.check.at(name).observed;
    EXPECT_EQ(r.check.at(name).passed, v.passed) << "run: " << v.observed << "\ncheck: " << r.check.at(name).observed;
  }
  EXPECT_FALSE(r.check.at("wrong share on purpose").passed);
  EXPECT_TRUE(r.check.at("half of bar denied").passed);
}

TEST(PrometheusCheck, HightowerDemoSameVerdictsAsRun) {
  if (!std::filesystem::exists(kPrometheusBinary) || !std::filesystem::exists(kPromtoolBinary))
    GTEST_SKIP() << "prometheus or promtool not installed";
  RunAndCheck r;
  run_and_check(std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml", "1s", r);
  if (HasFatalFailure()) return;
  std::printf("%s", r.check_stdout.c_str());
  EXPECT_EQ(r.run_exit, 0);
  ASSERT_EQ(r.check.size(), r.run.size());
  for (const auto& [name, v] : r.run) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(r.check.count(name));
    const Verdict& c = r.check.at(name);
    if (!c.reached) {
      // Only what Prometheus cannot hold: response bodies, and one traffic
      // source's requests among other callers' at a service.
      EXPECT_TRUE(c.observed.find("no response bodies") != std::string::npos ||
                  c.observed.find("do not name the traffic source") != std::string::npos ||
                  c.observed.find("with the same source labels") != std::string::npos)
          << c.observed;
      continue;
    }
    EXPECT_EQ(c.passed, v.passed) << "run: " << v.observed << "\ncheck: " << c.observed;
  }
  // A body expectation is left unjudged, which is not a failure.
  EXPECT_EQ(r.check_exit, 0);
}

}  // namespace
}  // namespace meshsim::testing
