// Cross-resource checks, with Istio's analyzer codes
// (istio/istio pkg/config/analysis/msg/messages.yaml).
#include "config/analyzer.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "tests/fixtures/fixture.h"

namespace meshsim::config {
namespace {

std::vector<Diagnostic> analyze_text(const std::string& rules) {
  auto r = load({fixtures::source("bar-v1.yaml"), {"rules.yaml", rules}});
  for (const auto& d : r.diagnostics) ADD_FAILURE() << format_diagnostic(d);
  return analyze(r.resources);
}

const Diagnostic* find_code(const std::vector<Diagnostic>& all, const std::string& code) {
  for (const auto& d : all)
    if (d.code == code) return &d;
  return nullptr;
}

TEST(Analyzer, UnknownDestinationHost) {
  auto out = analyze_text(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - route:
    - destination:
        host: baz
)");
  const Diagnostic* d = find_code(out, "IST0101");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Severity::kError);
  EXPECT_EQ(d->pos.file, "rules.yaml");
  EXPECT_EQ(d->pos.line, 9);
  EXPECT_EQ(d->pos.column, 15);
}

TEST(Analyzer, SubsetWithoutDestinationRule) {
  auto out = analyze_text(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - route:
    - destination: {host: bar, subset: v2}
)");
  const Diagnostic* d = find_code(out, "IST0101");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->message.find("bar.default.svc.cluster.local+v2"), std::string::npos) << d->message;
  EXPECT_EQ(d->pos.line, 8);
  EXPECT_EQ(d->pos.column, 40);
}

// virtualservice/destinationhosts.go checkServiceEntryPorts (messages.yaml:
// IST0101 ReferencedResourceNotFound "Referenced %s not found: %q", Error;
// IST0112 VirtualServiceDestinationPortSelectorRequired, Error), for every
// VirtualService, mesh or gateway, its routes and mirrors, against the
// ports of the Service (util/service_lookup.go InitServiceEntryHostMap makes
// each Service a ServiceEntry of its ports) or of the ServiceEntry.
// analyzers_test.go "virtualServiceDestinationHosts": reviews-bogusport,
// reviews-2port-missing, reviews-2port-present.
TEST(Analyzer, DestinationPortAgainstTheDeclaredPorts) {
  const std::string services = R"(apiVersion: v1
kind: Service
metadata: {name: qux}
spec: {selector: {app: qux}, ports: [{name: http-a, port: 9090}, {name: http-b, port: 9091}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext}
spec: {hosts: [api.example.com], resolution: DNS, ports: [{number: 80, name: http, protocol: HTTP}, {number: 8080, name: http-alt, protocol: HTTP}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: one}
spec: {hosts: [one.example.com], resolution: DNS, ports: [{number: 443, name: https, protocol: HTTPS}]}
---
)";
  auto vs = [](const std::string& route, const std::string& gateways = "") {
    return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [bar]\n" +
           (gateways.empty() ? std::string() : "  gateways: [" + gateways + "]\n") + "  http:\n  - " + route + "\n";
  };
  struct Row {
    const char* name;
    std::string vs;
    const char* expected;  // "" = no IST0112 and no IST0101 for host:port
  } rows[] = {
      {"a declared port", vs("route: [{destination: {host: bar, port: {number: 80}}}]"), ""},
      {"the targetPort is no Service port", vs("route: [{destination: {host: bar, port: {number: 8080}}}]"),
       "Error [IST0101] (VirtualService default/r rules.yaml:22:34) Referenced host:port not found: \"bar:8080\""},
      {"one port, none given", vs("route: [{destination: {host: bar}}]"), ""},
      {"two ports, none given",
       vs("route: [{destination: {host: qux}}]"),
       "Error [IST0112] (VirtualService default/r rules.yaml:22:34) This VirtualService routes to a service \"qux\" "
       "that exposes multiple ports [9090 9091]. Specifying a port in the destination is required to disambiguate."},
      {"two ports, one given", vs("route: [{destination: {host: qux, port: {number: 9091}}}]"), ""},
      {"a gateway VirtualService too", vs("route: [{destination: {host: qux}}]", "istio-system/gw"),
       "Error [IST0112] (VirtualService default/r rules.yaml:23:34) This VirtualService routes to a service \"qux\" "
       "that exposes multiple ports [9090 9091]. Specifying a port in the destination is required to disambiguate."},
      {"a mirror too", vs("route: [{destination: {host: bar}}]\n    mirror: {host: bar, port: {number: 81}}"),
       "Error [IST0101] (VirtualService default/r rules.yaml:23:20) Referenced host:port not found: \"bar:81\""},
      {"a ServiceEntry's ports", vs("route: [{destination: {host: api.example.com, port: {number: 81}}}]"),
       "Error [IST0101] (VirtualService default/r rules.yaml:22:34) Referenced host:port not found: \"api.example.com:81\""},
      {"a ServiceEntry with two ports, none given", vs("route: [{destination: {host: api.example.com}}]"),
       "Error [IST0112] (VirtualService default/r rules.yaml:22:34) This VirtualService routes to a service "
       "\"api.example.com\" that exposes multiple ports [80 8080]. Specifying a port in the destination is required "
       "to disambiguate."},
      {"a ServiceEntry's declared port", vs("route: [{destination: {host: one.example.com, port: {number: 443}}}]"), ""},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    std::string got;
    for (const auto& d : analyze_text(services + row.vs))
      if (d.code == "IST0112" || d.message.starts_with("Referenced host:port")) got += format_diagnostic(d);
    EXPECT_EQ(got, row.expected);
  }
}

TEST(Analyzer, SubsetSelectingNoWorkload) {
  auto out = analyze_text(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec:
  host: bar
  subsets:
  - name: v2
    labels: {version: v2}
)");
  const Diagnostic* d = find_code(out, "MSH1001");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->pos.line, 7);
  EXPECT_EQ(d->pos.column, 5);
}

