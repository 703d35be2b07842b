// Gateway host matching, VirtualService-to-Gateway binding and the virtual
// hosts a gateway proxy builds, row by row against Istio's and Envoy's
// sources (cited per table).
#include "proxy_core/gateway_routes.h"

#include <gtest/gtest.h>

#include "config/loader.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::proxy {
namespace {

// istio/istio pkg/config/host/name.go Name.Matches / Name.SubsetOf; the
// gateway.proto Server.hosts text: "*.example.com" covers dev.example.com,
// not example.com.
TEST(GatewayHosts, IstioHostNameSemantics) {
  struct Row {
    const char *a, *b;
    bool matches, a_subset_of_b;
  } rows[] = {
      {"dev.example.com", "*.example.com", true, true},
      {"example.com", "*.example.com", false, false},
      {"*.example.com", "dev.example.com", true, false},
      {"*.dev.example.com", "*.example.com", true, true},  // both wildcards: the longer is within the shorter
      {"*.example.com", "*.dev.example.com", true, false},
      {"anything.org", "*", true, true},
      {"*", "anything.org", true, false},
      {"a.example.com", "b.example.com", false, false},
      {"same.example.com", "same.example.com", true, true},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(host_name_matches(r.a, r.b), r.matches) << r.a << " vs " << r.b;
    EXPECT_EQ(host_name_subset_of(r.a, r.b), r.a_subset_of_b) << r.a << " within " << r.b;
  }
}

// pkg/config/host/names.go NamesForNamespace and Intersection, as
// buildGatewayHTTPRouteConfig (pilot/pkg/networking/core/gateway.go)
// uses them; gateway.proto: "ns1/*" lets any VirtualService of ns1 bind,
// "ns2/foo.bar.com" only foo.bar.com from ns2.
TEST(GatewayHosts, ServerHostsPerNamespaceAndIntersection) {
  std::vector<std::string> server = {"ns1/*", "ns2/foo.bar.com", "*/shared.example.com", "plain.example.com"};
  EXPECT_EQ(server_hosts_for_namespace(server, "ns1"),
            (std::vector<std::string>{"*", "shared.example.com", "plain.example.com"}));
  EXPECT_EQ(server_hosts_for_namespace(server, "ns2"),
            (std::vector<std::string>{"foo.bar.com", "shared.example.com", "plain.example.com"}));
  EXPECT_EQ(server_hosts_for_namespace(server, "other"), (std::vector<std::string>{"shared.example.com", "plain.example.com"}));
  struct Row {
    std::vector<std::string> server, vs, want;
  } rows[] = {
      {{"*"}, {"app1.example.com"}, {"app1.example.com"}},             // the narrower host is the domain
      {{"httpbin.example.com"}, {"*"}, {"httpbin.example.com"}},
      {{"*.example.com"}, {"*.example.com"}, {"*.example.com"}},
      {{"*.foo.com"}, {"1.foo.com", "2.foo.com"}, {"1.foo.com", "2.foo.com"}},  // gateway.go case 1
      {{"1.foo.com", "2.foo.com"}, {"*.foo.com"}, {"1.foo.com", "2.foo.com"}},  // gateway.go case 2
      {{"foo.bar.com"}, {"other.example.com"}, {}},
  };
  for (const Row& r : rows) EXPECT_EQ(intersect_hosts(r.server, r.vs), r.want);
}

// pkg/config/protocol/instance.go: Parse lower-cases the name, and
// Instance.IsHTTP is HTTP, HTTP2, HTTP_PROXY, GRPC, GRPCWeb ("GRPC-Web").
// pkg/config/gateway/gateway.go IsHTTPServer makes a gateway server on such a
// port an HTTP one; HTTPS, TLS and the TCP family are not.
TEST(GatewayProtocols, HttpAsIstioInstanceIsHTTP) {
  struct Row {
    const char* protocol;
    bool http;
    const char* source;
  } rows[] = {
      {"HTTP", true, "instance.go IsHTTP: HTTP"},
      {"http", true, "instance.go Parse: strings.ToLower"},
      {"HTTP2", true, "instance.go IsHTTP: HTTP2"},
      {"HTTP_PROXY", true, "instance.go IsHTTP: HTTP_PROXY"},
      {"http_proxy", true, "instance.go Parse: case \"http_proxy\""},
      {"GRPC", true, "instance.go IsHTTP: GRPC"},
      {"GRPC-Web", true, "instance.go GRPCWeb Instance = \"GRPC-Web\""},
      {"GRPC-WEB", true, "instance.go Parse: case \"grpc-web\" after ToLower"},
      {"grpc-web", true, "instance.go Parse: case \"grpc-web\""},
      {"HTTPS", false, "instance.go IsHTTP: HTTPS is IsTLS, not IsHTTP"},
      {"TLS", false, "instance.go IsTLS"},
      {"TCP", false, "instance.go IsTCP"},
      {"Mongo", false, "instance.go IsTCP"},
      {"", false, "instance.go Parse(\"\") is Unsupported"},
      {"SPDY", false, "instance.go Parse: Unsupported"},
  };
  for (const Row& r : rows) EXPECT_EQ(is_http_protocol(r.protocol), r.http) << r.protocol << ": " << r.source;
}

// pilot/pkg/model/config.go resolveGatewayName.
TEST(GatewayBinding, ResolveGatewayName) {
  struct Row {
    const char *ref, *vs_ns, *want;
  } rows[] = {
      {"mesh", "default", "mesh"},
      {"httpbin-gateway", "default", "default/httpbin-gateway"},
      {"./gw", "apps", "apps/gw"},
      {"some-config-namespace/my-gateway", "bookinfo-namespace", "some-config-namespace/my-gateway"},
      {"my-gateway.istio-system", "default", "istio-system/my-gateway"},
      {"my-gateway.istio-system.svc.cluster.local", "default", "istio-system/my-gateway"},
  };
  for (const Row& r : rows) EXPECT_EQ(resolve_gateway_name(r.ref, r.vs_ns), r.want) << r.ref;
}

// Envoy route config: virtual host domains, exact first, then the longest
// suffix wildcard, then prefix wildcards, then "*" (route_config.proto
// VirtualHost.domains); the Host's port is ignored on gateways.
TEST(GatewayHosts, EnvoyVirtualHostSelection) {
  GatewayListener l;
  for (const char* d : {"*", "*.example.com", "*.dev.example.com", "api.example.com", "api.*"})
    l.virtual_hosts.push_back({.domain = d, .require_tls = false});
  struct Row {
    const char *authority, *want;
  } rows[] = {
      {"api.example.com", "api.example.com"},   {"API.example.com:8080", "api.example.com"},
      {"x.dev.example.com", "*.dev.example.com"}, {"x.example.com:12345", "*.example.com"},
      {"api.internal", "api.*"},                {"example.com", "*"},
  };
  for (const Row& r : rows) {
    const GatewayVirtualHost* v = l.virtual_host(r.authority);
    ASSERT_NE(v, nullptr) << r.authority;
    EXPECT_EQ(v->domain, r.want) << r.authority;
  }
  l.virtual_hosts.erase(l.virtual_hosts.begin());  // without "*": no virtual host -> 404 NR
  EXPECT_EQ(l.virtual_host("example.com"), nullptr);
}

std::shared_ptr<const RouteTable> build(const std::string& yaml) {
  auto loaded = testing::load_or_fail({{"gateway.yaml", yaml}});
  std::vector<std::string> errors;
  auto table = RouteTable::create(std::move(loaded.resources), &errors);
  EXPECT_TRUE(table) << (errors.empty() ? "" : errors.front());
  return table;
}

constexpr const char* kGatewayPod = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: gw, namespace: edge}
spec:
  selector: {matchLabels: {app: gw}}
  template: {metadata: {labels: {app: gw, role: front}, annotations: {inject.istio.io/templates: gateway}}, spec: {containers: [{name: p, image: x}]}}
