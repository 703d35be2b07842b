// The compiled, immutable routing snapshot every sidecar evaluates: the
// service registry (Services, their endpoints), VirtualServices and GAMMA
// HTTPRoutes compiled into matchers, DestinationRules merged per host,
// AuthorizationPolicies. Built once per config push by `create`; a push
// that does not compile is rejected whole and the old snapshot keeps serving.
// Shared read-only between threads (held by shared_ptr<const RouteTable>).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy_core/jwt_authn.h"
#include "proxy_core/matchers.h"
#include "proxy_core/resources.h"

namespace meshsim::proxy {

inline constexpr std::string_view kTrustDomain = "cluster.local";

// One pod: a replica of a Deployment. Each has its own sidecar.
// The fields every telemetry report reads come first, together: in a large
// mesh a report's endpoints were last touched many hops earlier, and spread
// over the struct they cost five or six cache lines each (issue 20).
struct Endpoint {
  size_t index = 0;
  // The number of its report identity (telemetry_ids.h peer_identity_text of
  // workload, ns, version, app, principal); 0 for an external endpoint.
  uint32_t telemetry_id = 0;
  // An endpoint outside the cluster (ExternalHost): no pod, no sidecar, no
  // identity; it answers for these host names (`hosts`).
  bool external = false;
  // Runs Istio's gateway proxy (ingress or egress), not an app with a sidecar.
  bool gateway_proxy = false;
  std::string workload;  // the Deployment name
  std::string ns;
  // Its "app" and "version" labels, empty when absent, filled by
  // RouteTable::create: every telemetry report names them.
  std::string app, version_label;
  // Its canonical service and revision (canonical_service_of), filled by
  // RouteTable::create; empty for an external endpoint.
  std::string canonical_service, canonical_revision;
  std::string spiffe_principal;  // cluster.local/ns/NS/sa/SA, filled by RouteTable::create
  std::string pod;       // "<deployment>" for one replica, "<deployment>-<i>" otherwise
  Labels labels;
  // What its pod template and Namespace say about a sidecar (injection.h):
  // filled by RouteTable::create; nullopt: the mesh default decides.
  std::optional<bool> sidecar_injection;
  std::string service_account;
  std::string ip;
  std::vector<ContainerPort> ports;
  std::vector<std::string> hosts;
  const std::string& principal() const { return spiffe_principal; }
  const std::string& version() const { return version_label; }
};

// A pod's canonical service name and revision as Istio's sidecar injector
// writes them onto the pod (service.istio.io/canonical-name and
// -revision) and its stats plugin reports them (*_canonical_service,
// *_canonical_revision). istio/istio pkg/kube/labels/labels.go
// CanonicalService: the name is the first label present of
// service.istio.io/canonical-name, app.kubernetes.io/name, app, else the
// workload name; the revision the first of service.istio.io/canonical-revision,
// app.kubernetes.io/version, version, else "latest". A label present with an
// empty value counts (lookupLabelValue).
struct CanonicalService {
  std::string name, revision;
};
CanonicalService canonical_service_of(const Labels& labels, std::string_view workload_name);

// Whether a policy (AuthorizationPolicy, RequestAuthentication) of
// namespace `policy_ns` with this selector or these targetRefs applies to
// the endpoint (istio pilot/pkg/model/policyattachment.go
// ShouldAttachPolicy): selector-based on sidecars, and on Gateway API
// gateways unless it has targetRefs, which only a Gateway API gateway (by
// its Gateway's name) or a waypoint takes.
bool policy_attaches(const std::optional<Labels>& selector, const std::vector<PolicyTargetRef>& target_refs,
                     std::string_view policy_ns, const Endpoint& e);

struct ServiceInfo {
  const Service* spec = nullptr;
  std::string name, ns, fqdn;
  uint32_t fqdn_id = 0;  // telemetry_text_id(fqdn): a report's destination_service
  std::vector<size_t> endpoints;  // indices into RouteTable::endpoints()
  // The workload port a Service port forwards to on endpoint `e`.
  uint32_t target_port(uint32_t service_port, const Endpoint& e) const;
  bool has_port(uint32_t service_port) const;
};

// An Envoy cluster: a Service port, optionally narrowed to a subset.
// Precompiled per Service port and DestinationRule subset.
struct Cluster {
  const ServiceInfo* service = nullptr;
  const Endpoint* pinned = nullptr;  // traffic addressed to a pod IP (PassthroughCluster)
  std::string subset;
  uint32_t port = 0;  // Service port
  std::vector<const Endpoint*> endpoints;
  TrafficPolicyCore policy;  // effective: port/subset level over host level
  std::string name;          // outbound|80|v1|reviews.default.svc.cluster.local
  // Without a Service: the port each endpoint is reached on, by endpoint
  // index (ServiceEntry endpoints may override the port); absent = `port`.
  std::map<size_t, uint32_t> endpoint_port;
  // The destination_service the client-side report names when not the
  // Service's FQDN: the ServiceEntry host, PassthroughCluster.
  std::string telemetry_service;
  // A PassthroughCluster whose original destination is a Service's cluster
  // IP on a port the Service does not declare: kube-proxy has no rule for
  // it, so no endpoint; the connect fails as the network decides
  // (Transport::connect_unforwarded), at the latest after `connect_timeout`
  // (MeshConfig connectTimeout).
  bool unforwarded = false;
  Duration connect_timeout{0};
  uint32_t port_for(const Endpoint& e, uint32_t fallback) const {
    auto it = endpoint_port.find(e.index);
    return it != endpoint_port.end() ? it->second : (port != 0 ? port : fallback);
  }
};

// The SNI Istio's client sidecar names when it opens Istio mTLS to a
// cluster: the cluster name in its DNS SRV form,
// outbound_.<port>_.<subset>_.<host> ("outbound_.80_._.bar.default.svc.cluster.local"
// without a subset), as pilot builds it (cluster_builder.go istioMtlsSni /
// buildSubsetCluster defaultSni from model.BuildDNSSrvSubsetKey; cluster_tls.go
// buildUpstreamTLSSettings, where a DestinationRule's ISTIO_MUTUAL `sni`
// takes its place). Empty for a cluster that is not "outbound|…" (the
// PassthroughCluster has no TLS of Istio's).
std::string istio_mtls_sni(std::string_view cluster_name);
// The SNI a client sidecar's connection to `c` names: none in plain text
// (tls.mode DISABLE) or to a cluster that is not "outbound|…"; with
// ISTIO_MUTUAL the DestinationRule's `tls.sni` when set; else
// istio_mtls_sni (auto mTLS, ISTIO_MUTUAL, and SIMPLE/MUTUAL, which meshsim
// runs as Istio mTLS: MSH0044).
std::string sidecar_sni(const Cluster& c);

// What one client sidecar sees of the registry: the Sidecar resource in
// force for it (sidecar.proto: workloadSelector, else the namespace's,
// else the root namespace's) and the outbound traffic policy that follows.
struct ClientScope {
  const SidecarConfig* sidecar = nullptr;
  std::string ns;
  bool registry_only = false;
  // Set by scope_for with a connection: the Sidecar's egress listener that
  // catches a connection to (address, port) decides what is imported; none
  // catching it imports nothing (sidecar.proto IstioEgressListener port/bind).
  bool port_scoped = false;
  const SidecarEgressListener* egress_listener = nullptr;
  bool at_bind_address = false;  // the client connected to that listener's own bind address
};

// Envoy x-envoy-retry-on conditions (router_filter.rst), as bits.
enum RetryOn : uint32_t {
  kRetryOn5xx = 1u << 0,
  kRetryOnGatewayError = 1u << 1,
  kRetryOnReset = 1u << 2,
  kRetryOnConnectFailure = 1u << 3,
  kRetryOnRetriable4xx = 1u << 4,
  kRetryOnRefusedStream = 1u << 5,
  kRetryOnRetriableStatusCodes = 1u << 6,
  kRetryOnUnavailable = 1u << 7,  // gRPC status, never set by HTTP/1.1 peers
  kRetryOnCancelled = 1u << 8,    // gRPC status
  kRetryOnResetBeforeRequest = 1u << 9,
  kRetryOnDeadlineExceeded = 1u << 10,   // gRPC status 4
  kRetryOnInternal = 1u << 11,           // gRPC status 13
  kRetryOnResourceExhausted = 1u << 12,  // gRPC status 8
};

struct RetryPolicy {
  int num_retries = 2;
  uint32_t retry_on = 0;  // RetryOn bits
  std::vector<int> retriable_status_codes;
  std::optional<Duration> per_try_timeout;
  // The previous_hosts retry predicate: set by retryIgnorePreviousHosts, else
  // on unless the route's single destination uses a consistent-hash load
  // balancer (retry.go ConvertPolicy(hashPolicy), route.go: len(Route) == 1).
  std::optional<bool> previous_hosts;
  bool single_destination = true;
  Duration base_interval{25'000};  // Envoy default 25 ms; max interval 10x base
  bool retries_on(RetryOn condition) const { return (retry_on & condition) != 0; }
};

// Istio's default policy when a route sets none (retry.go DefaultPolicy):
// 2 retries on connect-failure,refused-stream,unavailable,cancelled,
// retriable-status-codes with no status codes listed (503 is not retried
// since Istio 1.24, release note 50506), previous_hosts predicate.
const RetryPolicy& istio_default_retry_policy();

// Parses an Istio `retryOn` string (retry.go parseRetryOn): integers are
// status codes and imply retriable-status-codes.
RetryPolicy parse_retry_on(std::string_view retry_on, RetryPolicy base);

struct CompiledMatch {
  const HTTPMatchRequest* spec = nullptr;
  std::vector<std::string> gateways;  // match-level gateways: "mesh", or resolved to ns/name
  std::optional<StringMatcher> uri, scheme, method, authority;
  std::vector<std::pair<std::string, StringMatcher>> headers, without_headers, query_params;
};

// What the router asks of a VirtualService rule on every request it takes,
// in a few bytes: the HTTPRoute spreads these over a dozen cache lines, each
// cold in a large mesh (issue 20). The router reads the spec only for what
// the rule has.
struct HttpRouteShape {
  bool fault = false, cors = false, direct_response = false, redirect = false, rewrite = false;
  bool mirrors = false;       // mirror or mirrors
  bool request_ops = false;   // the rule's own request header operations
  bool response_ops = false;  // its own response header operations
  std::optional<Duration> timeout;  // none: disabled (0 is none too)
  // Per destination of spec->route, in order.
  struct Destination {
    uint32_t weight = 0;  // clamped at 0
    bool request_ops = false, response_ops = false;
  };
  std::vector<Destination> destinations;
  uint64_t total_weight = 0;
};

struct CompiledHttpRoute {
  const HTTPRoute* spec = nullptr;
  size_t index = 0;
  std::string name;  // rule name or "#<index>"
  std::vector<CompiledMatch> matches;
  std::shared_ptr<const RE2> uri_regex_rewrite;
  std::optional<RetryPolicy> retry;  // none: retries disabled (attempts: 0)
  HttpRouteShape shape;
};

// Why a sidecar builds no route from a match (route.go TranslateRoute:
// match.port other than the listener port; sourceMatchHTTP: gateways
// without "mesh", sourceLabels or sourceNamespace that do not select the
// proxy), tested in this order; kNone: the match becomes a route. These
// depend on the client and port only, not on the request.
enum class SidecarMatchFilter { kNone, kGateways, kPort, kSourceLabels, kSourceNamespace };
SidecarMatchFilter sidecar_match_filter(const HTTPMatchRequest& spec, const Labels* client_labels,
                                        std::string_view client_ns, uint32_t listener_port);

struct CompiledVirtualService {
  const VirtualService* spec = nullptr;
  std::string label;  // "VirtualService ns/name"
  std::vector<std::string> hosts;  // resolved in the VirtualService's namespace
  std::vector<CompiledHttpRoute> http;
  // Some rule becomes a route on every sidecar and listener port: a rule
  // without matches, or a match none of whose sidecar_match_filter
  // conditions are set. Otherwise routes_sidecar asks per client.
  bool routes_every_sidecar = false;
  // Whether a sidecar with these labels and namespace builds at least one
  // route from this VirtualService on `listener_port`. When none,
  // BuildHTTPRoutesForVirtualService (route.go) fails with "no routes
  // matched", buildSidecarVirtualHostsForVirtualService returns no virtual
  // host for it, and BuildSidecarVirtualHostWrapper keeps the Service's
  // default route (istio pilot/pkg/networking/core/route/route.go).
  bool routes_sidecar(const Labels* client_labels, std::string_view client_ns, uint32_t listener_port) const;
};

// A sidecar client asking which VirtualService routes a host for it.
struct SidecarRouteClient {
  const Labels* labels = nullptr;  // null: none
  std::string_view ns;
  uint32_t listener_port = 0;
};

// A Gateway API rule flattened with its route and one of its matches, so
// that rules of all attached routes can be sorted by precedence.
struct CompiledGwMatch {
  const GwHTTPRoute* route = nullptr;
  const GwRouteRule* rule = nullptr;
  size_t rule_index = 0, match_index = 0;
  const GwRouteMatch* spec = nullptr;  // null for a rule without matches (matches "/")
  StringMatcher path;
  // Where Istio's conversion.go sortHTTPRoutes puts the match, fixed here:
  // getURIRank (Exact 3, Prefix 2, Regex 1, no URI match -1) and
  // getURILength (0 without a URI match) of the match as Istio translates
  // it, and whether the translated rule has no match at all (a GRPCRoute
  // rule without matches; an HTTPRoute rule's default to PathPrefix "/").
  int uri_rank = 2;
  size_t uri_length = 1;
  bool no_match = false;
  std::vector<std::pair<std::string, StringMatcher>> headers, query_params;
  std::string label;  // "HTTPRoute ns/name"
  std::string rule_name;
  RetryPolicy retry;
  // Gateway parents: the ResolvedRefs reason of each of the rule's
  // backendRefs (gateway_api.h resolve_backend; "" = resolved). Requests
  // picked for an unresolved one get 500. Empty for GAMMA routes.
  std::vector<std::string> backend_errors;
};

// One match of an HTTPRoute rule compiled for evaluation (`m` null: a rule
// without matches, which matches every path).
CompiledGwMatch compile_gw_match(const GwHTTPRoute& route, size_t rule_index, const GwRouteMatch* m, size_t match_index,
                                 std::vector<std::string>* errors);
// Gateway API precedence across the rules of all attached routes
// (httproute_types.go Matches), as Istio's sortHTTPRoutes orders them.
// `a_port`, `b_port`: the match came with a Service parentRef that names a
// port, which gives a rule without matches a match on that port
// (route_collections.go augmentPortMatch), so it no longer sorts last.
bool gateway_api_precedes(const CompiledGwMatch& a, const CompiledGwMatch& b, bool a_port = false, bool b_port = false);

struct CompiledGwParent {
  std::string service_fqdn;
  std::optional<uint32_t> port;
  std::string route_ns;  // consumer route when != the Service's namespace
};

struct GatewayRoutes;  // proxy_core/gateway_routes.h

// Hash lookups by host name, found from a std::string_view without building
// a key: a hop's lookups must not grow with the mesh (issue 20).
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringHashMap = std::unordered_map<std::string, V, StringViewHash, std::equal_to<>>;

class RouteTable {
 public:
  // Compiles `resources`; returns null and fills `errors` if anything does not compile.
  static std::shared_ptr<const RouteTable> create(Resources resources, std::vector<std::string>* errors);
  // The same for resources the caller keeps too: the table shares them
  // instead of a copy, unless delegate VirtualServices are to be merged or
  // Gateway API gateways provisioned (a copy of 1,000 services' resources
  // is 7 MB, issue 20).
  static std::shared_ptr<const RouteTable> create_shared(std::shared_ptr<const Resources> resources,
                                                         std::vector<std::string>* errors);

