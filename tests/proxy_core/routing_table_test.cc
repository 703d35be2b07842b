// Table-driven routing: each row is a rule set, a request and what Istio's
// Envoy sidecar does with it, with the source of the expectation.
#include <gtest/gtest.h>

#include "tests/sim/mesh_fixture.h"

namespace meshsim::proxy {
namespace {

struct Row {
  const char* name;
  const char* source;
  const char* rules;
  const char* url;
  std::vector<std::pair<std::string, std::string>> headers;
  int status;
  const char* version = "";        // serving version, "" = not checked
  const char* flag = "";           // Envoy response flag, "" = none expected
  const char* upstream_path = "";  // "" = not checked
  const char* body = nullptr;      // nullptr = not checked
  const char* from = "";
  const char* method = "GET";
};

void PrintTo(const Row& r, std::ostream* os) { *os << r.name; }

constexpr const char* kMobileToV2 = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match:
    - headers: {user-agent: {regex: ".*Mobile.*"}}
    route: [{destination: {host: bar, subset: v2}}]
  - match:
    - uri: {prefix: /v2}
    - headers: {x-canary: {exact: "true"}}
    route: [{destination: {host: bar, subset: v2}}]
  - match:
    - uri: {exact: /both}
      headers: {end-user: {exact: jason}}
    route: [{destination: {host: bar, subset: v2}}]
  - match:
    - uri: {prefix: /v1}
    route: [{destination: {host: bar, subset: v1}}]
)";

constexpr const char* kMisc = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match: [{uri: {prefix: /wpcatalog}}]
    route: [{destination: {host: bar, subset: v2}}]
  - match: [{uri: {exact: /Case}, ignoreUriCase: true}]
    route: [{destination: {host: bar, subset: v2}}]
  - match: [{uri: {exact: /q}, queryParams: {debug: {exact: "1"}}}]
    route: [{destination: {host: bar, subset: v2}}]
  - match: [{uri: {exact: /method}, method: {exact: POST}}]
    route: [{destination: {host: bar, subset: v2}}]
  - match: [{uri: {exact: /without}, withoutHeaders: {end-user: {exact: jason}}}]
    route: [{destination: {host: bar, subset: v2}}]
  - match: [{uri: {prefix: /from-frontend}, sourceLabels: {app: frontend}}]
    route: [{destination: {host: bar, subset: v2}}]
  - match: [{uri: {prefix: /redirect}}]
    redirect: {uri: /moved, authority: elsewhere}
  - match: [{uri: {prefix: /direct}}]
    directResponse: {status: 418, body: {string: "short and stout"}}
  - match: [{uri: {prefix: /old}}]
    rewrite: {uri: /new}
    route: [{destination: {host: bar, subset: v1}}]
  - match: [{uri: {prefix: /headers}}]
    headers:
      request: {set: {x-set: route}, add: {x-add: added}, remove: [x-remove]}
      response: {set: {x-served: "yes"}}
    route: [{destination: {host: bar, subset: v1}}]
  - match: [{uri: {prefix: /unknown-subset}}]
    route: [{destination: {host: bar, subset: v9}}]
  - match: [{uri: {prefix: /abort}}]
    fault: {abort: {httpStatus: 555, percentage: {value: 100}}}
    route: [{destination: {host: bar, subset: v1}}]
  - match: [{uri: {prefix: /quiet-abort}}]
    fault: {abort: {httpStatus: 555}}
    route: [{destination: {host: bar, subset: v1}}]
)";

constexpr const char* kEmptySubset = R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec:
  host: bar
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v3, labels: {version: v3}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{route: [{destination: {host: bar, subset: v3}}]}]
)";

constexpr const char* kDenyFrontend = R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-frontend}
spec:
  selector: {matchLabels: {app: bar}}
  action: DENY
  rules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/frontend"]}}]}]
)";

