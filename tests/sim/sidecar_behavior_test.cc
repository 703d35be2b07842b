// Sidecar behaviour in virtual time: timeouts, retries, faults, circuit
// breaking, outlier detection, config pushes, plain Kubernetes clients.
// Every expectation names its Istio/Envoy source. No sleeps: the scheduler
// jumps to the next event.
#include <functional>
#include <set>

#include <gtest/gtest.h>

#include "sim/world.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::sim {
namespace {

using std::chrono::milliseconds;

using Mesh = testing::CurlToBar;

int status_of(const CallResult& r) { return r.outbound.response ? r.outbound.response->status : 0; }
double ms(const CallResult& r) { return static_cast<double>(r.outbound.duration.count()) / 1000.0; }

TEST(Timeouts, RouteTimeoutGives504UT) {
  // Envoy router.cc onUpstreamTimeoutAbort: 504 "upstream request timeout", flag UT;
  // istio.io request-timeouts task (0.5s timeout on a 2s upstream).
  Mesh m(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{timeout: 0.5s, route: [{destination: {host: bar, subset: v1}}]}]
)");
  m.world.set_behavior("default", "bar-v1", {.response_delay = milliseconds(2000), .fail_first_n = 0, .fail_status = 503});
  auto r = m.get("/");
  EXPECT_EQ(status_of(r), 504);
  EXPECT_EQ(r.outbound.response->body, "upstream request timeout");
  EXPECT_EQ(r.outbound.flags, "UT");
  EXPECT_EQ(ms(r), 500);
}

