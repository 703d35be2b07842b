// A VirtualService none of whose HTTP rules becomes a route for a client.
// Istio builds a sidecar's routes per proxy: route.go TranslateRoute drops
// a match whose match.port is not the listener port or whose
// sourceLabels / sourceNamespace / gateways do not select the proxy
// (sourceMatchHTTP). When nothing is left, BuildHTTPRoutesForVirtualService
// fails with "no routes matched", buildSidecarVirtualHostsForVirtualService
// returns no virtual host for the VirtualService, and
// BuildSidecarVirtualHostWrapper keeps the Service's default virtual host
// (BuildDefaultHTTPOutboundRoute, Istio's default retry policy): the client
// is load-balanced over every pod of the Service, not answered 404 NR
// (istio pilot/pkg/networking/core/route/route.go, release-1.31). A
// delegating root whose delegates do not exist has no HTTP rules at all
// (pilot/pkg/model/virtualservice_controller.go: a missing delegate is
// skipped, "ignore only the current HTTP route"), so the same holds.
// When one rule survives the VirtualService applies as usual: a request it
// does not match is 404 NR. The mesh is tests/fixtures/talk-mesh.yaml.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "proxy_core/gateway_routes.h"
#include "proxy_core/router.h"
#include "reports/explain.h"
#include "sim/random.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::sim {
namespace {

int status_of(const CallResult& r) { return r.outbound.response ? r.outbound.response->status : 0; }

constexpr const char* kBarService = "bar.default.svc.cluster.local";
constexpr const char* kDefaultCluster = "outbound|80||bar.default.svc.cluster.local";

struct Row {
  const char* name;
  const char* source;  // where Istio does it
  const char* rules;
  const char* from;    // calling Deployment in `default`
  int status;
  // "" = the default route: no VirtualService rule, the Service's cluster.
  const char* route = "";
  const char* cluster = kDefaultCluster;  // "" = not checked
  const char* flag = "-";
};

void PrintTo(const Row& r, std::ostream* os) { *os << r.name; }

constexpr const char* kOnlyForFoo = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match: [{sourceLabels: {app: foo}}]
    route: [{destination: {host: bar, subset: v2}}]
)";

constexpr const char* kOnlyFromOtherNamespace = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match: [{sourceNamespace: elsewhere, uri: {prefix: /}}]
    route: [{destination: {host: bar, subset: v2}}]
)";

constexpr const char* kOnlyOnPort8080 = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match: [{port: 8080, uri: {prefix: /}}]
    route: [{destination: {host: bar, subset: v2}}]
)";

constexpr const char* kOnlyForAGateway = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  gateways: [mesh, edge]
  http:
  - match: [{gateways: [edge], uri: {prefix: /}}]
    route: [{destination: {host: bar, subset: v2}}]
)";

// gateways naming mesh admits every sidecar: sourceMatchHTTP reads
// sourceLabels only when gateways is empty, so curl is routed by the rule.
constexpr const char* kMeshGatewayWithLabels = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match: [{gateways: [mesh], sourceLabels: {app: foo}}]
    route: [{destination: {host: bar, subset: v2}}]
)";

constexpr const char* kMissingDelegates = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar-root}
spec:
  hosts: [bar]
  http:
  - match: [{uri: {prefix: /api}}]
    delegate: {name: bar-api}
  - delegate: {name: bar-rest}
)";

// One rule survives for curl (its own sourceLabels), so the VirtualService
// has curl's virtual host: "/" matches none of its routes.
constexpr const char* kOneRuleForCurl = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match: [{sourceLabels: {app: foo}}]
    route: [{destination: {host: bar, subset: v2}}]
  - match: [{sourceLabels: {app: curl}, uri: {prefix: /v1}}]
    route: [{destination: {host: bar, subset: v1}}]
)";