constexpr const char* kAllowOnlyGet = R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: get-only}
spec:
  selector: {matchLabels: {app: bar}}
  rules: [{to: [{operation: {methods: [GET]}}]}]
)";

constexpr const char* kGammaRoute = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bar}
spec:
  parentRefs: [{group: "", kind: Service, name: bar, port: 80}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /v2}}]
    backendRefs: [{name: bar, port: 80}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-route, value: gamma}]}
  - matches: [{path: {type: Exact, value: /}}]
    backendRefs: [{name: bar, port: 80}]
)";

// A regular expression listed first, longer than the prefix and matching
// /api/x too: Istio orders by the match's kind before its length.
constexpr const char* kGammaRegexAndPrefix = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bar}
spec:
  parentRefs: [{group: "", kind: Service, name: bar, port: 80}]
  rules:
  - matches: [{path: {type: RegularExpression, value: "/.*/x"}}]
    filters: [{type: RequestRedirect, requestRedirect: {statusCode: 302}}]
  - matches: [{path: {type: PathPrefix, value: /api/}}]
    backendRefs: [{name: bar, port: 80}]
)";

const Row kRows[] = {
    {"first_matching_rule_wins", "virtual_service.proto HTTPRoute: 'The first rule matching an incoming request is used'",
     kMobileToV2, "http://bar/v1/x", {{"User-Agent", "Mobile Safari"}}, 200, "v2"},
    {"header_names_case_insensitive", "virtual_service.proto headers: 'header keys must be lowercase'; HTTP names are case-insensitive (RFC 9110)",
     kMobileToV2, "http://bar/v1", {{"USER-AGENT", "iPhone Mobile"}}, 200, "v2"},
    {"header_values_case_sensitive", "virtual_service.proto StringMatch: exact/prefix/regex are case-sensitive",
     kMobileToV2, "http://bar/v1", {{"user-agent", "iphone mobile"}}, 200, "v1"},
    {"regex_is_full_match", "Envoy RouteMatch.safe_regex: RE2 must match the entire value",
     kMobileToV2, "http://bar/v1", {{"user-agent", "Mobile"}}, 200, "v2"},
    {"match_blocks_are_ored", "virtual_service.proto HTTPRoute.match: 'multiple match blocks are OR-ed'",
     kMobileToV2, "http://bar/other", {{"x-canary", "true"}}, 200, "v2"},
    {"conditions_are_anded", "virtual_service.proto HTTPMatchRequest: 'all conditions inside a single match block have AND semantics'",
     kMobileToV2, "http://bar/both", {}, 404, "", "NR"},
    {"and_block_matches_when_all_hold", "virtual_service.proto HTTPMatchRequest",
     kMobileToV2, "http://bar/both", {{"end-user", "jason"}}, 200, "v2"},
    {"no_rule_matches_is_404_NR", "Envoy router.cc sendLocalReply(NotFound); access_log usage.rst 'NR: No route configured'",
     kMobileToV2, "http://bar/nothing", {}, 404, "", "NR", "", ""},
    {"uri_prefix_is_plain_string_prefix", "istio route.go TranslateRouteMatch: prefix (not path_separated_prefix) for sidecars",
     kMisc, "http://bar/wpcatalogue", {}, 200, "v2"},
    {"ignore_uri_case", "virtual_service.proto ignoreUriCase",
     kMisc, "http://bar/cASe", {}, 200, "v2"},
    {"query_param_exact", "virtual_service.proto HTTPMatchRequest.queryParams",
     kMisc, "http://bar/q?debug=1", {}, 200, "v2"},
    {"uri_exact_ignores_query", "Envoy RouteMatch.path: the query string is not part of the path",
     kMisc, "http://bar/q?debug=2", {}, 404, "", "NR"},
    {"method_match", "virtual_service.proto HTTPMatchRequest.method",
     kMisc, "http://bar/method", {}, 200, "v2", "", "", nullptr, "", "POST"},
    {"without_headers_absent_header_matches", "istio route.go: withoutHeaders -> invert_match + treat_missing_header_as_empty",
     kMisc, "http://bar/without", {}, 200, "v2"},
    {"without_headers_excludes_value", "istio route.go withoutHeaders",
     kMisc, "http://bar/without", {{"end-user", "jason"}}, 404, "", "NR"},
    {"source_labels_select_client", "virtual_service.proto sourceLabels: applies to clients with these labels",
     kMisc, "http://bar/from-frontend", {}, 200, "v2", "", "", nullptr, "frontend-v1"},
    {"source_labels_skip_other_clients", "virtual_service.proto sourceLabels",
     kMisc, "http://bar/from-frontend", {}, 404, "", "NR"},
    {"redirect_defaults_to_301", "virtual_service.proto HTTPRedirect.redirectCode: default 301 (MOVED_PERMANENTLY)",
     kMisc, "http://bar/redirect?x=1", {}, 301},
    {"direct_response", "virtual_service.proto HTTPDirectResponse",
     kMisc, "http://bar/direct", {}, 418, "", "", "", "short and stout"},
    {"rewrite_replaces_matched_prefix", "Envoy RouteAction.prefix_rewrite; istio routing.go rewrite cases",
     kMisc, "http://bar/old/x?k=v", {}, 200, "v1", "", "/new/x?k=v"},
    {"undefined_subset_is_503_NC", "Envoy router.cc cluster not found -> 503 NC; istio/istio#6335",
     kMisc, "http://bar/unknown-subset", {}, 503, "", "NC", "", ""},
    {"subset_without_pods_is_503_UH", "Envoy access_log usage.rst: 'UH: No healthy upstream hosts'",
     kEmptySubset, "http://bar/", {}, 503, "", "UH", "", "no healthy upstream"},
    {"abort_fault", "Envoy fault_filter.cc: abort body 'fault filter abort', flag FI",
     kMisc, "http://bar/abort", {}, 555, "", "FI", "", "fault filter abort"},
    {"fault_without_percentage_affects_nothing", "virtual_service.proto Abort.percentage: 'If left unspecified, no request will be aborted'",
     kMisc, "http://bar/quiet-abort", {}, 200, "v1"},
    {"deny_policy_from_principal", "authorization_policy.proto DENY; Envoy rbac_filter.cc 403 'RBAC: access denied'",
     kDenyFrontend, "http://bar/", {}, 403, "", "", "", "RBAC: access denied", "frontend-v1"},
    {"deny_policy_leaves_others", "authorization_policy.proto DENY",
     kDenyFrontend, "http://bar/", {}, 200},
    {"allow_policy_that_does_not_match_denies", "authorization_policy.proto: 'If there are any ALLOW policies ... deny the request' when none match",
     kAllowOnlyGet, "http://bar/", {}, 403, "", "", "", "RBAC: access denied", "", "POST"},
    {"allow_policy_match", "authorization_policy.proto ALLOW",
     kAllowOnlyGet, "http://bar/", {}, 200},
    {"gamma_path_prefix_is_element_wise", "Gateway API httproute_types.go PathPrefix: '/abc' matches '/abc/xyz' but not '/abcd'",
     kGammaRoute, "http://bar/v2example", {}, 404, "", "NR"},
    {"gamma_path_prefix_match", "Gateway API httproute_types.go PathPrefix",
     kGammaRoute, "http://bar/v2/x", {}, 200},
    {"gamma_prefix_precedes_regex", "istio conversion.go sortHTTPRoutes/getURIRank: Exact > Prefix > Regex, before length",
     kGammaRegexAndPrefix, "http://bar/api/x", {}, 200},
    {"gamma_regex_serves_what_the_prefix_does_not", "istio conversion.go sortHTTPRoutes: the regex rule still applies after the prefix",
     kGammaRegexAndPrefix, "http://bar/b/x", {}, 302},
};

