// Retry host predicate and Istio's default circuit-breaker thresholds
// (siblings of issue 13's retry and circuit-breaking divergences).
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

}  // namespace
}  // namespace meshsim::sim