TEST(Analyzer, ZeroTotalWeight) {
  // istio/istio pkg/config/validation/validation.go validateHTTPRouteDestinations:
  // "total destination weight = 0" when more than one destination.
  auto out = analyze_text(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - route:
    - destination: {host: bar}
      weight: 0
    - destination: {host: bar}
      weight: 0
)");
  const Diagnostic* d = find_code(out, "IST0106");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->pos.line, 8);
  EXPECT_EQ(d->pos.column, 5);
}

// validation.go validateHTTPRouteDestinations sums the weights into an
// int32: 2147483647 + 2147483647 + 2 wraps to 0, "total destination weight = 0".
TEST(Analyzer, TotalWeightWrappingToZeroInIstiosInt32) {
  auto out = analyze_text(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - route:
    - {destination: {host: bar}, weight: 2147483647}
    - {destination: {host: bar}, weight: 2147483647}
    - {destination: {host: bar}, weight: 2}
)");
  const Diagnostic* d = find_code(out, "IST0106");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->pos.line, 8);
  EXPECT_EQ(find_code(out, "MSH0047"), nullptr);
}

// Istio accepts weights summing above 4294967295 (its int32 sum is not 0)
// and sends them as written; Envoy's WeightedClusterEntry refuses the route
// ("The sum of weights of all weighted clusters of route ... exceeds
// 4294967295", router/config_impl.cc). A warning: the proxy would NACK it.
TEST(Analyzer, WeightsEnvoyCannotSumAreWarnedOf) {
  auto rules = [](const char* last) {
    return std::string(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - route:
    - {destination: {host: bar}, weight: 2147483647}
    - {destination: {host: bar}, weight: 2147483647}
    - {destination: {host: bar}, weight: )") + last + "}\n";
  };
  auto over = analyze_text(rules("3"));
  const Diagnostic* d = find_code(over, "MSH0047");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Severity::kWarning);
  EXPECT_EQ(d->pos.line, 8);
  EXPECT_NE(d->message.find("the weights sum to 4294967297"), std::string::npos) << d->message;
  EXPECT_EQ(find_code(over, "IST0106"), nullptr);
  // 4294967295 is Envoy's limit itself: accepted.
  EXPECT_EQ(find_code(analyze_text(rules("1")), "MSH0047"), nullptr);
}