class Routing : public ::testing::TestWithParam<Row> {};

TEST_P(Routing, MatchesIstio) {
  const Row& row = GetParam();
  sim::CurlSpec spec;
  spec.url = row.url;
  spec.headers = row.headers;
  spec.method = row.method;
  spec.from = row.from;
  auto run = testing::curl(row.rules, spec);
  ASSERT_TRUE(run.single.has_value());
  const auto& out = run.single->outbound;
  SCOPED_TRACE(std::string("source: ") + row.source);
  ASSERT_TRUE(out.response.has_value()) << out.error;
  EXPECT_EQ(out.response->status, row.status);
  if (*row.version) {
    ASSERT_NE(out.served_by, nullptr);
    EXPECT_EQ(out.served_by->version(), row.version);
  }
  if (*row.flag) EXPECT_EQ(out.flags, row.flag);
  else EXPECT_EQ(out.flags, "-");
  if (*row.upstream_path) {
    ASSERT_TRUE(run.single->upstream.has_value());
    EXPECT_EQ(run.single->upstream->request.target, row.upstream_path);
  }
  if (row.body) {
    EXPECT_EQ(out.response->body, row.body);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, Routing, ::testing::ValuesIn(kRows), [](const auto& info) { return std::string(info.param.name); });

TEST(Routing, RedirectKeepsQueryAndSetsAuthority) {
  // virtual_service.proto HTTPRedirect; Envoy keeps the query unless the new path has one.
  sim::CurlSpec spec;
  spec.url = "http://bar/redirect?x=1";
  auto run = testing::curl(kMisc, spec);
  ASSERT_TRUE(run.single && run.single->outbound.response);
  EXPECT_EQ(run.single->outbound.response->headers.get("location").value_or(""), "http://elsewhere/moved?x=1");
}

// directResponse.body.bytes is protobuf bytes: base64 in YAML, sent
// decoded (virtual_service.proto HTTPBody "response body as base64 encoded
// bytes"); a 201 or 3xx direct response carries Location, the request's own
// URI (Envoy router.cc decodeHeaders, newUri).
TEST(Routing, DirectResponseBytesAreDecodedAndRedirectCodesGetALocation) {
  const char* rules = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match: [{uri: {prefix: /bytes}}]
    directResponse: {status: 200, body: {bytes: aGVsbG8=}}
  - match: [{uri: {prefix: /moved}}]
    directResponse: {status: 302, body: {string: gone}}
  - match: [{uri: {prefix: /plain}}]
    directResponse: {status: 200, body: {string: here}}
)";
  struct {
    const char* url;
    int status;
    const char* body;
    const char* location;  // "" = none
  } rows[] = {
      {"http://bar/bytes", 200, "hello", ""},
      {"http://bar/moved?x=1", 302, "gone", "http://bar/moved?x=1"},
      {"http://bar/plain", 200, "here", ""},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.url);
    sim::CurlSpec spec;
    spec.url = row.url;
    auto run = testing::curl(rules, spec);
    ASSERT_TRUE(run.single && run.single->outbound.response);
    const auto& response = *run.single->outbound.response;
    EXPECT_EQ(response.status, row.status);
    EXPECT_EQ(response.body, row.body);
    EXPECT_EQ(response.headers.get("location").value_or(""), row.location);
  }
}

