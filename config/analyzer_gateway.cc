// `istioctl analyze` checks for Istio Gateways and the VirtualServices bound
// to them, with Istio's codes (pkg/config/analysis/msg/messages.yaml):
//   IST0101 ReferencedResourceNotFound: a VirtualService's gateway, or a
//           Gateway's selector that selects no pod
//           (analyzers/virtualservice/gateways.go, analyzers/gateway/gateway.go);
//   IST0132 VirtualServiceHostNotFoundInGateway: none of the
//           VirtualService's hosts is among the gateway's server hosts, or
//           the listener hostnames of a Kubernetes Gateway, or the gateway
//           is not there (gateways.go vsHostInGateway,
//           vsHostInKubernetesGateway);
//   IST0162 GatewayPortNotDefinedOnService: a server port that no Service of
//           the gateway's pods exposes (gateway.go IngressGatewayPortAnalyzer).
// Like the host checks of analyzer.cc, a reference is only judged when the
// files could contain its target: gateways when some Gateway (Istio's or
// Kubernetes') is loaded,
// selectors when some gateway Deployment is.
#include "config/analyzer_gateway.h"

#include <fmt/format.h>

#include "proxy_core/gateway_routes.h"
#include "proxy_core/route_table.h"

namespace meshsim::config {
namespace {

using namespace meshsim::proxy;

std::string subject(const ResourceHeader& h) { return h.kind + " " + h.meta.ns + "/" + h.meta.name; }

std::string selector_text(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

// sanitizeServerHostNamespace as the analyzer applies it.
std::vector<std::string> gateway_hosts(const Gateway& gw) {
  std::vector<std::string> out;
  for (const GatewayServer& s : gw.servers)
    for (const std::string& h : s.hosts) {
      auto slash = h.find('/');
      if (slash == std::string::npos) out.push_back(h);
      else if (h.substr(0, slash) == ".") out.push_back(gw.header.meta.ns + "/" + h.substr(slash + 1));
      else if (h.substr(0, slash) == "*") out.push_back(h.substr(slash + 1));
      else out.push_back(h);
    }
  return out;
}

// Whether one of the VirtualService's hosts is served by a Kubernetes
// Gateway's listeners (gateways.go vsHostInKubernetesGateway): a listener
// without hostname serves every host.
bool host_in_kubernetes_gateway(const GwGateway& gw, const std::vector<std::string>& vs_hosts) {
  for (const GwListener& l : gw.listeners) {
    if (l.hostname.empty()) return true;
    for (const std::string& vh : vs_hosts)
      if (host_name_matches(l.hostname, vh)) return true;
  }
  return false;
}

void check_virtual_service_gateways(const Resources& r, std::vector<Diagnostic>& out) {
  if (r.gateways.empty() && r.k8s_gateways.empty()) return;
  for (const VirtualService& vs : r.virtual_services) {
    const ResourceHeader& h = vs.header;
    for (size_t i = 0; i < vs.gateways.size(); ++i) {
      if (vs.gateways[i] == "mesh") continue;
      std::string key = resolve_gateway_name(vs.gateways[i], h.meta.ns);
      std::string path = fmt::format("spec.gateways[{}]", i);
      // An Istio Gateway of that name first, then a Kubernetes one (gateways.go).
      const Gateway* gw = nullptr;
      for (const Gateway& g : r.gateways)
        if (g.header.meta.ns + "/" + g.header.meta.name == key) gw = &g;
      const GwGateway* k8s_gw = nullptr;
      if (gw == nullptr)
        for (const GwGateway& g : r.k8s_gateways)
          if (g.header.meta.ns + "/" + g.header.meta.name == key) k8s_gw = &g;
      if (gw == nullptr && k8s_gw == nullptr)
        out.push_back({Severity::kError, "IST0101", subject(h), h.fields.at(path),
                       fmt::format("Referenced gateway not found: \"{}\"", vs.gateways[i])});
      // A gateway that is not there serves no host either: Istio reports
      // IST0132 next to IST0101 (analyzers_test.go, httpbin-bogus).
      bool any = false;
      if (k8s_gw != nullptr) {
        any = host_in_kubernetes_gateway(*k8s_gw, vs.hosts);
      } else if (gw != nullptr) {
        for (const std::string& gh : server_hosts_for_namespace(gateway_hosts(*gw), h.meta.ns))
          for (const std::string& vh : vs.hosts) any = any || host_name_matches(gh, vh);
      }
      if (!any)
        out.push_back({Severity::kWarning, "IST0132", subject(h), h.fields.at(path),
                       fmt::format("one or more host [{}] defined in VirtualService {}/{} not found in Gateway {}.",
                                   fmt::join(vs.hosts, " "), h.meta.ns, h.meta.name, key)});
    }
  }
}

void check_gateway_ports(const Resources& r, std::vector<Diagnostic>& out) {
  bool gateway_pods_loaded = false;
  for (const Deployment& d : r.deployments) gateway_pods_loaded = gateway_pods_loaded || is_gateway_workload(d);
  if (!gateway_pods_loaded) return;
  for (const Gateway& gw : r.gateways) {
    std::map<uint32_t, bool> service_ports;  // target ports, and Service ports that map to one
    int selected = 0;
    for (const Deployment& d : r.deployments) {
      if (!labels_select(gw.selector, d.pod_labels)) continue;
      ++selected;
      for (const Service& s : r.services) {
        if (s.header.meta.ns != d.header.meta.ns || s.selector.empty() || !labels_select(s.selector, d.pod_labels)) continue;
        for (const ServicePort& p : s.ports) {
          if (p.protocol != "TCP") continue;
          const auto* target = std::get_if<uint32_t>(&p.target_port);
          if (target && *target != 0) {
            service_ports[*target] = true;
            service_ports[p.port] = true;  // portMapping: the Service port is accepted too
          } else {
            service_ports[p.port] = true;
          }
        }
      }
    }
    if (selected == 0) {
      out.push_back({Severity::kError, "IST0101", subject(gw.header), gw.header.fields.at("spec.selector"),
                     fmt::format("Referenced selector not found: \"{}\"", selector_text(gw.selector))});
      continue;
    }
    for (const GatewayServer& s : gw.servers)
      if (s.port.number != 0 && !service_ports.count(s.port.number))
        out.push_back({Severity::kWarning, "IST0162", subject(gw.header), gw.header.fields.at(s.path + ".port.number"),
                       fmt::format("The gateway is listening on a target port (port {}) that is not defined in the Service "
                                   "associated with its workload instances (Pod selector {}). If you need to access the "
                                   "gateway port through the gateway Service, it will not be available.",
                                   s.port.number, selector_text(gw.selector))});
  }
}

}  // namespace

void analyze_gateways(const proxy::Resources& resources, std::vector<Diagnostic>& out) {
  check_virtual_service_gateways(resources, out);
  check_gateway_ports(resources, out);
}

}  // namespace meshsim::config
