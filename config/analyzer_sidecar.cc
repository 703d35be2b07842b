// istioctl analyze's Sidecar checks (pkg/config/analysis/analyzers/sidecar/
// selector.go; codes and texts from pkg/config/analysis/msg/messages.yaml):
// IST0101 a workloadSelector that selects no pod, IST0110 two Sidecars
// selecting the same pod, IST0111 several selector-less Sidecars in one namespace.
#include "config/analyzer_sidecar.h"

#include <map>

#include <fmt/format.h>

#include "proxy_core/route_table.h"

namespace meshsim::config {

void analyze_sidecars(const proxy::Resources& r, std::vector<Diagnostic>& out) {
  auto subject = [](const proxy::ResourceHeader& h) { return h.kind + " " + h.meta.ns + "/" + h.meta.name; };
  std::map<std::string, std::vector<const proxy::SidecarConfig*>> selector_less;  // by namespace
  std::map<std::pair<std::string, std::string>, std::vector<const proxy::SidecarConfig*>> by_pod;  // (ns, deployment)
  for (const auto& sc : r.sidecars) {
    const std::string& ns = sc.header.meta.ns;
    if (!sc.workload_selector || sc.workload_selector->empty()) {
      selector_less[ns].push_back(&sc);
      continue;
    }
    bool selects = false;
    for (const auto& d : r.deployments)
      if (d.header.meta.ns == ns && proxy::labels_select(*sc.workload_selector, d.pod_labels)) {
        selects = true;
        by_pod[{ns, d.header.meta.name}].push_back(&sc);
      }
    if (!selects && !r.deployments.empty()) {
      std::string labels;
      for (const auto& [k, v] : *sc.workload_selector) labels += (labels.empty() ? "" : ",") + k + "=" + v;
      out.push_back({Severity::kError, "IST0101", subject(sc.header), sc.header.fields.at("spec.workloadSelector"),
                     "Referenced selector not found: \"" + labels + "\""});
    }
  }
  auto names = [](const std::vector<const proxy::SidecarConfig*>& list) {
    std::vector<std::string> n;
    for (const auto* s : list) n.push_back(s->header.meta.name);
    return fmt::format("[{}]", fmt::join(n, " "));
  };
  for (const auto& [ns, list] : selector_less)
    if (list.size() > 1)
      for (const auto* sc : list)
        out.push_back({Severity::kError, "IST0111", subject(sc->header), sc->header.pos,
                       fmt::format("The Sidecars {} in namespace \"{}\" have no workload selector, which can lead to "
                                   "undefined behavior.", names(list), ns)});
  for (const auto& [pod, list] : by_pod)
    if (list.size() > 1)
      for (const auto* sc : list)
        out.push_back({Severity::kError, "IST0110", subject(sc->header), sc->header.fields.at("spec.workloadSelector"),
                       fmt::format("The Sidecars {} in namespace \"{}\" select the same workload pod \"{}\", which can "
                                   "lead to undefined behavior.", names(list), pod.first, pod.second)});
}

}  // namespace meshsim::config
