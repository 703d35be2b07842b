// Typed mesh resources: Kubernetes Deployments/Services, Istio networking and
// security kinds, Gateway API HTTPRoutes. Plain data, filled by the loader in
// config/ from YAML and compiled by route_table into an immutable snapshot.
// Field names follow the upstream APIs (camelCase in YAML, snake_case here).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace meshsim::proxy {

using Duration = std::chrono::microseconds;
using Labels = std::map<std::string, std::string>;

struct SourcePos {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
};

// Where every field of a resource came from, keyed by its path
// ("spec.http[0].route[1].destination.subset"), so checks far from the
// loader can still point at file:line:column.
//
// Copies share one table, copied on write: a run copies its resources
// several times (scenario, current, snapshot), and a per-copy map of every
// field's position (with its file name) was most of what loading 1,000
// services cost (issue 20). The table is written only while a resource is
// loaded: paths in one buffer, file names once.
struct FieldPositions {
  SourcePos at(const std::string& path) const;  // nearest known ancestor
  bool has(std::string_view path) const;
  // Records where `path` is; the first record of a path stays.
  void record(std::string_view path, const std::string& file, int line, int column);
  // Records where `path` is, replacing an earlier record.
  void set(std::string_view path, const SourcePos& pos);
  size_t size() const;

 private:
  struct Table;
  std::shared_ptr<const Table> table_;
  Table& writable();
};

struct ObjectMeta {
  std::string name;
  std::string ns = "default";
  Labels labels;
  Labels annotations;
};

// A loaded resource's identity and origin.
struct ResourceHeader {
  std::string api_version;
  std::string kind;
  ObjectMeta meta;
  SourcePos pos;  // the document's first line
  FieldPositions fields;
  std::string key() const { return kind + "/" + meta.ns + "/" + meta.name; }
};

// ---------------------------------------------------------------- Kubernetes
struct ContainerPort {
  std::string name;
  uint32_t container_port = 0;
};

struct Deployment {
  ResourceHeader header;
  int replicas = 1;
  Labels selector;
  Labels pod_labels;
  std::string service_account = "default";
  std::vector<ContainerPort> ports;
  Labels pod_annotations;  // the pod template's (inject.istio.io/templates: gateway)
};

struct ServicePort {
  std::string name;
  uint32_t port = 0;
  std::variant<uint32_t, std::string> target_port = uint32_t{0};  // 0 = same as port
  std::string protocol = "TCP";
  std::string app_protocol;
};

struct Service {
  ResourceHeader header;
  Labels selector;
  std::vector<ServicePort> ports;
  std::string type = "ClusterIP";
  bool headless = false;  // clusterIP: None: its DNS name gives the pods' own addresses
};

// v1 Namespace: cluster-scoped (header.meta.ns is empty); only its labels
// matter to the mesh (istio-injection, istio.io/rev).
struct Namespace {
  ResourceHeader header;
};

// ---------------------------------------------------- Istio: common pieces
// StringMatch from istio/api networking/v1alpha3/virtual_service.proto.
// `present` models `headers: {name: {}}`, which matches any value.
struct StringMatch {
  enum class Kind { kExact, kPrefix, kRegex, kPresent };
  Kind kind = Kind::kExact;
  std::string value;
};

struct Percent {  // Istio `Percent`: a double in [0, 100]
  double value = 0;
};

// ------------------------------------------------- Istio: VirtualService
struct HTTPMatchRequest {
  std::string name;
  std::optional<StringMatch> uri, scheme, method, authority;
  std::map<std::string, StringMatch> headers;          // keys lower-cased
  std::map<std::string, StringMatch> without_headers;  // keys lower-cased
  std::map<std::string, StringMatch> query_params;
  std::optional<uint32_t> port;
  Labels source_labels;
  std::string source_namespace;
  std::vector<std::string> gateways;
  bool ignore_uri_case = false;
  std::string stat_prefix;
};

struct PortSelector {
  uint32_t number = 0;
};

struct Destination {
  std::string host;
  std::string subset;
  std::optional<uint32_t> port;
  std::string path;  // field path, for diagnostics
};

