// Outbound route selection: the pure part of the client-side sidecar.
// Given the snapshot, the calling workload and a request, decides what
// Envoy's HTTP connection manager would: which resource, rule and match
// apply; a local reply (404 NR, redirect, direct response, CORS preflight,
// 503 NC/UH) or a cluster to forward to, with faults, timeout, retry policy,
// mirrors and the header operations for the response. Rewrites and request
// header operations are applied to `request` in place.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy_core/env.h"
#include "proxy_core/header_format.h"
#include "proxy_core/http.h"
#include "proxy_core/route_table.h"

namespace meshsim::proxy {

// The calling side. `endpoint` is null for a client outside the registry.
struct ClientContext {
  const Endpoint* endpoint = nullptr;
  std::string_view ns = "default";
  const Labels* labels = nullptr;  // null: none (a client outside the mesh); borrowed, not copied per request
  // A gateway proxy's routes: their gateway, port and source matches were
  // settled when the gateway's virtual hosts were built (gateway_routes.h).
  bool gateway = false;
  // What header value formats read of the stream (header_format.h): the
  // downstream connection's remote address (the app's pod for a sidecar, the
  // client for a gateway) and when the request started, in Unix
  // microseconds (< 0: unknown).
  std::string_view downstream_ip;
  int64_t start_unix_us = -1;
};

// Which resource, rule and match routed a request (RouteInfo is its text).
struct RouteRef {
  const CompiledVirtualService* vs = nullptr;
  const CompiledHttpRoute* rule = nullptr;
  const CompiledGwMatch* gw = nullptr;
  int match_index = -1;
  // What reports and describe() name the route by: the resource's label
  // ("VirtualService default/reviews", "HTTPRoute ns/name") and the rule's
  // name (or "#<index>"). Empty for a reference to nothing.
  std::string_view resource() const;
  std::string_view rule_name() const;
};

struct RouteInfo {
  std::string resource;  // "VirtualService default/reviews" or "HTTPRoute ns/name"
  std::string rule;      // rule name, or "#<index>"
  int rule_index = -1;
  std::string match;     // match name, or "#<index>"
  int match_index = -1;
};
RouteInfo describe(const RouteRef& ref);

// The header operations of one Envoy HeaderParser, as Istio translates a
// VirtualService (route.go): its removes run first, then every set, then
// every add (header_parser.cc evaluateHeaders). A rule with a single
// destination has one parser, the destination's operations `joined` after
// the route's (processDestination); a weighted destination has its own,
// evaluated before the route's (processWeightedDestination).
struct HeaderParserOps {
  const HeaderOps* ops = nullptr;
  const HeaderOps* joined = nullptr;
};

// Evaluates one parser over `headers`. With `authority`, a set of
// :authority or host rewrites it instead, the first operations' winning
// over the joined ones' (route.go: the destination's only if the route set none).
// Values with a format (header_format.h) are formatted in `context` (none:
// sent as written), all of them before the first set or add, and a value
// that comes out empty is not written (header_parser.cc evaluateHeaders).
void evaluate_header_ops(const HeaderParserOps& parser, HeaderMap& headers, std::string* authority = nullptr,
                         const FormatContext* context = nullptr);

// The context a route's header formats see for a request routed with
// `client` to `cluster` (null: none).
FormatContext format_context(const ClientContext& client, const HttpRequest& request, const Cluster* cluster);

// What the router decided. Pointers refer into the RouteTable the decision
// was made with; the caller keeps that snapshot alive while using them.
struct RouteDecision {
  // kTcpProxy: no HTTP listener takes the connection (a Service address on
  // a port no Service the client imports declares): the virtual outbound
  // listener's catch-all tcp_proxy to `cluster`, PassthroughCluster, or
  // with no cluster to BlackHoleCluster under REGISTRY_ONLY (istio
  // listener_builder.go buildOutboundCatchAllNetworkFiltersOnly).
  enum class Kind { kForward, kLocalReply, kUnresolvable, kTcpProxy };
  Kind kind = Kind::kForward;
  // Set with kind kLocalReply. Boxed: most decisions forward, and a decision
  // moves several times on its way to the call that keeps it (issue 20).
  std::unique_ptr<HttpResponse> local_reply;
  const char* flag = "";  // Envoy response flag of a local reply: NR, NC, UH
  const Cluster* cluster = nullptr;
  std::shared_ptr<const Cluster> owned_cluster;  // a port the Service does not declare
  std::optional<Duration> timeout;               // none = disabled (Istio's default)
  const RetryPolicy* retry = nullptr;            // none = no retries
  std::optional<Duration> fault_delay;
  std::optional<int> fault_abort_status;
  std::optional<int> fault_abort_grpc_status;  // fault.abort.grpcStatus, as its code
  std::vector<const Cluster*> mirrors;
  std::vector<HeaderParserOps> response_ops;  // in Envoy's order (see HeaderParserOps)
  std::vector<std::pair<std::string, std::string>> cors_response_headers;
  std::optional<RouteRef> route;  // null = no VirtualService/HTTPRoute (default route)
  // The VirtualService whose rules were tried, also when none matched (404
  // NR); explanations list the rules before the one taken.
  const CompiledVirtualService* virtual_service = nullptr;
  // A VirtualService with the request's host that has no rule for this
  // client on this port (every match needs other sourceLabels, another
  // sourceNamespace or match.port, or it has no rules: a delegating root
  // whose delegates are missing), so it has no virtual host for the client
  // and was passed over (route.go BuildHTTPRoutesForVirtualService "no
  // routes matched"): explanations name it. Null when none was.
  const CompiledVirtualService* passed_over = nullptr;
  // The destination_service of the client-side report when no cluster names
  // it: BlackHoleCluster for REGISTRY_ONLY's block_all reply and tcp_proxy.
  std::string telemetry_service;
};

// Why a VirtualService match does not apply to a request: the first of its
// conditions that fails, in the order the router tests them. The router's
// own test is match_miss() == nullopt, so an explanation cannot disagree
// with routing.
struct MatchMiss {
  enum class Field {
    kGateways, kPort, kSourceLabels, kSourceNamespace, kUri, kScheme, kMethod, kAuthority, kHeader, kWithoutHeader,
    kQueryParam
  };
  Field field = Field::kUri;
  std::string name;                        // the header or query parameter
  const StringMatcher* matcher = nullptr;  // the failed condition (uri, method, authority, headers, query)
  std::optional<std::string> got;          // what the request has; none = absent
};
std::optional<MatchMiss> match_miss(const CompiledMatch& m, const ClientContext& client, uint32_t port,
                                    const HttpRequest& request);

class RouteMemo;  // proxy_core/route_memo.h

// `url_host` is the host the client connects to (a Service name, FQDN or pod
// IP), `port` the port it connects to. Draws from `random` for weights,
// fault percentages and mirror percentages. `memo`, when given, keeps what
// depends only on the client, host and port for this client's next request
// under the same snapshot: it belongs to one client and `table`.
RouteDecision decide_route(const RouteTable& table, const ClientContext& client, std::string_view url_host,
                           uint32_t port, HttpRequest& request, Random& random, RouteMemo* memo = nullptr);

struct GatewayListener;

// What a gateway proxy's HTTP connection manager on `listener` decides for
// a request that reached it: the virtual host by Host (port ignored), a 301
// to https when that host's server has tls.httpsRedirect (Envoy
// require_tls ALL), else the first of its routes that matches, or 404 NR.
// `client` is the gateway proxy itself (its namespace picks DestinationRules).
RouteDecision decide_gateway_route(const RouteTable& table, const GatewayListener& listener, const ClientContext& client,
                                   HttpRequest& request, Random& random);

}  // namespace meshsim::proxy
