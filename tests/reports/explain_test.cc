// Answers that explain one `meshsim curl` request (issue 17): the rules tried
// before the one taken and the first condition each failed, the
// AuthorizationPolicy (namespace/name, rule index) that decided, and every
// response flag in Envoy's words with what in the config set it. Each row
// cites the behaviour it checks; the mesh is ours (tests/fixtures/talk-mesh.yaml).
#include "reports/explain.h"

#include <gtest/gtest.h>

#include "config/loader.h"
#include "reports/curl_output.h"
#include "reports/plan_output.h"
#include "tests/fixtures/fixture.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::reports {
namespace {

// `from`: a Deployment of the files; empty for the default `curl` client.
sim::CurlRun curl(const std::string& rules, const std::string& url,
                  std::vector<std::pair<std::string, std::string>> headers = {}, const std::string& from = "") {
  auto loaded = testing::load_or_fail({fixtures::source("talk-mesh.yaml"), {"rules.yaml", rules}});
  sim::CurlSpec spec;
  spec.from = from;
  spec.url = url;
  spec.headers = std::move(headers);
  spec.behaviors = loaded.behaviors;
  std::string error;
  auto run = sim::run_curl(std::move(loaded.resources), spec, &error);
  if (!run) {
    ADD_FAILURE() << error;
    return {};
  }
  return std::move(*run);
}

std::string all(const Explanation& e) { return explain_text(e); }

// Istio's request-routing task: reviews v2 for end-user jason, v1 for everyone else.
constexpr const char* kJasonRoute = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match:
    - headers:
        end-user: {exact: jason}
    route:
    - destination: {host: bar, subset: v2}
  - match:
    - uri: {prefix: /api}
      method: {exact: POST}
    route:
    - destination: {host: bar, subset: v2}
  - route:
    - destination: {host: bar, subset: v1}
)";

TEST(Explain, RulesBeforeTheOneTakenSayWhyTheyMissed) {
  auto run = curl(kJasonRoute, "http://bar/api/items");
  Explanation e = explain(run);
  EXPECT_EQ(e.route, "VirtualService default/bar rule #2") << all(e);
  ASSERT_EQ(e.misses.size(), 2u) << all(e);
  // Envoy header_matcher: a header absent from the request fails an exact match (route.go: headers -> HeaderMatcher).
  EXPECT_EQ(e.misses[0], "rule #0 needs header end-user: exact \"jason\"; the request has none");
  // Envoy route match: every condition of one match must hold (uri prefix and method here).
  EXPECT_EQ(e.misses[1], "rule #1 needs method exact \"POST\"; the request is \"GET\"");
}

TEST(Explain, WrongHeaderValueIsQuoted) {
  auto run = curl(kJasonRoute, "http://bar/", {{"end-user", "Jason"}});
  Explanation e = explain(run);
  ASSERT_FALSE(e.misses.empty());
  // Istio StringMatch exact is case-sensitive for header values.
  EXPECT_EQ(e.misses[0], "rule #0 needs header end-user: exact \"jason\"; the request has \"Jason\"");
}

TEST(Explain, TheRuleTakenHasNoMisses) {
  auto run = curl(kJasonRoute, "http://bar/", {{"end-user", "jason"}});
  Explanation e = explain(run);
  EXPECT_EQ(e.route, "VirtualService default/bar rule #0");
  EXPECT_TRUE(e.misses.empty()) << all(e);
}

TEST(Explain, NoRouteListsEveryRuleAndExplainsNR) {
  // Envoy router: no route matched -> 404 with flag NR (router.cc sendLocalReply).
  auto run = curl(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - name: mobile
    match:
    - headers:
        user-agent: {regex: ".*Mobile.*"}
    route:
    - destination: {host: bar, subset: v2}
)",
                  "http://bar/");
  ASSERT_TRUE(run.single && run.single->outbound.response);
  EXPECT_EQ(run.single->outbound.response->status, 404);
  Explanation e = explain(run);
  EXPECT_EQ(e.route, "VirtualService default/bar: no rule matched");
  ASSERT_EQ(e.misses.size(), 1u);
  EXPECT_EQ(e.misses[0], "rule #0 (mobile) needs header user-agent: regex \".*Mobile.*\"; the request has \"curl/7.88.1\"");
  ASSERT_EQ(e.flags.size(), 1u);
  EXPECT_EQ(e.flags[0].flag, "NR");
  EXPECT_NE(e.flags[0].meaning.find("no route configured"), std::string::npos);
  EXPECT_EQ(e.flags[0].cause, "no rule of VirtualService default/bar matches the request (see below)");
}

struct FlagRow {
  const char* name;
  const char* source;
  const char* rules;
  const char* flag;
  const char* cause;
};

