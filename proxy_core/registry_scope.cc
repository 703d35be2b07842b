// What a client sidecar sees of the registry, as istiod scopes it:
// exportTo on Services (annotation networking.istio.io/exportTo, else
// meshConfig.defaultServiceExportTo), ServiceEntries and VirtualServices;
// the Sidecar resource's egress hosts (sidecar.proto IstioEgressListener.hosts:
// "namespace/dnsName", `.` the workload's namespace, `*` any, `~` none) and
// its outboundTrafficPolicy; and the clusters of ServiceEntry hosts
// (service_entry.proto Resolution).
#include <algorithm>

#include "proxy_core/destination_policy.h"
#include "proxy_core/hosts.h"
#include "proxy_core/http.h"
#include "proxy_core/route_table.h"
#include "proxy_core/wire_protocol.h"

namespace meshsim::proxy {
namespace {

constexpr std::string_view kExportToAnnotation = "networking.istio.io/exportTo";

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
  }
  return out;
}

bool is_gateway(const Labels* labels) {
  if (labels == nullptr) return false;
  auto it = labels->find("istio");
  return it != labels->end() && it->second.ends_with("gateway");
}

}  // namespace

ClientScope RouteTable::scope_for(std::string_view ns, const Labels* labels) const {
  ClientScope scope;
  scope.ns = std::string(ns);
  // sidecar.proto: "Sidecar ... does not apply to gateways"; a workloadSelector
  // Sidecar beats the namespace's selector-less one, which beats the root
  // namespace's (push_context.go getSidecarScope). Among equals the first applied wins.
  if (!is_gateway(labels)) {
    const SidecarConfig* by_selector = nullptr;
    const SidecarConfig* namespace_wide = nullptr;
    const SidecarConfig* root_default = nullptr;
    for (const auto& sc : resources_->sidecars) {
      bool selects = sc.workload_selector && !sc.workload_selector->empty();
      if (sc.header.meta.ns == ns) {
        if (selects && labels && labels_select(*sc.workload_selector, *labels) && !by_selector) by_selector = &sc;
        if (!selects && !namespace_wide) namespace_wide = &sc;
      }
      if (sc.header.meta.ns == root_namespace() && !selects && !root_default) root_default = &sc;
    }
    scope.sidecar = by_selector ? by_selector : namespace_wide ? namespace_wide : root_default;
  }
  std::string_view mode = mesh().outbound_traffic_policy;
  if (scope.sidecar && !scope.sidecar->outbound_traffic_policy.empty()) mode = scope.sidecar->outbound_traffic_policy;
  scope.registry_only = mode == "REGISTRY_ONLY";
  return scope;
}

ClientScope RouteTable::scope_for(std::string_view ns, const Labels* labels, std::string_view address, uint32_t port) const {
  ClientScope scope = scope_for(ns, labels);
  if (scope.sidecar == nullptr || scope.sidecar->egress.empty()) return scope;
  // Istio builds one outbound listener per egress listener with a port, on
  // its bind address (none: 0.0.0.0, every address), and the catch-all
  // listener (no port, last: validation.go) for the ports of what it imports
  // (pilot/pkg/networking/core/listener.go buildSidecarOutboundListeners;
  // the routes of port P come from the first egress listener with port P,
  // else the catch-all: sidecar.go GetEgressListenerForRDS). A connection
  // no listener catches goes to the virtual outbound listener: passthrough
  // or blackhole, as outboundTrafficPolicy says.
  scope.port_scoped = true;
  for (const auto& listener : scope.sidecar->egress) {
    if (!listener.port) {
      scope.egress_listener = &listener;
      break;
    }
    bool wildcard_bind = listener.bind.empty() || listener.bind == "0.0.0.0" || listener.bind == "::";
    if (*listener.port == port && (wildcard_bind || listener.bind == address)) {
      scope.egress_listener = &listener;
      scope.at_bind_address = !wildcard_bind;
      break;
    }
  }
  return scope;
}

bool RouteTable::imported(const ClientScope& scope, std::string_view host, std::string_view config_ns) const {
  if (scope.sidecar == nullptr || scope.sidecar->egress.empty()) return true;  // no egress: everything
  for (const auto& listener : scope.sidecar->egress) {
    if (scope.port_scoped && &listener != scope.egress_listener) continue;
    for (const auto& entry : listener.hosts) {
      auto slash = entry.find('/');
      if (slash == std::string::npos) continue;
      std::string_view ns = std::string_view(entry).substr(0, slash);
      std::string_view dns = std::string_view(entry).substr(slash + 1);
      // "." is the namespace of the workload the Sidecar is applied to: for
      // a root-namespace default that is the client's own namespace.
      bool ns_ok = ns == "*" || (ns == "." && config_ns == scope.ns) || ns == config_ns;
      if (ns == "~") ns_ok = false;
      if (ns_ok && (dns == "*" || host_matches(dns, host))) return true;
    }
  }
  return false;
}