// CORS as Envoy's filter answers it (cors_filter.cc CorsFilter::decodeHeaders
// and isOriginAllowed; Istio route.go TranslateCORSPolicy joins the lists
// with "," and maps unmatchedPreflights IGNORE to
// forward_not_matching_preflights false).
TEST(Routing, CorsPreflightsAsEnvoysFilterAnswersThem) {
  auto rules = [](const char* policy) {
    return std::string(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - corsPolicy: )") + policy + R"(
    route: [{destination: {host: bar, subset: v1}}]
)";
  };
  struct {
    const char* source;
    const char* policy;
    const char* origin;
    int status;
    bool reached_app;
    const char* allow_origin;   // "" = absent
    const char* allow_methods;  // "" = absent
    const char* allow_headers;  // "" = absent
  } rows[] = {
      {"isOriginAllowed: a matcher that matches \"*\" allows every origin",
       "{allowOrigins: [{exact: \"*\"}], allowMethods: [GET, POST]}", "https://a.example", 200, false,
       "https://a.example", "GET,POST", ""},
      {"decodeHeaders: allowMethods/allowHeaders \"*\" echo the request's",
       "{allowOrigins: [{exact: \"https://a.example\"}], allowMethods: [\"*\"], allowHeaders: [\"*\"]}",
       "https://a.example", 200, false, "https://a.example", "PUT", "x-a,x-b"},
      {"decodeHeaders: a preflight from another origin is forwarded (FORWARD, the default)",
       "{allowOrigins: [{exact: \"https://a.example\"}], allowMethods: [GET]}", "https://evil.example", 200, true, "", "",
       ""},
      {"decodeHeaders: unmatchedPreflights IGNORE answers it, without allow-origin",
       "{allowOrigins: [{exact: \"https://a.example\"}], allowMethods: [GET], unmatchedPreflights: IGNORE}",
       "https://evil.example", 200, false, "", "GET", ""},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.source);
    sim::CurlSpec spec;
    spec.url = "http://bar/";
    spec.method = "OPTIONS";
    spec.headers = {{"origin", row.origin}, {"access-control-request-method", "PUT"},
                    {"access-control-request-headers", "x-a,x-b"}};
    auto run = testing::curl(rules(row.policy), spec);
    ASSERT_TRUE(run.single && run.single->outbound.response);
    const auto& response = *run.single->outbound.response;
    EXPECT_EQ(response.status, row.status);
    EXPECT_EQ(run.single->upstream.has_value(), row.reached_app);
    EXPECT_EQ(response.headers.get("access-control-allow-origin").value_or(""), row.allow_origin);
    EXPECT_EQ(response.headers.get("access-control-allow-methods").value_or(""), row.allow_methods);
    EXPECT_EQ(response.headers.get("access-control-allow-headers").value_or(""), row.allow_headers);
  }
}