TEST(Explain, FlagsSayWhatInTheConfigSetThem) {
  const FlagRow rows[] = {
      {"abort", "Istio fault injection task: fault.abort httpStatus sets FI (Envoy fault filter)",
       R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
    route:
    - destination: {host: bar, subset: v1}
)",
       "FI", "fault.abort httpStatus 503 of VirtualService default/bar rule #0"},
      {"delay", "Istio fault injection task: fault.delay sets DI (Envoy fault filter)",
       R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - fault: {delay: {fixedDelay: 2s, percentage: {value: 100}}}
    route:
    - destination: {host: bar, subset: v1}
)",
       "DI", "fault.delay 2s of VirtualService default/bar rule #0"},
      {"missing subset", "Envoy: a route to a cluster that does not exist answers 503 NC (router.cc)",
       R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: foo}
spec:
  hosts: [foo]
  http:
  - route:
    - destination: {host: foo, subset: v9}
)",
       "NC", "VirtualService default/foo rule #0 sends it to foo subset v9, which no DestinationRule defines for the client"},
      {"subset without pods", "Envoy: a cluster without healthy hosts answers 503 UH (no healthy upstream)",
       R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: foo}
spec:
  host: foo
  subsets:
  - {name: v3, labels: {version: v3}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: foo}
spec:
  hosts: [foo]
  http:
  - route:
    - destination: {host: foo, subset: v3}
)",
       "UH", "cluster outbound|80|v3|foo.default.svc.cluster.local subset v3 has no endpoints: no ready pod has its labels"},
      {"route timeout", "Istio request-timeouts task: a route timeout answers 504 UT",
       R"(apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: slow-foo}
spec:
  selector: {app: foo}
  latency: {fixed: 3s}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: foo}
spec:
  hosts: [foo]
  http:
  - timeout: 1s
    route:
    - destination: {host: foo}
)",
       "UT", "timeout 1s of VirtualService default/foo rule #0"},
      {"plain text into STRICT", "Envoy codec_client.cc onEvent: a close after the connection is up is UC",
       R"(apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: strict}
spec: {mtls: {mode: STRICT}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec: {host: bar, trafficPolicy: {tls: {mode: DISABLE}}}
)",
       "UC", "an endpoint of outbound|80||bar.default.svc.cluster.local closed the connection before answering (plain "
             "text into a STRICT mTLS server, or a gateway port with only TLS servers)"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " (" + row.source + ")");
    std::string url = std::string(row.rules).find("name: foo") != std::string::npos ? "http://foo/" : "http://bar/";
    auto run = curl(row.rules, url);
    Explanation e = explain(run);
    const FlagExplanation* found = nullptr;
    for (const auto& f : e.flags)
      if (f.flag == row.flag) found = &f;
    ASSERT_NE(found, nullptr) << all(e) << (run.single ? run.single->outbound.flags : "");
    EXPECT_EQ(found->cause, row.cause);
    EXPECT_FALSE(found->meaning.empty());
  }
}

struct AuthzRow {
  const char* name;
  const char* source;
  const char* policies;
  const char* path;
  const char* verdict;
};

TEST(Explain, AuthorizationPolicyByNameAndRule) {
  const AuthzRow rows[] = {
      {"DENY matches", "authorization_policy.proto: DENY policies are evaluated first; a match denies",
       R"(apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-admin}
spec:
  selector: {matchLabels: {app: bar}}
  action: DENY
  rules:
  - to: [{operation: {paths: ["/admin*"]}}]
)",
       "/admin/x", "denied by DENY policy default/deny-admin rule 0"},
      {"second ALLOW rule", "authorization_policy.proto: a request matching any rule of an ALLOW policy is allowed",
       R"(apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-read}
spec:
  selector: {matchLabels: {app: bar}}
  action: ALLOW
  rules:
  - to: [{operation: {paths: ["/a"]}}]
  - to: [{operation: {paths: ["/b"]}}]
)",
       "/b", "allowed by ALLOW policy default/allow-read rule 1"},
      {"no ALLOW rule matches", "authorization_policy.proto: with ALLOW policies, a request matching none is denied",
       R"(apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-read}
spec:
  selector: {matchLabels: {app: bar}}
  action: ALLOW
  rules:
  - to: [{operation: {paths: ["/a"]}}]
)",
       "/c", "denied: no rule of the ALLOW policy default/allow-read matched"},
      {"no policy", "authorization_policy.proto: no policy selects the workload: allowed", "", "/",
       "allowed: no AuthorizationPolicy selects bar-v1"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " (" + row.source + ")");
    std::string rules = std::string(row.policies) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - route:
    - destination: {host: bar, subset: v1}
)";
    auto run = curl(rules, std::string("http://bar") + row.path);
    EXPECT_EQ(explain(run).authorization, row.verdict);
  }
}

