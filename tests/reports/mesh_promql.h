// PromQL of our own in the style of Istio's Grafana dashboards (service and
// workload dashboards: requests by response code, success rate, P50/P99
// from istio_request_duration_milliseconds_bucket, request size) and of
// Kiali's graph (edges by source_workload/destination_workload), asked of
// one phase of tests/reports/prometheus-phases.yaml, and what each phase
// must answer. The live test (Prometheus scraping `serve`) and the offline
// one (`run`'s metrics.om.txt loaded with promtool) share both.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>

#include "tests/reports/local_prometheus.h"

namespace meshsim::testing {

struct PhaseAnswers {
  std::map<std::string, double> bar_by_code;     // response_code -> requests
  std::map<std::string, double> bar_by_version;  // destination_version -> requests
  std::map<std::string, double> success_rate;    // destination_workload -> non-5xx share
  double bar_p50_ms = 0, bar_p99_ms = 0;
  double mean_request_bytes = 0;
  std::set<std::pair<std::string, std::string>> edges;  // source_workload, destination_workload
  std::set<std::string> source_workloads;
  std::string error;  // a query that failed
};

// The answers over the window (at - range_s, at].
PhaseAnswers ask_phase(LocalPrometheus& prometheus, double at, double range_s);

// gtest EXPECTs that `answers` are what phase 0, 1 or 2 shows; `where`
// names the test's source for failure messages.
void expect_phase(int phase, const PhaseAnswers& answers, const std::string& where);

}  // namespace meshsim::testing
