// Gateway API Gateways in the world: Istio's bookinfo entered the way its
// docs do it with the Gateway API (samples/bookinfo/gateway-api/
// bookinfo-gateway.yaml, read from ../shared/testdata), through the
// deployed `bookinfo-gateway-istio` Service from outside the cluster.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/curl.h"
#include "tests/test_data.h"

namespace meshsim::sim {
namespace {

int status_of(const CurlRun& run) {
  return run.single && run.single->outbound.response ? run.single->outbound.response->status : 0;
}

// One request from `from` (a workload, or kOutsideClient).
CurlRun call_from(const proxy::Resources& resources, const std::string& from, const std::string& url,
                  const std::string& host = "") {
  CurlSpec spec;
  spec.from = from;
  spec.url = url;
  if (!host.empty()) spec.headers.emplace_back("Host", host);
  std::string error;
  auto run = run_curl(resources, spec, &error);
  EXPECT_TRUE(run.has_value()) << error;
  return run ? std::move(*run) : CurlRun{};
}

CurlRun outside(const proxy::Resources& resources, const std::string& url, const std::string& host = "") {
  return call_from(resources, kOutsideClient, url, host);
}

proxy::Resources bookinfo_with(const std::vector<std::string>& files) {
  std::vector<std::string> paths;
  for (const auto& f : files) paths.push_back(testing::testdata_path("istio-bookinfo/" + f));
  std::vector<config::Diagnostic> diagnostics;
  auto loaded = config::load(config::read_sources(paths, diagnostics));
  for (const auto& d : loaded.diagnostics) EXPECT_NE(d.severity, config::Severity::kError) << config::format_diagnostic(d);
  return loaded.resources;
}

// istio.io bookinfo "Determine the ingress IP and port" (Gateway API tab):
// the Gateway deploys bookinfo-gateway-istio, and /productpage (Exact) is
// routed to productpage:9080; a path the route does not list gets 404
// (httproute_types.go Matches).
TEST(GatewayApiWorld, BookinfoEntersThroughTheDeployedGateway) {
  MESHSIM_TESTDATA_OR_SKIP(gateway, "istio-bookinfo/gateway-api__bookinfo-gateway.yaml");
  auto resources = bookinfo_with({"platform__kube__bookinfo.yaml", "gateway-api__bookinfo-gateway.yaml"});
  CurlRun page = outside(resources, "http://bookinfo-gateway-istio.default/productpage");
  EXPECT_EQ(status_of(page), 200);
  ASSERT_TRUE(page.single && page.single->outbound.served_by);
  EXPECT_EQ(page.single->outbound.served_by->workload, "productpage-v1");
  CurlRun other = outside(resources, "http://bookinfo-gateway-istio.default/reviews/1");
  EXPECT_EQ(status_of(other), 404);
  EXPECT_EQ(other.single->upstream_attempts, 0);
  // The listener is port 80 only: nothing listens on 8080 of the gateway Service.
  CurlRun wrong_port = outside(resources, "http://bookinfo-gateway-istio.default:8080/productpage");
  EXPECT_NE(status_of(wrong_port), 200);
}

// Cross-namespace backends need a ReferenceGrant in the backend's namespace;
// without one the rule's requests get 500 and the other rules keep working
// (HTTPRoutePartiallyInvalidViaInvalidReferenceGrant; Istio route.go
// ClusterNotFoundResponseCode INTERNAL_SERVER_ERROR).
TEST(GatewayApiWorld, UnresolvedBackendIs500OthersServe) {
  auto loaded = config::load({{"mesh.yaml", R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: backend}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: echo, ports: [{containerPort: 3000}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: backend}
spec: {selector: {app: web}, ports: [{port: 8080, targetPort: 3000}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: backend}
spec: {selector: {app: web}, ports: [{port: 8080, targetPort: 3000}]}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: only-web, namespace: backend}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: infra}]
  to: [{group: "", kind: Service, name: web}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: split, namespace: infra}
spec:
  parentRefs: [{name: edge}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: api, namespace: backend, port: 8080}]
  - backendRefs: [{name: web, namespace: backend, port: 8080}]
)"}});
  for (const auto& d : loaded.diagnostics) EXPECT_NE(d.severity, config::Severity::kError) << config::format_diagnostic(d);
  CurlRun api = outside(loaded.resources, "http://edge-istio.infra/api/v1");
  EXPECT_EQ(status_of(api), 500);
  EXPECT_EQ(api.single->outbound.flags, "NC");
  EXPECT_EQ(api.single->upstream_attempts, 0);
  CurlRun web = outside(loaded.resources, "http://edge-istio.infra/");
  EXPECT_EQ(status_of(web), 200);
}

// istio pilot/pkg/model/policyattachment.go ShouldAttachPolicy: a policy
// with targetRefs attaches to the Gateway API gateway it names (same
// namespace) and to no sidecar ("if targetRef is specified, ignore the
// policy altogether"); a targetRef to a Service is for waypoints only.
// Attachment does not depend on the action: a CUSTOM policy (here with a
// provider the mesh config does not define, so istiod denies what it
// matches: builder.go getBadCustomDenyRules) attaches where a DENY does
// (builder.go buildHTTP lists the policies through ShouldAttachPolicy).
TEST(GatewayApiWorld, TargetRefPoliciesAttachToTheirGatewayOnly) {
  const std::string mesh = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: infra}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: echo, ports: [{containerPort: 3000}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: infra}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: client, image: curl}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: infra}
spec: {selector: {app: web}, ports: [{name: http, port: 8080, targetPort: 3000}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: infra}
spec:
  parentRefs: [{name: edge}]
  rules: [{backendRefs: [{name: web, port: 8080}]}]
)";
  auto status = [](const std::string& yaml, const std::string& from, const std::string& url) {
    auto loaded = config::load({{"mesh.yaml", yaml}});
    for (const auto& d : loaded.diagnostics)
      EXPECT_NE(d.severity, config::Severity::kError) << config::format_diagnostic(d);
    return status_of(call_from(loaded.resources, from, url));
  };
  for (const std::string action : {"action: DENY", "action: CUSTOM\n  provider: {name: ext-authz}"}) {
    SCOPED_TRACE(action);
    auto policy_to = [&](const std::string& group, const std::string& kind, const std::string& name) {
      return "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny, namespace: infra}\n"
             "spec:\n  targetRefs: [{group: \"" + group + "\", kind: " + kind + ", name: " + name + "}]\n"
             "  " + action + "\n  rules: [{to: [{operation: {paths: [/deny]}}]}]\n";
    };
    const std::string on_gateway = mesh + policy_to("gateway.networking.k8s.io", "Gateway", "edge");
    EXPECT_EQ(status(on_gateway, kOutsideClient, "http://edge-istio.infra/deny"), 403);
    EXPECT_EQ(status(on_gateway, kOutsideClient, "http://edge-istio.infra/ok"), 200);
    EXPECT_EQ(status(on_gateway, "infra/client", "http://web.infra:8080/deny"), 200);
    const std::string on_other_gateway = mesh + policy_to("gateway.networking.k8s.io", "Gateway", "other");
    EXPECT_EQ(status(on_other_gateway, kOutsideClient, "http://edge-istio.infra/deny"), 200);
    const std::string on_service = mesh + policy_to("", "Service", "web");
    EXPECT_EQ(status(on_service, kOutsideClient, "http://edge-istio.infra/deny"), 200);
    EXPECT_EQ(status(on_service, "infra/client", "http://web.infra:8080/deny"), 200);
  }
}

}  // namespace
}  // namespace meshsim::sim
