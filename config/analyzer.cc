#include "config/analyzer.h"

#include "config/analyzer_gateway.h"
#include "config/analyzer_gateway_api.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "config/analyzer_sidecar.h"
#include "config/analyzer_service_entry.h"
#include "config/yaml_reader.h"
#include "proxy_core/authz.h"
#include "proxy_core/gateway_api.h"
#include "proxy_core/hosts.h"
#include "proxy_core/route_table.h"

namespace meshsim::config {
namespace {

using namespace meshsim::proxy;

std::string subject(const ResourceHeader& h) { return h.kind + " " + h.meta.ns + "/" + h.meta.name; }

class Analyzer {
 public:
  explicit Analyzer(const Resources& r) : r_(r) {
    for (const Service& s : r.services) {
      services_[resolve_short_name(s.header.meta.name, s.header.meta.ns)] = &s;
      namespaces_with_services_.insert(s.header.meta.ns);
    }
  }

  std::vector<Diagnostic> run() {
    if (r_.services.empty() && (!r_.virtual_services.empty() || !r_.destination_rules.empty())) {
      out_.push_back({Severity::kInfo, "MSH1000", "", {}, "no Services loaded: host references are not checked "
                      "(add the Deployment/Service files to check them)"});
      checks_hosts_ = false;
    }
    check_virtual_services();
    check_destination_rules();
    check_policies();
    check_http_routes();
    analyze_gateways(r_, out_);
    analyze_sidecars(r_, out_);
    analyze_gateway_api(r_, out_);

    analyze_service_entries(r_, out_);
    return std::move(out_);
  }

  std::vector<Diagnostic> take() { return std::move(out_); }

 private:
  void add(Severity sev, const char* code, const ResourceHeader& h, const std::string& path, std::string message) {
    out_.push_back({sev, code, subject(h), h.fields.at(path), std::move(message)});
  }

  // Pods (as label sets) of the Service behind `fqdn`, or nullopt if no such Service.
  std::optional<std::vector<const Deployment*>> workloads_of(const std::string& fqdn) const {
    auto it = services_.find(fqdn);
    if (it == services_.end()) return std::nullopt;
    std::vector<const Deployment*> out;
    for (const Deployment& d : r_.deployments)
      if (d.header.meta.ns == it->second->header.meta.ns && !it->second->selector.empty() &&
          labels_select(it->second->selector, d.pod_labels))
        out.push_back(&d);
    return out;
  }

  // Whether a missing Service behind `fqdn` is a finding. Hosts outside the
  // cluster domain may be ServiceEntries (not modeled), and namespaces the
  // files define no Service for may hold Services we were not shown.
  bool checkable(const std::string& fqdn) const {
    const std::string suffix = "." + std::string(kClusterDomain);
    if (!checks_hosts_ || fqdn.find('*') != std::string::npos || !fqdn.ends_with(suffix)) return false;
    std::string name_ns = fqdn.substr(0, fqdn.size() - suffix.size());
    auto dot = name_ns.find('.');
    return dot != std::string::npos && namespaces_with_services_.count(name_ns.substr(dot + 1)) > 0;
  }

  // The ports of the ServiceEntry that `istioctl analyze` finds for `fqdn`
  // from namespace `ns` (util/service_lookup.go GetDestinationHost: an
  // exact host before a wildcard one), or nullopt when none declares it.
  std::optional<std::vector<uint32_t>> service_entry_ports(const std::string& fqdn, const std::string& ns) const {
    const ServiceEntry* best = nullptr;
    size_t best_len = 0;
    bool best_exact = false;
    for (const ServiceEntry& se : r_.service_entries) {
      const std::string& se_ns = se.header.meta.ns;
      // InitServiceEntryHostMap: no exportTo is every namespace, "." its own.
      bool visible = se.export_to.empty() || std::any_of(se.export_to.begin(), se.export_to.end(), [&](const auto& e) {
                       return e == "*" || e == ns || (e == "." && se_ns == ns);
                     });
      if (!visible) continue;
      for (const std::string& raw : se.hosts) {
        std::string host = resolve_short_name(raw, se_ns);
        bool exact = host == fqdn;
        if (!exact && !(host.starts_with("*") && fqdn.ends_with(host.substr(1)))) continue;
        if (best == nullptr || (exact && !best_exact) || (exact == best_exact && host.size() > best_len)) {
          best = &se;
          best_len = host.size();
          best_exact = exact;
        }
      }
    }
    if (best == nullptr) return std::nullopt;
    std::vector<uint32_t> ports;
    for (const ServiceEntryPort& p : best->ports) ports.push_back(p.number);
    return ports;
  }

