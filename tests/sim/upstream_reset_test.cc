// What the client sidecar answers when an attempt gets no response: the
// status, the response flag, whether Istio's retry policy retries it and
// the local reply's body, as Envoy's router writes them. Each row names its
// source; the bodies are the ones istio.io's troubleshooting logs show.
#include <gtest/gtest.h>

#include "sim/world.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::sim {
namespace {

using std::chrono::milliseconds;

constexpr const char* kStrict = R"(
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: strict}
spec: {mtls: {mode: STRICT}}
---
)";

std::string bar_tls(const char* mode) {
  return std::string(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec: {host: bar, trafficPolicy: {tls: {mode: )") + mode + "}}}\n---\n";
}

std::string bar_retries(const char* retries) {
  return std::string(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{retries: )") + retries + ", route: [{destination: {host: bar}}]}]\n";
}

constexpr const char* kTlsError =
    "TLS_error:|268435703:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER:TLS_error_end";

struct ResetRow {
  const char* source;
  std::string rules;
  bool bar_has_sidecars;
  const char* flags;
  int attempts;
  std::string body;
};

int status_of(const CallResult& r) { return r.outbound.response ? r.outbound.response->status : 0; }

TEST(UpstreamReset, StatusFlagRetryAndBodyFollowEnvoysRouter) {
  const std::string prefix = "upstream connect error or disconnect/reset before headers. ";
  const ResetRow rows[] = {
      // Plain text (DestinationRule DISABLE) into STRICT servers: TCP
      // connects, the server's listener has no plain-text filter chain and
      // closes; a close after Connected is a ConnectionTermination
      // (codec_client.cc CodecClient::onEvent), flag UC
      // (streamResetReasonToResponseFlag). Istio's default retryOn
      // (retry.go DefaultPolicy: connect-failure,refused-stream,unavailable,
      // cancelled,retriable-status-codes) has no bit that retries it
      // (retry_state_impl.cc wouldRetryFromReset).
      {"codec_client.cc onEvent; wouldRetryFromReset", std::string(kStrict) + bar_tls("DISABLE"), true, "UC", 1,
       prefix + "reset reason: connection termination"},
      // connect-failure retries Local/RemoteConnectionFailure only.
      {"wouldRetryFromReset connect-failure",
       std::string(kStrict) + bar_tls("DISABLE") + bar_retries("{attempts: 2, retryOn: connect-failure}"), true, "UC",
       1, prefix + "reset reason: connection termination"},
      // reset retries any reset; after a retry the body says so (router.cc
      // onUpstreamReset: is_retry_ "retried and the latest ").
      {"wouldRetryFromReset reset; router.cc is_retry_",
       std::string(kStrict) + bar_tls("DISABLE") + bar_retries("{attempts: 2, retryOn: reset}"), true, "UC,URX", 3,
       prefix + "retried and the latest reset reason: connection termination"},
      // A DestinationRule's ISTIO_MUTUAL to pods without sidecars: the TLS
      // handshake fails before the connection is up, a
      // RemoteConnectionFailure with the TLS socket's failure reason
      // (connection_impl.cc; utility.cc resetReasonToString), retried by the
      // default connect-failure: 503 UF,URX, as istio.io's egress task logs
      // "UF,URX ... remote_connection_failure|TLS_error:...WRONG_VERSION_NUMBER".
      {"router.cc onUpstreamReset; utility.cc resetReasonToString", bar_tls("ISTIO_MUTUAL"), false, "UF,URX", 3,
       prefix + "retried and the latest reset reason: remote connection failure, transport failure reason: " +
           kTlsError},
      {"router.cc onUpstreamReset without a retry", bar_tls("ISTIO_MUTUAL") + bar_retries("{attempts: 0}"), false,
       "UF", 1, prefix + "reset reason: remote connection failure, transport failure reason: " + kTlsError},
  };
  for (const ResetRow& row : rows) {
    SCOPED_TRACE(row.source);
    testing::CurlToBar mesh(row.rules);
    if (!row.bar_has_sidecars)
      for (const char* pod : {"bar-v1", "bar-v2"}) mesh.world.set_sidecar("default", pod, false);
    auto r = mesh.get("/");
    ASSERT_TRUE(r.outbound.response);
    EXPECT_EQ(status_of(r), 503);
    EXPECT_EQ(r.outbound.flags, row.flags);
    EXPECT_EQ(r.outbound.attempts, row.attempts);
    EXPECT_EQ(r.outbound.response->body, row.body);
    EXPECT_FALSE(r.upstream.has_value());  // no app saw it
  }
}

