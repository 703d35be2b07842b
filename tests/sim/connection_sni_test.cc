// AuthorizationPolicy `when: connection.sni` through the world: the client
// sidecar's mTLS connection names its cluster as SNI and the server
// sidecar's RBAC matches it. Sources:
//  [srv]   istio pilot/pkg/model/service.go BuildDNSSrvSubsetKey: the SNI is
//          outbound_.<port>_.<subset>_.<host>, "_._" without a subset
//          (cluster_builder.go: istioMtlsSni for the Service's cluster,
//          buildSubsetCluster defaultSni for a subset's)
//  [tls]   pilot/pkg/networking/core/cluster_tls.go buildUpstreamTLSSettings:
//          a DestinationRule's ISTIO_MUTUAL `sni` replaces it; DISABLE is
//          plain text (buildUpstreamClusterTLSContext: no TLS context)
//  [gen]   pilot/pkg/security/authz/model/generator.go connSNIGenerator
//          (permission requested_server_name, matcher.StringMatcher:
//          exact, prefix*, *suffix, * as .+); model.go rule.permission
//          (notValues as Not(Or(...)))
//  [envoy] envoy source/extensions/filters/common/rbac/matchers.cc
//          RequestedServerNameMatcher::matches: the connection's requested
//          server name, "" on plain text
//  [rbac]  authz_policy.proto / rbac_filter.cc: a denial is 403 "RBAC: access denied"
#include <gtest/gtest.h>

#include "sim/world.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::sim {
namespace {

std::string deployment(const std::string& name, const std::string& app, const std::string& version) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + "}\nspec:\n  selector: {matchLabels: {app: " +
         app + ", version: " + version + "}}\n  template:\n    metadata: {labels: {app: " + app + ", version: " + version +
         "}}\n    spec: {containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}\n---\n";
}

// sleep (with a sidecar) and plain (without one) call bar v1 and v2; sleep's
// VirtualService picks the subset by x-subset (v1 when absent, no subset for
// "any"); the ingress gateway routes bar.example.com to bar's v1.
const std::string kTopology = deployment("sleep", "sleep", "v1") + deployment("plain", "plain", "v1") +
                              deployment("bar-v1", "bar", "v1") + deployment("bar-v2", "bar", "v2") + R"(apiVersion: v1
