// Gateway API north-south as Istio implements it: what Istio deploys for a
// Gateway, which listeners accept a route (allowedRoutes, sectionName, port,
// hostnames) and which backendRefs resolve. Table rows cite their source.
#include "proxy_core/gateway_api.h"

#include <gtest/gtest.h>

#include "config/loader.h"

namespace meshsim::proxy {
namespace {

Resources load_yaml(const std::string& yaml) {
  auto loaded = config::load({{"test.yaml", yaml}});
  for (const auto& d : loaded.diagnostics) EXPECT_NE(d.severity, config::Severity::kError) << config::format_diagnostic(d);
  return loaded.resources;
}

// Listeners of every shape the rows below attach to (gateway-api
// conformance/base/manifests.yaml shapes, plus hostnames from
// httproute-listener-hostname-matching.yaml).
constexpr const char* kGateways = R"(
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {gateway-conformance: backend}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - {name: same, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}
  - {name: all-foo, port: 8080, protocol: HTTP, hostname: foo.bar.com, allowedRoutes: {namespaces: {from: All}}}
  - {name: all-wild, port: 8080, protocol: HTTP, hostname: "*.bar.com", allowedRoutes: {namespaces: {from: All}}}
  - name: selected
    port: 9090
    protocol: HTTP
    allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {gateway-conformance: backend}}}}
  - name: grpc-only
    port: 7070
    protocol: HTTP
    allowedRoutes: {namespaces: {from: All}, kinds: [{kind: GRPCRoute}]}
  - {name: tcp, port: 5000, protocol: TCP, allowedRoutes: {namespaces: {from: All}}}
)";

std::string route(const std::string& ns, const std::string& parent, const std::string& hostnames) {
  return "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: " + ns +
         "}\nspec:\n  parentRefs: [" + parent + "]\n" + (hostnames.empty() ? "" : "  hostnames: " + hostnames + "\n") +
         "  rules: [{backendRefs: [{name: svc, port: 8080}]}]\n";
}

TEST(GatewayApiAttachment, ListenersAcceptRoutesAsTheSpecSays) {
  struct Row {
    const char* source;
    std::string ns, parent, hostnames;
    bool accepted;
    std::string reason;
    std::vector<std::string> listeners;  // "name=host,host"
  } rows[] = {
      {"gateway_types.go FromNamespaces Same; HTTPRouteSimpleSameNamespace", "infra",
       "{name: gw, sectionName: same}", "", true, "Accepted", {"same=*"}},
      {"HTTPRouteInvalidCrossNamespaceParentRef: from Same refuses another namespace", "team-b",
       "{name: gw, namespace: infra, sectionName: same}", "", false, "NotAllowedByListeners", {}},
      {"FromNamespaces Selector; HTTPRouteCrossNamespace (namespace labels)", "team-a",
       "{name: gw, namespace: infra, sectionName: selected}", "", true, "Accepted", {"selected=*"}},
      {"Selector: a namespace without the label is refused", "team-b",
       "{name: gw, namespace: infra, sectionName: selected}", "", false, "NotAllowedByListeners", {}},
      {"shared_types.go ParentReference.Port: only listeners on that port", "team-b",
       "{name: gw, namespace: infra, port: 8080}", "[foo.bar.com]", true, "Accepted",
       {"all-foo=foo.bar.com", "all-wild=foo.bar.com"}},
      {"HTTPRouteListenerHostnameMatching: a wildcard listener takes the route hostnames within it", "team-b",
       "{name: gw, namespace: infra, sectionName: all-wild}", "[\"*.bar.com\", baz.bar.com, example.com]", true,
       "Accepted", {"all-wild=*.bar.com,baz.bar.com"}},
      {"HTTPRouteHostnameIntersection: a wildcard route hostname narrows to the listener's", "team-b",
       "{name: gw, namespace: infra, sectionName: all-foo}", "[\"*.bar.com\"]", true, "Accepted",
       {"all-foo=foo.bar.com"}},
      {"httproute_types.go Hostnames: no intersection -> NoMatchingListenerHostname", "team-b",
       "{name: gw, namespace: infra, sectionName: all-foo}", "[example.com]", false, "NoMatchingListenerHostname", {}},
      {"shared_types.go SectionName: no listener of that name -> NoMatchingParent", "infra",
       "{name: gw, sectionName: nope}", "", false, "NoMatchingParent", {}},
      {"a missing Gateway -> NoMatchingParent", "infra", "{name: missing}", "", false, "NoMatchingParent", {}},
      {"AllowedRoutes.Kinds: GRPCRoute only refuses an HTTPRoute", "infra", "{name: gw, sectionName: grpc-only}", "",
       false, "NotAllowedByListeners", {}},
      {"a TCP listener carries TCPRoutes, not HTTPRoutes (gateway_types.go AllowedRoutes.Kinds)", "infra",
       "{name: gw, sectionName: tcp}", "", false, "NotAllowedByListeners", {}},
  };
  for (const Row& row : rows) {
    Resources r = load_yaml(std::string(kGateways) + "---\n" + route(row.ns, row.parent, row.hostnames));
    ASSERT_EQ(r.http_routes.size(), 1u);
    auto parents = gateway_parents(r, r.http_routes[0]);
    ASSERT_EQ(parents.size(), 1u) << row.source;
    EXPECT_EQ(parents[0].accepted, row.accepted) << row.source;
    EXPECT_EQ(parents[0].reason, row.reason) << row.source << ": " << parents[0].message;
    std::vector<std::string> got;
    for (const auto& a : parents[0].listeners) {
      std::string hosts;
      for (const auto& h : a.hostnames) hosts += (hosts.empty() ? "" : ",") + h;
      got.push_back(a.listener->name + "=" + hosts);
    }
    EXPECT_EQ(got, row.listeners) << row.source;
  }
}