TEST(Timeouts, DisabledByDefault) {
  // istio route.go setTimeout: 0s (disabled), overriding Envoy's 15 s.
  Mesh m("");
  m.world.set_behavior("default", "bar-v1", {.response_delay = milliseconds(60'000), .fail_first_n = 0, .fail_status = 503});
  m.world.set_behavior("default", "bar-v2", {.response_delay = milliseconds(60'000), .fail_first_n = 0, .fail_status = 503});
  auto r = m.get("/");
  EXPECT_EQ(status_of(r), 200);
  EXPECT_EQ(ms(r), 60'000);
}

TEST(Faults, InjectedDelayDoesNotCountAgainstTheRouteTimeout) {
  // The fault filter runs before the router (listener_builder.go: Fault, Cors,
  // router), so the router's timer starts after the delay.
  Mesh m(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - timeout: 1s
    fault: {delay: {fixedDelay: 7s, percentage: {value: 100}}}
    route: [{destination: {host: bar, subset: v1}}]
)");
  auto r = m.get("/");
  EXPECT_EQ(status_of(r), 200);
  EXPECT_EQ(r.outbound.flags, "DI");
  EXPECT_EQ(ms(r), 7000);
}

TEST(Faults, InjectedAbortIsNotRetried) {
  // An abort is a local reply of the fault filter; the router never sees it.
  Mesh m(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - retries: {attempts: 3, retryOn: 5xx}
    fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
    route: [{destination: {host: bar, subset: v1}}]
)");
  auto r = m.get("/");
  EXPECT_EQ(status_of(r), 503);
  EXPECT_EQ(r.outbound.flags, "FI");
  EXPECT_EQ(r.upstream_attempts, 0);
}

TEST(Retries, DefaultPolicyDoesNotRetryApplication503) {
  // Istio >= 1.24 retry.go: retriable-status-codes without codes; release note 50506.
  Mesh m(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{route: [{destination: {host: bar, subset: v1}}]}]
)");
  m.world.set_behavior("default", "bar-v1", {.response_delay = proxy::Duration(0), .fail_first_n = 1, .fail_status = 503});
  auto r = m.get("/");
  EXPECT_EQ(status_of(r), 503);
  EXPECT_EQ(r.upstream_attempts, 1);
}

TEST(Retries, GatewayErrorRetriesOnAnotherHostWithBackoff) {
  // retryOn gateway-error retries 502/503/504 (router_filter.rst); the
  // previous_hosts predicate (retry.go) sends the retry to the other pod;
  // Envoy's back-off is jittered in [0, 25 ms) for the first retry.
  Mesh m(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{retries: {attempts: 2, retryOn: gateway-error}, route: [{destination: {host: bar}}]}]
)");
  // bar-v1 always fails; with previous_hosts every request succeeds within
  // two attempts (without it, v1-v1-v1 would happen 1 time in 8).
  m.world.set_behavior("default", "bar-v1", {.response_delay = proxy::Duration(0), .fail_first_n = 1'000'000, .fail_status = 503});
  for (int i = 0; i < 40; ++i) {
    auto r = m.get("/");
    EXPECT_EQ(status_of(r), 200);
    EXPECT_LE(r.outbound.attempts, 2);
    EXPECT_LT(ms(r), 25);
  }
}

TEST(Retries, ExhaustedRetriesReturnTheLastResponseWithURX) {
  // Envoy router.cc: RetryStatus::NoRetryLimitExceeded sets UpstreamRetryLimitExceeded.
  Mesh m(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{retries: {attempts: 2, retryOn: "503"}, route: [{destination: {host: bar, subset: v1}}]}]
)");
  m.world.set_behavior("default", "bar-v1", {.response_delay = proxy::Duration(0), .fail_first_n = 10, .fail_status = 503});
  auto r = m.get("/");
  EXPECT_EQ(status_of(r), 503);
  EXPECT_EQ(r.upstream_attempts, 3);
  EXPECT_EQ(r.outbound.flags, "URX");
}

TEST(CircuitBreaking, OverflowIs503UO) {
  // usage.rst: "UO: Upstream overflow (circuit breaking)"; istio.io circuit-breaking task.
  Mesh m(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec:
  host: bar
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1}
  subsets:
  - {name: v1, labels: {version: v1}}
)");
  m.world.set_behavior("default", "bar-v1", {.response_delay = milliseconds(100), .fail_first_n = 0, .fail_status = 503});
  m.world.set_behavior("default", "bar-v2", {.response_delay = milliseconds(100), .fail_first_n = 0, .fail_status = 503});
  std::vector<int> statuses;
  for (int i = 0; i < 3; ++i) {
    proxy::HttpRequest r;
    r.authority = "bar";
    m.world.send("default", "curl", std::move(r), "bar", 80, [&](CallResult res) { statuses.push_back(status_of(res)); });
  }
  m.world.scheduler().run();
  std::sort(statuses.begin(), statuses.end());
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 503}));
}

TEST(OutlierDetection, EjectsAFailingEndpoint) {
  // outlier_detection.proto consecutive_5xx; the ejected host gets no traffic
  // during baseEjectionTime.
  Mesh m(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec:
  host: bar
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 100}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{retries: {attempts: 0}, route: [{destination: {host: bar}}]}]
)");
  m.world.set_behavior("default", "bar-v2", {.response_delay = proxy::Duration(0), .fail_first_n = 1'000'000, .fail_status = 500});
  int v2_after_ejection = 0, failures = 0;
  for (int i = 0; i < 200; ++i) {
    bool ejected = failures >= 2;
    auto r = m.get("/");
    if (status_of(r) != 200) ++failures;
    if (ejected && r.outbound.served_by && r.outbound.served_by->version() == "v2") ++v2_after_ejection;
  }
  EXPECT_EQ(failures, 2);
  EXPECT_EQ(v2_after_ejection, 0);
}