---
apiVersion: v1
kind: Service
metadata: {name: gw, namespace: edge}
spec: {selector: {app: gw}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 80}]}
---
)";

// gateway.go resolvePorts: with a label selector a server port names a
// Service port (translated to its targetPort) or the container port itself;
// servers of every Gateway on the same resolved port share one listener.
// Match-level `gateways` and the VirtualService's own list decide which
// rules each gateway gets (route.go sourceMatchHTTP); catch-all routes go
// last (SortVHostRoutes) and fragments for one host merge (gateway.go).
TEST(GatewayRoutesBuild, PortsBindingAndMerging) {
  auto table = build(std::string(kGatewayPod) + R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: edge}
spec:
  selector: {role: front}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: b}
spec:
  selector: {role: front}
  servers:
  - {port: {number: 8080, name: http, protocol: HTTP}, hosts: ["./site.example.com"]}
  - {port: {number: 8443, name: https, protocol: HTTPS}, hosts: ["*"], tls: {mode: SIMPLE, credentialName: c}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: catch-all}
spec:
  hosts: [site.example.com]
  gateways: [edge/a, b, mesh]
  http:
  - route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [site.example.com]
  gateways: [b, edge/a]
  http:
  - match: [{uri: {prefix: /api}, gateways: [b]}, {uri: {prefix: /v2}, gateways: [edge/a]}]
    route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mesh-only}
