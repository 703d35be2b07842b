#include "config/loader.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "config/analyzer.h"
#include "proxy_core/authz.h"
#include "tests/test_data.h"

namespace meshsim::config {
namespace {

LoadResult load_text(const std::string& text) { return load({{"test.yaml", text}}); }

// The first error-level diagnostic, for tests that expect exactly one problem.
std::vector<Diagnostic> errors_of(const std::vector<Diagnostic>& all) {
  std::vector<Diagnostic> out;
  for (const auto& d : all)
    if (d.severity == Severity::kError) out.push_back(d);
  return out;
}

TEST(Loader, LaterDocumentReplacesEarlierWithSameKindNamespaceName) {
  // kubectl apply semantics; the conformance README relies on it for
  // virtual-service-all-v1.yaml followed by virtual-service-reviews-test-v2.yaml.
  auto r = load_text(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v2}
)");
  ASSERT_TRUE(errors_of(r.diagnostics).empty());
  ASSERT_EQ(r.resources.virtual_services.size(), 1u);
  EXPECT_EQ(r.resources.virtual_services[0].header.meta.ns, "default");
  EXPECT_EQ(r.resources.virtual_services[0].http[0].route[0].destination.subset, "v2");
}

TEST(Loader, SkipsUnmodeledKindsWithANote) {
  auto r = load_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kInfo);
  EXPECT_NE(r.diagnostics[0].message.find("ConfigMap"), std::string::npos);
}

struct BadInputCase {
  const char* name;
  const char* yaml;
  int line, column;
  const char* message_part;
};

void PrintTo(const BadInputCase& c, std::ostream* os) { *os << c.name; }

// Each mistake the foundation issue lists, with the exact position reported.
const BadInputCase kBadInputs[] = {
    {"yaml_syntax",
     "apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n", 5, 1, "YAML syntax error"},
    {"unknown_field_with_hint",
     "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [r]\n"
     "  http:\n  - route:\n    - destination: {host: r}\n      wieght: 10\n",
     9, 7, "did you mean \"weight\""},
    {"wrong_type",
     "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: r\n",
     5, 10, "expected a list"},
    {"enum_with_valid_set",
     "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p}\nspec:\n  action: DENNY\n",
     5, 11, "valid values: ALLOW, DENY, AUDIT, CUSTOM"},
    {"bad_duration",
     "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [r]\n"
     "  http:\n  - route:\n    - destination: {host: r}\n    timeout: 10 seconds\n",
     9, 14, "invalid duration"},
    {"bad_regex",
     "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [r]\n"
     "  http:\n  - match:\n    - uri:\n        regex: \"/a(b\"\n    route:\n    - destination: {host: r}\n",
     9, 16, "missing ): /a(b"},
    // libyaml's problem and where the construct began (issue 20: the loader reads YAML with libyaml).
    {"yaml_key_without_colon", "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  labels\nspec: {}\n", 6, 1,
     "could not find expected ':' while scanning a simple key that starts at line 5, column 3"},
    {"second_document_position",
     "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n"
     "spec:\n  ports:\n  - port: 99999\n",
     10, 11, "out of range"},
    // kubectl refuses a repeated key (go-yaml; see RepeatedKey in
    // yaml_node_test.cc): at the second key, the first's line counted in the file.
    {"repeated_key_in_second_document",
     "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: networking.istio.io/v1\n"
     "kind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [r]\n  http:\n  - route:\n"
     "    - destination: {host: r, subset: v1}\n    route:\n    - destination: {host: r, subset: v2}\n",
     13, 5, "mapping key \"route\" already defined at line 11"},
    {"repeated_key_in_flow_mapping", "apiVersion: v1\nkind: Service\nmetadata: {name: a, labels: {app: a, app: b}}\n", 3,
     38, "mapping key \"app\" already defined at line 3"},
    // The istio ConfigMap's mesh config is YAML inside a string; written as
    // a literal block its problems are on the file's own lines.
    {"mesh_config_value_in_literal_block",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |-\n"
     "    trustDomain: cluster.local\n    outboundTrafficPolicy:\n      mode: ALLOW_ANYY\n",
     8, 13, "invalid value \"ALLOW_ANYY\"; did you mean \"ALLOW_ANY\"?"},
    {"mesh_config_repeated_key_in_literal_block",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n"
     "\n    trustDomain: a.local\n    trustDomain: b.local\n",
     8, 5, "mapping key \"trustDomain\" already defined at line 7"},
    // libyaml counts characters, not bytes: text before the block that is not
    // ASCII must not shift the block's place.
    {"mesh_config_after_text_that_is_not_ascii",
     "# mesh config \u2014 caf\u00e9 \u2014 \u00fcber\napiVersion: v1\nkind: ConfigMap\n"
     "metadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |-\n    outboundTrafficPolicy: {mode: NONE}\n",
     7, 35, "invalid value \"NONE\""},
    // In a quoted string the text's lines are not the file's: the string's place.
    {"mesh_config_value_in_quoted_string",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n"
     "  mesh: \"outboundTrafficPolicy: {mode: NONE}\"\n",
     5, 9, "invalid value \"NONE\""},
    {"merge_of_a_scalar",
     "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: &h r\n"
     "  subsets:\n  - <<: *h\n    name: v2\n",
     7, 5, "merge key \"<<\" takes a mapping or a list of mappings, found a scalar"},
};

