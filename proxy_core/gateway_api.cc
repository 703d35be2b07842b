#include "proxy_core/gateway_api.h"

#include <algorithm>

#include "proxy_core/gateway_routes.h"
#include "proxy_core/hosts.h"
#include "proxy_core/http.h"

namespace meshsim::proxy {
namespace {

constexpr std::string_view kGatewayGroup = "gateway.networking.k8s.io";

template <typename T>
bool generated(const T& r) {
  return r.header.meta.annotations.count(std::string(kGeneratedAnnotation)) > 0;
}

template <typename T>
bool exists(const std::vector<T>& list, const std::string& ns, const std::string& name) {
  return std::any_of(list.begin(), list.end(),
                     [&](const T& r) { return r.header.meta.ns == ns && r.header.meta.name == name; });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Listener.AllowedRoutes.Kinds, or the kinds its protocol carries when
// unset (gateway_types.go: "the implementation MUST select the Route kinds
// appropriate for the listener protocol"; Istio: HTTP/HTTPS -> HTTPRoute,
// GRPCRoute).
bool kind_allowed(const GwListener& l, const GwHTTPRoute& route) {
  const std::string& kind = route.header.kind.empty() ? std::string("HTTPRoute") : route.header.kind;
  if (!l.allowed_routes.kinds.empty()) {
    for (const RouteGroupKind& k : l.allowed_routes.kinds)
      if (k.kind == kind && (k.group.empty() || k.group == kGatewayGroup)) return true;
    return false;
  }
  return l.protocol == "HTTP" || l.protocol == "HTTPS";
}

// Listener.AllowedRoutes.Namespaces (FromNamespaces): Same (default), All,
// Selector (labels of the route's namespace).
bool namespace_allowed(const Resources& r, const GwGateway& gw, const GwListener& l, const GwHTTPRoute& route) {
  const AllowedRoutes& a = l.allowed_routes;
  if (a.from == "All") return true;
  if (a.from == "Selector") return a.selector && a.selector->matches(namespace_labels(r, route.header.meta.ns));
  if (a.from == "None") return false;
  return route.header.meta.ns == gw.header.meta.ns;
}

// The hostnames a route serves on a listener (httproute_types.go Hostnames,
// gateway_types.go Listener.Hostname): the route's hostnames that lie within
// the listener's (a wildcard route hostname narrows to the listener's), all
// of the route's when the listener has none, the listener's when the route
// has none, "*" when neither has any.
std::vector<std::string> intersect(const std::string& listener, const std::vector<std::string>& route) {
  std::vector<std::string> out;
  auto add = [&](std::string h) {
    h = lower(std::move(h));
    if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(std::move(h));
  };
  if (listener.empty()) {
    if (route.empty()) add("*");
    for (const auto& h : route) add(h);
    return out;
  }
  if (route.empty()) {
    add(listener);
    return out;
  }
  for (const auto& h : route) {
    std::string rh = lower(h), lh = lower(listener);
    if (host_name_subset_of(rh, lh)) add(rh);
    else if (host_name_subset_of(lh, rh)) add(lh);
  }
  return out;
}

}  // namespace

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& [k, v] : match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  for (const auto& req : match_expressions) {
    auto it = labels.find(req.key);
    bool in = it != labels.end() && std::find(req.values.begin(), req.values.end(), it->second) != req.values.end();
    if (req.op == "In" && !in) return false;
    if (req.op == "NotIn" && in) return false;
    if (req.op == "Exists" && it == labels.end()) return false;
    if (req.op == "DoesNotExist" && it != labels.end()) return false;
  }
  return true;
}

bool is_istio_gateway_class(const GwGateway& gw) { return gw.gateway_class_name == "istio"; }

std::string deployed_gateway_name(const GwGateway& gw) { return gw.header.meta.name + "-" + gw.gateway_class_name; }

Labels namespace_labels(const Resources& r, std::string_view ns) {
  Labels out;
  for (const Namespace& n : r.namespaces)
    if (n.header.meta.name == ns) out = n.header.meta.labels;
  out["kubernetes.io/metadata.name"] = std::string(ns);
  return out;
}

void provision_gateways(Resources& r) {
  std::erase_if(r.deployments, [](const Deployment& d) { return generated(d); });
  std::erase_if(r.services, [](const Service& s) { return generated(s); });
  for (const GwGateway& gw : r.k8s_gateways) {
    if (!is_istio_gateway_class(gw) || gw.has_addresses) continue;
    const std::string name = deployed_gateway_name(gw), &ns = gw.header.meta.ns;
    const Labels selector = {{std::string(kGatewayNameLabel), gw.header.meta.name}};
    ObjectMeta meta;
    meta.name = name;
    meta.ns = ns;
    meta.labels = selector;
    meta.labels["gateway.istio.io/managed"] = "istio.io-gateway-controller";
    meta.annotations[std::string(kGeneratedAnnotation)] = gw.header.meta.name;
    if (!exists(r.deployments, ns, name)) {
      Deployment d;
      d.header.api_version = "apps/v1";
      d.header.kind = "Deployment";
      d.header.meta = meta;
      d.header.pos = gw.header.pos;
      d.selector = selector;
      d.pod_labels = selector;
      d.pod_labels["istio.io/gateway-name"] = gw.header.meta.name;
      d.pod_labels["service.istio.io/canonical-name"] = name;
      d.pod_annotations["inject.istio.io/templates"] = "gateway";
      d.service_account = name;
      for (const GwListener& l : gw.listeners)
        if (std::none_of(d.ports.begin(), d.ports.end(), [&](const ContainerPort& p) { return p.container_port == l.port; }))
          d.ports.push_back({l.name, l.port});
      r.deployments.push_back(std::move(d));
    }
    if (!exists(r.services, ns, name)) {
      Service s;
      s.header.api_version = "v1";
      s.header.kind = "Service";
      s.header.meta = meta;
      s.header.pos = gw.header.pos;
      s.selector = selector;
      s.type = "LoadBalancer";
      ServicePort status;
      status.name = "status-port";
      status.port = 15021;
      status.app_protocol = "tcp";
      s.ports.push_back(status);
      for (size_t i = 0; i < gw.listeners.size(); ++i) {
        const GwListener& l = gw.listeners[i];
        if (std::any_of(s.ports.begin(), s.ports.end(), [&](const ServicePort& p) { return p.port == l.port; })) continue;
        ServicePort p;
        p.name = l.name.empty() ? lower(l.protocol) + "-" + std::to_string(i) : l.name;
        p.port = l.port;
        p.app_protocol = lower(l.protocol);
        s.ports.push_back(std::move(p));
      }
      r.services.push_back(std::move(s));
    }
  }
}

bool is_gateway_parent(const ParentRef& ref) { return ref.kind == "Gateway" && ref.group == kGatewayGroup; }

std::vector<GatewayParentStatus> gateway_parents(const Resources& r, const GwHTTPRoute& route) {
  std::vector<GatewayParentStatus> out;
  for (size_t i = 0; i < route.parent_refs.size(); ++i) {
    const ParentRef& ref = route.parent_refs[i];
    if (!is_gateway_parent(ref)) continue;
    GatewayParentStatus st;
    st.parent_index = i;
    const std::string ns = ref.ns.empty() ? route.header.meta.ns : ref.ns;
    for (const GwGateway& gw : r.k8s_gateways)
      if (gw.header.meta.ns == ns && gw.header.meta.name == ref.name) st.gateway = &gw;
    if (st.gateway == nullptr) {
      st.reason = "NoMatchingParent";
      st.message = "Gateway " + ns + "/" + ref.name + " not found";
      out.push_back(std::move(st));
      continue;
    }
    bool any_listener = false, any_allowed = false;
    for (const GwListener& l : st.gateway->listeners) {
      if (!ref.section_name.empty() && l.name != ref.section_name) continue;
      if (ref.port && *ref.port != l.port) continue;
      any_listener = true;
      if (!namespace_allowed(r, *st.gateway, l, route) || !kind_allowed(l, route)) continue;
      any_allowed = true;
      auto hosts = intersect(l.hostname, route.hostnames);
      if (!hosts.empty()) st.listeners.push_back({st.gateway, &l, std::move(hosts)});
    }
    if (!any_listener) {
      st.reason = "NoMatchingParent";
      st.message = "no listener" + (ref.section_name.empty() ? std::string() : " named " + ref.section_name) +
                   (ref.port ? " on port " + std::to_string(*ref.port) : std::string()) + " in Gateway " + ns + "/" +
                   ref.name;
    } else if (!any_allowed) {
      st.reason = "NotAllowedByListeners";
      st.message = "no listener of Gateway " + ns + "/" + ref.name + " allows " +
                   (route.header.kind.empty() ? std::string("HTTPRoute") : route.header.kind) + "s from namespace " +
                   route.header.meta.ns;
    } else if (st.listeners.empty()) {
      st.reason = "NoMatchingListenerHostname";
      st.message = "no hostname of the route lies within a listener hostname of Gateway " + ns + "/" + ref.name;
    } else {
      st.accepted = true;
      st.reason = "Accepted";
    }
    out.push_back(std::move(st));
  }
  return out;
}

BackendStatus resolve_backend(const Resources& r, const GwHTTPRoute& route, const GwBackendRef& b) {
  BackendStatus st;
  const std::string ns = b.ns.empty() ? route.header.meta.ns : b.ns;
  // BackendObjectReference: group "" (core) and kind Service by default.
  // Istio also accepts networking.istio.io Hostname (a ServiceEntry host).
  bool service = (b.group.empty() || b.group == "core") && (b.kind.empty() || b.kind == "Service");
  bool istio_host = b.group == "networking.istio.io" && b.kind == "Hostname";
  if (!service && !istio_host) {
    st.reason = "InvalidKind";
    st.message = "backendRef kind " + (b.group.empty() ? std::string() : b.group + "/") + b.kind + " is not supported";
    return st;
  }
  if (ns != route.header.meta.ns) {
    const std::string from_kind = route.header.kind.empty() ? std::string("HTTPRoute") : route.header.kind;
    const std::string to_kind = istio_host ? "Hostname" : "Service";
    const std::string to_group = istio_host ? "networking.istio.io" : "";
    bool granted = false;
    for (const ReferenceGrant& g : r.reference_grants) {
      if (g.header.meta.ns != ns) continue;
      bool from = std::any_of(g.from.begin(), g.from.end(), [&](const ReferenceGrantFrom& f) {
        return f.group == kGatewayGroup && f.kind == from_kind && f.ns == route.header.meta.ns;
      });
      bool to = std::any_of(g.to.begin(), g.to.end(), [&](const ReferenceGrantTo& t) {
        return (t.group == to_group || (to_group.empty() && t.group == "core")) && t.kind == to_kind &&
               (t.name.empty() || t.name == b.name);
      });
      granted = granted || (from && to);
    }
    if (!granted) {
      st.reason = "RefNotPermitted";
      st.message = "backendRef " + ns + "/" + b.name + " is in another namespace and no ReferenceGrant there allows it";
      return st;
    }
  }
  if (service && !exists(r.services, ns, b.name)) {
    st.reason = "BackendNotFound";
    st.message = "backend Service " + ns + "/" + b.name + " not found";
  }
  return st;
}

}  // namespace meshsim::proxy