spec:
  hosts: [site.example.com]
  http: [{route: [{destination: {host: web}}]}]
)");
  ASSERT_TRUE(table);
  const Endpoint* pod = table->endpoint_by_workload("edge", "gw");
  ASSERT_NE(pod, nullptr);
  EXPECT_TRUE(pod->gateway_proxy);
  const auto& listeners = table->gateway_routes().listeners(*pod);
  ASSERT_EQ(listeners.size(), 2u);  // 8080 (a's 80 translated, b's 8080 as-is) and 8443
  const GatewayListener* http = table->gateway_routes().listener(*pod, 8080);
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->gateways, (std::vector<std::string>{"edge/a", "default/b"}));
  EXPECT_FALSE(table->gateway_routes().listener(*pod, 8443)->plaintext_http);  // TLS only
  EXPECT_EQ(table->gateway_routes().listener(*pod, 80), nullptr);
  const GatewayVirtualHost* v = http->virtual_host("site.example.com");
  ASSERT_NE(v, nullptr);
  // From a: catch-all, /v2; from b (its "./" host is the default namespace's): catch-all, /api.
  // Sorted: the two non-catch-alls first, in order; mesh-only is never bound.
  ASSERT_EQ(v->routes.size(), 4u);
  EXPECT_EQ(v->routes[0].vs->spec->header.meta.name, "api");
  EXPECT_EQ(v->routes[0].gateway, "edge/a");
  EXPECT_EQ(v->routes[1].vs->spec->header.meta.name, "api");
  EXPECT_EQ(v->routes[1].gateway, "default/b");
  EXPECT_EQ(v->routes[2].vs->spec->header.meta.name, "catch-all");
  EXPECT_EQ(v->routes[3].vs->spec->header.meta.name, "catch-all");
  EXPECT_EQ(v->routes[0].server_port, 80u);
  EXPECT_EQ(v->routes[1].server_port, 8080u);
}

// A gateway server whose protocol IsHTTP is an HTTP server (gateway.go
// IsHTTPServer, gatewayRDSRouteName "http.<port>"): HTTP_PROXY, which
// protocol.Parse accepts, gets the VirtualService's routes like HTTP does.
TEST(GatewayRoutesBuild, HttpProxyServerServesHttpRoutes) {
  auto table = build(std::string(kGatewayPod) + R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: proxy-gw, namespace: edge}
spec:
  selector: {role: front}
  servers: [{port: {number: 3128, name: proxy, protocol: http_proxy}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: site}
spec:
  hosts: [site.example.com]
  gateways: [edge/proxy-gw]
  http: [{route: [{destination: {host: web}}]}]
)");
  ASSERT_TRUE(table);
  const Endpoint* pod = table->endpoint_by_workload("edge", "gw");
  ASSERT_NE(pod, nullptr);
  const GatewayListener* l = table->gateway_routes().listener(*pod, 3128);
  ASSERT_NE(l, nullptr);
  EXPECT_TRUE(l->plaintext_http);
  const GatewayVirtualHost* v = l->virtual_host("site.example.com");
  ASSERT_NE(v, nullptr);
  ASSERT_EQ(v->routes.size(), 1u);
  EXPECT_EQ(v->routes[0].vs->spec->header.meta.name, "site");
}

}  // namespace
}  // namespace meshsim::proxy