// Exactly one error, in test.yaml at line:column, its message holding `message_part`.
void expect_one_error_at(const LoadResult& r, int line, int column, const char* message_part) {
  auto errors = errors_of(r.diagnostics);
  ASSERT_EQ(errors.size(), 1u) << (errors.size() > 1 ? format_diagnostic(errors[1]) : "no error");
  EXPECT_EQ(errors[0].pos.file, "test.yaml");
  EXPECT_EQ(errors[0].pos.line, line) << format_diagnostic(errors[0]);
  EXPECT_EQ(errors[0].pos.column, column) << format_diagnostic(errors[0]);
  EXPECT_NE(errors[0].message.find(message_part), std::string::npos) << format_diagnostic(errors[0]);
}

class BadInput : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(BadInput, ReportsFileLineColumnAndWhatWouldBeRight) {
  const BadInputCase& c = GetParam();
  expect_one_error_at(load_text(c.yaml), c.line, c.column, c.message_part);
}

INSTANTIATE_TEST_SUITE_P(Loader, BadInput, ::testing::ValuesIn(kBadInputs),
                         [](const auto& info) { return std::string(info.param.name); });

// Values Istio's admission webhook refuses, which meshsim used to load and
// then never match: a DENY rule silently not enforced. Each row names the
// Istio check; the YAML below line `at` is the row's, so line and column
// point at the offending value.
struct RefusedValueCase {
  const char* name;
  const char* istio_source;
  const char* yaml_tail;
  int line, column;
  const char* message_part;
};

void PrintTo(const RefusedValueCase& c, std::ostream* os) { *os << c.name; }

// Lines 1-6; each row's text starts at line 7.
constexpr const char* kDenyPolicyHead =
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-debug}\n"
    "spec:\n  action: DENY\n  rules:\n";

const RefusedValueCase kRefusedPolicyValues[] = {
    {"condition_key_typo", "security.go ValidateAttribute: unknown attribute",
     "  - when:\n    - key: \"request.header[x-debug]\"\n      values: [\"1\"]\n", 8, 12,
     "unknown condition key \"request.header[x-debug]\"; did you mean \"request.headers[x-debug]\"?"},
    {"condition_key_unknown_lists_keys", "security.go ValidateAttribute: unknown attribute",
     "  - when:\n    - key: user.agent\n      values: [curl]\n", 8, 12,
     "(valid keys: request.headers[NAME], source.ip, remote.ip, source.namespace, source.principal"},
    {"condition_key_retired_label", "security.go ValidateAttribute: attrDestLabel",
     "  - when:\n    - key: \"destination.labels[app]\"\n      values: [bar]\n", 8, 12,
     "replaced by the workload selector"},
    {"condition_key_map_without_name", "security.go validateMapKey",
     "  - when:\n    - key: request.headers\n      values: [\"1\"]\n", 8, 12,
     "should have the form request.headers[NAME]"},
    {"condition_key_empty", "validation.go ValidateAuthorizationPolicy: `key` must not be empty",
     "  - when:\n    - key: \"\"\n      values: [\"1\"]\n", 8, 12, "`key` must not be empty"},
    {"condition_without_values", "validation.go ValidateAuthorizationPolicy: values or notValues",
     "  - when:\n    - key: source.namespace\n", 8, 7,
     "at least one of values or notValues must be set for key source.namespace"},
    {"condition_ip_bad_cidr", "security.go ValidateAttribute -> ValidateIPs",
     "  - when:\n    - key: source.ip\n      values: [\"10.0.0.0/33\"]\n", 9, 16,
     "bad CIDR range \"10.0.0.0/33\": the prefix length must be 0 to 32"},
    {"condition_port_name", "security.go ValidateAttribute -> ValidatePorts",
     "  - when:\n    - key: destination.port\n      notValues: [\"http\"]\n", 9, 19, "bad port \"http\""},
    {"condition_empty_value", "security.go CheckEmptyValues",
     "  - when:\n    - key: \"request.headers[x-debug]\"\n      values: [\"\"]\n", 9, 16,
     "empty value not allowed"},
    {"operation_port_name", "validation.go ValidateAuthorizationPolicy -> ValidatePorts(Ports)",
     "  - to:\n    - operation:\n        ports: [\"http\"]\n", 9, 17,
     "rules[0].to[0].operation.ports[0]: bad port \"http\": a port must be a number from 0 to 65535"},
    {"operation_not_port_out_of_range", "ValidatePorts(NotPorts)",
     "  - to:\n    - operation:\n        notPorts: [\"80\", \"65536\"]\n", 9, 26, "bad port \"65536\""},
    {"source_ip_block_prefix_33", "validation.go ValidateAuthorizationPolicy -> ValidateIPs(IpBlocks)",
     "  - from:\n    - source:\n        ipBlocks: [\"10.0.0.0/33\"]\n", 9, 20,
     "rules[0].from[0].source.ipBlocks[0]: bad CIDR range \"10.0.0.0/33\""},
    {"source_not_ip_block_bad_octet", "ValidateIPs(NotIpBlocks)",
     "  - from:\n    - source:\n        notIpBlocks: [\"10.0.0.300\"]\n", 9, 23, "bad IP address \"10.0.0.300\""},
    {"source_remote_ip_block_no_bits", "ValidateIPs(RemoteIpBlocks)",
     "  - from:\n    - source:\n        remoteIpBlocks: [\"1.2.3.4/\"]\n", 9, 26, "the prefix length must be 0 to 32"},
    {"source_not_remote_ip_block_v6_bits", "ValidateIPs(NotRemoteIpBlocks)",
     "  - from:\n    - source:\n        notRemoteIpBlocks: [\"fe80::/129\"]\n", 9, 29,
     "the prefix length must be 0 to 128"},
    {"source_empty_principal", "security.go CheckEmptyValues(Principals)",
     "  - from:\n    - source:\n        principals: [\"\"]\n", 9, 22, "empty value not allowed"},
    {"service_account_wildcard", "security.go CheckServiceAccount: wildcard not allowed",
     "  - from:\n    - source:\n        serviceAccounts: [\"default/*\"]\n", 9, 27, "wildcard not allowed"},
    {"service_account_two_slashes", "security.go CheckServiceAccount: more than one '/'",
     "  - from:\n    - source:\n        notServiceAccounts: [a/b/c]\n", 9, 30, "NAMESPACE/NAME or NAME"},
    {"service_account_empty_name", "security.go CheckServiceAccount: empty service account",
     "  - from:\n    - source:\n        serviceAccounts: [\"default/\"]\n", 9, 27, "NAMESPACE/NAME or NAME"},
    {"service_accounts_with_namespaces", "validation.go ValidateAuthorizationPolicy",
     "  - from:\n    - source:\n        namespaces: [default]\n        serviceAccounts: [curl]\n", 9, 9,
     "cannot set serviceAccounts with namespaces or principals"},
};