struct HeaderFormat;  // proxy_core/header_format.h
struct HeaderOps {
  std::vector<std::pair<std::string, std::string>> set, add;
  std::vector<std::string> remove;
  // Envoy parses each set/add value as a substitution format string
  // (header_parser.cc): the parsed formats of the values with a `%`, by
  // index, filled when rules load (compile_header_formats); empty, or null
  // at an index, for a value sent as written.
  std::vector<std::shared_ptr<const HeaderFormat>> set_formats, add_formats;
  bool empty() const { return set.empty() && add.empty() && remove.empty(); }
};

struct Headers {
  HeaderOps request, response;
};

struct HTTPRouteDestination {
  Destination destination;
  std::optional<int32_t> weight;
  Headers headers;
};

struct HTTPRedirect {
  std::string uri;
  std::string prefix_rewrite;  // Envoy prefix_rewrite: replaces the matched prefix
  std::string authority;
  std::optional<uint32_t> port;
  std::string derive_port;  // FROM_PROTOCOL_DEFAULT | FROM_REQUEST_PORT
  std::string scheme;
  uint32_t redirect_code = 301;
};

struct HTTPDirectResponse {
  uint32_t status = 200;
  std::optional<std::string> body;
};

struct RegexRewrite {
  std::string match, rewrite;
};

struct HTTPRewrite {
  std::optional<std::string> uri;
  std::string authority;
  std::optional<RegexRewrite> uri_regex_rewrite;
};

struct HTTPRetry {
  int32_t attempts = 0;
  std::optional<Duration> per_try_timeout;
  std::string retry_on;
  std::optional<bool> retry_remote_localities;
  std::optional<bool> retry_ignore_previous_hosts;
  std::optional<Duration> backoff;
};

struct FaultDelay {
  std::optional<Duration> fixed_delay;
  std::optional<Duration> exponential_delay;
  std::optional<Percent> percentage;
  std::optional<int32_t> percent;  // deprecated integer form
};

struct FaultAbort {
  std::optional<int32_t> http_status;
  std::string grpc_status;
  std::optional<Percent> percentage;
};

struct HTTPFaultInjection {
  std::optional<FaultDelay> delay;
  std::optional<FaultAbort> abort;
};

struct HTTPMirrorPolicy {
  Destination destination;
  std::optional<Percent> percentage;
};

struct CorsPolicy {
  std::vector<StringMatch> allow_origins;
  std::vector<std::string> allow_methods, allow_headers, expose_headers;
  std::optional<Duration> max_age;
  std::optional<bool> allow_credentials;
  std::string unmatched_preflights;  // FORWARD | IGNORE
};

// HTTPRoute.delegate: a VirtualService without hosts whose routes replace this one.
struct DelegateRef {
  std::string name, ns;  // ns empty = the root VirtualService's namespace
};

struct HTTPRoute {
  std::string name;
  std::vector<HTTPMatchRequest> match;
  std::vector<HTTPRouteDestination> route;
  std::optional<HTTPRedirect> redirect;
  std::optional<HTTPDirectResponse> direct_response;
  std::optional<HTTPRewrite> rewrite;
  std::optional<Duration> timeout;
  std::optional<HTTPRetry> retries;
  std::optional<HTTPFaultInjection> fault;
  std::optional<Destination> mirror;
  std::optional<Percent> mirror_percentage;
  std::optional<int32_t> mirror_percent;  // deprecated
  std::vector<HTTPMirrorPolicy> mirrors;
  std::optional<CorsPolicy> cors_policy;
  Headers headers;
  std::string path;  // field path, for diagnostics
  std::optional<DelegateRef> delegate;
};

struct VirtualService {
  ResourceHeader header;
  std::vector<std::string> hosts;
  std::vector<std::string> gateways;
  std::vector<HTTPRoute> http;
  std::vector<std::string> export_to;
};