kind: Service
metadata: {name: bar}
spec: {selector: {app: bar}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingressgateway, namespace: istio-system}
spec:
  selector: {matchLabels: {app: ingressgateway}}
  template:
    metadata:
      labels: {app: ingressgateway, istio: ingressgateway}
      annotations: {inject.istio.io/templates: gateway}
    spec: {containers: [{name: istio-proxy, image: auto, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: ingressgateway, namespace: istio-system}
spec: {type: LoadBalancer, selector: {app: ingressgateway}, ports: [{name: http2, port: 80, targetPort: 8080}]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["bar.example.com"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar-gateway}
spec:
  hosts: [bar.example.com]
  gateways: [gw]
  http: [{route: [{destination: {host: bar.default.svc.cluster.local, subset: v1}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match: [{headers: {x-subset: {exact: v2}}}]
    route: [{destination: {host: bar, subset: v2}}]
  - match: [{headers: {x-subset: {exact: any}}}]
    route: [{destination: {host: bar}}]
  - route: [{destination: {host: bar, subset: v1}}]
---
)";

// bar's DestinationRule with `v2_policy` as the v2 subset's trafficPolicy.
std::string destination_rule(const std::string& v2_policy) {
  return "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: bar}\nspec:\n  host: bar\n"
         "  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}" +
         (v2_policy.empty() ? "" : ", trafficPolicy: " + v2_policy) + "}\n---\n";
}

// An AuthorizationPolicy on bar with one rule: `when` a connection.sni condition.
std::string policy_on_bar(const std::string& action, const std::string& condition) {
  return "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: sni}\nspec:\n"
         "  selector: {matchLabels: {app: bar}}\n  action: " + action + "\n  rules: [{when: [{key: connection.sni, " +
         condition + "}]}]\n---\n";
}

// "200", or "403 RBAC: access denied", or what went wrong.
std::string outcome(const std::optional<CallResult>& r) {
  if (!r) return "not sent";
  if (!r->outbound.response) return "error " + r->outbound.error;
  const auto& response = *r->outbound.response;
  return response.status == 200 ? "200" : std::to_string(response.status) + " " + response.body;
}

constexpr const char* kDenied = "403 RBAC: access denied";

struct Row {
  const char* name;
  const char* source;
  std::string yaml;  // the policy, and the DestinationRule when it is not the plain one
  // What bar answers to: sleep routed to subset v1, to v2, to no subset;
  // plain (no sidecar); the gateway (routed to v1).
  const char* v1;
  const char* v2;
  const char* any;
  const char* plain;
  const char* gateway;
};

std::string run(World& world, const std::string& from, const char* subset) {
  proxy::HttpRequest r;
  r.authority = "bar";
  if (subset != nullptr) r.headers.set("x-subset", subset);
  return outcome(world.call("default", from, r, "bar", 80));
}

TEST(ConnectionSni, TheClientSidecarNamesItsClusterAndTheServerMatchesIt) {
  const std::string kV1 = "outbound_.80_.v1_.bar.default.svc.cluster.local";
  const std::string kV2 = "outbound_.80_.v2_.bar.default.svc.cluster.local";
  const std::string kAny = "outbound_.80_._.bar.default.svc.cluster.local";
  const Row rows[] = {
      {"values: the v1 subset's SNI", "[srv] defaultSni of the subset; [gen] exact; [rbac]",
       destination_rule("") + policy_on_bar("ALLOW", "values: [" + kV1 + "]"), "200", kDenied, kDenied, kDenied, "200"},
      {"values: the Service cluster's SNI, no subset", "[srv] istioMtlsSni, \"_._\"; [gen] exact",
       destination_rule("") + policy_on_bar("ALLOW", "values: [" + kAny + "]"), kDenied, kDenied, "200", kDenied,
       kDenied},
      {"notValues: the v1 subset's SNI", "[gen] Not(Or(notValues)); [envoy] plain text has \"\"",
       destination_rule("") + policy_on_bar("ALLOW", "notValues: [" + kV1 + "]"), kDenied, "200", "200", "200",
       kDenied},
      {"prefix", "[gen] \"x*\" as a prefix", destination_rule("") + policy_on_bar("ALLOW", "values: [\"outbound_.80_.v*\"]"),
       "200", "200", kDenied, kDenied, "200"},
      {"suffix", "[gen] \"*x\" as a suffix",
       destination_rule("") + policy_on_bar("ALLOW", "values: [\"*_.bar.default.svc.cluster.local\"]"), "200", "200",
       "200", kDenied, "200"},
      {"presence", "[gen] \"*\" as .+; [envoy] \"\" without SNI",
       destination_rule("") + policy_on_bar("ALLOW", "values: [\"*\"]"), "200", "200", "200", kDenied, "200"},
      {"values and notValues", "[gen] Or(values) AND Not(Or(notValues))",
       destination_rule("") + policy_on_bar("ALLOW", "values: [\"outbound_.*\"], notValues: [\"*_.v2_.bar.default.svc.cluster.local\"]"),
       "200", kDenied, "200", kDenied, "200"},
      {"DENY the v2 subset's SNI", "[gen] the DENY filter's permission; [rbac]",
       destination_rule("") + policy_on_bar("DENY", "values: [" + kV2 + "]"), "200", kDenied, "200", "200", "200"},
      {"ISTIO_MUTUAL with the rule's sni", "[tls] \"Use client provided SNI if set\"",
       destination_rule("{tls: {mode: ISTIO_MUTUAL, sni: bar-v2.example.internal}}") +
           policy_on_bar("ALLOW", "values: [bar-v2.example.internal]"),
       kDenied, "200", kDenied, kDenied, kDenied},
      {"ISTIO_MUTUAL without sni: the subset's", "[tls] sniToUse = sni",
       destination_rule("{tls: {mode: ISTIO_MUTUAL}}") + policy_on_bar("ALLOW", "values: [" + kV2 + "]"), kDenied, "200",
       kDenied, kDenied, kDenied},
      {"DISABLE: plain text, no SNI", "[tls] DISABLE: no TLS context; [envoy] \"\"",
       destination_rule("{tls: {mode: DISABLE}}") + policy_on_bar("ALLOW", "values: [\"*\"]"), "200", kDenied, "200",
       kDenied, "200"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " - " + row.source);
    World world(WorldOptions{1, proxy::Duration(0)});
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(testing::load_or_fail({{"test.yaml", kTopology + row.yaml}}).resources, &errors));
    world.set_sidecar("default", "plain", false);
    EXPECT_EQ(run(world, "sleep", nullptr), row.v1);
    EXPECT_EQ(run(world, "sleep", "v2"), row.v2);
    EXPECT_EQ(run(world, "sleep", "any"), row.any);
    // kube-proxy's round robin: both of bar's pods, which the policy both selects.
    EXPECT_EQ(run(world, "plain", nullptr), row.plain);
    EXPECT_EQ(run(world, "plain", nullptr), row.plain);
    proxy::HttpRequest r;
    r.authority = "bar.example.com";
    EXPECT_EQ(outcome(world.call_outside(r, "ingressgateway.istio-system", 80)), row.gateway);
  }
}

// The gateway's own listener: meshsim serves a gateway's plain-text HTTP
// servers only and no client TLS to them, so the connection there has no SNI
// ([envoy] ""), whoever calls; what the gateway then names toward bar is its
// cluster's SNI ([srv]), as a sidecar's.
TEST(ConnectionSni, AtAGatewayThePlainTextListenerSeesNone) {
  const std::string on_gateway =
      "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: gw-sni, namespace: istio-system}\n"
      "spec:\n  selector: {matchLabels: {istio: ingressgateway}}\n  action: DENY\n"
      "  rules: [{when: [{key: connection.sni, notValues: [\"*\"]}]}]\n---\n";
  World world(WorldOptions{1, proxy::Duration(0)});
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(testing::load_or_fail({{"test.yaml", kTopology + destination_rule("") + on_gateway +
                                                  policy_on_bar("ALLOW", "values: [\"outbound_.80_.v1_.*\"]")}})
                              .resources,
                          &errors));
  proxy::HttpRequest r;
  r.authority = "bar.example.com";
  EXPECT_EQ(outcome(world.call_outside(r, "ingressgateway.istio-system", 80)), kDenied);  // denied at the gateway
  errors.clear();
  World allowed(WorldOptions{1, proxy::Duration(0)});
  ASSERT_TRUE(allowed.apply(testing::load_or_fail({{"test.yaml", kTopology + destination_rule("") +
                                                    policy_on_bar("ALLOW", "values: [\"outbound_.80_.v1_.*\"]")}})
                                .resources,
                            &errors));
  EXPECT_EQ(outcome(allowed.call_outside(r, "ingressgateway.istio-system", 80)), "200");  // bar sees the gateway's SNI
}

}  // namespace
}  // namespace meshsim::sim
