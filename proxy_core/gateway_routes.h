// Istio gateway proxies: which Deployments run one, which ports they listen
// on and which virtual hosts each port serves, compiled from the Gateway
// servers that select the pod and the VirtualServices bound to those
// Gateways. Follows istio/istio pilot/pkg/model/gateway.go (mergeGateways,
// resolvePorts, sanitizeServerHostNamespace) and
// pilot/pkg/networking/core/gateway.go (buildGatewayHTTPRouteConfig).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy_core/route_table.h"

namespace meshsim::proxy {

// A pod runs Istio's gateway proxy, not an app plus sidecar, when it asks the
// injector for the gateway template (annotation inject.istio.io/templates:
// gateway, as the gateway charts and `istioctl` gateway Deployments do) or
// carries the labels of the default gateways (istio: ingressgateway /
// egressgateway, manifests/charts/gateways).
bool is_gateway_workload(const Deployment& d);
bool is_gateway_pod(const Labels& labels, const Labels& annotations);

// A VirtualService's (or match's) reference to a Gateway as Istio resolves it
// (pilot/pkg/model/config.go resolveGatewayName): "mesh" stays; "name" is
// in the VirtualService's namespace; "./name" too; "ns/name" is explicit;
// the legacy "name.ns[.svc.cluster.local]" means ns/name.
std::string resolve_gateway_name(std::string_view reference, std::string_view vs_namespace);

// protocol.Parse(name).IsHTTP() (pkg/config/protocol/instance.go): HTTP,
// HTTP2, HTTP_PROXY, GRPC and GRPC-Web, in any letter case. A gateway server
// on such a port serves plain-text HTTP routes (gateway.go IsHTTPServer).
bool is_http_protocol(std::string_view protocol);

// Istio host.Name semantics for hosts with a leading "*" wildcard.
bool host_name_matches(std::string_view a, std::string_view b);   // host.Name.Matches (either way)
bool host_name_subset_of(std::string_view a, std::string_view b);  // host.Name.SubsetOf (a within b)
// The server hosts a VirtualService of `vs_namespace` may bind to
// (host.NamesForNamespace): "ns/host" only for that namespace, "*/host" for
// all; `server_hosts` are already sanitized ("./h" -> "<gateway ns>/h").
std::vector<std::string> server_hosts_for_namespace(const std::vector<std::string>& server_hosts,
                                                    std::string_view vs_namespace);
// host.Names.Intersection: for each pair that overlaps, the narrower host.
std::vector<std::string> intersect_hosts(const std::vector<std::string>& server_hosts,
                                         const std::vector<std::string>& vs_hosts);
// Envoy's virtual host domain match: exact, "*", "*suffix" or "prefix*".
bool envoy_domain_matches(std::string_view domain, std::string_view host);

// One Envoy route of a gateway's virtual host: a VirtualService rule's match.
struct GatewayRouteEntry {
  const CompiledVirtualService* vs = nullptr;
  const CompiledHttpRoute* rule = nullptr;
  int match_index = -1;      // -1: the rule has no match (prefix "/")
  std::string gateway;       // the Gateway ("ns/name") the VirtualService is bound through
  uint32_t server_port = 0;  // that server's port.number: routes are built for it (destination ports, match.port)
};

struct GatewayVirtualHost {
  std::string domain;  // lower case
  bool require_tls = false;  // a server with tls.httpsRedirect: every plain-HTTP request gets 301 to https
  std::vector<GatewayRouteEntry> routes;  // catch-all routes last (route.go SortVHostRoutes)
  // A virtual host of a Gateway API listener: the HTTPRoute matches attached
  // for this hostname, in Gateway API precedence (route_table.h
  // gateway_api_precedes), routed with HTTPRoute semantics; `routes` is empty.
  bool gateway_api = false;
  std::vector<const CompiledGwMatch*> gateway_api_routes;
};

struct GatewayListener {
  uint32_t port = 0;   // where the proxy listens: the resolved (target) port
  bool plaintext_http = false;  // an HTTP/HTTP2/GRPC server without TLS termination listens here
  std::vector<std::string> gateways;  // "ns/name" of the Gateways with servers here
  std::vector<GatewayVirtualHost> virtual_hosts;
  // Envoy's choice among the virtual hosts by the request's Host, its port
  // ignored (Istio sets IgnorePortInHostMatching on gateways): an exact
  // domain, else the longest suffix wildcard, else the longest prefix
  // wildcard, else "*". Null when none matches: 404 NR.
  const GatewayVirtualHost* virtual_host(std::string_view authority) const;
};

struct GatewayRoutes {
  // By "namespace/pod" of each gateway pod.
  std::map<std::string, std::vector<GatewayListener>, std::less<>> by_pod;
  // The listener of gateway pod `e` on `port`, or null (nothing listens there).
  const GatewayListener* listener(const Endpoint& e, uint32_t port) const;
  // Every listener of pod `e` (empty for a pod without a gateway proxy).
  const std::vector<GatewayListener>& listeners(const Endpoint& e) const;
  // Owns the HTTPRoute matches compiled for Gateway API listeners (pointers stay put).
  std::vector<std::unique_ptr<const CompiledGwMatch>> gateway_api_matches;
};

GatewayRoutes build_gateway_routes(const RouteTable& table);

}  // namespace meshsim::proxy