class RefusedPolicyValue : public ::testing::TestWithParam<RefusedValueCase> {};

TEST_P(RefusedPolicyValue, IsAnErrorAtTheValue) {
  const RefusedValueCase& c = GetParam();
  SCOPED_TRACE(c.istio_source);
  expect_one_error_at(load_text(std::string(kDenyPolicyHead) + c.yaml_tail), c.line, c.column, c.message_part);
}

INSTANTIATE_TEST_SUITE_P(Loader, RefusedPolicyValue, ::testing::ValuesIn(kRefusedPolicyValues),
                         [](const auto& info) { return std::string(info.param.name); });

// source.serviceAccounts (authorization_policy.proto Source): "ns/name", or
// a bare name in the policy's namespace, the peer's identity in any trust
// domain (authz model generator.go: spiffe://.+/ns/NS/(.+/|)sa/SA).
TEST(Loader, ServiceAccountsNameThePeerInThePolicysNamespace) {
  auto r = load_text(
      "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: only-curl, namespace: shop}\n"
      "spec:\n  rules:\n  - from:\n    - source: {serviceAccounts: [curl, ops/admin]}\n");
  ASSERT_TRUE(errors_of(r.diagnostics).empty()) << format_diagnostic(errors_of(r.diagnostics)[0]);
  ASSERT_EQ(r.resources.authorization_policies.size(), 1u);
  auto allowed = [&](const char* principal) {
    proxy::AuthzRequest request;
    request.method = "GET";
    request.path = "/";
    request.principal = principal;
    return proxy::authorize({&r.resources.authorization_policies[0]}, request).allowed;
  };
  EXPECT_TRUE(allowed("cluster.local/ns/shop/sa/curl"));
  EXPECT_TRUE(allowed("example.org/ns/shop/sa/curl"));
  EXPECT_TRUE(allowed("cluster.local/ns/ops/sa/admin"));
  EXPECT_FALSE(allowed("cluster.local/ns/default/sa/curl"));
  EXPECT_FALSE(allowed("cluster.local/ns/shop/sa/web"));
  EXPECT_FALSE(allowed(""));  // plaintext: no identity
}

// Gateway API routes the Kubernetes API server refuses through the CRDs'
// CEL rules (kubernetes-sigs/gateway-api apis/v1), which meshsim used to
// load: a path match that never matched, a second rewrite silently ignored.
// Each row cites the CRD file and rule; its YAML starts at line 7.
struct RefusedRouteCase {
  const char* name;
  const char* crd_rule;
  const char* head;
  const char* yaml_tail;
  int line, column;
  const char* message_part;
};

void PrintTo(const RefusedRouteCase& c, std::ostream* os) { *os << c.name; }

// Lines 1-6 of each row; the route's rules start at line 7.
constexpr const char* kHTTPRouteHead =
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: bar}\nspec:\n"
    "  parentRefs: [{group: \"\", kind: Service, name: bar, port: 80}]\n  rules:\n";
constexpr const char* kGRPCRouteHead =
    "apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: bar}\nspec:\n"
    "  parentRefs: [{group: \"\", kind: Service, name: bar, port: 80}]\n  rules:\n";

