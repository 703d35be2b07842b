// Host names as Istio resolves them: a short name in a resource is relative
// to that resource's namespace; names with a dot are taken literally.
#pragma once

#include <string>
#include <string_view>

namespace meshsim::proxy {

inline constexpr std::string_view kClusterDomain = "svc.cluster.local";

// "reviews" in namespace "default" -> "reviews.default.svc.cluster.local".
// Istio (pilot/pkg/model ResolveShortnameToFQDN) expands only names without
// a dot; "*" and names with dots are returned unchanged.
std::string resolve_short_name(std::string_view host, std::string_view ns);

// What a client's DNS lookup of `host` from namespace `client_ns` reaches,
// following the Kubernetes search path (name, name.ns, name.ns.svc,
// name.ns.svc.cluster.local). The port, if any, is stripped.
std::string client_fqdn(std::string_view host, std::string_view client_ns);
// The same into `out`, whose capacity is reused.
void client_fqdn_into(std::string& out, std::string_view host, std::string_view client_ns);

// Istio host matching with wildcards: "*.example.com" matches "a.example.com";
// "*" matches everything.
bool host_matches(std::string_view pattern, std::string_view host);

// "bar.default.svc.cluster.local" -> "bar": the name dashboards show.
inline std::string short_name(std::string_view fqdn) { return std::string(fqdn.substr(0, fqdn.find('.'))); }

// "host:port" -> host; leaves IPv6 literals in brackets intact.
std::string_view strip_port(std::string_view authority);

}  // namespace meshsim::proxy
