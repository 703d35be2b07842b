// Gateway API north-south, as Istio implements it for gatewayClassName
// `istio`: the Deployment and Service Istio's gateway controller deploys for
// a Gateway, which HTTPRoutes each Gateway listener accepts (allowedRoutes,
// sectionName, port, hostname intersection) and whether a route's
// backendRefs resolve (kind, Service found, ReferenceGrant). Pure functions
// over Resources: the route table builds the gateway proxies' virtual hosts
// from them (gateway_routes.cc) and `meshsim validate` reports the same
// answers as the route conditions Accepted and ResolvedRefs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proxy_core/resources.h"

namespace meshsim::proxy {

// The label Istio puts on the deployed pods and Service selector
// (pilot/pkg/config/kube/gateway deploymentcontroller.go, kube-gateway template).
inline constexpr std::string_view kGatewayNameLabel = "gateway.networking.k8s.io/gateway-name";
// Marks what provision_gateways generated, so a later call replaces it.
inline constexpr std::string_view kGeneratedAnnotation = "meshsim.dev/generated-for-gateway";

// The GatewayClass Istio's gateway controller serves (conversion.go DefaultClassName).
bool is_istio_gateway_class(const GwGateway& gw);
// The deployed name: `<name>-<gatewayClassName>` (gateway_utils.go GetDefaultName).
std::string deployed_gateway_name(const GwGateway& gw);

// What Istio's deployment controller creates for every `istio` Gateway with
// no spec.addresses, unless a Deployment or Service of that name already
// exists (a cluster dump holds them): Deployment `<name>-istio` whose pods run
// the gateway proxy (injection template `gateway`), labelled
// gateway.networking.k8s.io/gateway-name=<name>, and a LoadBalancer Service
// of the same name with status-port 15021 and one port per distinct listener
// port, named after the listener, targetPort = port (extractServicePorts).
// Idempotent: drops what an earlier call generated first.
void provision_gateways(Resources& resources);

// The listener a route attached to, and the hostnames it serves there: the
// intersection of the listener's hostname and the route's hostnames ("*" =
// every host).
struct ListenerAttachment {
  const GwGateway* gateway = nullptr;
  const GwListener* listener = nullptr;
  std::vector<std::string> hostnames;
};

// One Gateway parentRef of a route and the route's Accepted condition for it
// (apis/v1/shared_types.go RouteConditionReason): Accepted, or
// NoMatchingParent (no such Gateway, or no listener with that sectionName /
// port), NotAllowedByListeners (allowedRoutes namespaces or kinds),
// NoMatchingListenerHostname (no hostname in common).
struct GatewayParentStatus {
  size_t parent_index = 0;
  const GwGateway* gateway = nullptr;  // null: not found
  bool accepted = false;
  std::string reason, message;
  std::vector<ListenerAttachment> listeners;
};

// Whether `ref` names a Gateway (group gateway.networking.k8s.io, kind Gateway).
bool is_gateway_parent(const ParentRef& ref);
// The Gateway parents of `route`, in parentRefs order (Service parents are GAMMA's, skipped).
std::vector<GatewayParentStatus> gateway_parents(const Resources& resources, const GwHTTPRoute& route);

// A route's ResolvedRefs condition for one backendRef (shared_types.go):
// empty reason = resolved; InvalidKind (not a core Service), BackendNotFound
// (no such Service) or RefNotPermitted (another namespace and no
// ReferenceGrant there allows it). Requests that would go to an unresolved
// backend get 500 (httproute_types.go BackendRefs).
struct BackendStatus {
  std::string reason, message;
  bool resolved() const { return reason.empty(); }
};
BackendStatus resolve_backend(const Resources& resources, const GwHTTPRoute& route, const GwBackendRef& backend);

// Labels a namespace carries: its Namespace document's, plus the
// kubernetes.io/metadata.name label Kubernetes sets on every namespace.
Labels namespace_labels(const Resources& resources, std::string_view ns);

}  // namespace meshsim::proxy