TEST(ConfigPush, RejectedPushKeepsTheOldSnapshotServing) {
  // DESIGN.md: a bad push is rejected whole; the old table keeps serving.
  Mesh m(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{route: [{destination: {host: bar, subset: v2}}]}]
)");
  proxy::Resources bad = testing::mesh_with("");
  proxy::VirtualService vs;
  vs.header.kind = "VirtualService";
  vs.header.meta.name = "broken";
  vs.hosts = {"bar"};
  proxy::HTTPRoute route;
  proxy::HTTPMatchRequest match;
  match.uri = proxy::StringMatch{proxy::StringMatch::Kind::kRegex, "(unclosed"};
  route.match.push_back(match);
  route.route.push_back({});
  route.route[0].destination.host = "bar";
  vs.http.push_back(route);
  bad.virtual_services.push_back(vs);
  std::vector<std::string> errors;
  EXPECT_FALSE(m.world.apply(std::move(bad), &errors));
  EXPECT_FALSE(errors.empty());
  auto r = m.get("/");
  ASSERT_NE(r.outbound.served_by, nullptr);
  EXPECT_EQ(r.outbound.served_by->version(), "v2");
}

// `meshsim serve` under a push loop grew by ~115 KB a push (scripts/soak.sh):
// every snapshot and every pod instance was kept until the world ended. A
// snapshot now lives while a call in flight holds it, and a pod a push did
// not change keeps its instance (as a running pod keeps running through
// Istio's config pushes).
TEST(ConfigPush, PushesDuringTrafficKeepNoOldSnapshotOrPod) {
  auto bar_to = [](const std::string& subset) {
    return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n  hosts: [bar]\n"
           "  http: [{route: [{destination: {host: bar, subset: " + subset + "}}]}]\n";
  };
  const std::string to_v1 = bar_to("v1"), to_v2 = bar_to("v2");
  Mesh m(to_v1);
  m.world.set_behavior("default", "bar-v1", {.response_delay = milliseconds(100), .fail_first_n = 0, .fail_status = 503});
  const size_t replaced_before = m.world.replaced_instances();
  std::weak_ptr<const proxy::RouteTable> first = m.world.snapshot();
  // A request in flight on the first snapshot when the pushes land; its
  // answer names the pod that served it, from the snapshot it was routed by.
  std::string served;
  proxy::HttpRequest r;
  r.authority = "bar";
  ASSERT_TRUE(m.world.send("default", "curl", std::move(r), "bar", 80, [&](CallResult res) {
    if (res.outbound.served_by) served = res.outbound.served_by->workload;
  }));
  for (int i = 0; i < 20; ++i) {
    m.world.scheduler().schedule(milliseconds(10 + i), [&m, &to_v1, &to_v2, i] {
      std::vector<std::string> errors;
      EXPECT_TRUE(m.world.apply(testing::mesh_with(i % 2 ? to_v1 : to_v2), &errors));
    });
  }
  m.world.scheduler().run();
  EXPECT_EQ(served, "bar-v1");
  EXPECT_TRUE(first.expired()) << "the first snapshot outlived the request that held it";
  EXPECT_EQ(m.world.replaced_instances(), replaced_before) << "a rules-only push replaced pods";
  EXPECT_EQ(m.get("/").outbound.served_by->workload, "bar-v1");  // the last push (i = 19) routes to v1
  // A Behavior change is a new app: that one pod's instance is replaced.
  m.world.set_behavior("default", "bar-v2", {.response_delay = milliseconds(5), .fail_first_n = 0, .fail_status = 503});
  EXPECT_EQ(m.world.replaced_instances(), replaced_before + 1);
}

TEST(PlainKubernetes, ClientWithoutSidecarIgnoresRouteRules) {
  // The talk, step 4/5: rules are applied by the client's sidecar; a client
  // without one gets kube-proxy's spread over every endpoint.
  Mesh m(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{route: [{destination: {host: bar, subset: v1}}]}]
)");
  m.world.set_sidecar("default", "curl", false);
  std::map<std::string, int> by_version;
  for (int i = 0; i < 10; ++i) {
    auto r = m.get("/");
    ASSERT_NE(r.outbound.served_by, nullptr);
    ++by_version[r.outbound.served_by->version()];
  }
  EXPECT_EQ(by_version["v1"], 5);
  EXPECT_EQ(by_version["v2"], 5);
}