// A client whose pod opts out of injection, calling a server whose sidecar
// denies everything: the server's sidecar still enforces its policy on the
// plain-text request ("RBAC: access denied", Envoy's RBAC filter reply), and
// the explanation names the policy rather than "no AuthorizationPolicy".
// authorization_policy.proto: a DENY rule with no from/to/when matches every
// request; istio/istio pkg/kube/inject/inject.go injectRequired: the
// sidecar.istio.io/inject label "false" opts the pod out.
constexpr const char* kLegacyClientAndDenyAll = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy}
spec:
  selector: {matchLabels: {app: legacy}}
  template:
    metadata: {labels: {app: legacy, sidecar.istio.io/inject: "false"}}
    spec: {containers: [{name: app, image: legacy}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all-bar}
spec:
  selector: {matchLabels: {app: bar}}
  action: DENY
  rules: [{}]
)";

TEST(Explain, ClientWithoutSidecarSeesTheServersAuthorization) {
  auto run = curl(kLegacyClientAndDenyAll, "http://bar/", {}, "legacy");
  ASSERT_TRUE(run.single && run.single->outbound.response);
  EXPECT_FALSE(run.from_has_sidecar);
  EXPECT_EQ(run.single->outbound.response->status, 403);
  EXPECT_EQ(run.single->outbound.response->body, "RBAC: access denied");
  Explanation e = explain(run);
  EXPECT_EQ(e.authorization, "denied by DENY policy default/deny-all-bar rule 0") << all(e);
  // No sidecar on the client: kube-proxy, not a VirtualService, chose the pod.
  EXPECT_NE(e.route.find("the client has no sidecar"), std::string::npos) << all(e);
  std::string text = curl_text(run, "http://bar/");
  EXPECT_NE(text.find("from default/legacy (no sidecar"), std::string::npos) << text;
}

TEST(Explain, BannerSaysTheClientHasASidecar) {
  auto run = curl(kLegacyClientAndDenyAll, "http://bar/", {}, "curl");
  ASSERT_TRUE(run.single && run.single->outbound.response);
  EXPECT_TRUE(run.from_has_sidecar);
  EXPECT_EQ(explain(run).authorization, "denied by DENY policy default/deny-all-bar rule 0");
  std::string text = curl_text(run, "http://bar/");
  EXPECT_NE(text.find("from default/curl (sidecar)"), std::string::npos) << text;
}

TEST(Explain, EveryFlagTheIssueNamesHasEnvoysWords) {
  // Envoy docs, access_log usage.rst %RESPONSE_FLAGS%.
  for (const char* flag : {"NR", "NC", "UH", "UF", "UO", "URX", "UT", "DC", "DI", "FI", "UAEX", "RL", "UR", "UC", "LR",
                           "DPE", "UPE", "SI", "UMSDR", "DT", "LH", "IH", "RLSE", "OM", "DF", "DO", "DR"})
    EXPECT_FALSE(flag_meaning(flag).empty()) << flag;
  EXPECT_TRUE(flag_meaning("XX").empty());
}

TEST(Explain, JsonCarriesTheSameAnswer) {
  auto run = curl(kJasonRoute, "http://bar/");
  auto j = explain_json(explain(run));
  EXPECT_EQ(j["route"], "VirtualService default/bar rule #2");
  EXPECT_EQ(j["rules_not_matched"].size(), 2u);
  EXPECT_TRUE(j["flags"].empty());
}

TEST(Explain, PlanSaysFlagsInWords) {
  sim::PlanResult r;
  sim::PlanMove m;
  m.host = "bar.default.svc.cluster.local";
  m.port = 80;
  m.request = "GET /";
  m.callers = {"default/curl"};
  m.changes.push_back({"response flags", "- 100%", "UT,URX 50%, FI 50%"});
  r.moves.push_back(m);
  std::string text = plan_text(r);
  EXPECT_NE(text.find("    FI: FaultInjected"), std::string::npos) << text;
  EXPECT_NE(text.find("    URX: UpstreamRetryLimitExceeded"), std::string::npos) << text;
  EXPECT_NE(text.find("    UT: UpstreamRequestTimeout"), std::string::npos) << text;
  auto j = plan_json(r);
  EXPECT_EQ(j["moves"][0]["changes"][0]["flag_meanings"].size(), 3u);
  EXPECT_NE(plan_markdown(r).find("- `FI`: FaultInjected"), std::string::npos);
}

}  // namespace
}  // namespace meshsim::reports