TEST(Analyzer, TwoVirtualServicesForOneHost) {
  auto out = analyze_text(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a}
spec:
  hosts: [bar]
  http: [{route: [{destination: {host: bar}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b}
spec:
  hosts: [bar.default.svc.cluster.local]
  http: [{route: [{destination: {host: bar}}]}]
)");
  const Diagnostic* d = find_code(out, "IST0109");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->resource, "VirtualService default/b");
  EXPECT_EQ(d->pos.line, 12);
  EXPECT_EQ(d->pos.column, 11);
}

// One VirtualService naming a host twice is the loader's "duplicate hosts"
// error (validation.go ValidateVirtualService). Two spellings of one host
// pass the webhook (host.Name.Matches compares the text), and Istio's
// analyzer, keyed by FQDN, reports IST0109 naming that resource twice
// (conflictingmeshgatewayhosts.go initMeshGatewayHosts, len(vsList) > 1).
TEST(Analyzer, OneVirtualServiceSpellingAHostTwoWaysIsIst0109) {
  auto out = analyze_text(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a}
spec:
  hosts: [bar, bar.default.svc.cluster.local]
  http: [{route: [{destination: {host: bar}}]}]
)");
  const Diagnostic* d = find_code(out, "IST0109");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->message.find("default/a and default/a"), std::string::npos) << d->message;
}

TEST(Analyzer, AuthorizationPolicySelectorMatchesNoWorkload) {
  auto out = analyze_text(R"(apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-foo}
spec:
  selector:
    matchLabels: {app: foo}
  action: DENY
  rules: [{}]
)");
  const Diagnostic* d = find_code(out, "IST0127");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->pos.line, 6);
  EXPECT_EQ(d->pos.column, 5);
}

TEST(Analyzer, RootNamespacePolicyLooksForItsWorkloadsInTheWholeMesh) {
  // authorizationpolicies.go analyzeNoMatchingWorkloads: meshWidePolicy ->
  // hasMatchingPodsRunning over every namespace (bar runs in default).
  const std::string policy = R"(apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: root-selector, namespace: istio-system}
spec:
  selector:
    matchLabels: {app: APP}
  action: DENY
  rules: [{}]
)";
  auto with_app = [&](const std::string& app) {
    std::string text = policy;
    text.replace(text.find("APP"), 3, app);
    return analyze_text(text);
  };
  EXPECT_EQ(find_code(with_app("bar"), "IST0127"), nullptr);
  EXPECT_NE(find_code(with_app("nowhere"), "IST0127"), nullptr);
}

TEST(Analyzer, CatchAllBeforeLastRuleIsUnreachable) {
  auto out = analyze_text(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - route: [{destination: {host: bar}}]
  - match: [{headers: {user-agent: {exact: mobile}}}]
    route: [{destination: {host: bar}}]
)");
  const Diagnostic* d = find_code(out, "IST0131");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->pos.line, 8);
}

}  // namespace
}  // namespace meshsim::config

#include "config/traffic_analysis.h"

namespace meshsim::config {
namespace {

// 1-based number of the first line of `text` that holds `needle`.
int line_of(const std::string& text, std::string_view needle) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + text.find(needle), '\n'));
}

// Issue 4's analysis: a rule on a header that bar's only caller does not forward.
TEST(TrafficAnalysis, RuleOnAHeaderTheCallerDoesNotPropagate) {
  // On top of tests/fixtures/bar-v1.yaml (Service bar and bar-v1).
  const std::string mesh = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend-v1}
spec:
  selector: {matchLabels: {app: frontend}}
  template: {metadata: {labels: {app: frontend}}, spec: {containers: [{name: f, image: f}]}}
---
apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: frontend}
spec:
  selector: {app: frontend}
  calls: [{service: bar}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match:
    - headers:
        user-agent: {exact: mobile}
    route: [{destination: {host: bar}}]
  - route: [{destination: {host: bar}}]
)";
  auto r = load({fixtures::source("bar-v1.yaml"), {"mesh.yaml", mesh}});
  ASSERT_FALSE(has_errors(r.diagnostics));
  auto findings = analyze_traffic(r.resources, r.behaviors, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].code, "MSH2001");
  EXPECT_NE(findings[0].message.find("can never hold"), std::string::npos) << findings[0].message;
  EXPECT_NE(findings[0].message.find("frontend-v1"), std::string::npos);
  EXPECT_EQ(findings[0].pos.file, "mesh.yaml");
  EXPECT_EQ(findings[0].pos.line, line_of(mesh, "user-agent:"));  // the `user-agent:` match line

  // Forwarding the header clears the warning.
  std::string forwarding = std::string(mesh).replace(mesh.find("calls: [{service: bar}]"), 23,
                                                     "calls: [{service: bar}]\n  propagateHeaders: [user-agent]");
  auto fixed = load({fixtures::source("bar-v1.yaml"), {"mesh.yaml", forwarding}});
  EXPECT_TRUE(analyze_traffic(fixed.resources, fixed.behaviors, {}).empty());
}