TEST(PeerAuthentication, StrictRejectsPlaintext) {
  // peer_authentication.proto STRICT: "Connection is an mTLS tunnel"; plaintext is reset.
  Mesh m(R"(
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: strict}
spec: {mtls: {mode: STRICT}}
)");
  m.world.set_sidecar("default", "curl", false);
  auto r = m.get("/");
  EXPECT_FALSE(r.outbound.response.has_value());
  EXPECT_NE(r.outbound.error.find("reset"), std::string::npos);
}

constexpr const char* kBarIstioMutual = R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec: {host: bar, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}
)";

constexpr const char* kBarTlsDisabled = R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec: {host: bar, trafficPolicy: {tls: {mode: DISABLE}}}
)";

// DestinationRule tls.mode DISABLE overrides auto mTLS (destination_rule.proto
// ClientTLSSettings DISABLE: "Do not setup a TLS connection to the upstream
// endpoint"; pilot cluster_tls.go uses the rule's TLS settings before auto
// mTLS): the sidecar connects in plaintext, so a STRICT server resets it...
TEST(DestinationRuleTls, DisableSendsPlaintextThatStrictResets) {
  Mesh m(std::string(R"(
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: strict}
spec: {mtls: {mode: STRICT}}
---)") + kBarTlsDisabled);
  auto r = m.get("/");
  // istio.io mutual-TLS task (istio/istio.io#3157): "a destination rule set
  // to disable client side mTLS" against an mTLS server: "all requests will
  // fail with a 503" (a client without a sidecar sees the reset itself).
  ASSERT_TRUE(r.outbound.response.has_value());
  EXPECT_EQ(status_of(r), 503);
  EXPECT_FALSE(r.upstream.has_value());  // no app saw it
}

// ...and a PERMISSIVE one takes it as plaintext: no client certificate to
// forward (x-forwarded-client-cert is set only for mTLS peers).
TEST(DestinationRuleTls, DisableUnderPermissiveArrivesWithoutAPeerIdentity) {
  Mesh plain(kBarTlsDisabled);
  auto r = plain.get("/");
  ASSERT_EQ(status_of(r), 200);
  ASSERT_TRUE(r.upstream.has_value());
  EXPECT_FALSE(r.upstream->request.headers.get("x-forwarded-client-cert").has_value());
  // Toward pods with sidecars ISTIO_MUTUAL is what auto mTLS does already.
  Mesh mutual(kBarIstioMutual);
  auto m = mutual.get("/");
  ASSERT_EQ(status_of(m), 200);
  ASSERT_TRUE(m.upstream.has_value());
  EXPECT_TRUE(m.upstream->request.headers.get("x-forwarded-client-cert").has_value());
}

// Not toward a pod without one: auto mTLS picks TLS per endpoint (a
// transport socket match on the tlsMode label, plain text otherwise), while
// a DestinationRule's own ISTIO_MUTUAL puts the TLS transport socket on the
// whole cluster (pilot cluster_tls.go applyUpstreamTLSSettings: the match
// only when mtlsCtxType == autoDetected). The handshake with a plain-text
// app fails, which Envoy counts as a connect failure: 503 UF, retried by
// Istio's default retryOn connect-failure (2 retries), so UF,URX.
TEST(DestinationRuleTls, IstioMutualToPodsWithoutSidecarsFailsTheHandshake) {
  Mesh mutual(kBarIstioMutual);
  for (const char* pod : {"bar-v1", "bar-v2"}) mutual.world.set_sidecar("default", pod, false);
  auto r = mutual.get("/");
  EXPECT_EQ(status_of(r), 503);
  EXPECT_EQ(r.outbound.flags, "UF,URX");
  EXPECT_EQ(r.outbound.attempts, 3);
  EXPECT_FALSE(r.upstream.has_value());  // no app saw it
  // Auto mTLS (no DestinationRule) sends plain text to the same pods.
  Mesh automatic("");
  for (const char* pod : {"bar-v1", "bar-v2"}) automatic.world.set_sidecar("default", pod, false);
  EXPECT_EQ(status_of(automatic.get("/")), 200);
}