  // virtualservice/destinationhosts.go checkServiceEntryPorts, against the
  // ports of the Service (as a ServiceEntry, InitServiceEntryHostMap) or
  // ServiceEntry the destination names: with no port, more than one port
  // is IST0112 (route.go GetDestinationCluster would take the listener
  // port); a port not among them is IST0101 (no such cluster).
  void check_destination_port(const ResourceHeader& h, const Destination& d, const std::vector<uint32_t>& ports) {
    if (!d.port) {
      if (ports.size() > 1)
        add(Severity::kError, "IST0112", h, child(d.path, "host"),
            fmt::format("This VirtualService routes to a service \"{}\" that exposes multiple ports [{}]. Specifying "
                        "a port in the destination is required to disambiguate.",
                        d.host, fmt::join(ports, " ")));
      return;
    }
    if (std::find(ports.begin(), ports.end(), *d.port) == ports.end())
      add(Severity::kError, "IST0101", h, child(d.path, "host"),
          fmt::format("Referenced host:port not found: \"{}:{}\"", d.host, *d.port));
  }

  void check_destination(const ResourceHeader& h, const Destination& d) {
    std::string fqdn = resolve_short_name(d.host, h.meta.ns);
    if (d.host.empty() || !checks_hosts_) return;
    auto service = services_.find(fqdn);
    if (service == services_.end()) {
      if (auto ports = service_entry_ports(fqdn, h.meta.ns)) check_destination_port(h, d, *ports);
      else if (checkable(fqdn))
        add(Severity::kError, "IST0101", h, child(d.path, "host"),
            fmt::format("Referenced host not found: \"{}\"", d.host));
      return;
    }
    std::vector<uint32_t> ports;
    for (const ServicePort& p : service->second->ports) ports.push_back(p.port);
    check_destination_port(h, d, ports);
    if (d.subset.empty()) return;
    // Istio's analyzer gathers the subsets of every DestinationRule for the
    // host (virtualservice/destinationrules.go initDestHostsAndSubsets), as
    // pilot merges rules for one host (destination_rule.go mergeDestinationRule).
    bool found = false;
    for (const DestinationRule& dr : r_.destination_rules)
      if (host_matches(resolve_short_name(dr.host, dr.header.meta.ns), fqdn))
        for (const Subset& s : dr.subsets) found |= s.name == d.subset;
    if (!found)
      add(Severity::kError, "IST0101", h, child(d.path, "subset"),
          fmt::format("Referenced host+subset in destinationrule not found: \"{}+{}\"", fqdn, d.subset));
  }

  void check_virtual_services() {
    std::map<std::string, std::pair<const VirtualService*, const std::string*>> mesh_hosts;  // first VS, as written
    for (const VirtualService& vs : r_.virtual_services) {
      const ResourceHeader& h = vs.header;
      bool mesh = vs.gateways.empty() ||
                  std::find(vs.gateways.begin(), vs.gateways.end(), "mesh") != vs.gateways.end();
      for (size_t i = 0; i < vs.hosts.size(); ++i) {
        std::string fqdn = resolve_short_name(vs.hosts[i], h.meta.ns);
        if (!mesh) continue;
        auto [it, inserted] = mesh_hosts.emplace(fqdn, std::pair{&vs, &vs.hosts[i]});
        // A host written twice in one VirtualService is the loader's
        // "duplicate hosts" error; two spellings of one host in one
        // VirtualService ("bar", "bar.default.svc.cluster.local") are not,
        // and Istio's analyzer, keyed by FQDN, names that resource twice
        // (conflictingmeshgatewayhosts.go initMeshGatewayHosts).
        const auto& [first_vs, first_text] = it->second;
        if (!inserted && (first_vs != &vs || *first_text != vs.hosts[i]))
          add(Severity::kError, "IST0109", h, fmt::format("spec.hosts[{}]", i),
              fmt::format("The VirtualServices {} and {} associated with mesh define the same host or subset "
                          "\"{}\"; only the first is used",
                          first_vs->header.meta.ns + "/" + first_vs->header.meta.name,
                          h.meta.ns + "/" + h.meta.name, fqdn));
      }
      for (size_t i = 0; i < vs.http.size(); ++i) {
        const HTTPRoute& route = vs.http[i];
        for (const auto& rd : route.route) check_destination(h, rd.destination);
        if (route.mirror) check_destination(h, *route.mirror);
        for (const auto& m : route.mirrors) check_destination(h, m.destination);
        int64_t total = 0;  // int32 weights: their sum needs more
        for (const auto& rd : route.route) total += rd.weight.value_or(0);
        // validation.go validateHTTPRouteDestinations sums into an int32,
        // which wraps: 2147483647 + 2147483647 + 2 is 0 to Istio too.
        if (route.route.size() > 1 && static_cast<uint32_t>(total) == 0)
          add(Severity::kError, "IST0106", h, route.path + ".route",
              "Schema validation error: total destination weight = 0");
        // Istio accepts a larger sum and sends the weights as they are
        // (route.go processWeightedDestination), but Envoy refuses a
        // weighted_clusters total above UINT32_MAX (config_impl.cc "The sum of
        // weights of all weighted clusters of route ... exceeds 4294967295"),
        // rejecting the whole route configuration.
        else if (route.route.size() > 1 && total > std::numeric_limits<uint32_t>::max())
          add(Severity::kWarning, "MSH0047", h, route.path + ".route",
              fmt::format("the weights sum to {}: Istio accepts it, but Envoy rejects (NACKs) the route configuration "
                          "holding a route whose weights sum above 4294967295; meshsim splits by the weights as written",
                          total));
        // Istio: only the last rule may be a catch-all (IST0131 VirtualServiceUnreachableRule).
        if (route.match.empty() && i + 1 < vs.http.size())
          add(Severity::kWarning, "IST0131", h, vs.http[i + 1].path,
              fmt::format("VirtualService rule #{} not used (only the last rule can have no matches).", i + 1));
      }
    }
  }