TEST(GatewayApiBackends, ResolvedRefsReasons) {
  const std::string base = R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: backend}
spec: {selector: {app: web}, ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: local, namespace: infra}
spec: {selector: {app: local}, ports: [{port: 8080}]}
)";
  const std::string grant = R"(
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: backend}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: infra}]
  to: [{group: "", kind: Service, name: web}]
)";
  struct Row {
    const char* source;
    std::string extra, backend;
    std::string reason;
  } rows[] = {
      {"HTTPRouteSimpleSameNamespace: a Service of the route's namespace", "", "{name: local, port: 8080}", ""},
      {"HTTPRouteInvalidNonExistentBackendRef -> BackendNotFound", "", "{name: nonexistent, port: 8080}",
       "BackendNotFound"},
      {"HTTPRouteInvalidBackendRefUnknownKind -> InvalidKind", "",
       "{group: unknownkind.example.com, kind: NonExistent, name: local, port: 8080}", "InvalidKind"},
      {"HTTPRouteInvalidCrossNamespaceBackendRef (no ReferenceGrant) -> RefNotPermitted", "",
       "{name: web, namespace: backend, port: 8080}", "RefNotPermitted"},
      {"HTTPRouteReferenceGrant: the grant in the backend namespace allows it", grant,
       "{name: web, namespace: backend, port: 8080}", ""},
      {"HTTPRoutePartiallyInvalidViaInvalidReferenceGrant: a grant for another Service does not", grant,
       "{name: other, namespace: backend, port: 8080}", "RefNotPermitted"},
  };
  for (const Row& row : rows) {
    Resources r = load_yaml(base + row.extra +
                            "\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, "
                            "namespace: infra}\nspec:\n  parentRefs: [{name: gw}]\n  rules: [{backendRefs: [" +
                            row.backend + "]}]\n");
    ASSERT_EQ(r.http_routes.size(), 1u) << row.source;
    BackendStatus st = resolve_backend(r, r.http_routes[0], r.http_routes[0].rules[0].backend_refs[0]);
    EXPECT_EQ(st.reason, row.reason) << row.source << ": " << st.message;
  }
}

// istio.io "Kubernetes Gateway API" task, Automated Deployment, and
// deploymentcontroller.go extractServicePorts: <name>-istio, status-port
// 15021, one port per distinct listener port named after the listener.
TEST(GatewayApiProvisioning, DeploysNameIstioWithListenerPorts) {
  Resources r = load_yaml(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gateway, namespace: istio-ingress}
spec:
  gatewayClassName: istio
  listeners:
  - {name: default, hostname: "*.example.com", port: 80, protocol: HTTP}
  - {name: other, hostname: "*.example.org", port: 80, protocol: HTTP}
  - {name: alt, port: 8080, protocol: HTTP}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: elsewhere, namespace: istio-ingress}
spec:
  gatewayClassName: not-istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
)");
  provision_gateways(r);
  provision_gateways(r);  // idempotent
  ASSERT_EQ(r.deployments.size(), 1u);
  ASSERT_EQ(r.services.size(), 1u);
  const Deployment& d = r.deployments[0];
  EXPECT_EQ(d.header.meta.name, "gateway-istio");
  EXPECT_EQ(d.header.meta.ns, "istio-ingress");
  EXPECT_EQ(d.pod_labels.at("gateway.networking.k8s.io/gateway-name"), "gateway");
  EXPECT_EQ(d.pod_annotations.at("inject.istio.io/templates"), "gateway");
  const Service& s = r.services[0];
  EXPECT_EQ(s.header.meta.name, "gateway-istio");
  EXPECT_EQ(s.type, "LoadBalancer");
  ASSERT_EQ(s.ports.size(), 3u);
  EXPECT_EQ(s.ports[0].name, "status-port");
  EXPECT_EQ(s.ports[0].port, 15021u);
  EXPECT_EQ(s.ports[1].name, "default");
  EXPECT_EQ(s.ports[1].port, 80u);
  EXPECT_EQ(s.ports[1].app_protocol, "http");
  EXPECT_EQ(s.ports[2].name, "alt");
  // Deleting the Gateway removes what was generated for it.
  r.k8s_gateways.clear();
  provision_gateways(r);
  EXPECT_TRUE(r.deployments.empty());
  EXPECT_TRUE(r.services.empty());
}

// metav1.LabelSelector: matchLabels AND matchExpressions; Kubernetes labels
// every namespace kubernetes.io/metadata.name=<name> (NamespaceDefaultLabelName).
TEST(GatewayApiAttachment, NamespaceSelectors) {
  Resources r;
  LabelSelector by_name;
  by_name.match_labels["kubernetes.io/metadata.name"] = "apps";
  EXPECT_TRUE(by_name.matches(namespace_labels(r, "apps")));
  EXPECT_FALSE(by_name.matches(namespace_labels(r, "other")));
  LabelSelector expr;
  expr.match_expressions.push_back({"env", "In", {"prod", "stage"}});
  expr.match_expressions.push_back({"legacy", "DoesNotExist", {}});
  EXPECT_TRUE(expr.matches({{"env", "prod"}}));
  EXPECT_FALSE(expr.matches({{"env", "dev"}}));
  EXPECT_FALSE(expr.matches({{"env", "prod"}, {"legacy", "1"}}));
}

}  // namespace
}  // namespace meshsim::proxy
