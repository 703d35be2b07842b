// Which retry policies retry a per-try timeout (issue 13, divergence 1).
// Envoy resets the attempt itself when its per-try timeout fires
// (router.cc Filter::onPerTryTimeoutCommon -> maybeRetryReset with
// StreamResetReason::LocalReset). retry_state_impl.cc
// RetryStateImpl::wouldRetryFromReset retries a LocalReset only for `reset`,
// `5xx` or `gateway-error`; `connect-failure` covers connection failures,
// `refused-stream` an HTTP/2 REFUSED_STREAM, and retriable status codes apply
// only to responses (wouldRetryFromHeaders). Exhausted retries add URX
// (maybeRetryReset: RetryStatus::NoRetryLimitExceeded); Envoy writes flags in
// bit order (ResponseFlagUtils::toShortString), so "UT,URX".
#include <gtest/gtest.h>

#include "sim/world.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::sim {
namespace {

using std::chrono::milliseconds;

struct PerTryRow {
  const char* source;    // where the expected behaviour is defined
  const char* retry_on;  // "" = no retryOn: Istio's default
  int attempts;          // tries Envoy makes
  const char* flags;
};

// attempts: 5, perTryTimeout: 300ms against an app that takes 500 ms.
const PerTryRow kRows[] = {
    // Istio retry.go defaultRetryOn "connect-failure,refused-stream,unavailable,
    // cancelled,retriable-status-codes" (no codes; 503 dropped in 1.24): no bit retries a LocalReset.
    {"retry.go DefaultPolicy + wouldRetryFromReset", "", 1, "UT"},
    // retry.go parseRetryOn: "504" becomes retriable_status_codes [504] +
    // retriable-status-codes, which wouldRetryFromHeaders checks on responses only.
    {"retry.go parseRetryOn + wouldRetryFromHeaders", "504", 1, "UT"},
    // wouldRetryFromReset: connect-failure needs a connection failure reason,
    // refused-stream a RemoteRefusedStreamReset.
    {"wouldRetryFromReset connect-failure/refused-stream", "connect-failure,refused-stream", 1, "UT"},
    // wouldRetryFromReset: reset-before-request only while nothing was sent upstream.
    {"wouldRetryFromReset reset-before-request", "reset-before-request", 1, "UT"},
    // wouldRetryFromReset: RETRY_ON_5XX | RETRY_ON_GATEWAY_ERROR retry any reset.
    {"wouldRetryFromReset 5xx", "5xx", 6, "UT,URX"},
    {"wouldRetryFromReset gateway-error", "gateway-error", 6, "UT,URX"},
    // wouldRetryFromReset: RETRY_ON_RESET retries any reset.
    {"wouldRetryFromReset reset", "reset", 6, "UT,URX"},
    {"wouldRetryFromReset reset (with 504 code)", "reset,504", 6, "UT,URX"},
};

std::string rules_for(const PerTryRow& row) {
  std::string retry = std::string("{attempts: 5, perTryTimeout: 300ms") +
                      (*row.retry_on ? std::string(", retryOn: \"") + row.retry_on + "\"" : "") + "}";
  return R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{retries: )" + retry + R"(, route: [{destination: {host: bar, subset: v1}}]}]
)";
}

TEST(PerTryTimeoutRetries, OnlyResetClassPoliciesRetryATimedOutTry) {
  for (const PerTryRow& row : kRows) {
    SCOPED_TRACE(std::string("retryOn \"") + row.retry_on + "\" (" + row.source + ")");
    World world{WorldOptions{1, proxy::Duration(0)}};
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(testing::mesh_with(rules_for(row)), &errors));
    world.set_behavior("default", "bar-v1", {.response_delay = milliseconds(500), .fail_first_n = 0, .fail_status = 503});
    proxy::HttpRequest request;
    request.target = "/";
    request.authority = "bar";
    auto r = world.call("default", "curl", request, "bar", 80);
    ASSERT_TRUE(r && r->outbound.response);
    // router.cc onUpstreamTimeoutAbort: 504 "upstream request timeout".
    EXPECT_EQ(r->outbound.response->status, 504);
    EXPECT_EQ(r->outbound.response->body, "upstream request timeout");
    EXPECT_EQ(r->outbound.attempts, row.attempts);
    EXPECT_EQ(r->outbound.flags, row.flags);
    auto ms = r->outbound.duration.count() / 1000;
    if (row.attempts == 1) {
      EXPECT_EQ(ms, 300);  // one try, answered when its timeout fires
    } else {
      // Six tries of 300 ms plus five jittered back-offs, each below 250 ms
      // (25 ms base, 10x cap: router_filter.rst x-envoy-max-retries back-off).
      EXPECT_GE(ms, 1800);
      EXPECT_LT(ms, 1800 + 5 * 250);
    }
  }
}

TEST(PerTryTimeoutRetries, ARealGatewayTimeoutResponseIsRetriedByItsCode) {
  // wouldRetryFromHeaders: a 504 the app sends is a response, so "504" retries it.
  World world{WorldOptions{1, proxy::Duration(0)}};
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(testing::mesh_with(rules_for({"", "504", 0, ""})), &errors));
  world.set_behavior("default", "bar-v1", {.response_delay = proxy::Duration(0), .fail_first_n = 10, .fail_status = 504});
  proxy::HttpRequest request;
  request.authority = "bar";
  auto r = world.call("default", "curl", request, "bar", 80);
  ASSERT_TRUE(r && r->outbound.response);
  EXPECT_EQ(r->outbound.response->status, 504);
  EXPECT_EQ(r->outbound.attempts, 6);
  EXPECT_EQ(r->outbound.flags, "URX");
}

TEST(ResponseFlags, WrittenInEnvoyBitOrder) {
  // A delayed request that then times out: DI is set first, but Envoy
  // prints UT before DI (ResponseFlagUtils::toShortString walks the bits).
  World world{WorldOptions{1, proxy::Duration(0)}};
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(testing::mesh_with(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - fault: {delay: {fixedDelay: 1s, percentage: {value: 100}}}
    timeout: 1.5s
    route: [{destination: {host: bar, subset: v1}}]
)"),
                          &errors));
  world.set_behavior("default", "bar-v1", {.response_delay = milliseconds(2000), .fail_first_n = 0, .fail_status = 503});
  proxy::HttpRequest request;
  request.authority = "bar";
  auto r = world.call("default", "curl", request, "bar", 80);
  ASSERT_TRUE(r && r->outbound.response);
  EXPECT_EQ(r->outbound.response->status, 504);
  EXPECT_EQ(r->outbound.flags, "UT,DI");
}

}  // namespace
}  // namespace meshsim::sim