  void check_destination_rules() {
    for (const DestinationRule& dr : r_.destination_rules) {
      std::string fqdn = resolve_short_name(dr.host, dr.header.meta.ns);
      auto pods = workloads_of(fqdn);
      if (!checks_hosts_) continue;
      if (!pods) {
        if (checkable(fqdn))
          add(Severity::kWarning, "IST0101", dr.header, "spec.host",
              fmt::format("Referenced host not found: \"{}\"", dr.host));
        continue;
      }
      for (const Subset& s : dr.subsets) {
        bool any = false;
        for (const Deployment* d : *pods) any |= labels_select(s.labels, d->pod_labels);
        if (!any && !pods->empty())
          add(Severity::kWarning, "MSH1001", dr.header, s.path,
              fmt::format("subset \"{}\" selects no workload of {} (labels {})", s.name, fqdn,
                          fmt::join(labels_text(s.labels), ",")));
      }
    }
  }

  static std::vector<std::string> labels_text(const Labels& labels) {
    std::vector<std::string> out;
    for (const auto& [k, v] : labels) out.push_back(k + "=" + v);
    return out;
  }

  void check_policies() {
    // authorizationpolicies.go analyzeNoMatchingWorkloads looks for a
    // root-namespace policy's workloads in the whole mesh (meshWidePolicy).
    auto check_selector = [&](const ResourceHeader& h, const std::optional<Labels>& selector, bool mesh_wide) {
      if (!selector || selector->empty() || r_.deployments.empty()) return;
      for (const Deployment& d : r_.deployments)
        if ((mesh_wide || d.header.meta.ns == h.meta.ns) && labels_select(*selector, d.pod_labels)) return;
      add(Severity::kWarning, "IST0127", h, "spec.selector",
          fmt::format("No matching workloads for this resource with the following labels: {}",
                      fmt::join(labels_text(*selector), ",")));
    };
    const std::string& root = proxy::mesh_config(r_).root_namespace;
    for (const auto& ap : r_.authorization_policies) check_selector(ap.header, ap.selector, ap.header.meta.ns == root);
    for (const auto& pa : r_.peer_authentications) check_selector(pa.header, pa.selector, false);
    check_custom_providers();
  }

  // A CUSTOM policy whose provider istiod cannot build an ext_authz filter
  // for is not ignored: istiod logs it and denies what the policy's rules
  // match (builder.go buildHTTP, getBadCustomDenyRules). istioctl analyze
  // has no message for it, hence MSH1004. One it can build a filter for
  // names a check meshsim makes over HTTP to a Service, and not over gRPC
  // or to a ServiceEntry host (MSH1005).
 public:
  void check_custom_providers() {
    const auto& providers = mesh_config(r_).extension_providers;
    for (const auto& ap : r_.authorization_policies) {
      if (ap.action != AuthorizationPolicy::Action::kCustom || ap.provider.empty()) continue;
      // Attached only to waypoints (MSH0010 says so): it denies nothing here.
      if (!ap.target_refs.empty() && std::none_of(ap.target_refs.begin(), ap.target_refs.end(), [](const auto& ref) {
            return ref.group == "gateway.networking.k8s.io" && ref.kind == "Gateway";
          }))
        continue;
      std::optional<std::string> problem = unknown_service(ap.provider, providers);
      if (!problem) problem = bad_custom_provider(providers, ap.provider);
      if (!problem) {
        // An envoyExtAuthzHttp provider on a Kubernetes Service is asked
        // (sidecar.cc); a gRPC one, or one on a ServiceEntry host, is not.
        auto it = std::find_if(providers.begin(), providers.end(), [&](const auto& p) { return p.name == ap.provider; });
        std::string host = it->service.substr(it->service.find('/') + 1);
        bool http = it->kind == proxy::ExtensionProvider::Kind::kExtAuthzHttp;
        if (http && services_.count(host) > 0) continue;
        add(Severity::kWarning, "MSH1005", ap.header, "spec.provider.name",
            std::string(http ? "ext_authz to a ServiceEntry host" : "ext_authz over gRPC (envoyExtAuthzGrpc)") +
                " is not simulated: meshsim denies the requests this policy's rules match (403 \"RBAC: access "
                "denied\") where Istio would ask provider " + ap.provider);
        continue;
      }
      add(Severity::kWarning, "MSH1004", ap.header, "spec.provider.name",
          *problem + ": Istio denies the requests this policy's rules match (403 \"RBAC: access denied\")");
    }
  }