// A CUSTOM policy whose provider the mesh config does not define: istiod
// denies what its rules match (builder.go buildHTTP -> getBadCustomDenyRules;
// extauthz.go getExtAuthz). istioctl analyze has no message for it.
TEST(Analyzer, CustomPolicyWithUndefinedProvider) {
  auto out = analyze_text(R"(apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz}
spec:
  selector: {matchLabels: {app: bar}}
  action: CUSTOM
  provider: {name: my-ext-authz}
  rules:
  - to: [{operation: {paths: ["/admin/*"]}}]
)");
  const Diagnostic* d = find_code(out, "MSH1004");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Severity::kWarning);
  EXPECT_NE(d->message.find("my-ext-authz is not defined in the mesh config"), std::string::npos) << d->message;
  EXPECT_NE(d->message.find("RBAC: access denied"), std::string::npos) << d->message;
  EXPECT_EQ(d->pos.line, 7);
}

// A defined provider whose service is not in the registry: buildExtAuthzHTTP
// fails in model.LookupCluster and istiod denies as for an undefined one.
TEST(Analyzer, CustomProviderServiceNotFound) {
  auto out = analyze_text(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    extensionProviders:
    - name: my-ext-authz
      envoyExtAuthzHttp: {service: nothing.default.svc.cluster.local, port: 8000}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz}
spec:
  selector: {matchLabels: {app: bar}}
  action: CUSTOM
  provider: {name: my-ext-authz}
  rules: [{}]
)");
  const Diagnostic* d = find_code(out, "MSH1004");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->message.find("not in the service registry"), std::string::npos) << d->message;
}

// A usable ext_authz provider: Istio checks with it (builder.go buildHTTP).
// meshsim sends the check over HTTP to a Service (tests/sim/ext_authz_test.cc)
// and says nothing; over gRPC it does not, and says so before it denies instead.
TEST(Analyzer, CustomPolicyWithExtAuthzProvider) {
  const std::string kFiles = R"(apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    extensionProviders:
    - name: my-ext-authz
      KIND: {service: bar.default.svc.cluster.local, port: 8000}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz}
spec:
  selector: {matchLabels: {app: bar}}
  action: CUSTOM
  provider: {name: my-ext-authz}
  rules: [{}]
)";
  std::string http = kFiles;
  http.replace(http.find("KIND"), 4, "envoyExtAuthzHttp");
  auto out = analyze_text(http);
  EXPECT_EQ(find_code(out, "MSH1004"), nullptr);
  EXPECT_EQ(find_code(out, "MSH1005"), nullptr);
  std::string grpc = kFiles;
  grpc.replace(grpc.find("KIND"), 4, "envoyExtAuthzGrpc");
  out = analyze_text(grpc);
  EXPECT_EQ(find_code(out, "MSH1004"), nullptr);
  const Diagnostic* d = find_code(out, "MSH1005");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->message.find("ext_authz over gRPC (envoyExtAuthzGrpc) is not simulated"), std::string::npos) << d->message;
}

// A CUSTOM policy attached to a Service by targetRef applies to its
// waypoint only (policyattachment.go ShouldAttachPolicy; MSH0010): no sidecar
// runs its rules, so neither MSH1004 nor MSH1005 promises a denial.
TEST(Analyzer, CustomPolicyOnAWaypointOnlyPromisesNoDenial) {
  auto r = load({fixtures::source("bar-v1.yaml"), {"rules.yaml", R"(apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz}
spec:
  targetRefs: [{kind: Service, group: "", name: bar}]
  action: CUSTOM
  provider: {name: my-ext-authz}
  rules: [{}]
)"}});
  EXPECT_NE(find_code(r.diagnostics, "MSH0010"), nullptr);
  auto out = analyze(r.resources);
  EXPECT_EQ(find_code(out, "MSH1004"), nullptr);
  EXPECT_EQ(find_code(out, "MSH1005"), nullptr);
}

}  // namespace
}  // namespace meshsim::config
