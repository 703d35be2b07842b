// maxEjectionPercent caps every ejection, the first included (issue 13,
// divergence 2), and what a cluster with every host ejected answers.
// Envoy >= 1.28 outlier_detection_impl.cc DetectorImpl::ejectHost ejects only
// when 100 * (ejected + 1) / hosts <= max_ejection_percent (envoy#27909; the
// old "always eject one" path is gone, opt-in `always_eject_one_host` came in
// envoy#34796 and Istio never sets it: cluster_traffic_policy.go
// applyOutlierDetection). Istio leaves max_ejection_percent at Envoy's 10
// unless the DestinationRule sets it.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/world.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::sim {
namespace {

// `good` healthy pods and `bad` pods answering 500, all behind Service bar.
std::string topology(int good, int bad, const std::string& outlier, const std::string& route_extra) {
  return R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: curl}
spec:
  selector: {matchLabels: {app: curl}}
  template: {metadata: {labels: {app: curl}}, spec: {containers: [{name: curl, image: curl}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bar-good}
spec:
  replicas: )" + std::to_string(good) + R"(
  selector: {matchLabels: {app: bar, health: good}}
  template: {metadata: {labels: {app: bar, health: good}}, spec: {containers: [{name: app, image: bar, ports: [{containerPort: 8080}]}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bar-bad}
spec:
  replicas: )" + std::to_string(bad) + R"(
  selector: {matchLabels: {app: bar, health: bad}}
  template: {metadata: {labels: {app: bar, health: bad}}, spec: {containers: [{name: app, image: bar, ports: [{containerPort: 8080}]}]}}
---
apiVersion: v1
kind: Service
metadata: {name: bar}
spec: {selector: {app: bar}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec:
  host: bar
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: )" + outlier + R"(
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{retries: {attempts: 0}, )" + route_extra + R"(route: [{destination: {host: bar}}]}]
)";
}

struct Outcome {
  int to_bad = 0;  // requests the failing pods served after the warm-up
  int no_healthy_upstream = 0;
};

// `slow`: the bad pods answer 200 after 1 s instead of 500, behind a 100 ms route timeout.
Outcome run(int good, int bad, const std::string& outlier, bool slow = false) {
  auto loaded = testing::load_or_fail({{"mesh.yaml", topology(good, bad, outlier, slow ? "timeout: 100ms, " : "")}});
  World world{WorldOptions{1, proxy::Duration(0)}};
  std::vector<std::string> errors;
  EXPECT_TRUE(world.apply(std::move(loaded.resources), &errors));
  if (bad > 0 && slow) world.set_behavior("default", "bar-bad", {.response_delay = std::chrono::milliseconds(1000), .fail_first_n = 0, .fail_status = 503});
  else if (bad > 0) world.set_behavior("default", "bar-bad", {.response_delay = proxy::Duration(0), .fail_first_n = 0, .fail_status = 503, .error_per_million = 1'000'000, .error_status = 500});
  Outcome out;
  const int hosts = good + bad;
  for (int i = 0; i < 60 * hosts; ++i) {
    proxy::HttpRequest request;
    request.authority = "bar";
    auto r = world.call("default", "curl", request, "bar", 80);
    if (!r || !r->outbound.response) {
      ADD_FAILURE() << "no response";
      continue;
    }
    if (i < 10 * hosts) continue;  // warm-up: every failing pod has failed 10 times in a row
    if (r->outbound.flags == "UH") ++out.no_healthy_upstream;
    else if (r->outbound.flags == "UT") ++out.to_bad;  // only the slow pods time out
    else if (r->outbound.served_by && r->outbound.served_by->workload == "bar-bad") ++out.to_bad;
  }
  return out;
}

struct CapRow {
  const char* source;
  int good, bad;
  const char* outlier;
  int still_serving_bad;  // failing pods left in rotation
};

const CapRow kCapRows[] = {
    // 100 * 1 / 4 = 25 > 10 (Envoy default, Istio leaves it): never ejected, ~25% errors stay.
    {"ejectHost, default 10%", 3, 1, "{consecutive5xxErrors: 3}", 1},
    {"ejectHost, 25 <= 25", 3, 1, "{consecutive5xxErrors: 3, maxEjectionPercent: 25}", 0},
    {"ejectHost, 25 > 24", 3, 1, "{consecutive5xxErrors: 3, maxEjectionPercent: 24}", 1},
    {"ejectHost, 100% allows it", 3, 1, "{consecutive5xxErrors: 3, maxEjectionPercent: 100}", 0},
    // 100 * 1 / 10 = 10 <= 10: the default cap ejects one host of ten.
    {"ejectHost, default 10% of 10 hosts", 9, 1, "{consecutive5xxErrors: 3}", 0},
    // A single-host cluster: 100 * 1 / 1 > 10, never ejected.
    {"ejectHost, one host", 0, 1, "{consecutive5xxErrors: 3}", 1},
    // Two failing of four with 25%: the second would make 50%.
    {"ejectHost, second ejection over the cap", 2, 2, "{consecutive5xxErrors: 3, maxEjectionPercent: 25}", 1},
    {"ejectHost, both within 50%", 2, 2, "{consecutive5xxErrors: 3, maxEjectionPercent: 50}", 0},
    // applyOutlierDetection passes maxEjectionPercent only when > 0: 0 means Envoy's 10.
    {"applyOutlierDetection: 0 is unset", 9, 1, "{consecutive5xxErrors: 3, maxEjectionPercent: 0}", 0},
    {"applyOutlierDetection: 0 is unset (4 hosts)", 3, 1, "{consecutive5xxErrors: 3, maxEjectionPercent: 0}", 1},
};

TEST(OutlierEjectionCap, MaxEjectionPercentCapsTheFirstEjectionToo) {
  for (const CapRow& row : kCapRows) {
    SCOPED_TRACE(std::string(row.source) + ": " + row.outlier);
    Outcome o = run(row.good, row.bad, row.outlier);
    const int hosts = row.good + row.bad;
    const int measured = 50 * hosts;
    // Round robin: each pod left in rotation serves 1/hosts of the requests.
    if (row.still_serving_bad == 0) {
      EXPECT_EQ(o.to_bad, 0);
    } else {
      EXPECT_GE(o.to_bad, measured * row.still_serving_bad / hosts - hosts);
    }
    EXPECT_EQ(o.no_healthy_upstream, 0);
  }
}

TEST(OutlierEjectionCap, EveryHostEjectedAnswersNoHealthyUpstream) {
  // Istio sets healthy_panic_threshold to minHealthPercent (default 0) when a
  // DestinationRule has outlierDetection (applyOutlierDetection), so Envoy
  // does not fall back to all hosts (load_balancer_impl.cc
  // recalculatePerPriorityPanic: "panic is disabled and there is no hosts
  // available"): 503 "no healthy upstream", flag UH.
  Outcome o = run(0, 2, "{consecutive5xxErrors: 3, maxEjectionPercent: 100, baseEjectionTime: 300s}");
  EXPECT_EQ(o.no_healthy_upstream, 100);
  // With minHealthPercent 50 the cluster panics and balances over all hosts.
  Outcome panic = run(0, 2, "{consecutive5xxErrors: 3, maxEjectionPercent: 100, minHealthPercent: 50}");
  EXPECT_EQ(panic.no_healthy_upstream, 0);
  EXPECT_EQ(panic.to_bad, 100);
}

struct TimeoutRow {
  const char* source;
  const char* outlier;
  int still_serving_bad;
};

const TimeoutRow kTimeoutRows[] = {
    // router.cc onResponseTimeout charges the attempt as LocalOriginTimeout
    // with code 504; unsplit, that is a 5xx (putResultNoLocalExternalSplit).
    {"route timeout counts as 504", "{consecutive5xxErrors: 3, maxEjectionPercent: 100}", 0},
    // Split: timeouts are local-origin failures only, never 5xx
    // (putResultWithLocalExternalSplit); consecutive_local_origin_failure
    // defaults to 5, enforced 100% (outlier_detection.proto).
    {"split, Envoy's default 5 local-origin failures",
     "{consecutive5xxErrors: 3, maxEjectionPercent: 100, splitExternalLocalOriginErrors: true}", 0},
    {"split, 100 local-origin failures not reached",
     "{consecutive5xxErrors: 3, maxEjectionPercent: 100, splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 100}", 1},
};

TEST(OutlierEjectionCap, TimeoutsCountAsGatewayErrorsUnlessSplit) {
  for (const TimeoutRow& row : kTimeoutRows) {
    SCOPED_TRACE(std::string(row.source) + ": " + row.outlier);
    Outcome o = run(3, 1, row.outlier, /*slow=*/true);
    if (row.still_serving_bad == 0) EXPECT_EQ(o.to_bad, 0);
    else EXPECT_GE(o.to_bad, 200 / 4 - 4);
  }
}

}  // namespace
}  // namespace meshsim::sim