TEST(Determinism, SameSeedSameTimeline) {
  auto run = [](uint64_t seed) {
    World w(WorldOptions{seed, proxy::Duration(100)});
    std::vector<std::string> errors;
    w.apply(testing::mesh_with(""), &errors);
    std::string trace;
    for (int i = 0; i < 50; ++i) {
      proxy::HttpRequest r;
      r.authority = "bar";
      auto res = w.call("default", "curl", r, "bar", 80);
      trace += res->outbound.served_by->pod + "@" + std::to_string(w.scheduler().now().count()) + ";";
    }
    return trace;
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

}  // namespace
}  // namespace meshsim::sim

namespace meshsim::sim {
namespace {

TEST(LoadBalancing, ConsistentHashIsStickyPerKey) {
  // destination_rule.proto consistentHash.httpHeaderName: the same header value
  // reaches the same endpoint. (meshsim hashes with FNV-1a + jump hash, not
  // Envoy's ring, so which endpoint a key lands on differs from Envoy.)
  World world{WorldOptions{1, proxy::Duration(0)}};
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(testing::mesh_with(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec:
  host: bar
  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
)"),
                          &errors));
  std::set<std::string> pods_for_alice, pods_overall;
  for (int i = 0; i < 20; ++i) {
    for (const std::string& user : {std::string("alice"), "user" + std::to_string(i)}) {
      proxy::HttpRequest r;
      r.authority = "bar";
      r.headers.set("x-user", user);
      auto out = world.call("default", "curl", r, "bar", 80);
      ASSERT_TRUE(out && out->outbound.served_by);
      (user == "alice" ? pods_for_alice : pods_overall).insert(out->outbound.served_by->pod);
    }
  }
  EXPECT_EQ(pods_for_alice.size(), 1u);
  EXPECT_EQ(pods_overall.size(), 2u);
}

}  // namespace
}  // namespace meshsim::sim