  const Resources& resources() const { return *resources_; }
  const std::vector<Endpoint>& endpoints() const { return endpoints_; }
  const ServiceInfo* service(std::string_view fqdn) const;
  const std::map<std::string, ServiceInfo, std::less<>>& services() const { return services_; }
  const std::vector<CompiledVirtualService>& virtual_services() const { return virtual_services_; }
  // The listeners and virtual hosts of every gateway proxy (Istio Gateway servers + bound VirtualServices).
  const GatewayRoutes& gateway_routes() const { return *gateway_routes_; }
  const Endpoint* endpoint_by_ip(std::string_view ip) const;
  const Endpoint* endpoint_by_workload(std::string_view ns, std::string_view name) const;

  // The VirtualService for `host` visible to a client in `client_ns` (first in
  // apply order, as Istio keeps the oldest for sidecars), or null.
  const CompiledVirtualService* virtual_service_for(std::string_view host, std::string_view client_ns) const;
  // The same for a client whose Sidecar resource may not import it.
  const CompiledVirtualService* virtual_service_for(std::string_view host, const ClientScope& scope) const;
  // The VirtualService whose virtual host serves `host` for this sidecar
  // client: as above, but one from which the client builds no route
  // (CompiledVirtualService::routes_sidecar) has no virtual host, so the
  // next VirtualService with the same exact host takes it (httproute.go
  // BuildSidecarOutboundVirtualHosts drops only later duplicates of a
  // virtual host that was built), else none: the Service's default route.
  // A wildcard host is taken only by the VirtualService that would have it
  // (sidecar.go computeWildcardHostVirtualServiceIndex: one per Service,
  // an exact host first). `passed_over`, when given, is set to the first
  // VirtualService that claimed the host but had no route for the client
  // (null when none did): explanations name it.
  const CompiledVirtualService* virtual_service_for(std::string_view host, const ClientScope& scope,
                                                    const SidecarRouteClient& client,
                                                    const CompiledVirtualService** passed_over) const;