const RefusedRouteCase kRefusedRoutes[] = {
    {"path_prefix_without_slash", "httproute_types.go HTTPPathMatch: value must be an absolute path and start with '/'", kHTTPRouteHead,
     "  - matches: [{path: {type: PathPrefix, value: api}}]\n    backendRefs: [{name: bar, port: 80}]\n",
     7, 48, "PathPrefix path \"api\" must be an absolute path, starting with '/'"},
    {"exact_without_slash", "HTTPPathMatch: value must be an absolute path and start with '/'", kHTTPRouteHead,
     "  - matches: [{path: {type: Exact, value: a}}]\n    backendRefs: [{name: bar, port: 80}]\n",
     7, 43, "Exact path \"a\" must be an absolute path"},
    {"path_double_slash", "HTTPPathMatch: must not contain '//'", kHTTPRouteHead,
     "  - matches: [{path: {type: Exact, value: /a//b}}]\n    backendRefs: [{name: bar, port: 80}]\n",
     7, 43, "must not contain '//'"},
    {"path_dot_segment", "HTTPPathMatch: must not contain '/./'", kHTTPRouteHead,
     "  - matches: [{path: {value: /a/./b}}]\n    backendRefs: [{name: bar, port: 80}]\n",
     7, 30, "PathPrefix path \"/a/./b\" must not contain '/./'"},
    {"path_dot_dot_segment", "HTTPPathMatch: must not contain '/../'", kHTTPRouteHead,
     "  - matches: [{path: {type: PathPrefix, value: /a/../b}}]\n    backendRefs: [{name: bar, port: 80}]\n",
     7, 48, "must not contain '/../'"},
    {"path_encoded_slash_lower", "HTTPPathMatch: must not contain '%2f'", kHTTPRouteHead,
     "  - matches: [{path: {type: PathPrefix, value: /a%2fb}}]\n    backendRefs: [{name: bar, port: 80}]\n",
     7, 48, "must not contain '%2f'"},
    {"path_encoded_slash_upper", "HTTPPathMatch: must not contain '%2F'", kHTTPRouteHead,
     "  - matches: [{path: {type: PathPrefix, value: /a%2Fb}}]\n    backendRefs: [{name: bar, port: 80}]\n",
     7, 48, "must not contain '%2F'"},
    {"path_fragment", "HTTPPathMatch: must not contain '#'", kHTTPRouteHead,
     "  - matches: [{path: {type: Exact, value: \"/a#b\"}}]\n    backendRefs: [{name: bar, port: 80}]\n",
     7, 43, "must not contain '#'"},
    {"path_ends_dot_dot", "HTTPPathMatch: must not end with '/..'", kHTTPRouteHead,
     "  - matches: [{path: {type: PathPrefix, value: /a/..}}]\n    backendRefs: [{name: bar, port: 80}]\n",
     7, 48, "must not end with '/..'"},
    {"path_ends_dot", "HTTPPathMatch: must not end with '/.'", kHTTPRouteHead,
     "  - matches: [{path: {type: Exact, value: /a/.}}]\n    backendRefs: [{name: bar, port: 80}]\n",
     7, 43, "must not end with '/.'"},
    {"path_space", "HTTPPathMatch: must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$)", kHTTPRouteHead,
     "  - matches: [{path: {type: PathPrefix, value: \"/a b\"}}]\n    backendRefs: [{name: bar, port: 80}]\n",
     7, 48, "must hold only URL path characters (letters, digits, -/._~!$&'()*+,;=:@ and %XX escapes), not ' '"},
    {"path_bad_escape", "HTTPPathMatch: must only contain valid characters", kHTTPRouteHead,
     "  - matches: [{path: {type: PathPrefix, value: /a%zz}}]\n    backendRefs: [{name: bar, port: 80}]\n",
     7, 48, "not '%'"},
    {"url_rewrite_twice", "HTTPRouteRule.Filters: URLRewrite filter cannot be repeated", kHTTPRouteHead,
     "  - filters:\n    - {type: URLRewrite, urlRewrite: {hostname: a.com}}\n    - {type: URLRewrite, urlRewrite: {hostname: b.com}}\n    backendRefs: [{name: bar, port: 80}]\n",
     9, 14, "spec.rules[0].filters[1].type: a URLRewrite filter cannot be repeated in one filters list (the first is spec.rules[0].filters[0])"},
    {"request_redirect_twice", "HTTPRouteRule.Filters: RequestRedirect filter cannot be repeated", kHTTPRouteHead,
     "  - filters:\n    - {type: RequestRedirect, requestRedirect: {statusCode: 301}}\n    - {type: RequestRedirect, requestRedirect: {port: 8080}}\n",
     9, 14, "a RequestRedirect filter cannot be repeated"},
    {"request_header_modifier_twice", "HTTPRouteRule.Filters: RequestHeaderModifier filter cannot be repeated", kHTTPRouteHead,
     "  - filters:\n    - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: a, value: '1'}]}}\n    - {type: RequestHeaderModifier, requestHeaderModifier: {remove: [b]}}\n    backendRefs: [{name: bar, port: 80}]\n",
     9, 14, "a RequestHeaderModifier filter cannot be repeated"},
    {"response_header_modifier_twice_in_backend_ref", "HTTPBackendRef.Filters: ResponseHeaderModifier filter cannot be repeated", kHTTPRouteHead,
     "  - backendRefs:\n    - name: bar\n      port: 80\n      filters:\n      - {type: ResponseHeaderModifier, responseHeaderModifier: {remove: [a]}}\n      - {type: ResponseHeaderModifier, responseHeaderModifier: {remove: [b]}}\n",
     12, 16, "spec.rules[0].backendRefs[0].filters[1].type: a ResponseHeaderModifier filter cannot be repeated"},
    {"redirect_with_rewrite", "HTTPRouteRule.Filters: May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both", kHTTPRouteHead,
     "  - filters:\n    - {type: RequestRedirect, requestRedirect: {statusCode: 301}}\n    - {type: URLRewrite, urlRewrite: {hostname: b.com}}\n",
     9, 14, "RequestRedirect and URLRewrite cannot be used together in one filters list (RequestRedirect is spec.rules[0].filters[0])"},
    {"redirect_with_backend_refs", "HTTPRouteRule: RequestRedirect filter must not be used together with backendRefs", kHTTPRouteHead,
     "  - filters:\n    - type: RequestRedirect\n      requestRedirect: {hostname: b.com}\n    backendRefs: [{name: bar, port: 80}]\n",
     9, 24, "a RequestRedirect filter must not be used together with backendRefs"},
    {"rewrite_replace_prefix_with_exact_match", "HTTPRouteRule: When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified", kHTTPRouteHead,
     "  - matches: [{path: {type: Exact, value: /a}}]\n    filters:\n    - {type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}\n    backendRefs: [{name: bar, port: 80}]\n",
     9, 52, "spec.rules[0].filters[0].urlRewrite.path.type: ReplacePrefixMatch needs exactly one match in the rule, a PathPrefix path match; its match is of type Exact"},
    {"redirect_replace_prefix_with_two_matches", "HTTPRouteRule: When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified", kHTTPRouteHead,
     "  - matches: [{path: {value: /a}}, {path: {value: /b}}]\n    filters:\n    - {type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /c}}}\n",
     9, 62, "this rule has 2 matches"},
    {"backend_rewrite_replace_prefix_with_exact_match", "HTTPRouteRule: Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified", kHTTPRouteHead,
     "  - matches: [{path: {type: Exact, value: /a}}]\n    backendRefs:\n    - name: bar\n      port: 80\n      filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}]\n",
     11, 62, "spec.rules[0].backendRefs[0].filters[0].urlRewrite.path.type: ReplacePrefixMatch needs exactly one match"},
    {"backend_ref_without_port", "object_reference_types.go BackendObjectReference: Must have port for Service reference", kHTTPRouteHead,
     "  - backendRefs: [{name: bar}]\n",
     7, 19, "spec.rules[0].backendRefs[0]: a backendRef to a Service must have a port"},
    {"core_group_service_without_port", "BackendObjectReference: Must have port for Service reference (group \"\", kind Service written out)", kHTTPRouteHead,
     "  - backendRefs:\n    - group: \"\"\n      kind: Service\n      name: bar\n",
     8, 7, "a backendRef to a Service must have a port"},
    {"mirror_backend_ref_without_port", "BackendObjectReference: Must have port for Service reference (HTTPRequestMirrorFilter.BackendRef)", kHTTPRouteHead,
     "  - filters:\n    - {type: RequestMirror, requestMirror: {backendRef: {name: bar}}}\n    backendRefs: [{name: bar, port: 80}]\n",
     8, 57, "filters[0].requestMirror.backendRef: a backendRef to a Service must have a port"},
    {"backend_request_longer_than_request", "HTTPRouteTimeouts: backendRequest timeout cannot be longer than request timeout", kHTTPRouteHead,
     "  - timeouts: {request: 1s, backendRequest: 2s}\n    backendRefs: [{name: bar, port: 80}]\n",
     7, 45, "backendRequest timeout 2s cannot be longer than the request timeout 1s"},
    {"filter_without_type", "HTTPRouteFilter.Type: required (json:\"type\", not optional)", kHTTPRouteHead,
     "  - filters:\n    - {urlRewrite: {hostname: a.com}}\n    backendRefs: [{name: bar, port: 80}]\n",
     8, 7, "spec.rules[0].filters[0]: type is required"},
    {"filter_type_without_its_settings", "HTTPRouteFilter: filter.urlRewrite must be specified for URLRewrite filter.type", kHTTPRouteHead,
     "  - filters:\n    - {type: URLRewrite}\n    backendRefs: [{name: bar, port: 80}]\n",
     8, 14, "a URLRewrite filter needs its urlRewrite settings"},
    {"filter_settings_of_another_type", "HTTPRouteFilter: filter.requestRedirect must be nil if the filter.type is not RequestRedirect", kHTTPRouteHead,
     "  - filters:\n    - {type: URLRewrite, urlRewrite: {hostname: a.com}, requestRedirect: {port: 8080}}\n",
     8, 74, "requestRedirect must not be set on a URLRewrite filter"},
    {"replace_full_path_without_value", "HTTPPathModifier: replaceFullPath must be specified when type is set to 'ReplaceFullPath'", kHTTPRouteHead,
     "  - filters:\n    - {type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath}}}\n    backendRefs: [{name: bar, port: 80}]\n",
     8, 52, "type ReplaceFullPath needs replaceFullPath"},
    {"grpc_request_header_modifier_twice", "grpcroute_types.go GRPCRouteRule.Filters: RequestHeaderModifier filter cannot be repeated", kGRPCRouteHead,
     "  - filters:\n    - {type: RequestHeaderModifier, requestHeaderModifier: {remove: [a]}}\n    - {type: RequestHeaderModifier, requestHeaderModifier: {remove: [b]}}\n    backendRefs: [{name: bar, port: 80}]\n",
     9, 14, "a RequestHeaderModifier filter cannot be repeated"},
    {"grpc_url_rewrite", "grpcroute_types.go GRPCRouteFilter.Type: Enum=ResponseHeaderModifier;RequestHeaderModifier;RequestMirror;ExtensionRef", kGRPCRouteHead,
     "  - filters:\n    - {type: URLRewrite}\n    backendRefs: [{name: bar, port: 80}]\n",
     8, 14, "invalid value \"URLRewrite\""},
    {"grpc_backend_ref_without_port", "BackendObjectReference: Must have port for Service reference (GRPCBackendRef)", kGRPCRouteHead,
     "  - backendRefs: [{name: bar}]\n",
     7, 19, "a backendRef to a Service must have a port"},

};