namespace meshsim::sim {
namespace {

// The pods a request reaches, over `n` requests shaped by `shape`.
std::set<std::string> pods_reached(World& world, int n, const std::function<void(proxy::HttpRequest&, int)>& shape) {
  std::set<std::string> pods;
  for (int i = 0; i < n; ++i) {
    proxy::HttpRequest r;
    r.authority = "bar";
    shape(r, i);
    auto out = world.call("default", "curl", r, "bar", 80);
    if (out && out->outbound.served_by) pods.insert(out->outbound.served_by->pod);
  }
  return pods;
}

void hash_on(World& world, const std::string& consistent_hash) {
  std::vector<std::string> errors;
  EXPECT_TRUE(world.apply(testing::mesh_with("apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
                                             "metadata: {name: bar}\nspec:\n  host: bar\n"
                                             "  trafficPolicy: {loadBalancer: {consistentHash: " +
                                             consistent_hash + "}}\n"),
                          &errors));
}

TEST(LoadBalancing, ConsistentHashWithoutTheKeyPicksAtRandom) {
  // Envoy hash_policy.cc: a header, query parameter or cookie that is absent
  // gives no hash; thread_aware_lb_impl.cc chooseHost then uses a random
  // value (`hash ? hash.value() : random_.random()`): unkeyed requests spread.
  for (const char* policy : {"{httpHeaderName: x-user}", "{httpQueryParameterName: user}", "{httpCookie: {name: user}}"}) {
    SCOPED_TRACE(policy);
    World world{WorldOptions{1, proxy::Duration(0)}};
    hash_on(world, policy);
    EXPECT_EQ(pods_reached(world, 40, [](proxy::HttpRequest&, int) {}).size(), 2u);
  }
}

TEST(LoadBalancing, ConsistentHashOnACookieHashesThatCookiesValue) {
  // Envoy CookieHashMethod hashes the named cookie's value
  // (Utility::parseCookieValue), not the whole Cookie header: other cookies
  // changing from request to request do not move the user.
  World world{WorldOptions{1, proxy::Duration(0)}};
  hash_on(world, "{httpCookie: {name: user}}");
  auto pods = pods_reached(world, 40, [](proxy::HttpRequest& r, int i) {
    r.headers.set("cookie", "visit=" + std::to_string(i) + "; user=\"alice\"; theme=dark");
  });
  EXPECT_EQ(pods.size(), 1u);
}

// consistentHash.httpCookie with a ttl: a request without the cookie is
// given one. Envoy's CookieHashMethod (source/common/http/hash_policy.cc
// evaluate) calls the router's addDownstreamSetCookie (router.h), which
// hashes the downstream connection into 16 hex digits, hashes that value to
// pick the host, and appends the Set-Cookie to the upstream response
// (router.cc onUpstreamHeaders); Istio passes name, ttl, path and attributes
// through (route.go ConsistentHashToHashPolicy). The Set-Cookie text is
// Utility::makeSetCookieValue's (source/common/http/utility.cc).
struct GeneratedCookieCase {
  const char* name;
  const char* http_cookie;
  // The Set-Cookie with the generated value as VALUE; "" for none.
  std::string expected;
  const char* first_request_cookie = nullptr;  // the first request's Cookie header, if any
};

// At an ingress gateway the hash input is the client's address, not the
// gateway's own: Envoy's SourceIpHashMethod hashes the downstream remote
// address (source/common/http/hash_policy.cc; the router passes its
// streamInfo's downstreamAddressProvider()), and the router's
// addDownstreamSetCookie (router.h) hashes the downstream connection's
// addresses into the generated cookie. Clients at different addresses are
// spread and given different cookies; one client keeps its host.
constexpr const char* kEdgeToBar = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: edge-gateway, namespace: istio-system}
spec:
  selector: {matchLabels: {app: edge-gateway}}
  template:
    metadata:
      labels: {app: edge-gateway, istio: edge}
      annotations: {inject.istio.io/templates: gateway}
    spec: {serviceAccountName: edge-gateway, containers: [{name: istio-proxy, image: auto, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: edge-gateway, namespace: istio-system}
spec: {type: LoadBalancer, selector: {app: edge-gateway}, ports: [{name: http2, port: 80, targetPort: 8080}]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  selector: {istio: edge}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [bar.example.com]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar-edge}
spec:
  hosts: [bar.example.com]
  gateways: [edge]
  http: [{route: [{destination: {host: bar.default.svc.cluster.local}}]}]
---
)";

CallResult through_edge(World& world, const std::string& client_ip) {
  proxy::HttpRequest r;
  r.authority = "bar.example.com";
  r.target = "/";
  return world.call_outside(r, "edge-gateway.istio-system", 80, client_ip);
}

TEST(LoadBalancing, AtAGatewayTheHashInputIsTheClientsAddress) {
  {
    SCOPED_TRACE("useSourceIp");
    World world{WorldOptions{1, proxy::Duration(0)}};
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(testing::mesh_with(std::string(kEdgeToBar) +
                                               "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
                                               "metadata: {name: bar}\nspec:\n  host: bar\n"
                                               "  trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true}}}\n"),
                            &errors));
    std::set<std::string> pods;
    for (int i = 1; i <= 20; ++i) {
      std::string ip = "198.51.100." + std::to_string(i);
      CallResult first = through_edge(world, ip), again = through_edge(world, ip);
      ASSERT_TRUE(first.outbound.served_by && again.outbound.served_by) << first.outbound.error;
      EXPECT_EQ(again.outbound.served_by->pod, first.outbound.served_by->pod) << ip;
      pods.insert(first.outbound.served_by->pod);
    }
    EXPECT_EQ(pods.size(), 2u);
  }
  {
    SCOPED_TRACE("httpCookie with a ttl");
    World world{WorldOptions{1, proxy::Duration(0)}};
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(testing::mesh_with(std::string(kEdgeToBar) +
                                               "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
                                               "metadata: {name: bar}\nspec:\n  host: bar\n"
                                               "  trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: user, ttl: 60s}}}}\n"),
                            &errors));
    std::set<std::string> cookies;
    for (const char* ip : {"198.51.100.1", "198.51.100.2"}) {
      for (int i = 0; i < 2; ++i) {  // the same connection, the same value
        CallResult out = through_edge(world, ip);
        ASSERT_TRUE(out.outbound.response) << out.outbound.error;
        auto set_cookie = out.outbound.response->headers.get("set-cookie");
        ASSERT_TRUE(set_cookie.has_value());
        cookies.insert(std::string(*set_cookie));
      }
    }
    EXPECT_EQ(cookies.size(), 2u);
  }
}