TEST(Routing, HeaderOperationsReachUpstreamAndResponse) {
  // virtual_service.proto Headers: set overwrites, add appends, remove deletes.
  sim::CurlSpec spec;
  spec.url = "http://bar/headers";
  spec.headers = {{"x-set", "client"}, {"x-remove", "gone"}, {"x-add", "client"}};
  auto run = testing::curl(kMisc, spec);
  ASSERT_TRUE(run.single && run.single->upstream);
  const auto& up = run.single->upstream->request.headers;
  EXPECT_EQ(up.get_joined("x-set").value_or(""), "route");
  EXPECT_EQ(up.get_joined("x-add").value_or(""), "client,added");
  EXPECT_FALSE(up.has("x-remove"));
  EXPECT_EQ(run.single->outbound.response->headers.get("x-served").value_or(""), "yes");
}

// A route's response headers go on the replies the proxy makes itself too:
// Envoy's filter manager finalizes a local reply's headers with the stream's
// route (source/common/http/filter_manager.cc, sendLocalReplyViaFilterChain),
// and a direct response or redirect with its own entry's
// (source/common/router/router.cc, direct_response->finalizeResponseHeaders).
TEST(Routing, RouteResponseHeadersGoOnLocalRepliesToo) {
  constexpr const char* kRules = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match: [{uri: {prefix: /abort}}]
    fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
    headers: {response: {set: {x-route: abort}}}
    route: [{destination: {host: bar}}]
  - match: [{uri: {prefix: /direct}}]
    directResponse: {status: 418}
    headers: {response: {set: {x-route: direct}}}
  - match: [{uri: {prefix: /moved}}]
    redirect: {uri: /elsewhere}
    headers: {response: {set: {x-route: redirect}}}
  - match: [{uri: {prefix: /missing}}]
    headers: {response: {set: {x-route: no-subset}}}
    route: [{destination: {host: bar, subset: none}}]
  - headers: {response: {set: {x-route: upstream}}}
    route: [{destination: {host: bar}}]
)";
  const std::pair<const char*, const char*> cases[] = {
      {"/abort", "abort"}, {"/direct", "direct"}, {"/moved", "redirect"}, {"/missing", "no-subset"}, {"/", "upstream"}};
  for (const auto& [path, header] : cases) {
    SCOPED_TRACE(path);
    sim::CurlSpec spec;
    spec.url = std::string("http://bar") + path;
    auto run = testing::curl(kRules, spec);
    ASSERT_TRUE(run.single && run.single->outbound.response);
    EXPECT_EQ(run.single->outbound.response->headers.get("x-route").value_or("(none)"), header);
  }
}