  // ---- registry scoping (exportTo, Sidecar egress hosts) and ServiceEntries
  const MeshConfig& mesh() const { return mesh_config(*resources_); }
  const std::string& root_namespace() const { return mesh().root_namespace; }
  // The Sidecar resource and outbound policy of a client; gateways have none.
  ClientScope scope_for(std::string_view ns, const Labels* labels) const;
  // The same for one connection to address:port (a Sidecar's egress
  // listeners are per port and bind address).
  ClientScope scope_for(std::string_view ns, const Labels* labels, std::string_view address, uint32_t port) const;
  // Whether the client sees `service` (its networking.istio.io/exportTo
  // annotation, else meshConfig.defaultServiceExportTo; its Sidecar's egress hosts).
  bool service_visible(const ServiceInfo& service, const ClientScope& scope) const;
  // Whether the client's sidecar has an HTTP outbound listener on `port`
  // for every address (0.0.0.0:port): one Service or ServiceEntry it imports
  // declares the port with an HTTP protocol or none (sniffed), or its Sidecar
  // has an egress listener there. Without one a connection to a Service
  // address on an undeclared port goes to the virtual outbound listener.
  bool http_listener_on(uint32_t port, const ClientScope& scope) const;
  // The ServiceEntry the client sees for host:port (exact host before the
  // longest wildcard), or null.
  const ServiceEntry* service_entry_for(std::string_view host, uint32_t port, const ClientScope& scope) const;
  // The cluster of a ServiceEntry host:port as the client's DestinationRule
  // shapes it. `original` is where the client connected (resolution NONE),
  // `request_host` the Host the request carries (DYNAMIC_DNS resolves it).
  // False when a named subset does not exist.
  bool service_entry_cluster(const ServiceEntry& se, std::string_view host, uint32_t port, std::string_view subset,
                             std::string_view client_ns, const Endpoint* original, std::string_view request_host,
                             Cluster& out) const;
  // An endpoint outside the cluster answering for `host`, or null.
  const Endpoint* external_endpoint(std::string_view host) const;
  // Whether a client's DNS lookup of `host` finds an address: Services, pod
  // IPs, hosts outside the cluster and the ServiceEntry hosts it sees (Istio's DNS proxy).
  bool resolvable(std::string_view host, std::string_view client_ns, const ClientScope& scope) const;
  bool is_virtual_service_host(std::string_view host) const;
  // GAMMA matches that apply to traffic from `client_ns` to `service_fqdn:port`,
  // sorted by Gateway API precedence. Empty when no HTTPRoute is attached.
  std::vector<const CompiledGwMatch*> gateway_matches(std::string_view service_fqdn, uint32_t port,
                                                      std::string_view client_ns) const;
  // The DestinationRule a client in `client_ns` uses for `fqdn` (rules of
  // one namespace for one host merged: subsets unioned, first wins), or null.
  // Istio's lookup path (push_context.go destinationRule): the client's
  // namespace, then rules the service's namespace exports to the client,
  // then rules the root namespace exports to it.
  const DestinationRule* destination_rule(std::string_view fqdn, std::string_view client_ns) const;
  // The precompiled cluster a client in `client_ns` has for a Service port
  // and subset; null when that client's DestinationRule does not define the
  // subset (Envoy: cluster not found) or the port is not a Service port.
  const Cluster* cluster(const ServiceInfo& service, uint32_t port, std::string_view subset,
                         std::string_view client_ns) const;
  // Traffic addressed to a pod IP.
  const Cluster* passthrough(const Endpoint& e) const { return &passthrough_[e.index]; }
  // Builds a cluster outside the precompiled set (a port the Service does not declare).
  Cluster build_cluster(const ServiceInfo& service, uint32_t port, const std::string& subset, std::string_view client_ns,
                        bool* subset_found) const;