TEST(LoadBalancing, ConsistentHashCookieWithATtlIsGeneratedAndSticks) {
  const GeneratedCookieCase cases[] = {
      // Max-Age from the ttl's seconds, Path, then HttpOnly (always true for a generated cookie).
      {"ttl and path", "{httpCookie: {name: user, ttl: 60s, path: /}}", "user=\"VALUE\"; Max-Age=60; Path=/; HttpOnly"},
      // A zero ttl still generates the cookie; makeSetCookieValue leaves out
      // Max-Age: a session cookie (route_components.proto Cookie.ttl).
      {"zero ttl", "{httpCookie: {name: user, ttl: 0s}}", "user=\"VALUE\"; HttpOnly"},
      // Whole seconds only (hash_policy.cc: std::chrono::seconds(ttl().seconds()));
      // attributes after Path, a bare name for an empty value.
      {"attributes", "{httpCookie: {name: user, ttl: 1.5s, attributes: [{name: SameSite, value: Strict}, {name: Secure}]}}",
       "user=\"VALUE\"; Max-Age=1; SameSite=Strict; Secure; HttpOnly"},
      // No ttl: nothing generated (CookieHashMethod: `value.empty() && ttl_.has_value()`).
      {"no ttl", "{httpCookie: {name: user}}", ""},
      // An empty value is no cookie (the same test on parseCookieValue's "").
      {"empty cookie", "{httpCookie: {name: user, ttl: 60s}}", "user=\"VALUE\"; Max-Age=60; HttpOnly", "user="},
  };
  for (const GeneratedCookieCase& c : cases) {
    SCOPED_TRACE(c.name);
    World world{WorldOptions{1, proxy::Duration(0)}};
    hash_on(world, c.http_cookie);
    proxy::HttpRequest first;
    first.authority = "bar";
    if (c.first_request_cookie) first.headers.set("cookie", c.first_request_cookie);
    auto out = world.call("default", "curl", first, "bar", 80);
    ASSERT_TRUE(out && out->outbound.response && out->outbound.served_by);
    auto set_cookie = out->outbound.response->headers.get("set-cookie");
    if (c.expected.empty()) {
      EXPECT_FALSE(set_cookie.has_value());
      continue;
    }
    ASSERT_TRUE(set_cookie.has_value());
    // The value: between the quotes after "user=".
    std::string header(*set_cookie);
    size_t open = header.find('"'), close = header.find('"', open + 1);
    ASSERT_NE(close, std::string::npos) << header;
    std::string value = header.substr(open + 1, close - open - 1);
    EXPECT_EQ(value.size(), 16u) << header;
    std::string expected = c.expected;
    expected.replace(expected.find("VALUE"), 5, value);
    EXPECT_EQ(header, expected);
    // The first request was balanced by the value it was given: the
    // requests that send it back reach the same pod, quoted or not.
    const std::string first_pod = out->outbound.served_by->pod;
    auto pods = pods_reached(world, 20, [&](proxy::HttpRequest& r, int i) {
      r.headers.set("cookie", i % 2 ? "user=\"" + value + "\"" : "user=" + value);
    });
    EXPECT_EQ(pods, std::set<std::string>{first_pod});
  }
}

}  // namespace
}  // namespace meshsim::sim