class RefusedRoute : public ::testing::TestWithParam<RefusedRouteCase> {};

TEST_P(RefusedRoute, IsAnErrorAtTheValue) {
  const RefusedRouteCase& c = GetParam();
  SCOPED_TRACE(c.crd_rule);
  expect_one_error_at(load_text(std::string(c.head) + c.yaml_tail), c.line, c.column, c.message_part);
}

INSTANTIATE_TEST_SUITE_P(Loader, RefusedRoute, ::testing::ValuesIn(kRefusedRoutes),
                         [](const auto& info) { return std::string(info.param.name); });

// What the same CRD rules let through still loads: paths with every
// allowed character, a rule without matches (one PathPrefix "/" by default)
// or whose match has no path (PathPrefix "/" again), a request timeout of 0s
// (no timeout), a Service of another group without port, the same filter
// type once per list, and (CEL exists_one) two backendRefs that each
// replace the prefix of an Exact match.
TEST(Loader, GatewayApiRouteValuesTheApiServerAcceptsStillLoad) {
  auto r = load_text(std::string(kHTTPRouteHead) + R"(  - matches:
    - path: {type: PathPrefix, value: "/a.b/c..d/~u/!$&'()*+,;=:@/%41"}
    - path: {type: Exact, value: /}
    - path: {type: RegularExpression, value: "^/a//b#$"}
    timeouts: {request: 0s, backendRequest: 10s}
    filters:
    - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: a, value: "1"}]}}
    - {type: ResponseHeaderModifier, responseHeaderModifier: {remove: [b]}}
    - {type: URLRewrite, urlRewrite: {hostname: b.example.com}}
    backendRefs:
    - name: bar
      port: 80
      filters: [{type: RequestHeaderModifier, requestHeaderModifier: {remove: [c]}}]
  - filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}}]
    timeouts: {request: 2s, backendRequest: 2s}
    backendRefs: [{name: bar, port: 80}]
  - matches: [{headers: [{name: x, value: "1"}]}]
    filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}}]
  - matches: [{path: {type: Exact, value: /a}}]
    backendRefs:
    - {name: bar, port: 80, filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}]}
    - {name: bar, port: 80, filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /c}}}]}
  - backendRefs: [{group: multicluster.x-k8s.io, kind: ServiceImport, name: bar}]
)");
  auto errors = errors_of(r.diagnostics);
  EXPECT_TRUE(errors.empty()) << format_diagnostic(errors[0]);
  ASSERT_EQ(r.resources.http_routes.size(), 1u);
  EXPECT_EQ(r.resources.http_routes[0].rules.size(), 5u);
}

