// Gateway API Gateways and their routes, reported as Istio's gateway
// controller would set their status (gateway-api apis/v1/shared_types.go
// RouteConditionType / RouteConditionReason):
//   MSH1021 Info    a Gateway Istio deploys: Deployment and Service <name>-istio
//   MSH1022 Info    a Gateway meshsim does not deploy (another gatewayClassName,
//                   or spec.addresses: Istio then uses an existing gateway)
//   MSH1023 Info    a route's parent Gateway: Accepted=True with the listeners and
//                   hostnames it attached to, and ResolvedRefs
//   MSH1024 Warning Accepted=False: NoMatchingParent, NotAllowedByListeners,
//                   NoMatchingListenerHostname (requests get 404 from the gateway)
//   MSH1025 Warning ResolvedRefs=False: InvalidKind, BackendNotFound,
//                   RefNotPermitted (requests for that backend get 500)
// Like analyzer.cc, a reference is judged only when the files could hold its
// target: a missing Gateway when some Gateway API Gateway is loaded, a
// missing Service when its namespace has some Service.
#include "config/analyzer_gateway_api.h"

#include <set>

#include <fmt/format.h>

#include "proxy_core/gateway_api.h"

namespace meshsim::config {
namespace {

using namespace meshsim::proxy;

std::string subject(const ResourceHeader& h) { return h.kind + " " + h.meta.ns + "/" + h.meta.name; }

Diagnostic finding(Severity s, const char* code, const ResourceHeader& h, const std::string& path, std::string message) {
  return {s, code, subject(h), h.fields.at(path), std::move(message)};
}

void check_gateways(const Resources& r, std::vector<Diagnostic>& out) {
  for (const GwGateway& gw : r.k8s_gateways) {
    if (!is_istio_gateway_class(gw)) {
      out.push_back(finding(Severity::kInfo, "MSH1022", gw.header, "spec.gatewayClassName",
                            fmt::format("gatewayClassName \"{}\" is not Istio's (\"istio\"): meshsim deploys no proxy for "
                                        "this Gateway and routes nothing through it",
                                        gw.gateway_class_name)));
      continue;
    }
    if (gw.has_addresses) {
      out.push_back(finding(Severity::kInfo, "MSH1022", gw.header, "spec.addresses",
                            "spec.addresses: Istio binds this Gateway to an existing gateway at that address instead of "
                            "deploying one; meshsim does not simulate it"));
      continue;
    }
    std::string ports;
    for (const GwListener& l : gw.listeners)
      if (ports.find(std::to_string(l.port) + "/") == std::string::npos)
        ports += (ports.empty() ? "" : ", ") + std::to_string(l.port) + "/" + l.protocol;
    out.push_back(finding(Severity::kInfo, "MSH1021", gw.header, "spec.gatewayClassName",
                          fmt::format("Istio deploys Deployment and Service {0} in {1} (ports {2}); clients outside call "
                                      "{0}.{1}",
                                      deployed_gateway_name(gw), gw.header.meta.ns, ports)));
  }
}

void check_routes(const Resources& r, std::vector<Diagnostic>& out) {
  std::set<std::string> namespaces_with_services;
  for (const Service& s : r.services) namespaces_with_services.insert(s.header.meta.ns);
  for (const GwHTTPRoute& route : r.http_routes) {
    auto parents = gateway_parents(r, route);
    if (parents.empty()) continue;
    // ResolvedRefs is one condition per route and parent (the first failing backend sets its reason).
    std::string refs = "ResolvedRefs=True (ResolvedRefs)";
    for (const GwRouteRule& rule : route.rules)
      for (const auto& b : rule.backend_refs) {
        BackendStatus st = resolve_backend(r, route, b);
        if (st.resolved()) continue;
        std::string ns = b.ns.empty() ? route.header.meta.ns : b.ns;
        if (st.reason == "BackendNotFound" && namespaces_with_services.count(ns) == 0) continue;  // not shown that namespace
        if (refs.find("=True") != std::string::npos) refs = "ResolvedRefs=False (" + st.reason + ")";
        out.push_back(finding(Severity::kWarning, "MSH1025", route.header, b.path,
                              fmt::format("ResolvedRefs=False ({}): {}; requests for this backend get 500", st.reason,
                                          st.message)));
      }
    for (const GatewayParentStatus& p : parents) {
      const std::string path = fmt::format("spec.parentRefs[{}]", p.parent_index);
      const ParentRef& ref = route.parent_refs[p.parent_index];
      const std::string gw = (ref.ns.empty() ? route.header.meta.ns : ref.ns) + "/" + ref.name;
      if (p.gateway == nullptr && r.k8s_gateways.empty()) {
        out.push_back(finding(Severity::kInfo, "MSH1023", route.header, path,
                              fmt::format("parent Gateway {} is not among the loaded files: attachment not checked", gw)));
        continue;
      }
      if (p.gateway != nullptr && !is_istio_gateway_class(*p.gateway)) continue;  // MSH1022 said so
      if (!p.accepted) {
        out.push_back(finding(Severity::kWarning, "MSH1024", route.header, path,
                              fmt::format("parent Gateway {}: Accepted=False ({}): {}; the route attaches nowhere there", gw,
                                          p.reason, p.message)));
        continue;
      }
      std::string where;
      for (const ListenerAttachment& a : p.listeners) {
        std::string hosts;
        for (const auto& h : a.hostnames) hosts += (hosts.empty() ? "" : ",") + h;
        where += fmt::format("{}listener {} (port {}, hostnames {})", where.empty() ? "" : "; ", a.listener->name,
                             a.listener->port, hosts);
      }
      out.push_back(finding(Severity::kInfo, "MSH1023", route.header, path,
                            fmt::format("parent Gateway {}: Accepted=True (Accepted), {}; attached to {}", gw, refs, where)));
    }
  }
}

}  // namespace

void analyze_gateway_api(const Resources& resources, std::vector<Diagnostic>& out) {
  check_gateways(resources, out);
  check_routes(resources, out);
}

}  // namespace meshsim::config
