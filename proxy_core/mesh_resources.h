// Istio kinds that scope and extend the registry rather than route: the
// ServiceEntry (hosts outside Kubernetes' Services), the Sidecar (what a
// workload imports and its outbound traffic policy) and MeshConfig (read
// from the `istio` ConfigMap, key `mesh`), plus the endpoints outside the
// cluster that the simulated world answers for. Plain data, like resources.h.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace meshsim::proxy {

// istio/api networking/v1alpha3/service_entry.proto.
struct ServiceEntryPort {
  uint32_t number = 0;
  std::string protocol;  // HTTP|HTTPS|GRPC|HTTP2|MONGO|TCP|TLS
  std::string name;
  uint32_t target_port = 0;  // 0 = number
};

// WorkloadEntry as a ServiceEntry endpoint.
struct ServiceEntryEndpoint {
  std::string address;
  std::map<std::string, uint32_t> ports;  // port name -> port
  std::map<std::string, std::string> labels;
  std::string network, locality, service_account;
  uint32_t weight = 0;
};

struct ServiceEntry {
  ResourceHeader header;
  std::vector<std::string> hosts, addresses;
  std::vector<ServiceEntryPort> ports;
  std::string location = "MESH_EXTERNAL";  // MESH_EXTERNAL | MESH_INTERNAL
  std::string resolution = "NONE";         // NONE | STATIC | DNS | DNS_ROUND_ROBIN
  std::vector<ServiceEntryEndpoint> endpoints;
  std::optional<std::map<std::string, std::string>> workload_selector;
  std::vector<std::string> export_to;
  std::vector<std::string> subject_alt_names;
};

// istio/api networking/v1alpha3/sidecar.proto IstioEgressListener.
struct SidecarEgressListener {
  std::optional<uint32_t> port;
  std::string bind, capture_mode;
  std::vector<std::string> hosts;  // "namespace/dnsName"
};

// The Sidecar resource (named so that it does not clash with the proxy class).
struct SidecarConfig {
  ResourceHeader header;
  std::optional<std::map<std::string, std::string>> workload_selector;
  std::vector<SidecarEgressListener> egress;
  bool has_ingress = false;
  std::string outbound_traffic_policy;  // empty = the mesh's; ALLOW_ANY | REGISTRY_ONLY
};

// MeshConfig.ExtensionProvider (istio/api mesh/v1alpha1/config.proto) as a
// CUSTOM AuthorizationPolicy names it in `provider.name`. Only the ext_authz
// kinds can serve one; istiod's verdict on each is `problem`
// (extauthz.go processExtensionProvider).
struct ExtensionProvider {
  enum class Kind { kOther, kExtAuthzHttp, kExtAuthzGrpc };
  std::string name;
  Kind kind = Kind::kOther;
  std::string type;  // the provider field set: envoyExtAuthzHttp, zipkin, prometheus...
  std::string service;  // "ns/host" or "host" (model.LookupCluster)
  uint32_t port = 0;
  // statusOnError: what the client gets when the check fails or the server
  // cannot be reached; Envoy's default is 403 (ext_authz.proto status_on_error).
  int status_on_error = 403;
  bool fail_open = false;  // failOpen: Envoy's failure_mode_allow
  // envoyExtAuthzHttp's check and its answer, as istiod writes them into
  // Envoy's http_service (extauthz.go generateHTTPConfig, generateHeaders).
  // Header name patterns are exact, "prefix*" or "*suffix", case-insensitive.
  std::string path_prefix;  // pathPrefix: put before the request's path
  std::chrono::microseconds timeout = std::chrono::seconds(600);  // timeout; timeoutOrDefault: 600s
  // includeRequestHeadersInCheck (else the deprecated includeHeadersInCheck):
  // request headers the check carries besides Host, Method, Path and
  // Authorization, which Envoy always sends (ClientConfig::toRequestMatchers).
  std::vector<std::string> include_request_headers;
  // includeAdditionalHeadersInCheck, by name (istiod sorts them): set on the check.
  std::vector<std::pair<std::string, std::string>> include_additional_headers;
  // headersToUpstreamOnAllow / headersToDownstreamOnDeny / headersToDownstreamOnAllow:
  // the authorizer's response headers that go on to the app, to the client
  // with a denial (empty: all but Host), to the client with the app's answer.
  std::vector<std::string> headers_to_upstream_on_allow, headers_to_downstream_on_deny, headers_to_downstream_on_allow;
  // Why istiod refuses the provider (name missing or repeated, bad port,
  // statusOnError, pathPrefix...); empty when it builds an ext_authz filter.
  std::string problem;
};

// istio/api mesh/v1alpha1/config.proto: the fields meshsim models, with
// Istio's defaults.
struct MeshConfig {
  std::string outbound_traffic_policy = "ALLOW_ANY";
  std::string root_namespace = "istio-system";
  std::vector<std::string> default_service_export_to, default_virtual_service_export_to,
      default_destination_rule_export_to;  // empty = "*"
  std::string trust_domain = "cluster.local";
  std::optional<double> tracing_sampling;  // defaultConfig.tracing.sampling, percent
  // defaultConfig.proxyMetadata ISTIO_META_DNS_CAPTURE "true" with
  // ISTIO_META_DNS_AUTO_ALLOCATE or PILOT_ENABLE_IP_AUTOALLOCATE "true":
  // ServiceEntries get addresses allocated (only `validate` reads it).
  bool dns_auto_allocate = false;
  // How long an Envoy waits for an upstream connection to open: the
  // PassthroughCluster's connect_timeout (cluster_builder.go
  // buildDefaultPassthroughCluster), 10 s by default (mesh.go
  // DefaultMeshConfig). The only connection in meshsim that can fail to open
  // by silence is one nothing forwards (Cluster::unforwarded).
  std::chrono::microseconds connect_timeout = std::chrono::seconds(10);
  std::vector<ExtensionProvider> extension_providers;  // extensionProviders, in file order
};

// ConfigMap `istio` (key `mesh`) in istiod's namespace.
struct MeshConfigMap {
  ResourceHeader header;
  MeshConfig mesh;
};

// An endpoint outside the cluster: no pod, no sidecar, no identity. It
// answers HTTP for `hosts` on `port` (a Behavior selecting it by host, or a
// conformance case's `external: true` workload).
struct ExternalHost {
  std::string name;
  std::vector<std::string> hosts;
  uint32_t port = 80;
};

}  // namespace meshsim::proxy