// A failed connect is retried on another host (Istio's default retry
// policy: retry_host_predicate previous_hosts, retry.go DefaultPolicy), and
// a retry that succeeds leaves no flag: the router sets UF only when it
// gives up (router.cc onUpstreamReset returns after maybeRetryReset).
TEST(UpstreamReset, AFailedHandshakeIsRetriedOnAnotherPod) {
  testing::CurlToBar mesh(bar_tls("ISTIO_MUTUAL"));
  mesh.world.set_sidecar("default", "bar-v1", false);  // its handshake fails
  int retried = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = mesh.get("/");
    ASSERT_EQ(status_of(r), 200);
    EXPECT_EQ(r.outbound.flags, "-");
    ASSERT_NE(r.outbound.served_by, nullptr);
    EXPECT_EQ(r.outbound.served_by->pod, "bar-v2");
    EXPECT_LE(r.outbound.attempts, 2);
    retried += r.outbound.attempts == 2;
  }
  EXPECT_GT(retried, 0);  // the load balancer sends some first attempts to bar-v1
}

// A per-try timeout retried on a pod that answers: 200 with no flag, the
// timed-out try's 300 ms in the duration (router.cc onPerTryTimeout ->
// maybeRetryReset; retry_host_predicate previous_hosts picks the other pod).
TEST(UpstreamReset, APerTryTimeoutThenASuccessfulRetry) {
  testing::CurlToBar mesh(bar_retries("{attempts: 2, perTryTimeout: 300ms, retryOn: reset}"));
  mesh.world.set_behavior("default", "bar-v1", {.response_delay = milliseconds(500)});
  int retried = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = mesh.get("/");
    ASSERT_EQ(status_of(r), 200);
    EXPECT_EQ(r.outbound.flags, "-");
    ASSERT_NE(r.outbound.served_by, nullptr);
    EXPECT_EQ(r.outbound.served_by->pod, "bar-v2");
    if (r.outbound.attempts == 2) {
      ++retried;
      EXPECT_GE(r.outbound.duration, milliseconds(300));
    }
  }
  EXPECT_GT(retried, 0);
}

// The route timeout firing while a retry waits out its back-off: 504 UT at
// exactly the timeout, no further attempt (router.cc onResponseTimeout
// answers with no upstream request in flight; the back-off timer dies with
// the retry state). Each attempt is answered at once, so only back-offs
// (25 ms base, retry_state_impl.cc) pass time.
TEST(UpstreamReset, TheRouteTimeoutDuringABackOff) {
  testing::CurlToBar mesh(std::string(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{timeout: 60ms, retries: {attempts: 10, retryOn: 5xx}, route: [{destination: {host: bar}}]}]
)"));
  for (const char* pod : {"bar-v1", "bar-v2"})
    mesh.world.set_behavior("default", pod, {.error_per_million = 1'000'000, .error_status = 503});
  auto r = mesh.get("/");
  EXPECT_EQ(status_of(r), 504);
  EXPECT_EQ(r.outbound.flags, "UT");
  EXPECT_EQ(r.outbound.response->body, "upstream request timeout");
  EXPECT_EQ(r.outbound.duration, milliseconds(60));
  EXPECT_GE(r.outbound.attempts, 2);
  EXPECT_LT(r.outbound.attempts, 11);
  EXPECT_EQ(r.upstream_attempts, r.outbound.attempts);  // every attempt reached an app
}

}  // namespace
}  // namespace meshsim::sim
