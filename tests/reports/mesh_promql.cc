#include "tests/reports/mesh_promql.h"

#include <cmath>
#include <cstdio>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace meshsim::testing {

namespace {

double sum_of(const std::map<std::string, double>& m) {
  double total = 0;
  for (const auto& [k, v] : m) total += v;
  return total;
}

double share(const std::map<std::string, double>& m, const std::string& key) {
  double total = sum_of(m);
  auto it = m.find(key);
  return total > 0 && it != m.end() ? it->second / total : 0;
}

}  // namespace

PhaseAnswers ask_phase(LocalPrometheus& prometheus, double at, double range_s) {
  PhaseAnswers a;
  std::string range = fmt::format("[{}ms]", static_cast<int64_t>(range_s * 1000));
  const std::string bar = R"(reporter="destination",destination_service_name="bar")";
  auto by = [&](const std::string& promql, const std::string& label, std::map<std::string, double>& out) {
    auto result = prometheus.query(promql, at);
    if (!result) {
      a.error += prometheus.error() + "\n";
      return;
    }
    for (const auto& s : *result)
      if (!std::isnan(s.value)) out[s.labels.count(label) ? s.labels.at(label) : ""] = s.value;
  };
  auto scalar = [&](const std::string& promql) {
    std::map<std::string, double> one;
    by(promql, "", one);
    return one.empty() ? std::nan("") : one.begin()->second;
  };
  // Istio service dashboard, "Incoming Requests By Source And Response Code".
  by(fmt::format("sum by (response_code) (increase(istio_requests_total{{{}}}{}))", bar, range), "response_code", a.bar_by_code);
  // The same by destination version (the canary share).
  by(fmt::format("sum by (destination_version) (increase(istio_requests_total{{{}}}{}))", bar, range), "destination_version",
     a.bar_by_version);
  // Istio workload dashboard, "Incoming Success Rate (non-5xx responses)".
  by(fmt::format("sum by (destination_workload) (rate(istio_requests_total{{reporter=\"destination\",response_code!~\"5..\"}}{0}))"
                 " / sum by (destination_workload) (rate(istio_requests_total{{reporter=\"destination\"}}{0}))",
                 range),
     "destination_workload", a.success_rate);
  // "Incoming Request Duration", P50 and P99 from the buckets.
  auto quantile = [&](double q) {
    return scalar(fmt::format(
        "histogram_quantile({}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{{{}}}{})))", q, bar, range));
  };
  a.bar_p50_ms = quantile(0.5);
  a.bar_p99_ms = quantile(0.99);
  // "Incoming Request Size By Source": mean bytes per request.
  a.mean_request_bytes = scalar(fmt::format(
      "sum(rate(istio_request_bytes_sum{{reporter=\"destination\"}}{0})) / sum(rate(istio_request_bytes_count{{reporter=\"destination\"}}{0}))",
      range));
  // Kiali's graph: an edge per source and destination workload with traffic.
  auto edges = prometheus.query(fmt::format("sum by (source_workload, destination_workload) "
                                            "(increase(istio_requests_total{{reporter=\"destination\"}}{})) > 0",
                                            range),
                                at);
  if (!edges) a.error += prometheus.error() + "\n";
  else
    for (const auto& s : *edges) {
      a.edges.insert({s.labels.at("source_workload"), s.labels.at("destination_workload")});
      a.source_workloads.insert(s.labels.at("source_workload"));
    }
  return a;
}

void expect_phase(int phase, const PhaseAnswers& a, const std::string& where) {
  SCOPED_TRACE(fmt::format("{}: phase {}", where, phase));
  EXPECT_EQ(a.error, "");
  // Enough traffic seen: the window held several scrapes.
  EXPECT_GT(sum_of(a.bar_by_version), 50) << "bar requests in the window";
  // Shares: expected value ± a tolerance over 4 standard errors at ~100 requests.
  double v2 = share(a.bar_by_version, "v2"), denied = share(a.bar_by_code, "403");
  std::printf("%s, phase %d: bar requests %.0f, v2 share %.3f, 403 share %.3f, p50 %.2f ms, p99 %.2f ms, mean request %.0f B\n",
              where.c_str(), phase, sum_of(a.bar_by_version), v2, denied, a.bar_p50_ms, a.bar_p99_ms, a.mean_request_bytes);
  const double expected_v2[] = {0.25, 0.5, 1.0}, expected_403[] = {0.0, 0.5, 0.0};
  EXPECT_NEAR(v2, expected_v2[phase], 0.15) << "v2 share";
  EXPECT_NEAR(denied, expected_403[phase], phase == 1 ? 0.15 : 0.03) << "403 share";
  // Success rate counts non-5xx (Istio's dashboards): a 403 is a success there.
  for (const auto& [workload, rate] : a.success_rate) EXPECT_NEAR(rate, 1.0, 1e-9) << workload;
  // Sidecar-less callers are `unknown` (istio/proxy istio_stats.cc populatePeerInfo).
  EXPECT_TRUE(a.edges.count({"unknown", "frontend-v1"})) << "the laptop's edge to frontend";
  EXPECT_FALSE(a.source_workloads.count("laptop")) << "a caller without a sidecar named as a workload";
  if (phase < 2) {
    EXPECT_TRUE(a.edges.count({"frontend-v1", "bar-v1"}));
  }
  EXPECT_TRUE(a.edges.count({"frontend-v1", "bar-v2"}));
  // Latency from the buckets: positive, ordered, plausible for bar (4-8 ms of work).
  EXPECT_GT(a.bar_p50_ms, 0);
  EXPECT_GE(a.bar_p99_ms, a.bar_p50_ms);
  EXPECT_LT(a.bar_p99_ms, 1000);
  // Wire bytes, headers included: never 0.
  EXPECT_GT(a.mean_request_bytes, 50);
}

}  // namespace meshsim::testing