TEST(Routing, WeightsSplitByProportion) {
  // virtual_service.proto HTTPRouteDestination.weight: proportional. 2000
  // samples at 80/20: the share of v2 lies within 5 standard deviations
  // (sd = sqrt(.2*.8/2000) = 0.0089) of 0.2 unless the split is wrong.
  const char* rules = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - route:
    - {destination: {host: bar, subset: v1}, weight: 80}
    - {destination: {host: bar, subset: v2}, weight: 20}
)";
  sim::CurlSpec spec;
  spec.url = "http://bar/";
  spec.repeat = 2000;
  spec.seed = 7;
  auto run = testing::curl(rules, spec);
  double v2 = run.summary.by_version["v2"] / 2000.0;
  EXPECT_NEAR(v2, 0.2, 5 * 0.0089);
  EXPECT_EQ(run.summary.by_version["v1"] + run.summary.by_version["v2"], 2000);
}

// Weights are relative: validation.go validateWeight refuses only a
// negative one, and 300/700 splits as 30/70 (virtual_service.proto
// "weight/(sum of all weights)").
TEST(Routing, WeightsNeedNotSumTo100) {
  const char* rules = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - route:
    - {destination: {host: bar, subset: v1}, weight: 300}
    - {destination: {host: bar, subset: v2}, weight: 700}
)";
  sim::CurlSpec spec;
  spec.url = "http://bar/";
  spec.repeat = 2000;
  spec.seed = 7;
  auto run = testing::curl(rules, spec);  // fails the test on a load error
  double v2 = run.summary.by_version["v2"] / 2000.0;
  EXPECT_NEAR(v2, 0.7, 5 * 0.0103);  // sd = sqrt(.7*.3/2000)
}

TEST(Routing, WithoutARuleTrafficSpreadsOverEveryEndpoint) {
  // Istio request-routing task: without a VirtualService, traffic reaches every
  // version; Istio's default LB is LEAST_REQUEST (cluster_traffic_policy.go).
  sim::CurlSpec spec;
  spec.url = "http://bar/";
  spec.repeat = 1000;
  auto run = testing::curl("", spec);
  EXPECT_NEAR(run.summary.by_version["v1"] / 1000.0, 0.5, 5 * 0.0159);
}

TEST(Routing, SameSeedSameOutcome) {
  // Determinism: one seed, one answer (DESIGN.md).
  const char* rules = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - route:
    - {destination: {host: bar, subset: v1}, weight: 50}
    - {destination: {host: bar, subset: v2}, weight: 50}
)";
  sim::CurlSpec spec;
  spec.url = "http://bar/";
  spec.repeat = 500;
  spec.seed = 42;
  auto a = testing::curl(rules, spec);
  auto b = testing::curl(rules, spec);
  EXPECT_EQ(a.summary.by_version, b.summary.by_version);
  spec.seed = 43;
  auto c = testing::curl(rules, spec);
  EXPECT_NE(a.summary.by_version, c.summary.by_version);
}

}  // namespace
}  // namespace meshsim::proxy
