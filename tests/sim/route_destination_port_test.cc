// A route destination's port against the ports its Service declares. Istio
// builds a Service's outbound clusters for the ports the Service declares
// only (pilot/pkg/networking/core/cluster.go buildOutboundClusters walks
// service.Ports); the route names its cluster from the destination port, or
// when the destination names none from the Service's only port, else the
// listener port (route/route.go GetDestinationCluster). A cluster that does
// not exist is Envoy's cluster_not_found_response_code, 503 by default, with
// flag NC (envoy source/common/router/router.cc, "no cluster match"); Istio
// sets 500 for routes with Gateway API semantics (route.go
// ClusterNotFoundResponseCode INTERNAL_SERVER_ERROR, httproute_types.go
// BackendRefs), whose conversion (config/kube/gateway/conversion.go
// buildDestination) does not check a Service backendRef's port.
// Sources per row.
#include <gtest/gtest.h>

#include "sim/world.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::sim {
namespace {

std::string deployment(const std::string& name, const std::string& ns = "default") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec:\n  selector: {matchLabels: {app: " + name + "}}\n  template:\n    metadata: {labels: {app: " + name +
         "}}\n    spec: {containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}\n---\n";
}

// curl calls bar; foo declares 80 -> 8080; qux declares 9090 and 9091; an
// ingress gateway listens on 8080 behind its Service's port 80.
const std::string kTopology =
    deployment("curl") + deployment("bar") + deployment("foo") + deployment("qux") +
    R"(apiVersion: apps/v1
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
metadata: {name: bar}
spec: {selector: {app: bar}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: foo}
spec: {selector: {app: foo}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: qux}
spec: {selector: {app: qux}, ports: [{name: http-a, port: 9090, targetPort: 8080}, {name: http-b, port: 9091, targetPort: 8080}]}
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
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*"]}]
---
)";

// A VirtualService for `host` with one route to `destination` (flow YAML).
std::string route(const std::string& host, const std::string& destination, const std::string& gateways = "") {
  return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: " + host +
         "-route}\nspec:\n  hosts: [" + host + "]\n" + (gateways.empty() ? "" : "  gateways: [" + gateways + "]\n") +
         "  http: [{route: [{destination: " + destination + "}]}]\n---\n";
}

// A GAMMA HTTPRoute on Service bar's port 80 with one backendRef.
std::string http_route(const std::string& backend_ref) {
  return "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: bar}\nspec:\n"
         "  parentRefs: [{group: \"\", kind: Service, name: bar, port: 80}]\n  rules: [{backendRefs: [" +
         backend_ref + "]}]\n---\n";
}

// What a call ended as: "200 <workload> <cluster>", "503 NC" (from outside: "200 <workload>").
std::string outcome(const CallResult& out) {
  if (!out.outbound.response) return "no response: " + out.outbound.error;
  std::string s = std::to_string(out.outbound.response->status);
  if (!out.outbound.served_by) return s + " " + out.outbound.flags;
  s += " " + out.outbound.served_by->workload;
  // A call from outside has no sidecar of its own: the gateway's cluster is not the client's.
  return out.outbound.cluster().empty() ? s : s + " " + std::string(out.outbound.cluster());
}

struct Row {
  const char* name;
  std::string yaml;
  const char* url_host;  // from curl's sidecar; "@gateway <Host>" from outside through the ingress gateway
  uint32_t port;
  const char* expected;
  const char* source;
};

TEST(RouteDestinationPort, OnlyPortsTheServiceDeclaresHaveClusters) {
  const Row rows[] = {
      {"a declared destination port is served", route("bar", "{host: foo, port: {number: 80}}"), "bar", 80,
       "200 foo outbound|80||foo.default.svc.cluster.local", "cluster.go buildOutboundClusters: a cluster per Service port"},
      {"the Service's targetPort is no Service port: 503 NC", route("bar", "{host: foo, port: {number: 8080}}"), "bar",
       80, "503 NC", "cluster.go buildOutboundClusters (service.Ports); envoy router.cc cluster not found"},
      {"a port the Service does not declare: 503 NC", route("bar", "{host: foo, port: {number: 81}}"), "bar", 80,
       "503 NC", "cluster.go buildOutboundClusters (service.Ports); envoy router.cc cluster not found"},
      {"no port, one-port Service: its port", route("bar", "{host: foo}"), "bar", 80,
       "200 foo outbound|80||foo.default.svc.cluster.local", "route.go GetDestinationCluster: len(service.Ports) == 1"},
      {"no port, multi-port Service: the listener port, which qux lacks", route("bar", "{host: qux}"), "bar", 80,
       "503 NC", "route.go GetDestinationCluster: port := listenerPort"},
      {"no port, multi-port Service: the listener port qux declares", route("qux", "{host: qux}"), "qux", 9091,
       "200 qux outbound|9091||qux.default.svc.cluster.local", "route.go GetDestinationCluster: port := listenerPort"},
      {"no port, multi-port Service, gateway: the server port, which qux lacks",
       route("qux.example.com", "{host: qux}", "gw"), "@gateway qux.example.com", 80, "503 NC",
       "route.go GetDestinationCluster with the gateway server's port (gateway.go buildGatewayHTTPRouteConfig)"},
      {"a declared port through the gateway is served", route("qux.example.com", "{host: qux, port: {number: 9090}}", "gw"),
       "@gateway qux.example.com", 80, "200 qux",
       "cluster.go buildOutboundClusters"},
      {"GAMMA backendRef on a declared port is served", http_route("{name: foo, port: 80}"), "bar", 80,
       "200 foo outbound|80||foo.default.svc.cluster.local", "conversion.go buildDestination"},
      {"GAMMA backendRef on a port foo lacks: 500 NC", http_route("{name: foo, port: 81}"), "bar", 80, "500 NC",
       "conversion.go buildDestination keeps the port; route.go ClusterNotFoundResponseCode INTERNAL_SERVER_ERROR"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " — " + row.source);
    World world(WorldOptions{1, proxy::Duration(0)});
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(testing::load_or_fail({{"test.yaml", kTopology + row.yaml}}).resources, &errors));
    proxy::HttpRequest r;
    r.target = "/";
    std::string_view url_host = row.url_host;
    if (url_host.starts_with("@gateway ")) {
      r.authority = std::string(url_host.substr(9));
      EXPECT_EQ(outcome(world.call_outside(r, "ingressgateway.istio-system", row.port)), row.expected);
      continue;
    }
    r.authority = std::string(url_host) + (row.port == 80 ? "" : ":" + std::to_string(row.port));
    auto out = world.call("default", "curl", r, std::string(url_host), row.port);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(outcome(*out), row.expected);
  }
}

}  // namespace
}  // namespace meshsim::sim
