// Retry host predicate, Istio's default circuit-breaker thresholds and the
// retry circuit breaker (siblings of issue 13's retry and circuit-breaking
// divergences).
#include <gtest/gtest.h>

#include "sim/world.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::sim {
namespace {

using std::chrono::milliseconds;

std::string hashed_rules(const std::string& retries) {
  return R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec:
  host: bar
  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{retries: )" + retries + R"(, route: [{destination: {host: bar}}]}]
)";
}

struct Tally {
  int ok = 0, exhausted = 0, other = 0;
};

Tally send_keys(const std::string& rules) {
  World world{WorldOptions{1, proxy::Duration(0)}};
  std::vector<std::string> errors;
  EXPECT_TRUE(world.apply(testing::mesh_with(rules), &errors));
  world.set_behavior("default", "bar-v1", {.response_delay = proxy::Duration(0), .fail_first_n = 1000, .fail_status = 503});  // v1 always fails
  Tally t;
  for (int i = 0; i < 40; ++i) {
    proxy::HttpRequest request;
    request.authority = "bar";
    request.headers.add("x-user", "user-" + std::to_string(i));
    auto r = world.call("default", "curl", request, "bar", 80);
    int status = r && r->outbound.response ? r->outbound.response->status : 0;
    if (status == 200 && r->outbound.attempts == 1) ++t.ok;
    else if (status == 503 && r->outbound.attempts == 3 && r->outbound.flags == "URX") ++t.exhausted;
    else ++t.other;
  }
  return t;
}

TEST(RetryHostPredicate, ConsistentHashRetriesStayOnTheHashedHost) {
  // retry.go ConvertPolicy(policy, hashPolicy): a single destination with a
  // consistent-hash load balancer (route.go, len(Route) == 1) gets no
  // previous_hosts predicate, so every retry hashes to the same failing pod.
  Tally t = send_keys(hashed_rules("{attempts: 2, retryOn: 5xx}"));
  EXPECT_EQ(t.other, 0);
  EXPECT_GT(t.exhausted, 0);
  EXPECT_GT(t.ok, 0);
}

TEST(RetryHostPredicate, RetryIgnorePreviousHostsTrueMovesTheRetry) {
  // retry.go: RetryIgnorePreviousHosts set true restores the predicate.
  World world{WorldOptions{1, proxy::Duration(0)}};
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(testing::mesh_with(hashed_rules("{attempts: 2, retryOn: 5xx, retryIgnorePreviousHosts: true}")),
                          &errors));
  world.set_behavior("default", "bar-v1", {.response_delay = proxy::Duration(0), .fail_first_n = 1000, .fail_status = 503});
  for (int i = 0; i < 40; ++i) {
    proxy::HttpRequest request;
    request.authority = "bar";
    request.headers.add("x-user", "user-" + std::to_string(i));
    auto r = world.call("default", "curl", request, "bar", 80);
    ASSERT_TRUE(r && r->outbound.response);
    EXPECT_EQ(r->outbound.response->status, 200);
    EXPECT_LE(r->outbound.attempts, 2);
  }
}

TEST(CircuitBreakerDefaults, IstioSetsNoLimitWithoutADestinationRule) {
  // cluster_traffic_policy.go getDefaultCircuitBreakerThresholds: MaxUint32
  // connections and pending requests, not Envoy's 1024 each: 3,000 requests
  // in flight at once do not overflow.
  World world{WorldOptions{1, proxy::Duration(0)}};
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(testing::mesh_with(""), &errors));
  world.set_behavior("default", "bar-v1", {.response_delay = milliseconds(100), .fail_first_n = 0, .fail_status = 503});
  world.set_behavior("default", "bar-v2", {.response_delay = milliseconds(100), .fail_first_n = 0, .fail_status = 503});
  int overflow = 0, done = 0;
  for (int i = 0; i < 3000; ++i) {
    proxy::HttpRequest r;
    r.authority = "bar";
    world.send("default", "curl", std::move(r), "bar", 80, [&](CallResult res) {
      ++done;
      if (res.outbound.flags == "UO") ++overflow;
    });
  }
  world.scheduler().run();
  EXPECT_EQ(done, 3000);
  EXPECT_EQ(overflow, 0);
}