// ------------------------------------------------- Istio: DestinationRule
struct ConsistentHash {
  std::string http_header_name;
  std::string http_cookie_name;
  // httpCookie's ttl, path and attributes. With a ttl (0s included) a
  // request without the cookie is given one (Envoy CookieHashMethod);
  // without, it is balanced at random.
  std::optional<Duration> http_cookie_ttl;
  std::string http_cookie_path;
  std::vector<std::pair<std::string, std::string>> http_cookie_attributes;  // name, value ("" for a bare name)
  std::string http_query_parameter_name;
  bool use_source_ip = false;
  uint64_t minimum_ring_size = 0;
  bool maglev = false;
};

struct LoadBalancerSettings {
  std::string simple;  // UNSPECIFIED|LEAST_CONN|RANDOM|PASSTHROUGH|ROUND_ROBIN|LEAST_REQUEST
  std::optional<ConsistentHash> consistent_hash;
};

struct ConnectionPoolSettings {
  std::optional<int32_t> max_connections;
  std::optional<Duration> connect_timeout;
  std::optional<int32_t> http1_max_pending_requests;
  std::optional<int32_t> http2_max_requests;
  std::optional<int32_t> max_requests_per_connection;
  std::optional<int32_t> max_retries;
  std::optional<Duration> idle_timeout;
  std::string h2_upgrade_policy;  // DEFAULT | DO_NOT_UPGRADE | UPGRADE; empty = unset
  bool use_client_protocol = false;
  std::optional<int32_t> max_concurrent_streams;
};

struct OutlierDetection {
  std::optional<int32_t> consecutive_errors;  // deprecated
  std::optional<int32_t> consecutive_gateway_errors;
  std::optional<int32_t> consecutive_5xx_errors;
  std::optional<Duration> interval;
  std::optional<Duration> base_ejection_time;
  std::optional<int32_t> max_ejection_percent;
  std::optional<int32_t> min_health_percent;
  bool split_external_local_origin_errors = false;
  std::optional<int32_t> consecutive_local_origin_failures;
};

struct ClientTLSSettings {
  std::string mode;  // DISABLE|SIMPLE|MUTUAL|ISTIO_MUTUAL
  // With ISTIO_MUTUAL, the SNI the client names instead of the cluster's
  // (cluster_tls.go buildUpstreamTLSSettings "Use client provided SNI if
  // set"); empty: the cluster's. Unused in the other modes (TLS
  // origination is not simulated).
  std::string sni;
};

struct TrafficPolicyCore {
  std::optional<LoadBalancerSettings> load_balancer;
  std::optional<ConnectionPoolSettings> connection_pool;
  std::optional<OutlierDetection> outlier_detection;
  std::optional<ClientTLSSettings> tls;
};

struct PortTrafficPolicy : TrafficPolicyCore {
  uint32_t port = 0;
};

struct TrafficPolicy : TrafficPolicyCore {
  std::vector<PortTrafficPolicy> port_level_settings;
};

struct Subset {
  std::string name;
  Labels labels;
  std::optional<TrafficPolicy> traffic_policy;
  std::string path;
};

struct DestinationRule {
  ResourceHeader header;
  std::string host;
  std::optional<TrafficPolicy> traffic_policy;
  std::vector<Subset> subsets;
  std::vector<std::string> export_to;
  std::optional<Labels> workload_selector;
};

// --------------------------------------------- Istio: AuthorizationPolicy
struct AuthzSource {
  std::vector<std::string> principals, not_principals;
  std::vector<std::string> request_principals, not_request_principals;
  std::vector<std::string> namespaces, not_namespaces;
  std::vector<std::string> ip_blocks, not_ip_blocks;
  std::vector<std::string> remote_ip_blocks, not_remote_ip_blocks;
  // serviceAccounts as "namespace/name" (a bare name resolved to the
  // policy's namespace): the peer's identity in any trust domain.
  std::vector<std::string> service_accounts, not_service_accounts;
};

struct AuthzOperation {
  std::vector<std::string> hosts, not_hosts;
  std::vector<std::string> ports, not_ports;
  std::vector<std::string> methods, not_methods;
  std::vector<std::string> paths, not_paths;
};

struct AuthzCondition {
  std::string key;
  std::vector<std::string> values, not_values;
};