  // The Service a request to `e` on its workload port `target_port` is
  // counted under by the destination reporter: the first, by host name, of
  // the Services that select the pod on that port (the inbound cluster's
  // istio metadata; pilot cluster_builder.go addTelemetryMetadata, proxy
  // order model.Proxy.SetServiceTargets). Empty when none does.
  std::string_view inbound_service(const Endpoint& e, uint32_t target_port) const;

  // Policies that select the workload of `e` (its namespace, plus the root namespace).
  std::vector<const AuthorizationPolicy*> authorization_policies_for(const Endpoint& e) const;
  std::string peer_authentication_mode(const Endpoint& e, uint32_t port) const;
  // The JWT providers of the RequestAuthentications that select `e` (its
  // namespace, plus the root namespace), sorted by issuer; empty: no jwt_authn filter.
  const std::vector<JwtProvider>& jwt_providers_for(const Endpoint& e) const;

 private:
  // The two public overloads above: no client, every VirtualService routes.
  const CompiledVirtualService* virtual_service_for(std::string_view host, const ClientScope& scope,
                                                    const SidecarRouteClient* client,
                                                    const CompiledVirtualService** passed_over) const;
  // create and create_shared: `resources` already has its delegates merged and gateways provisioned.
  static std::shared_ptr<const RouteTable> compile(std::shared_ptr<const Resources> resources,
                                                   std::vector<std::string>* errors);
  std::shared_ptr<const Resources> resources_;
  std::vector<Endpoint> endpoints_;
  // authorization_policies_for each of endpoints_, by index: every inbound
  // request asks, so the selectors are matched once per snapshot.
  std::vector<std::vector<const AuthorizationPolicy*>> authz_by_endpoint_;
  std::vector<const AuthorizationPolicy*> select_authorization_policies(const Endpoint& e) const;
  std::vector<std::vector<JwtProvider>> jwt_by_endpoint_;  // by endpoint index, like authz_by_endpoint_
  std::map<std::string, ServiceInfo, std::less<>> services_;
  std::unordered_map<std::string_view, const ServiceInfo*> service_index_;  // keys are services_'s
  std::vector<CompiledVirtualService> virtual_services_;
  // Lookup indices, so routing cost does not grow with the number of hosts:
  // exact mesh-bound VirtualService hosts -> VirtualServices in apply order.
  StringHashMap<std::vector<size_t>> vs_by_host_;
  std::vector<size_t> wildcard_vs_;  // VirtualServices with a wildcard host
  StringHashMap<size_t> endpoint_by_ip_;
  // endpoint_by_workload's answers: by namespace, then workload or pod
  // name, the first endpoint in order with either (every client request
  // of a simulation asks; a scan visited every endpoint of the mesh).
  StringHashMap<StringHashMap<size_t>> endpoint_by_name_;
  struct GwAttachment {
    CompiledGwParent parent;
    std::vector<CompiledGwMatch> matches;
  };
  std::vector<GwAttachment> gw_attachments_;
  StringHashMap<std::vector<size_t>> gw_by_service_;  // fqdn -> attachments
  // DestinationRules merged per namespace and host, as push_context.go
  // SetDestinationRules indexes them: those a namespace's own clients see,
  // and those it exports to other namespaces (with the union of exportTo).
  struct ScopedRules {
    // A host's rule: the resource itself when one rule has the host in this
    // scope (shared by the scopes, not copied per scope: issue 20), else
    // the merged copy in merged_rules_.
    struct Rule {
      const DestinationRule* rule = nullptr;
      bool merged = false;
    };
    std::map<std::string, Rule, std::less<>> by_host;
    std::map<std::string, std::vector<std::string>, std::less<>> export_to;  // by host
    // Indexed once merged: exact hosts by hash, wildcard hosts in by_host order.
    struct Entry {
      const std::string* host;
      const DestinationRule* rule;
      const std::vector<std::string>* export_to;  // null: not recorded
    };
    std::unordered_map<std::string_view, Entry> exact;
    std::vector<Entry> wildcards;
  };
  std::map<std::string, ScopedRules, std::less<>> local_rules_, exported_rules_;  // by namespace
  std::deque<DestinationRule> merged_rules_;  // rules of one host merged within a scope (stable addresses)
  const DestinationRule* scoped_rule(const std::map<std::string, ScopedRules, std::less<>>& index, std::string_view ns,
                                     std::string_view fqdn, std::string_view client_ns) const;
  Cluster build_cluster_with(const ServiceInfo& service, uint32_t port, const std::string& subset,
                             const DestinationRule* dr, bool* subset_found) const;
  // fqdn -> DestinationRule in force (null: none) -> port -> subset ("" = whole Service) -> cluster
  // (one hash lookup; the key's views point into services_ and the rules).
  struct ClusterKey {
    std::string_view fqdn;
    const DestinationRule* rule;
    uint32_t port;
    std::string_view subset;
    bool operator==(const ClusterKey&) const = default;
  };
  struct ClusterKeyHash {
    size_t operator()(const ClusterKey& k) const;
  };
  std::unordered_map<ClusterKey, Cluster, ClusterKeyHash> clusters_;
  // (workload port, Service FQDN) per endpoint index, in Service host name order.
  std::vector<std::vector<std::pair<uint32_t, const std::string*>>> inbound_services_;
  std::vector<Cluster> passthrough_;  // by endpoint index
  std::shared_ptr<const GatewayRoutes> gateway_routes_;
  StringHashMap<size_t> external_by_host_;
  bool imported(const ClientScope& scope, std::string_view host, std::string_view config_ns) const;
};

// exportTo as Istio reads it: empty = everywhere, "*" everywhere, "." the
// resource's own namespace, "~" nowhere, else a namespace name.
bool exported_to(const std::vector<std::string>& export_to, std::string_view own_ns, std::string_view client_ns);

bool labels_select(const Labels& selector, const Labels& labels);

}  // namespace meshsim::proxy