// DestinationRule connectionPool.http.maxRetries is the cluster's retry
// circuit breaker: retries outstanding at once across all requests.
struct MaxRetriesRow {
  const char* source;        // where the expected behaviour is defined
  const char* max_retries;   // "" = not set
  const char* retries;       // the route's retry policy
  int retried, overflowed;   // of 20 requests failing at the same instant
  const char* retried_flags, *overflowed_flags;
};

const MaxRetriesRow kMaxRetriesRows[] = {
    // retry_state_impl.cc RetryStateImpl::shouldRetry: the first request
    // judged takes the one unit (retries().canCreate()) and keeps it through
    // its retries (resetRetry, then inc again); the others get
    // RetryStatus::NoOverflow and router.cc onUpstreamHeaders passes the
    // 503 on with UpstreamOverflow (UO). The retried one ends URX.
    {"shouldRetry NoOverflow -> onUpstreamHeaders UO", "1", "{attempts: 3, retryOn: 5xx}", 1, 19, "URX", "UO"},
    {"shouldRetry NoOverflow, 5 units", "5", "{attempts: 3, retryOn: 5xx}", 5, 15, "URX", "UO"},
    // A per-try timeout is a reset: router.cc maybeRetryReset sets UO, and
    // onPerTryTimeoutCommon answers 504 UT (flags in bit order: "UT,UO").
    {"maybeRetryReset NoOverflow", "1", "{attempts: 3, perTryTimeout: 50ms, retryOn: 5xx}", 1, 19, "UT,URX", "UT,UO"},
    // cluster_traffic_policy.go applyConnectionPool sets MaxRetries only when
    // > 0 ("FIXME: zero is a valid value if explicitly set"); otherwise
    // getDefaultCircuitBreakerThresholds' MaxUint32: every request retries.
    {"applyConnectionPool: 0 means unset", "0", "{attempts: 3, retryOn: 5xx}", 20, 0, "URX", ""},
    {"getDefaultCircuitBreakerThresholds MaxUint32", "", "{attempts: 3, retryOn: 5xx}", 20, 0, "URX", ""},
};

TEST(CircuitBreakerMaxRetries, CapsRetriesOutstandingAcrossRequests) {
  for (const auto& row : kMaxRetriesRows) {
    SCOPED_TRACE(row.source);
    // Unset: no trafficPolicy at all (validation.go validateTrafficPolicy refuses an empty one).
    std::string pool =
        *row.max_retries ? std::string("  trafficPolicy: {connectionPool: {http: {maxRetries: ") + row.max_retries + "}}}\n" : "";
    std::string rules = R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec:
  host: bar
)" + pool + R"(  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{retries: )" + std::string(row.retries) + R"(, route: [{destination: {host: bar, subset: v1}}]}]
)";
    World world{WorldOptions{1, proxy::Duration(0)}};
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(testing::mesh_with(rules), &errors));
    // Every answer a 503 after 100 ms, so all 20 first attempts fail at once.
    world.set_behavior("default", "bar-v1", {.response_delay = milliseconds(100), .fail_first_n = 1000, .fail_status = 503});
    int retried = 0, overflowed = 0, other = 0;
    for (int i = 0; i < 20; ++i) {
      proxy::HttpRequest r;
      r.authority = "bar";
      world.send("default", "curl", std::move(r), "bar", 80, [&](CallResult res) {
        int status = res.outbound.response ? res.outbound.response->status : 0;
        if (res.outbound.attempts == 4 && res.outbound.flags == row.retried_flags) ++retried;
        else if (res.outbound.attempts == 1 && res.outbound.flags == row.overflowed_flags && (status == 503 || status == 504)) ++overflowed;
        else ++other;
      });
    }
    world.scheduler().run();
    EXPECT_EQ(retried, row.retried);
    EXPECT_EQ(overflowed, row.overflowed);
    EXPECT_EQ(other, 0);
  }
}

}  // namespace
}  // namespace meshsim::sim
