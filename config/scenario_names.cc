#include "config/scenario_names.h"

#include <set>

#include <fmt/format.h>

#include "config/yaml_reader.h"
#include "proxy_core/app_labels.h"
#include "proxy_core/hosts.h"

namespace meshsim::config {
namespace {

struct Known {
  std::set<std::string> sources, services, callers, versions, workloads, apps;
};

void add_resources(const proxy::Resources& r, Known& k) {
  for (const auto& d : r.deployments) {
    k.callers.insert(d.header.meta.name);
    k.workloads.insert(d.header.meta.name);
    // As the workload reports itself (app_labels.h): what shares and slices are matched against.
    if (std::string app = proxy::app_label(d.pod_labels); !app.empty()) k.callers.insert(app), k.apps.insert(app);
    if (std::string v = proxy::version_label(d.pod_labels); !v.empty()) k.versions.insert(v);
  }
  for (const auto& s : r.services) {
    const std::string& name = s.header.meta.name;
    const std::string& ns = s.header.meta.ns;
    k.services.insert(name);
    k.services.insert(name + "." + ns);
    k.services.insert(name + "." + ns + ".svc.cluster.local");
  }
  for (const auto& se : r.service_entries) k.services.insert(se.hosts.begin(), se.hosts.end());
  for (const auto& e : r.external_hosts) k.services.insert(e.name);
}

// The nearest name by edit distance when close enough to be a typo.
std::string nearest_of(const std::string& word, const std::set<std::string>& names) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const auto& n : names) {
    size_t d = edit_distance(proxy::to_lower(word), proxy::to_lower(n));
    if (d < best_distance) best = n, best_distance = d;
  }
  return best_distance <= std::max<size_t>(2, word.size() / 3) ? best : "";
}

void check(const sim::Expectation& e, const char* what, const std::string& name, const std::set<std::string>& names,
           std::vector<Diagnostic>& diagnostics) {
  if (name.empty() || names.count(name)) return;
  std::string hint = nearest_of(name, names);
  std::string valid;
  size_t shown = 0;
  for (const auto& n : names) {
    if (n.find('.') != std::string::npos) continue;  // short names only; FQDNs are accepted too
    if (shown++ == 12) {
      valid += ", …";
      break;
    }
    valid += (valid.empty() ? "" : ", ") + n;
  }
  diagnostics.push_back({Severity::kError, "MSH0007", "", e.pos,
                         fmt::format("expectation \"{}\": no {} \"{}\"{} (known: {})", e.name, what, name,
                                     hint.empty() ? "" : "; did you mean \"" + hint + "\"?", valid.empty() ? "none" : valid)});
}

}  // namespace

void check_expectation_names(const sim::Scenario& scenario, std::vector<Diagnostic>& diagnostics) {
  Known k;
  add_resources(scenario.resources, k);
  for (const auto& step : scenario.timeline)
    if (step.apply) add_resources(*step.apply, k);
  for (const auto& b : scenario.behaviors)
    if (!b.external_host.empty()) k.services.insert(b.external_host);
  for (const auto& s : scenario.sources) {
    k.sources.insert(s.name);
    k.callers.insert(s.from);  // a client the run creates
  }
  k.callers.insert("istio-ingressgateway");  // the ingress gateway `serve` adds
  for (const auto& e : scenario.expectations) {
    check(e, "traffic source", e.slice.source, k.sources, diagnostics);
    check(e, "service", e.slice.service, k.services, diagnostics);
    check(e, "calling workload or app", e.slice.from, k.callers, diagnostics);
    check(e, "version", e.slice.version, k.versions, diagnostics);
    check(e, "destination workload", e.slice.workload, k.workloads, diagnostics);
    check(e, "destination app", e.slice.app, k.apps, diagnostics);
    if (e.kind == sim::Expectation::Kind::kShare) check(e, "version", e.share_version, k.versions, diagnostics);
  }
}

}  // namespace meshsim::config