bool RouteTable::service_visible(const ServiceInfo& service, const ClientScope& scope) const {
  std::vector<std::string> export_to = mesh().default_service_export_to;
  if (service.spec)
    if (auto it = service.spec->header.meta.annotations.find(std::string(kExportToAnnotation));
        it != service.spec->header.meta.annotations.end())
      export_to = split_list(it->second);
  return exported_to(export_to, service.ns, scope.ns) && imported(scope, service.fqdn, service.ns);
}

const CompiledVirtualService* RouteTable::virtual_service_for(std::string_view host, const ClientScope& scope) const {
  return virtual_service_for(host, scope, nullptr, nullptr);
}

const CompiledVirtualService* RouteTable::virtual_service_for(std::string_view host, const ClientScope& scope,
                                                              const SidecarRouteClient& client,
                                                              const CompiledVirtualService** passed_over) const {
  return virtual_service_for(host, scope, &client, passed_over);
}

const CompiledVirtualService* RouteTable::virtual_service_for(std::string_view host, const ClientScope& scope,
                                                              const SidecarRouteClient* client,
                                                              const CompiledVirtualService** passed_over) const {
  if (passed_over) *passed_over = nullptr;
  const auto& defaults = mesh().default_virtual_service_export_to;
  auto visible = [&](const CompiledVirtualService& vs) {
    const auto& export_to = vs.spec->export_to.empty() ? defaults : vs.spec->export_to;
    if (!exported_to(export_to, vs.spec->header.meta.ns, scope.ns)) return false;
    // A VirtualService is imported when one of its hosts is (sidecar.proto).
    return std::any_of(vs.hosts.begin(), vs.hosts.end(),
                       [&](const std::string& h) { return imported(scope, h, vs.spec->header.meta.ns); });
  };
  // Whether the client builds a route from `vs` (route.go
  // buildSidecarVirtualHostsForVirtualService: none, no virtual host);
  // else it is remembered as the one passed over.
  auto routes = [&](const CompiledVirtualService& vs) {
    if (client == nullptr || vs.routes_sidecar(client->labels, client->ns, client->listener_port)) return true;
    if (passed_over && *passed_over == nullptr) *passed_over = &vs;
    return false;
  };
  bool exact = false;
  if (auto it = vs_by_host_.find(host); it != vs_by_host_.end())
    for (size_t i : it->second) {
      const auto& vs = virtual_services_[i];
      if (!visible(vs)) continue;
      exact = true;
      if (routes(vs)) return &vs;
    }
  // A Service with an exact VirtualService host is never a wildcard
  // VirtualService's (sidecar.go computeWildcardHostVirtualServiceIndex,
  // MostSpecificHostMatch), whether or not that one routes the client.
  if (exact) return nullptr;
  for (size_t i : wildcard_vs_) {
    const auto& vs = virtual_services_[i];
    if (!visible(vs)) continue;
    for (const auto& h : vs.hosts)
      if (host_matches(h, host)) return routes(vs) ? &vs : nullptr;
  }
  return nullptr;
}

bool RouteTable::http_listener_on(uint32_t port, const ClientScope& scope) const {
  // listener.go buildSidecarOutboundListeners: an egress listener with this
  // port is one (its protocol is not kept: taken as HTTP); a connection to
  // the port no egress listener catches has none.
  if (scope.port_scoped) {
    if (scope.egress_listener == nullptr) return false;
    if (scope.egress_listener->port) return true;
  }
  // Otherwise one per port of what the client imports: 0.0.0.0:port for an
  // HTTP or sniffed port; a TCP port's listener is on its Service's own
  // address (buildSidecarOutboundListenerOpts), which a connection to
  // another address does not reach.
  auto takes_http = [](PortProtocol p) { return p != PortProtocol::kTcp; };
  for (const auto& [fqdn, svc] : services_) {
    if (svc.spec == nullptr) continue;
    for (const ServicePort& p : svc.spec->ports)
      if (p.port == port && takes_http(port_protocol(p)) && service_visible(svc, scope)) return true;
  }
  const auto& defaults = mesh().default_service_export_to;
  for (const ServiceEntry& se : resources_->service_entries) {
    const std::string& ns = se.header.meta.ns;
    bool on_port = std::any_of(se.ports.begin(), se.ports.end(), [&](const ServiceEntryPort& p) {
      return p.number == port && takes_http(protocol_named(p.protocol));
    });
    if (!on_port || !exported_to(se.export_to.empty() ? defaults : se.export_to, ns, scope.ns)) continue;
    for (const auto& h : se.hosts)
      if (imported(scope, resolve_short_name(to_lower(h), ns), ns)) return true;
  }
  return false;
}