struct AuthzRule {
  std::vector<AuthzSource> from;
  std::vector<AuthzOperation> to;
  std::vector<AuthzCondition> when;
};

// A policy's targetRef/targetRefs (type/v1beta1 PolicyTargetReference):
// the policy attaches to a Gateway API gateway (or, in ambient mode, a
// waypoint) instead of the workloads a selector picks.
struct PolicyTargetRef {
  std::string group;  // "" for the core group (Service)
  std::string kind;
  std::string name;
};

struct AuthorizationPolicy {
  enum class Action { kAllow, kDeny, kAudit, kCustom };
  ResourceHeader header;
  std::optional<Labels> selector;  // absent = every workload in the namespace
  std::vector<PolicyTargetRef> target_refs;
  Action action = Action::kAllow;
  std::string provider;
  std::vector<AuthzRule> rules;
  bool rules_present = false;  // `rules: []` vs absent matter for ALLOW
  bool dry_run = false;  // annotation istio.io/dry-run: evaluated as shadow rules, never enforced
};

struct PeerAuthentication {
  ResourceHeader header;
  std::optional<Labels> selector;
  std::string mode;  // UNSET|DISABLE|PERMISSIVE|STRICT
  std::map<uint32_t, std::string> port_level_mode;
};

// ----------------------------------------- Gateway API: HTTPRoute (GAMMA)
struct ParentRef {
  std::string group = "gateway.networking.k8s.io";
  std::string kind = "Gateway";
  std::string ns;  // empty = the route's namespace
  std::string name;
  std::string section_name;
  std::optional<uint32_t> port;
};

struct GwHeaderMatch {
  std::string type = "Exact";  // Exact | RegularExpression
  std::string name;
  std::string value;
};

struct GwRouteMatch {
  // Exact | PathPrefix | RegularExpression, or "" for no path match at all:
  // a GRPCRoute match without `method` (Istio conversion.go
  // createGRPCURIMatch gives it no URI match), which matches every path.
  std::string path_type = "PathPrefix";
  std::string path_value = "/";
  std::vector<GwHeaderMatch> headers;
  std::vector<GwHeaderMatch> query_params;
  std::string method;
};

// Gateway API HTTPHeaderFilter has the same shape as Istio header operations.
using GwHeaderModifier = HeaderOps;

struct GwPathModifier {
  std::string type;  // ReplaceFullPath | ReplacePrefixMatch
  std::string value;
};

struct GwRequestRedirect {
  std::string scheme, hostname;
  std::optional<GwPathModifier> path;
  std::optional<uint32_t> port;
  uint32_t status_code = 302;
};

struct GwUrlRewrite {
  std::string hostname;
  std::optional<GwPathModifier> path;
};

struct GwBackendRef {
  std::string group, kind = "Service", name, ns;
  std::optional<uint32_t> port;
  int32_t weight = 1;
  std::string path;
};

struct GwRequestMirror {
  GwBackendRef backend;
  std::optional<int32_t> percent;
  std::optional<std::pair<int32_t, int32_t>> fraction;  // numerator, denominator
};

struct GwFilter {
  std::string type;
  std::optional<GwHeaderModifier> request_header_modifier, response_header_modifier;
  std::optional<GwRequestRedirect> request_redirect;
  std::optional<GwUrlRewrite> url_rewrite;
  std::optional<GwRequestMirror> request_mirror;
};

struct GwBackendRefWithFilters : GwBackendRef {
  std::vector<GwFilter> filters;
};

struct GwRouteRule {
  std::string name;
  std::vector<GwRouteMatch> matches;
  std::vector<GwFilter> filters;
  std::vector<GwBackendRefWithFilters> backend_refs;
  std::optional<Duration> request_timeout, backend_request_timeout;
  std::optional<int32_t> retry_attempts;
  std::vector<int32_t> retry_codes;
  std::optional<Duration> retry_backoff;
  std::string path;
};

struct GwHTTPRoute {
  ResourceHeader header;
  std::vector<ParentRef> parent_refs;
  std::vector<std::string> hostnames;
  std::vector<GwRouteRule> rules;
  uint64_t creation_order = 0;  // Gateway API tie-break: oldest route wins
};