// Two VirtualServices for bar: the older has no rule for curl, so it has no
// virtual host for curl and the younger's takes bar; for foo the older's
// virtual host is built first and the younger's is dropped as a duplicate.
constexpr const char* kTwoVirtualServices = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar-foo}
spec:
  hosts: [bar]
  http:
  - match: [{sourceLabels: {app: foo}}]
    route: [{destination: {host: bar, subset: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar-rest}
spec:
  hosts: [bar]
  http:
  - route: [{destination: {host: bar, subset: v1}}]
)";

constexpr const char* kV2 = "outbound|80|v2|bar.default.svc.cluster.local";
constexpr const char* kV1 = "outbound|80|v1|bar.default.svc.cluster.local";

class NoRuleForClient : public ::testing::TestWithParam<Row> {};

TEST_P(NoRuleForClient, Routes) {
  const Row& row = GetParam();
  testing::CurlToBar mesh(row.rules);
  // Several requests: the default route spreads them over both bar pods.
  std::set<std::string> served;
  for (int i = 0; i < 8; ++i) {
    auto r = mesh.get("/", row.from);
    ASSERT_EQ(status_of(r), row.status) << row.source;
    EXPECT_EQ(r.outbound.flags, row.flag) << row.source;
    auto route = r.outbound.route();
    EXPECT_EQ(route ? route->resource : std::string(), row.route) << row.source;
    if (*row.cluster) {
      EXPECT_EQ(r.outbound.cluster(), row.cluster) << row.source;
    }
    if (r.outbound.served_by) served.insert(r.outbound.served_by->workload);
  }
  if (row.status == 200 && std::string_view(row.cluster) == kDefaultCluster) {
    EXPECT_EQ(served, (std::set<std::string>{"bar-v1", "bar-v2"})) << row.source;
  }
}

INSTANTIATE_TEST_SUITE_P(
    IstioRouteGo, NoRuleForClient,
    ::testing::Values(
        Row{"source_labels_for_another_app_default_route",
            "route.go sourceMatchHTTP drops the match; BuildHTTPRoutesForVirtualService \"no routes matched\"; "
            "BuildSidecarVirtualHostWrapper keeps the default virtual host",
            kOnlyForFoo, "curl", 200},
        Row{"source_labels_select_the_client", "route.go sourceMatchHTTP: sourceLabels subset of the proxy's labels",
            kOnlyForFoo, "foo-v1", 200, "VirtualService default/bar", kV2},
        Row{"mesh_gateway_ignores_source_labels",
            "route.go sourceMatchHTTP: with gateways set, mesh among them admits the sidecar; sourceLabels unread",
            kMeshGatewayWithLabels, "curl", 200, "VirtualService default/bar", kV2},
        Row{"source_namespace_other_default_route",
            "route.go sourceMatchHTTP: SourceNamespace != proxy namespace; BuildSidecarVirtualHostWrapper",
            kOnlyFromOtherNamespace, "curl", 200},
        Row{"match_port_other_than_listener_default_route",
            "route.go TranslateRoute: match.Port != listenPort returns nil; BuildSidecarVirtualHostWrapper",
            kOnlyOnPort8080, "curl", 200},
        Row{"match_gateways_without_mesh_default_route",
            "route.go sourceMatchHTTP: match.Gateways without \"mesh\"; BuildSidecarVirtualHostWrapper",
            kOnlyForAGateway, "curl", 200},
        Row{"delegates_missing_default_route",
            "model/virtualservice_controller.go: a missing delegate adds no route (continue); route.go "
            "BuildHTTPRoutesForVirtualService \"no routes matched\"",
            kMissingDelegates, "curl", 200},
        Row{"one_rule_survives_unmatched_is_404_NR",
            "route.go: a surviving route gives the VirtualService its virtual host; Envoy router no route -> 404 NR",
            kOneRuleForCurl, "curl", 404, "", "", "NR"},
        Row{"passed_over_virtual_service_next_one_routes",
            "route.go buildSidecarVirtualHostsForVirtualService returns nil; httproute.go "
            "BuildSidecarOutboundVirtualHosts drops only later duplicates",
            kTwoVirtualServices, "curl", 200, "VirtualService default/bar-rest", kV1},
        Row{"older_virtual_service_keeps_the_host_for_its_clients",
            "httproute.go BuildSidecarOutboundVirtualHosts: duplicate virtual host of a later VirtualService dropped",
            kTwoVirtualServices, "foo-v1", 200, "VirtualService default/bar-foo", kV2}),
    [](const ::testing::TestParamInfo<Row>& info) { return std::string(info.param.name); });

// The one surviving rule still routes the request it matches.
TEST(NoRuleForClient, SurvivingRuleRoutesWhatItMatches) {
  testing::CurlToBar mesh(kOneRuleForCurl);
  auto r = mesh.get("/v1/x");
  EXPECT_EQ(status_of(r), 200);
  EXPECT_EQ(r.outbound.cluster(), kV1);
}

// The default route carries Istio's default retry policy (route.go
// BuildDefaultHTTPOutboundRoute: retry.DefaultPolicy), as for a Service
// without any VirtualService.
TEST(NoRuleForClient, DefaultRouteHasIstioDefaultRetryPolicy) {
  std::vector<std::string> errors;
  auto table = proxy::RouteTable::create(testing::mesh_with(kOnlyForFoo), &errors);
  ASSERT_TRUE(table) << ::testing::PrintToString(errors);
  const proxy::Endpoint* curl = table->endpoint_by_workload("default", "curl");
  ASSERT_NE(curl, nullptr);
  proxy::ClientContext client;
  client.endpoint = curl;
  client.ns = curl->ns;
  client.labels = &curl->labels;
  proxy::HttpRequest request;
  request.target = "/";
  request.authority = "bar";
  SplitMix64 random(1);
  proxy::RouteDecision d = proxy::decide_route(*table, client, "bar", 80, request, random);
  EXPECT_EQ(d.kind, proxy::RouteDecision::Kind::kForward);
  EXPECT_FALSE(d.route.has_value());
  EXPECT_EQ(d.virtual_service, nullptr);
  ASSERT_NE(d.passed_over, nullptr);
  EXPECT_EQ(d.passed_over->label, "VirtualService default/bar");
  EXPECT_EQ(d.retry, &proxy::istio_default_retry_policy());
  ASSERT_NE(d.cluster, nullptr);
  EXPECT_EQ(d.cluster->name, kDefaultCluster);
  EXPECT_EQ(d.cluster->service->fqdn, kBarService);
}

// `meshsim curl` explains the default route instead of naming the
// VirtualService as the one that had no matching rule.
TEST(NoRuleForClient, ExplanationSaysNoRuleAppliesToTheClient) {
  auto loaded = testing::load_or_fail({fixtures::source("talk-mesh.yaml"), {"rules.yaml", kOnlyForFoo}});
  CurlSpec spec;
  spec.url = "http://bar/";
  spec.behaviors = loaded.behaviors;
  std::string error;
  auto run = run_curl(std::move(loaded.resources), spec, &error);
  ASSERT_TRUE(run) << error;
  ASSERT_TRUE(run->single && run->single->outbound.response);
  EXPECT_EQ(run->single->outbound.response->status, 200);
  reports::Explanation e = reports::explain(*run);
  EXPECT_EQ(e.route,
            "no rule of VirtualService default/bar applies to this client on port 80, so it has no virtual host for "
            "it: the default route")
      << reports::explain_text(e);
  ASSERT_EQ(e.misses.size(), 1u) << reports::explain_text(e);
  EXPECT_EQ(e.misses[0], "rule #0 needs a caller labelled app=foo; default/curl is not");
  EXPECT_TRUE(e.flags.empty());
}

// Gateways build their own routes (gateway.go buildGatewayHTTPRouteConfig):
// a VirtualService from which BuildHTTPRoutesForVirtualService builds no
// route for the gateway is skipped ("omitting routes for virtual
// service"), so it adds no virtual host and a wildcard host's serves the
// request; with no virtual host at all the request is 404 NR.
TEST(NoRuleForClient, GatewaySkipsVirtualServiceWithoutRoutes) {
  std::vector<std::string> errors;
  auto loaded = testing::load_or_fail({{"gateway.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: gw, namespace: edge}
spec:
  selector: {matchLabels: {app: gw}}
  template: {metadata: {labels: {app: gw, role: front}, annotations: {inject.istio.io/templates: gateway}}, spec: {containers: [{name: p, image: x}]}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: front, namespace: edge}
spec:
  selector: {role: front}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a-site}
spec:
  hosts: [a.example.com]
  gateways: [edge/front]
  http:
  - match: [{port: 8443, uri: {prefix: /}}]
    route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b-site}
spec:
  hosts: [b.example.com]
  gateways: [edge/front]
  http:
  - match: [{sourceLabels: {app: other}}]
    route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wildcard}
spec:
  hosts: ["*.example.com"]
  gateways: [edge/front]
  http:
  - route: [{destination: {host: web}}]
)"}});
  auto table = proxy::RouteTable::create(std::move(loaded.resources), &errors);
  ASSERT_TRUE(table) << ::testing::PrintToString(errors);
  const proxy::Endpoint* pod = table->endpoint_by_workload("edge", "gw");
  ASSERT_NE(pod, nullptr);
  const proxy::GatewayListener* l = table->gateway_routes().listener(*pod, 80);
  ASSERT_NE(l, nullptr);
  for (const char* host : {"a.example.com", "b.example.com"}) {
    const proxy::GatewayVirtualHost* v = l->virtual_host(host);
    ASSERT_NE(v, nullptr) << host;
    EXPECT_EQ(v->domain, "*.example.com") << host;
    ASSERT_EQ(v->routes.size(), 1u) << host;
    EXPECT_EQ(v->routes[0].vs->spec->header.meta.name, "wildcard") << host;
  }
}

}  // namespace
}  // namespace meshsim::sim