const ServiceEntry* RouteTable::service_entry_for(std::string_view host, uint32_t port, const ClientScope& scope) const {
  const ServiceEntry* best = nullptr;
  size_t best_len = 0;
  bool best_exact = false;
  const auto& defaults = mesh().default_service_export_to;
  for (const ServiceEntry& se : resources_->service_entries) {
    const std::string& ns = se.header.meta.ns;
    if (!exported_to(se.export_to.empty() ? defaults : se.export_to, ns, scope.ns)) continue;
    if (!se.ports.empty() &&
        std::none_of(se.ports.begin(), se.ports.end(), [&](const ServiceEntryPort& p) { return p.number == port; }))
      continue;
    for (const auto& raw : se.hosts) {
      std::string h = resolve_short_name(to_lower(raw), ns);
      if (!host_matches(h, host) || !imported(scope, h, ns)) continue;
      bool exact = h == host;
      if (best == nullptr || (exact && !best_exact) || (exact == best_exact && h.size() > best_len)) {
        best = &se;
        best_len = h.size();
        best_exact = exact;
      }
    }
  }
  return best;
}

const Endpoint* RouteTable::external_endpoint(std::string_view host) const {
  std::string h = to_lower(strip_port(host));
  auto it = external_by_host_.find(h);
  return it == external_by_host_.end() ? nullptr : &endpoints_[it->second];
}

bool RouteTable::resolvable(std::string_view host, std::string_view client_ns, const ClientScope& scope) const {
  std::string_view bare = strip_port(host);
  if (endpoint_by_ip(bare) || external_endpoint(bare)) return true;
  if (service(client_fqdn(bare, client_ns))) return true;
  std::string lowered = to_lower(bare);
  for (const ServiceEntry& se : resources_->service_entries) {
    const auto& defaults = mesh().default_service_export_to;
    if (!exported_to(se.export_to.empty() ? defaults : se.export_to, se.header.meta.ns, scope.ns)) continue;
    for (const auto& h : se.hosts)
      if (host_matches(to_lower(h), lowered)) return true;
  }
  return false;
}

bool RouteTable::service_entry_cluster(const ServiceEntry& se, std::string_view host, uint32_t port,
                                       std::string_view subset, std::string_view client_ns, const Endpoint* original,
                                       std::string_view request_host, Cluster& c) const {
  c.service = nullptr;
  c.port = port;
  c.subset = std::string(subset);
  c.name = "outbound|" + std::to_string(port) + "|" + std::string(subset) + "|" + std::string(host);
  c.telemetry_service = std::string(host);
  const ServiceEntryPort* sp = nullptr;
  for (const auto& p : se.ports)
    if (p.number == port) sp = &p;
  uint32_t target = sp && sp->target_port ? sp->target_port : port;
  // The DestinationRule for the host (its traffic policy and subsets).
  const DestinationRule* dr = destination_rule(host, client_ns);
  const Subset* named = subset.empty() ? nullptr : find_subset(dr, subset);
  if (!subset.empty() && named == nullptr) return false;
  c.policy = cluster_policy(dr, named, port);
  const Labels* subset_labels = named ? &named->labels : nullptr;
  auto add = [&](const Endpoint* e, uint32_t p, const Labels* labels) {
    if (e == nullptr) return;
    if (subset_labels && !labels_select(*subset_labels, labels ? *labels : e->labels)) return;
    if (std::find(c.endpoints.begin(), c.endpoints.end(), e) != c.endpoints.end()) return;
    c.endpoints.push_back(e);
    c.endpoint_port[e->index] = p;
  };
  // An address names a host outside the cluster, a Service (kube-proxy then
  // spreads over its pods) or a pod IP.
  auto add_address = [&](const std::string& address, uint32_t p, const Labels* labels) {
    if (const Endpoint* ext = external_endpoint(address)) return add(ext, p, labels);
    if (const Endpoint* pod = endpoint_by_ip(address)) return add(pod, p, labels);
    if (const ServiceInfo* svc = service(client_fqdn(address, se.header.meta.ns)))
      for (size_t i : svc->endpoints) add(&endpoints_[i], svc->target_port(p, endpoints_[i]), labels);
  };
  auto endpoint_port = [&](const ServiceEntryEndpoint& ep) {
    if (sp)
      if (auto it = ep.ports.find(sp->name); it != ep.ports.end()) return it->second;
    return target;
  };
  if (se.resolution == "NONE") {
    // "forward the connection to the IP address to which the connection was bound".
    add(original, port, nullptr);
  } else if (se.resolution == "DYNAMIC_DNS") {
    // Envoy's dynamic forward proxy resolves the Host header, not the
    // address the client connected to (service_entry.proto DYNAMIC_DNS).
    add(external_endpoint(request_host), port, nullptr);
  } else if (se.workload_selector) {
    // Pods (and WorkloadEntries) in the ServiceEntry's namespace that the selector picks.
    for (const Endpoint& e : endpoints_)
      if (!e.external && e.ns == se.header.meta.ns && labels_select(*se.workload_selector, e.labels)) add(&e, target, nullptr);
  } else if (!se.endpoints.empty()) {
    for (const auto& ep : se.endpoints) add_address(ep.address, endpoint_port(ep), ep.labels.empty() ? nullptr : &ep.labels);
  } else if (se.resolution == "DNS" || se.resolution == "DNS_ROUND_ROBIN") {
    // No endpoints: the hosts themselves are resolved.
    for (const auto& h : se.hosts)
      if (h.find('*') == std::string::npos) add_address(to_lower(h), target, nullptr);
  }
  return true;
}

}  // namespace meshsim::proxy