 private:
  // model.LookupCluster: the provider's service is a hostname in the
  // registry, "namespace/hostname" when several namespaces have it.
  std::optional<std::string> unknown_service(const std::string& name, const std::vector<ExtensionProvider>& providers) const {
    auto it = std::find_if(providers.begin(), providers.end(), [&](const auto& p) { return p.name == name; });
    if (it == providers.end() || it->service.empty()) return std::nullopt;
    size_t slash = it->service.find('/');
    std::string host = it->service.substr(slash + 1);
    if (!checkable(host)) return std::nullopt;
    // "namespace/hostname": the Service must be in that namespace.
    if (auto s = services_.find(host);
        s != services_.end() && (slash == std::string::npos || s->second->header.meta.ns == it->service.substr(0, slash)))
      return std::nullopt;
    for (const auto& se : r_.service_entries)
      if (std::find(se.hosts.begin(), se.hosts.end(), host) != se.hosts.end()) return std::nullopt;
    return "provider " + name + "'s service " + it->service + " is not in the service registry";
  }

  void check_http_routes() {
    for (const GwHTTPRoute& route : r_.http_routes) {
      for (size_t i = 0; i < route.parent_refs.size(); ++i) {
        const ParentRef& p = route.parent_refs[i];
        std::string path = fmt::format("spec.parentRefs[{}]", i);
        if (is_gateway_parent(p)) continue;  // analyzer_gateway_api.cc reports Gateway parents
        if (p.kind != "Service") {
          add(Severity::kInfo, "MSH1002", route.header, path,
              fmt::format("parent {} {} is not a Service; meshsim models mesh (GAMMA) routes only", p.kind, p.name));
          continue;
        }
        std::string ns = p.ns.empty() ? route.header.meta.ns : p.ns;
        std::string fqdn = resolve_short_name(p.name, ns);
        if (checkable(fqdn) && services_.find(fqdn) == services_.end())
          add(Severity::kError, "MSH1003", route.header, path,
              fmt::format("parent Service {}/{} not found", ns, p.name));
      }
      // A route with only Gateway parents: its ResolvedRefs is analyzer_gateway_api.cc's.
      bool gateway_only = std::all_of(route.parent_refs.begin(), route.parent_refs.end(),
                                      [](const ParentRef& p) { return is_gateway_parent(p); });
      for (const GwRouteRule& rule : route.rules)
        for (const auto& b : rule.backend_refs) {
          if (gateway_only && !route.parent_refs.empty()) continue;
          if (!b.kind.empty() && b.kind != "Service") continue;
          // Istio drops weight-0 backendRefs before resolving them (pilot/pkg/config/kube/gateway/conversion.go buildHTTPDestination).
          if (b.weight == 0) continue;
          std::string ns = b.ns.empty() ? route.header.meta.ns : b.ns;
          std::string fqdn = resolve_short_name(b.name, ns);
          if (checkable(fqdn) && services_.find(fqdn) == services_.end())
            add(Severity::kError, "MSH1003", route.header, b.path,
                fmt::format("backend Service {}/{} not found", ns, b.name));
        }
    }
  }

  const Resources& r_;
  std::map<std::string, const Service*> services_;
  std::vector<Diagnostic> out_;
  std::set<std::string> namespaces_with_services_;
  bool checks_hosts_ = true;
};

}  // namespace

std::vector<Diagnostic> analyze(const proxy::Resources& resources) { return Analyzer(resources).run(); }

std::vector<Diagnostic> analyze_custom_authz(const proxy::Resources& resources) {
  Analyzer a(resources);
  a.check_custom_providers();
  return a.take();
}

}  // namespace meshsim::config