// Every condition key of Istio's "Authorization Policy Conditions" reference
// (security.go ValidateAttribute's accepted cases), and the port and IP forms
// ValidatePorts/ValidateIPs accept, still load as written.
TEST(Loader, AuthorizationPolicyValuesIstioAcceptsStillLoad) {
  auto r = load_text(std::string(kDenyPolicyHead) + R"(  - from:
    - source: {ipBlocks: ["10.0.0.0/8", "10.1.2.3", "2001:db8::/32"], notRemoteIpBlocks: ["fe80::1%eth0", "0.0.0.0/0"]}
    to:
    - operation: {ports: ["8080", "0", "65535"], notPorts: ["9090"]}
    when:
    - {key: "request.headers[x-debug]", values: ["1"]}
    - {key: source.ip, values: ["10.0.0.0/16"]}
    - {key: remote.ip, notValues: ["192.168.0.1"]}
    - {key: source.namespace, values: [foo]}
    - {key: source.principal, values: ["cluster.local/ns/foo/sa/bar"]}
    - {key: request.auth.principal, values: ["issuer/subject"]}
    - {key: request.auth.audiences, values: [aud]}
    - {key: request.auth.presenter, values: [presenter]}
    - {key: "request.auth.claims[groups]", values: [admin]}
    - {key: destination.ip, values: ["10.0.0.1", "fd00::/8"]}
    - {key: destination.port, values: ["8080"]}
    - {key: connection.sni, values: ["www.example.com"]}
    - {key: "experimental.envoy.filters.network.mysql_proxy[db.table]", values: ["[update]"]}
    - {key: source.serviceAccount, values: ["foo/bar"]}
    - {key: "request.experimental.inline.headers[x-debug]", values: ["1"]}
)");
  for (const auto& d : errors_of(r.diagnostics)) ADD_FAILURE() << format_diagnostic(d);
  ASSERT_EQ(r.resources.authorization_policies.size(), 1u);
  const auto& rule = r.resources.authorization_policies[0].rules.at(0);
  EXPECT_EQ(rule.from.at(0).ip_blocks.size(), 3u);
  EXPECT_EQ(rule.to.at(0).ports, (std::vector<std::string>{"8080", "0", "65535"}));
  ASSERT_EQ(rule.when.size(), 15u);
  EXPECT_EQ(rule.when[0].key, "request.headers[x-debug]");
  EXPECT_EQ(rule.when[2].not_values, std::vector<std::string>{"192.168.0.1"});
}

