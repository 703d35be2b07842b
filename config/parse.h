// Per-kind parsers: one YAML document's spec into a typed resource.
// Each reports problems to the reader and fills what it could read.
#pragma once

#include "config/yaml_node.h"

#include "config/yaml_reader.h"
#include "proxy_core/resources.h"
#include "sim/scenario.h"

namespace meshsim::config {

// A run is bounded (issue 19): the open-loop sources of one scenario may
// plan at most this many client requests (about two minutes of one core).
inline constexpr double kMaxPlannedRequests = 1e7;

// Whether Istio's validateHTTPRetry takes this status code in retryOn: only
// codes Go's http.StatusText names (parse_virtual_service.cc).
bool retry_on_accepts_status(int code);

// A header value a route adds or sets is an Envoy format string
// (header_format.h): each command in it meshsim does not substitute is a
// warning at the value (MSH0048), naming those it does.
void warn_unsimulated_format(YamlReader& r, const yaml::Node& value);

void parse_deployment(YamlReader& r, const yaml::Node& doc, proxy::Deployment& out);
void parse_service(YamlReader& r, const yaml::Node& doc, proxy::Service& out);
void parse_virtual_service(YamlReader& r, const yaml::Node& spec, proxy::VirtualService& out);
void parse_destination_rule(YamlReader& r, const yaml::Node& spec, proxy::DestinationRule& out);
// `ns`: the policy's namespace, where a bare serviceAccounts name lives.
void parse_authorization_policy(YamlReader& r, const yaml::Node& spec, const std::string& ns,
                                proxy::AuthorizationPolicy& out);
void parse_peer_authentication(YamlReader& r, const yaml::Node& spec,
                               proxy::PeerAuthentication& out);
void parse_request_authentication(YamlReader& r, const yaml::Node& spec, proxy::RequestAuthentication& out);
// A policy's targetRef or targetRefs as Istio validates them (validation.go
// validatePolicyTargetReference, validateOneOfSelectorType); `spec` holds
// them beside its selector (parse_security.cc).
std::vector<proxy::PolicyTargetRef> parse_policy_target_refs(YamlReader& r, const yaml::Node& spec);
void parse_http_route(YamlReader& r, const yaml::Node& spec, proxy::GwHTTPRoute& out);
// Gateway API GRPCRoute, as Istio converts it: an HTTPRoute whose method
// matches are paths (parse_grpc_route.cc).
void parse_grpc_route(YamlReader& r, const yaml::Node& spec, proxy::GwHTTPRoute& out);
// Pieces HTTPRoute and GRPCRoute share (parse_http_route.cc).
std::vector<proxy::GwHeaderMatch> parse_gw_header_matches(YamlReader& r, const yaml::Node& n, const std::string& path);
// The route kind decides which filter types its filters lists take.
enum class GwRouteKind { kHTTPRoute, kGRPCRoute };
std::vector<proxy::GwFilter> parse_gw_filters(YamlReader& r, const yaml::Node& n, const std::string& path,
                                              GwRouteKind kind);
void parse_gw_backend_ref(YamlReader& r, const yaml::Node& n, const std::string& path, proxy::GwBackendRef& b);
void parse_gw_parent_refs(YamlReader& r, const yaml::Node& spec, proxy::GwHTTPRoute& out);
void parse_gateway(YamlReader& r, const yaml::Node& spec, proxy::Gateway& out);
// Gateway API Gateway and ReferenceGrant (parse_k8s_gateway.cc).
void parse_k8s_gateway(YamlReader& r, const yaml::Node& spec, proxy::GwGateway& out);
void parse_reference_grant(YamlReader& r, const yaml::Node& spec, proxy::ReferenceGrant& out);
void parse_service_entry(YamlReader& r, const yaml::Node& spec, proxy::ServiceEntry& out);
void parse_sidecar(YamlReader& r, const yaml::Node& spec, proxy::SidecarConfig& out);
// The `istio` ConfigMap's data.mesh (YAML text); a MeshConfig map at `path`.
void parse_mesh_config_map(YamlReader& r, const yaml::Node& doc, proxy::MeshConfig& out);
void parse_mesh_config(YamlReader& r, const yaml::Node& mesh, const std::string& path, proxy::MeshConfig& out);

struct SourceText;
void parse_behavior(YamlReader& r, const yaml::Node& spec, sim::BehaviorRule& out);
// Inline and file `apply` steps are loaded here, with their own positions.
void parse_scenario(YamlReader& r, const yaml::Node& spec, const SourceText& source, sim::Scenario& out,
                    std::vector<Diagnostic>& diagnostics);

}  // namespace meshsim::config
