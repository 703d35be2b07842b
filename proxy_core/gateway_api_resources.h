// Gateway API north-south kinds (gateway.networking.k8s.io): the `Gateway`
// Istio deploys and programs when its gatewayClassName is `istio`, and the
// `ReferenceGrant` that lets a route use a Service of another namespace.
// Plain data, like resources.h. Field names follow apis/v1/gateway_types.go
// and apis/v1beta1/referencegrant_types.go of kubernetes-sigs/gateway-api.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meshsim::proxy {

// metav1.LabelSelector: matchLabels AND every matchExpression.
struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // In | NotIn | Exists | DoesNotExist
  std::vector<std::string> values;
};

struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
  bool matches(const std::map<std::string, std::string>& labels) const;
};

struct RouteGroupKind {
  std::string group = "gateway.networking.k8s.io";
  std::string kind;
};

// Listener.allowedRoutes: which routes may attach (gateway_types.go AllowedRoutes).
struct AllowedRoutes {
  std::string from = "Same";  // All | Same | Selector (FromNamespaces)
  std::optional<LabelSelector> selector;
  std::vector<RouteGroupKind> kinds;  // empty: the kinds the protocol supports
};

struct GwListener {
  std::string name;
  std::string hostname;  // empty: every host
  uint32_t port = 0;
  std::string protocol;  // HTTP | HTTPS | TLS | TCP | UDP, or a domain-prefixed protocol
  AllowedRoutes allowed_routes;
  bool tls_terminate = false;  // an HTTPS listener (meshsim sends no TLS: it serves no plain HTTP)
  std::string path;            // field path, for diagnostics
};

// gateway.networking.k8s.io Gateway. ResourceHeader.kind is "Gateway" like
// Istio's own kind; api_version tells them apart.
struct GwGateway {
  ResourceHeader header;
  std::string gateway_class_name;
  std::vector<GwListener> listeners;
  bool has_addresses = false;  // spec.addresses: Istio then uses an existing gateway, not a deployed one
};

struct ReferenceGrantFrom {
  std::string group, kind, ns;
};

struct ReferenceGrantTo {
  std::string group, kind, name;  // name empty: every resource of the kind
};

struct ReferenceGrant {
  ResourceHeader header;
  std::vector<ReferenceGrantFrom> from;
  std::vector<ReferenceGrantTo> to;
};

}  // namespace meshsim::proxy