// Lines 1-7; each row's retryOn value starts at line 8, column 37.
std::string route_retrying_on(const std::string& retry_on) {
  return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n"
         "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar}}]\n"
         "    retries: {attempts: 3, retryOn: \"" + retry_on + "\"}\n";
}

struct RetryOnCase {
  const char* retry_on;
  const char* message_part;  // nullptr: accepted
};

// validation.go validateHTTPRetry: every comma-separated policy is an HTTP
// status code Go's http.StatusText names, or one of supportedRetryOnPolicies.
TEST(Loader, RetryOnPoliciesAreCheckedAsIstioDoes) {
  const RetryOnCase kCases[] = {
      {"5xx,bogus", "\"bogus\" is not a valid retryOn policy"},
      {"gateway_error", "did you mean \"gateway-error\"?"},
      {"5xx, gateway-error", "\" gateway-error\" is not a valid retryOn policy; did you mean \"gateway-error\"?"},
      {"5xx,", "\"\" is not a valid retryOn policy"},
      {"599", "\"599\" is not a valid retryOn policy (valid: an HTTP status code or 5xx, gateway-error"},
      {"5xx,gateway-error,reset,reset-before-request,connect-failure,retriable-4xx,refused-stream,"
       "retriable-status-codes,retriable-headers,envoy-ratelimited,http3-post-connect-failure",
       nullptr},
      {"cancelled,deadline-exceeded,internal,resource-exhausted,unavailable", nullptr},
      {"503,425,418,100", nullptr},
  };
  for (const RetryOnCase& c : kCases) {
    SCOPED_TRACE(c.retry_on);
    auto r = load_text(route_retrying_on(c.retry_on));
    if (c.message_part == nullptr) {
      for (const auto& d : errors_of(r.diagnostics)) ADD_FAILURE() << format_diagnostic(d);
      ASSERT_EQ(r.resources.virtual_services.size(), 1u);
      EXPECT_EQ(r.resources.virtual_services[0].http.at(0).retries->retry_on, c.retry_on);
      continue;
    }
    expect_one_error_at(r, 8, 37, c.message_part);
  }
}

// go-yaml, which kubectl reads manifests with, applies YAML merge keys
// (decode.go's merge()); a subset written as another plus its own name was
// refused as unknown field "<<".
TEST(Loader, MergeKeysReadAsKubectlReadsThem) {
  auto r = load_text(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r}
spec:
  host: r
  subsets:
  - &v1
    name: v1
    labels: {version: v1, track: stable}
    trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
  - <<: *v1
    name: v2
    labels: {version: v2}
)");
  ASSERT_TRUE(errors_of(r.diagnostics).empty()) << format_diagnostic(r.diagnostics[0]);
  ASSERT_EQ(r.resources.destination_rules.size(), 1u);
  const auto& dr = r.resources.destination_rules[0];
  ASSERT_EQ(dr.subsets.size(), 2u);
  EXPECT_EQ(dr.subsets[1].name, "v2");
  EXPECT_EQ(dr.subsets[1].labels, (proxy::Labels{{"version", "v2"}}));  // own keys win whole
  ASSERT_TRUE(dr.subsets[1].traffic_policy && dr.subsets[1].traffic_policy->tls);
  EXPECT_EQ(dr.subsets[1].traffic_policy->tls->mode, "ISTIO_MUTUAL");
  // A merged field is where it was written: under the first subset.
  EXPECT_EQ(dr.header.fields.at("spec.subsets[1].trafficPolicy").line, 10);
  EXPECT_EQ(dr.header.fields.at("spec.subsets[1].name").line, 12);
}

