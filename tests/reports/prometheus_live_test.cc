// A real Prometheus scrapes `meshsim serve` every second at Envoy's admin
// path (/stats/prometheus) while the test steps the scenario's phases by
// hand (--manual, POST /step); the PromQL of mesh_promql.cc then answers per
// phase. Bounded: ~5 s of wall time per phase, every wait with a deadline.
// Sources: Prometheus scrape config and HTTP API
// (prometheus.io/docs/prometheus/latest/configuration/configuration/,
// .../querying/api/); Envoy admin /stats/prometheus
// (envoyproxy.io/docs/envoy/latest/operations/admin).
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/reports/mesh_promql.h"

namespace meshsim::testing {
namespace {

const std::string kScenario = std::string(MESHSIM_SOURCE_DIR) + "/tests/reports/prometheus-phases.yaml";

// Waits until Prometheus holds `count` scrapes stamped after `after` (20 s at most).
bool wait_for_scrapes(LocalPrometheus& prometheus, double after, int count) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    double now = unix_now();
    auto result = prometheus.query(fmt::format("count_over_time(istio_build[{}ms])", static_cast<int64_t>((now - after) * 1000)), now);
    if (result && !result->empty() && result->front().value >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // polling Prometheus, not timing the test
  }
  return false;
}

TEST(PrometheusLive, DashboardQueriesAnswerPerPhaseWhileServing) {
  if (!std::filesystem::exists(kPrometheusBinary)) GTEST_SKIP() << kPrometheusBinary << " not installed";
  LiveProcess serve({"serve", kScenario, "--manual", "--speed", "5", "--port", "0", "--admin-port", "0",
                     "--trace-sampling", "0"});
  ASSERT_TRUE(serve.wait_for_stderr("admin http://")) << serve.stderr_text();
  uint16_t admin = serve.port_after("admin");
  ASSERT_NE(admin, 0);

  PrometheusOptions options;
  options.scrape_port = admin;
  options.metrics_path = "/stats/prometheus";
  LocalPrometheus prometheus(options);
  ASSERT_TRUE(prometheus.ready()) << prometheus.log();

  // Each phase: from just after its step to just before the next, with at
  // least 4 scrapes inside (rate() and increase() need two; the window's
  // first scrape is already in the phase, so no other phase's traffic counts).
  std::vector<std::pair<double, double>> windows;
  double begin = unix_now();
  for (int phase = 0; phase < 3; ++phase) {
    ASSERT_TRUE(wait_for_scrapes(prometheus, begin, 4)) << prometheus.error() << prometheus.log();
    double end = unix_now();
    windows.push_back({begin, end});
    if (phase < 2) {
      auto stepped = http(admin, "POST", "/step");
      ASSERT_EQ(stepped.status, 200) << stepped.body;
      begin = unix_now();
    }
  }
  for (int phase = 0; phase < 3; ++phase) {
    auto [from, to] = windows[static_cast<size_t>(phase)];
    expect_phase(phase, ask_phase(prometheus, to, to - from), "serve scraped live");
  }
  EXPECT_EQ(serve.stop(SIGINT), 0);
}

}  // namespace
}  // namespace meshsim::testing
