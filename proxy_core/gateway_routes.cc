#include "proxy_core/gateway_routes.h"

#include <algorithm>
#include <cctype>

#include "proxy_core/gateway_api.h"
#include "proxy_core/hosts.h"
#include "proxy_core/http.h"
#include "proxy_core/istio_protocol.h"

namespace meshsim::proxy {
namespace {

constexpr std::string_view kGatewayTemplateAnnotation = "inject.istio.io/templates";

bool wildcarded(std::string_view h) { return !h.empty() && h.front() == '*'; }

// pilot/pkg/model/gateway.go sanitizeServerHostNamespace: "./h" is the
// Gateway's namespace, "*/h" any namespace (plain "h").
std::string sanitize_server_host(std::string_view h, std::string_view gateway_ns) {
  auto slash = h.find('/');
  if (slash == std::string_view::npos) return std::string(h);
  std::string_view ns = h.substr(0, slash), name = h.substr(slash + 1);
  if (ns == ".") return std::string(gateway_ns) + "/" + std::string(name);
  if (ns == "*") return std::string(name);
  return std::string(h);
}

// Istio route.go IsCatchAllRoute on the route a match becomes: path prefix
// "/" (or regex ".*") and no header or query parameter matcher; method,
// authority and scheme are header matchers (:method, :authority, :scheme).
bool catch_all(const CompiledHttpRoute& rule, int match_index) {
  if (match_index < 0) return true;
  const CompiledMatch& m = rule.matches[static_cast<size_t>(match_index)];
  if (m.uri) {
    bool root = (m.uri->kind() == StringMatcher::Kind::kPrefix && m.uri->value() == "/") ||
                (m.uri->kind() == StringMatcher::Kind::kRegex && m.uri->value() == ".*");
    if (!root) return false;
  }
  return !m.scheme && !m.method && !m.authority && m.headers.empty() && m.without_headers.empty() &&
         m.query_params.empty();
}

// route.go sourceMatchHTTP for a gateway proxy, then the match.port filter
// of translateRoute: which matches of a rule become routes on this gateway.
bool match_applies(const CompiledMatch& m, const std::string& gateway, const Endpoint& proxy, uint32_t server_port) {
  const HTTPMatchRequest& spec = *m.spec;
  if (!m.gateways.empty()) {
    if (std::find(m.gateways.begin(), m.gateways.end(), gateway) == m.gateways.end()) return false;
  } else {
    if (!labels_select(spec.source_labels, proxy.labels)) return false;
    if (!spec.source_namespace.empty() && spec.source_namespace != proxy.ns) return false;
  }
  return !spec.port || *spec.port == server_port;
}

void add_routes(std::vector<GatewayRouteEntry>& out, const CompiledVirtualService& vs, const std::string& gateway,
                const Endpoint& proxy, uint32_t server_port) {
  for (const CompiledHttpRoute& rule : vs.http) {
    if (rule.matches.empty()) {
      out.push_back({&vs, &rule, -1, gateway, server_port});
      continue;
    }
    for (size_t i = 0; i < rule.matches.size(); ++i)
      if (match_applies(rule.matches[i], gateway, proxy, server_port))
        out.push_back({&vs, &rule, static_cast<int>(i), gateway, server_port});
  }
}

bool vs_bound_to(const CompiledVirtualService& vs, const std::string& gateway) {
  for (const auto& g : vs.spec->gateways)
    if (resolve_gateway_name(g, vs.spec->header.meta.ns) == gateway) return true;
  return false;
}

bool exported_to_namespace(const VirtualService& vs, std::string_view ns) {
  if (vs.export_to.empty()) return true;
  for (const auto& e : vs.export_to)
    if (e == "*" || e == ns || (e == "." && vs.header.meta.ns == ns)) return true;
  return false;
}

struct BoundServer {
  const GatewayServer* server;
  std::string gateway;  // ns/name
  std::vector<std::string> hosts;  // sanitized
};

// buildGatewayHTTPRouteConfig for one listener port.
std::vector<GatewayVirtualHost> build_virtual_hosts(const RouteTable& table, const Endpoint& proxy,
                                                    const std::vector<BoundServer>& servers) {
  std::vector<GatewayVirtualHost> hosts;  // in creation order, like the dedup map's entries
  auto vhost = [&](const std::string& domain) -> GatewayVirtualHost* {
    for (auto& v : hosts)
      if (v.domain == domain) return &v;
    return nullptr;
  };
  for (const BoundServer& bound : servers) {
    const GatewayServer& server = *bound.server;
    bool redirect = server.tls && server.tls->https_redirect;
    for (const CompiledVirtualService& vs : table.virtual_services()) {
      // push_context.go VirtualServicesForGateway: bound by name and visible to the proxy's namespace.
      if (!vs_bound_to(vs, bound.gateway) || !exported_to_namespace(*vs.spec, proxy.ns)) continue;
      auto intersecting = intersect_hosts(server_hosts_for_namespace(bound.hosts, vs.spec->header.meta.ns), vs.hosts);
      if (intersecting.empty()) continue;
      std::vector<GatewayRouteEntry> routes;
      add_routes(routes, vs, bound.gateway, proxy, server.port.number);
      // No rule of it applies to this gateway (match.gateways, sourceLabels,
      // match.port, or no rules: a delegating root whose delegates are
      // missing): BuildHTTPRoutesForVirtualService fails with "no routes
      // matched" and buildGatewayHTTPRouteConfig skips the VirtualService
      // ("omitting routes for virtual service"), adding no virtual host for
      // its hosts, so another one's (a wildcard host's) serves them
      // (istio pilot/pkg/networking/core/gateway.go).
      if (routes.empty()) continue;
      for (const std::string& h : intersecting) {
        std::string domain = to_lower(h);
        if (GatewayVirtualHost* existing = vhost(domain)) {
          existing->routes.insert(existing->routes.end(), routes.begin(), routes.end());
          existing->require_tls = existing->require_tls || redirect;
        } else {
          hosts.push_back({domain, redirect, routes, false, {}});
        }
      }
    }
    // A server with httpsRedirect redirects its hosts even when no VirtualService covers them.
    if (redirect)
      for (const std::string& h : bound.hosts) {
        std::string domain = to_lower(h);
        if (GatewayVirtualHost* existing = vhost(domain)) existing->require_tls = true;
        else hosts.push_back({domain, true, {}, false, {}});
      }
  }
  for (auto& v : hosts)
    std::stable_partition(v.routes.begin(), v.routes.end(),
                          [](const GatewayRouteEntry& r) { return !catch_all(*r.rule, r.match_index); });
  return hosts;
}

// The Gateway API Gateway whose deployment runs pod `e` (its
// gateway.networking.k8s.io/gateway-name label, same namespace), or null.
const GwGateway* gateway_api_gateway_of(const Resources& r, const Endpoint& e) {
  auto name = e.labels.find(std::string(kGatewayNameLabel));
  if (name == e.labels.end()) return nullptr;
  for (const GwGateway& gw : r.k8s_gateways)
    if (gw.header.meta.ns == e.ns && gw.header.meta.name == name->second && is_istio_gateway_class(gw)) return &gw;
  return nullptr;
}

// Istio's translation of a Gateway API Gateway (conversion.go
// convertGateways, buildListener): one server per listener on its port (the
// deployed Service maps port to the same targetPort); HTTP listeners serve
// plain text, HTTPS ones terminate TLS, which plain-text requests fail. Each
// accepted HTTPRoute lands on the listeners it attached to, under the
// hostnames it intersected there (gateway_api.h gateway_parents), and a
// virtual host's routes are ordered by Gateway API precedence.
void add_gateway_api_listeners(const RouteTable& table, const GwGateway& gw, std::vector<GatewayListener>& listeners,
                               GatewayRoutes& out) {
  const Resources& r = table.resources();
  const std::string key = gw.header.meta.ns + "/" + gw.header.meta.name;
  auto listener_on = [&](uint32_t port) -> GatewayListener& {
    for (auto& l : listeners)
      if (l.port == port) return l;
    listeners.push_back({});
    listeners.back().port = port;
    return listeners.back();
  };
  for (const GwListener& l : gw.listeners) {
    if (l.port == 0) continue;
    GatewayListener& gl = listener_on(l.port);
    if (std::find(gl.gateways.begin(), gl.gateways.end(), key) == gl.gateways.end()) gl.gateways.push_back(key);
    if (l.protocol == "HTTP") gl.plaintext_http = true;
  }
  for (const GwHTTPRoute& route : r.http_routes) {
    std::vector<const CompiledGwMatch*> compiled;  // compiled once per route, on first attachment
    for (const GatewayParentStatus& parent : gateway_parents(r, route)) {
      if (!parent.accepted || parent.gateway != &gw) continue;
      if (compiled.empty()) {
        for (size_t ri = 0; ri < route.rules.size(); ++ri) {
          const GwRouteRule& rule = route.rules[ri];
          std::vector<std::string> backend_errors;
          for (const auto& b : rule.backend_refs) backend_errors.push_back(resolve_backend(r, route, b).reason);
          auto add = [&](const GwRouteMatch* m, size_t mi) {
            auto cm = std::make_unique<CompiledGwMatch>(compile_gw_match(route, ri, m, mi, nullptr));
            cm->backend_errors = backend_errors;
            compiled.push_back(cm.get());
            out.gateway_api_matches.push_back(std::move(cm));
          };
          if (rule.matches.empty()) add(nullptr, 0);
          for (size_t mi = 0; mi < rule.matches.size(); ++mi) add(&rule.matches[mi], mi);
        }
      }
      for (const ListenerAttachment& a : parent.listeners) {
        if (a.listener->protocol != "HTTP") continue;  // HTTPS: TLS that meshsim's plain-text clients never complete
        GatewayListener& gl = listener_on(a.listener->port);
        for (const std::string& host : a.hostnames) {
          auto v = std::find_if(gl.virtual_hosts.begin(), gl.virtual_hosts.end(),
                                [&](const GatewayVirtualHost& vh) { return vh.domain == host; });
          if (v == gl.virtual_hosts.end()) {
            gl.virtual_hosts.push_back({});
            v = gl.virtual_hosts.end() - 1;
            v->domain = host;
            v->gateway_api = true;
          }
          for (const CompiledGwMatch* m : compiled)
            if (std::find(v->gateway_api_routes.begin(), v->gateway_api_routes.end(), m) == v->gateway_api_routes.end())
              v->gateway_api_routes.push_back(m);
        }
      }
    }
  }
  for (auto& gl : listeners)
    for (auto& v : gl.virtual_hosts)
      if (v.gateway_api)
        std::stable_sort(v.gateway_api_routes.begin(), v.gateway_api_routes.end(),
                         [](const CompiledGwMatch* a, const CompiledGwMatch* b) { return gateway_api_precedes(*a, *b); });
}

}  // namespace

bool is_http_protocol(std::string_view protocol) { return is_http(parse_istio_protocol(protocol)); }

bool is_gateway_pod(const Labels& labels, const Labels& annotations) {
  if (auto t = annotations.find(std::string(kGatewayTemplateAnnotation)); t != annotations.end() && t->second == "gateway")
    return true;
  auto istio = labels.find("istio");
  return istio != labels.end() && (istio->second == "ingressgateway" || istio->second == "egressgateway");
}

bool is_gateway_workload(const Deployment& d) { return is_gateway_pod(d.pod_labels, d.pod_annotations); }

std::string resolve_gateway_name(std::string_view ref, std::string_view vs_ns) {
  if (ref == "mesh") return std::string(ref);
  auto slash = ref.find('/');
  if (slash == std::string_view::npos) {
    auto dot = ref.find('.');
    if (dot == std::string_view::npos) return std::string(vs_ns) + "/" + std::string(ref);
    std::string_view rest = ref.substr(dot + 1);
    return std::string(rest.substr(0, rest.find('.'))) + "/" + std::string(ref.substr(0, dot));
  }
  if (ref.substr(0, slash) == ".") return std::string(vs_ns) + "/" + std::string(ref.substr(slash + 1));
  return std::string(ref);
}

bool host_name_matches(std::string_view a, std::string_view b) {
  bool aw = wildcarded(a), bw = wildcarded(b);
  if (aw && bw) return a.size() < b.size() ? b.substr(1).ends_with(a.substr(1)) : a.substr(1).ends_with(b.substr(1));
  if (aw) return b.ends_with(a.substr(1));
  if (bw) return a.ends_with(b.substr(1));
  return a == b;
}

bool host_name_subset_of(std::string_view a, std::string_view b) {
  bool aw = wildcarded(a), bw = wildcarded(b);
  if (aw && bw) return a.size() >= b.size() && a.substr(1).ends_with(b.substr(1));
  if (aw) return false;
  if (bw) return a.ends_with(b.substr(1));
  return a == b;
}

std::vector<std::string> server_hosts_for_namespace(const std::vector<std::string>& server_hosts, std::string_view vs_ns) {
  std::vector<std::string> out;
  for (const auto& h : server_hosts) {
    auto slash = h.find('/');
    if (slash == std::string::npos) {
      out.push_back(h);
      continue;
    }
    std::string_view ns = std::string_view(h).substr(0, slash);
    if (ns == vs_ns || ns == "*") out.push_back(h.substr(slash + 1));
  }
  return out;
}

std::vector<std::string> intersect_hosts(const std::vector<std::string>& server_hosts, const std::vector<std::string>& vs_hosts) {
  std::vector<std::string> out;
  auto add = [&](const std::string& h) {
    if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  };
  for (const auto& s : server_hosts)
    for (const auto& v : vs_hosts) {
      if (host_name_subset_of(s, v)) add(s);
      else if (host_name_subset_of(v, s)) add(v);
    }
  return out;
}

bool envoy_domain_matches(std::string_view domain, std::string_view host) {
  if (domain == "*") return true;
  if (domain.size() > 1 && domain.front() == '*')  // suffix wildcard: at least one character before it
    return host.size() > domain.size() - 1 && host.ends_with(domain.substr(1));
  if (domain.size() > 1 && domain.back() == '*')
    return host.size() > domain.size() - 1 && host.starts_with(domain.substr(0, domain.size() - 1));
  return domain == host;
}

const GatewayVirtualHost* GatewayListener::virtual_host(std::string_view authority) const {
  std::string host = to_lower(strip_port(authority));
  const GatewayVirtualHost *suffix = nullptr, *prefix = nullptr, *any = nullptr;
  for (const auto& v : virtual_hosts) {
    const std::string& d = v.domain;
    if (d == host) return &v;  // Envoy: exact domains first
    if (!envoy_domain_matches(d, host)) continue;
    if (d == "*") any = &v;
    else if (d.front() == '*') {
      if (!suffix || d.size() > suffix->domain.size()) suffix = &v;
    } else if (!prefix || d.size() > prefix->domain.size()) {
      prefix = &v;
    }
  }
  return suffix ? suffix : prefix ? prefix : any;
}

const std::vector<GatewayListener>& GatewayRoutes::listeners(const Endpoint& e) const {
  static const std::vector<GatewayListener> kNone;
  auto it = by_pod.find(e.ns + "/" + e.pod);
  return it == by_pod.end() ? kNone : it->second;
}

const GatewayListener* GatewayRoutes::listener(const Endpoint& e, uint32_t port) const {
  for (const auto& l : listeners(e))
    if (l.port == port) return &l;
  return nullptr;
}

GatewayRoutes build_gateway_routes(const RouteTable& table) {
  GatewayRoutes out;
  const Resources& r = table.resources();
  for (const Endpoint& e : table.endpoints()) {
    if (!e.gateway_proxy) continue;
    // The Services that select the pod (its service targets), for resolvePorts.
    std::vector<const ServiceInfo*> services;
    for (const auto& [fqdn, svc] : table.services())
      if (std::find(svc.endpoints.begin(), svc.endpoints.end(), e.index) != svc.endpoints.end()) services.push_back(&svc);
    std::map<uint32_t, std::vector<BoundServer>> by_port;
    std::map<uint32_t, std::vector<std::string>> gateways_by_port;
    std::map<uint32_t, bool> plaintext;
    for (const Gateway& gw : r.gateways) {
      if (!labels_select(gw.selector, e.labels)) continue;
      std::string key = gw.header.meta.ns + "/" + gw.header.meta.name;
      for (const GatewayServer& server : gw.servers) {
        if (server.port.number == 0) continue;
        // gateway.go resolvePorts with a legacy label selector: a Service
        // port's targetPort (the first such Service), else the number as-is.
        uint32_t port = server.port.number;
        for (const ServiceInfo* svc : services)
          if (svc->spec && svc->has_port(server.port.number)) {
            port = svc->target_port(server.port.number, e);
            break;
          }
        auto& names = gateways_by_port[port];
        if (std::find(names.begin(), names.end(), key) == names.end()) names.push_back(key);
        bool terminates_tls = server.tls && !server.tls->mode.empty();
        bool http = is_http_protocol(server.port.protocol) && !terminates_tls;
        plaintext[port] = plaintext[port] || http;
        if (!http) continue;
        BoundServer bound{&server, key, {}};
        for (const auto& h : server.hosts) bound.hosts.push_back(sanitize_server_host(h, gw.header.meta.ns));
        by_port[port].push_back(std::move(bound));
      }
    }
    auto& listeners = out.by_pod[e.ns + "/" + e.pod];
    for (const auto& [port, names] : gateways_by_port) {
      GatewayListener l;
      l.port = port;
      l.gateways = names;
      l.plaintext_http = plaintext[port];
      if (auto it = by_port.find(port); it != by_port.end()) l.virtual_hosts = build_virtual_hosts(table, e, it->second);
      listeners.push_back(std::move(l));
    }
    if (const GwGateway* gw = gateway_api_gateway_of(r, e)) add_gateway_api_listeners(table, *gw, listeners, out);
  }
  return out;
}

}  // namespace meshsim::proxy