TEST(Loader, ReportsEveryProblemInEveryFile) {
  auto r = load({{"a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {typo: 1}\n"},
                 {"b.yaml", "kind: [\n"},
                 {"c.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: c}\nspec: {replicas: x, template: {}}\n"}});
  auto errors = errors_of(r.diagnostics);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].pos.file, "a.yaml");
  EXPECT_EQ(errors[1].pos.file, "b.yaml");
  EXPECT_EQ(errors[2].pos.file, "c.yaml");
}

// The guard against documents deep enough to exhaust the parser's stack
// (kMaxNestingDepth, 64 levels): flow brackets and block indentation count,
// brackets inside quoted scalars do not.
TEST(Loader, RefusesDocumentsNestedDeeperThan64Levels) {
  auto flow = [](int levels) { return "kind: " + std::string(levels, '[') + std::string(levels, ']') + "\n"; };
  auto block = [](int levels) {
    std::string text;
    for (int i = 0; i < levels; ++i) text += std::string(2 * i, ' ') + "k" + std::to_string(i) + ":\n";
    return text;
  };
  for (const std::string& deep : {flow(65), block(66)}) {
    auto errors = errors_of(load_text("# a comment\n---\n" + deep).diagnostics);
    ASSERT_EQ(errors.size(), 1u) << deep;
    EXPECT_EQ(errors[0].code, "MSH0002");
    EXPECT_EQ(errors[0].pos.line, 2);
    EXPECT_NE(errors[0].message.find("deeper than 64"), std::string::npos);
  }
  for (const std::string& shallow : {flow(64), block(65), "a: '" + std::string(100, '[') + "'\n",
                                     "a: \"" + std::string(100, '{') + "\"\n"}) {
    for (const auto& d : load_text(shallow).diagnostics) EXPECT_NE(d.code, "MSH0002") << shallow;
  }
}

// Istio's bookinfo sample (../shared/testdata/istio-bookinfo/README.md): every
// file loads without an error, alone and together with the platform files.
TEST(Loader, LoadsIstioBookinfoSamplesWithoutFalseErrors) {
  namespace fs = std::filesystem;
  MESHSIM_TESTDATA_OR_SKIP(dir, "istio-bookinfo");
  std::vector<Diagnostic> read_errors;
  // As the Istio tasks do: deploy bookinfo, apply the default destination rules, then the task's file.
  auto platform = read_sources({dir + "/platform__kube__bookinfo.yaml", dir + "/platform__kube__bookinfo-versions.yaml",
                                dir + "/networking__destination-rule-all.yaml"},
                               read_errors);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    auto sources = platform;
    auto one = read_sources({entry.path().string()}, read_errors);
    sources.insert(sources.end(), one.begin(), one.end());
    auto r = load(sources);
    for (const auto& d : errors_of(r.diagnostics)) ADD_FAILURE() << format_diagnostic(d);
    for (const auto& d : errors_of(analyze(r.resources))) ADD_FAILURE() << format_diagnostic(d);
  }
  EXPECT_GE(files, 25);
  EXPECT_TRUE(read_errors.empty());
}

}  // namespace
}  // namespace meshsim::config

namespace meshsim::config {
namespace {

// Every HTTPRoute of the Gateway API mesh conformance suite, with its
// manifests (../shared/testdata/gateway-api-mesh/README.md), loads and analyzes clean.
TEST(Loader, LoadsGatewayApiMeshConformanceWithoutFalseErrors) {
  namespace fs = std::filesystem;
  MESHSIM_TESTDATA_OR_SKIP(dir, "gateway-api-mesh");
  std::vector<Diagnostic> read_errors;
  auto manifests = read_sources({dir + "/manifests.yaml"}, read_errors);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml" || entry.path().filename() == "manifests.yaml") continue;
    ++files;
    auto sources = manifests;
    auto one = read_sources({entry.path().string()}, read_errors);
    sources.insert(sources.end(), one.begin(), one.end());
    auto r = load(sources);
    EXPECT_FALSE(r.resources.http_routes.empty()) << entry.path();
    for (const auto& d : errors_of(r.diagnostics)) ADD_FAILURE() << format_diagnostic(d);
    for (const auto& d : errors_of(analyze(r.resources))) ADD_FAILURE() << format_diagnostic(d);
  }
  EXPECT_GE(files, 19);
  EXPECT_TRUE(read_errors.empty());
}

// The istio.io task configurations (../shared/testdata/istio-tasks/README.md).
TEST(Loader, LoadsIstioTaskConfigurationsWithoutFalseErrors) {
  MESHSIM_TESTDATA_OR_SKIP(bookinfo, "istio-bookinfo/platform__kube__bookinfo.yaml");
  MESHSIM_TESTDATA_OR_SKIP(tasks, "istio-tasks");
  std::vector<Diagnostic> read_errors;
  auto sources = read_sources({bookinfo, tasks}, read_errors);
  auto r = load(sources);
  for (const auto& d : errors_of(r.diagnostics)) ADD_FAILURE() << format_diagnostic(d);
  EXPECT_GE(r.resources.authorization_policies.size(), 4u);
  EXPECT_TRUE(read_errors.empty());
}

}  // namespace
}  // namespace meshsim::config