// ------------------------------------------ Istio: RequestAuthentication
// security/v1beta1/request_authentication.proto.
struct JwtHeaderLocation {
  std::string name;
  std::string prefix;  // e.g. "Bearer "
};

struct ClaimToHeader {
  std::string header, claim;
};

struct JwtRule {
  std::string issuer;
  std::vector<std::string> audiences;
  std::string jwks_uri;
  std::string jwks;  // inline JWKS JSON
  std::vector<JwtHeaderLocation> from_headers;
  std::vector<std::string> from_params;
  std::vector<std::string> from_cookies;
  std::string output_payload_to_header;
  std::vector<ClaimToHeader> output_claim_to_headers;
  bool forward_original_token = false;
  std::vector<std::string> space_delimited_claims;
  std::string path;  // field path, for diagnostics
};

struct RequestAuthentication {
  ResourceHeader header;
  std::optional<Labels> selector;  // absent = every workload in the namespace
  std::vector<PolicyTargetRef> target_refs;
  std::vector<JwtRule> jwt_rules;
};

// ------------------------------------------------- Istio: Gateway
// networking/v1alpha3/gateway.proto: what a gateway proxy listens for.
struct GatewayServerPort {
  uint32_t number = 0;
  std::string name;
  std::string protocol;  // HTTP|HTTPS|GRPC|HTTP2|MONGO|TCP|TLS
};

struct ServerTLSSettings {
  bool https_redirect = false;
  std::string mode;  // PASSTHROUGH|SIMPLE|MUTUAL|AUTO_PASSTHROUGH|ISTIO_MUTUAL|OPTIONAL_MUTUAL
};

struct GatewayServer {
  std::string name;
  GatewayServerPort port;
  std::vector<std::string> hosts;  // "[namespace/]host"; namespace "." or "*"
  std::optional<ServerTLSSettings> tls;
  std::string path;  // field path, for diagnostics
};

struct Gateway {
  ResourceHeader header;
  Labels selector;  // pods of any namespace (PILOT_SCOPE_GATEWAY_TO_NAMESPACE off)
  std::vector<GatewayServer> servers;
};
}  // namespace meshsim::proxy

#include "proxy_core/mesh_resources.h"
#include "proxy_core/gateway_api_resources.h"

namespace meshsim::proxy {

// ------------------------------------------------------------ the whole set
// Everything `kubectl apply` would have stored, in apply order; a later
// document with the same kind/namespace/name replaced the earlier one.
struct Resources {
  std::vector<Namespace> namespaces;
  std::vector<Deployment> deployments;
  std::vector<Service> services;
  std::vector<VirtualService> virtual_services;
  std::vector<DestinationRule> destination_rules;
  std::vector<AuthorizationPolicy> authorization_policies;
  std::vector<PeerAuthentication> peer_authentications;
  std::vector<GwHTTPRoute> http_routes;
  std::vector<RequestAuthentication> request_authentications;
  std::vector<Gateway> gateways;
  std::vector<ServiceEntry> service_entries;
  std::vector<SidecarConfig> sidecars;
  std::vector<MeshConfigMap> mesh_configs;  // the `istio` ConfigMap; the last one applied is in force
  std::vector<ExternalHost> external_hosts;  // the world outside the cluster (not Kubernetes objects)
  // Gateway API north-south: Gateways (gatewayClassName istio is deployed
  // as <name>-istio, gateway_api.h) and ReferenceGrants.
  std::vector<GwGateway> k8s_gateways;
  std::vector<ReferenceGrant> reference_grants;
};

// The MeshConfig in force: the `istio` ConfigMap's, else Istio's defaults.
const MeshConfig& mesh_config(const Resources& resources);

// kubectl apply of `delta` onto `base`: same kind/namespace/name replaces.
void apply_resources(Resources& base, const Resources& delta);
// Every resource's header, in kind order then file order.
std::vector<const ResourceHeader*> resource_headers(const Resources& resources);
// Removes "Kind/namespace/name"; returns whether it existed.
bool delete_resource(Resources& base, const std::string& key);

}  // namespace meshsim::proxy
