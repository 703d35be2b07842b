#include "topology/service_graph.h"

namespace meshsim::topology {

std::vector<const GraphService*> ServiceGraph::entrypoints() const {
  std::vector<const GraphService*> out;
  for (const auto& s : services)
    if (s.entrypoint) out.push_back(&s);
  if (out.empty() && !services.empty()) out.push_back(&services.front());
  return out;
}

const GraphService* ServiceGraph::find(const std::string& name) const {
  for (const auto& s : services)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace meshsim::topology
