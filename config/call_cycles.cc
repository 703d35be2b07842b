#include "config/call_cycles.h"

#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "proxy_core/hosts.h"
#include "proxy_core/route_table.h"
#include "sim/behavior_index.h"

namespace meshsim::config {
namespace {

using proxy::Deployment;
using proxy::Service;

// A call from one service's pods to another service, and the Behavior that makes it.
struct CallEdge {
  size_t to;
  const sim::BehaviorRule* behavior;
};

// A request goes round a loop only until a service on it fails the request
// before making its calls (isotope's errorRate, `errorRate.beforeCalls`).
const sim::BehaviorRule* ends_loop(const std::vector<const sim::BehaviorRule*>& on_loop) {
  for (const sim::BehaviorRule* b : on_loop)
    if (b->behavior.error_before_calls && b->behavior.error_per_million > 0) return b;
  return nullptr;
}

class CallGraph {
 public:
  CallGraph(const proxy::Resources& r, const std::vector<sim::BehaviorRule>& behaviors) {
    for (const Service& s : r.services) {
      number_.try_emplace(proxy::client_fqdn(s.header.meta.name, s.header.meta.ns), services_.size());
      services_.push_back(&s);
    }
    // Deployments by namespace and each pod label, so each Service looks at
    // the pods that can match its selector, not at all of them (issue 20).
    std::unordered_map<std::string, std::vector<const Deployment*>> by_label;
    for (const Deployment& d : r.deployments)
      for (const auto& [key, value] : d.pod_labels) by_label[label_key(d.header.meta.ns, key, value)].push_back(&d);
    sim::BehaviorIndex behavior_index(behaviors);
    edges_.resize(services_.size());
    for (size_t from = 0; from < services_.size(); ++from) {
      const Service& s = *services_[from];
      if (s.selector.empty()) continue;
      // The selector's rarest label: Helm-style selectors share some labels
      // (app.kubernetes.io/instance) across every Deployment.
      const std::vector<const Deployment*>* pods = nullptr;
      for (const auto& [key, value] : s.selector) {
        auto found = by_label.find(label_key(s.header.meta.ns, key, value));
        if (found == by_label.end()) {
          pods = nullptr;
          break;  // a label no pod has: the Service selects nothing
        }
        if (pods == nullptr || found->second.size() < pods->size()) pods = &found->second;
      }
      if (pods == nullptr) continue;
      for (const Deployment* d : *pods) {
        if (!proxy::labels_select(s.selector, d->pod_labels)) continue;
        const sim::BehaviorRule* b = behavior_index.most_specific(d->pod_labels);
        if (b == nullptr) continue;
        for (const auto& step : b->behavior.script)
          for (const auto& call : step.calls)
            if (auto to = number_.find(proxy::client_fqdn(call.service, d->header.meta.ns)); to != number_.end())
              add_edge(from, {to->second, b});
      }
    }
  }

  // Depth-first, each back edge one loop: the services from its target
  // down the path to its source, then the target again.
  std::vector<Diagnostic> loops() const {
    std::vector<Diagnostic> out;
    enum class Mark : uint8_t { kNew, kOnPath, kDone };
    std::vector<Mark> mark(services_.size(), Mark::kNew);
    struct Frame {
      size_t service, next_edge;
      const sim::BehaviorRule* via;  // the Behavior of the call that led here
    };
    std::vector<Frame> path;
    for (size_t root = 0; root < services_.size() && out.size() < kCallCyclesReported; ++root) {
      if (mark[root] != Mark::kNew) continue;
      path.push_back({root, 0, nullptr});
      mark[root] = Mark::kOnPath;
      while (!path.empty() && out.size() < kCallCyclesReported) {
        Frame& top = path.back();
        if (top.next_edge == edges_[top.service].size()) {
          mark[top.service] = Mark::kDone;
          path.pop_back();
          continue;
        }
        const CallEdge& e = edges_[top.service][top.next_edge++];
        if (mark[e.to] == Mark::kNew) {
          mark[e.to] = Mark::kOnPath;
          path.push_back({e.to, 0, e.behavior});
        } else if (mark[e.to] == Mark::kOnPath) {
          out.push_back(loop_found(path, e));
        }
      }
      path.clear();
    }
    return out;
  }

 private:
  static std::string label_key(const std::string& ns, const std::string& key, const std::string& value) {
    return ns + '\n' + key + '\n' + value;
  }

  void add_edge(size_t from, CallEdge e) {
    for (const CallEdge& known : edges_[from])
      if (known.to == e.to) return;  // one loop per pair of services, whichever Behavior calls
    edges_[from].push_back(e);
  }

  template <typename Path>
  Diagnostic loop_found(const Path& path, const CallEdge& closing) const {
    size_t start = path.size() - 1;
    while (path[start].service != closing.to) --start;
    const std::string& home_ns = services_[closing.to]->header.meta.ns;
    auto name = [&](size_t service) {
      const auto& meta = services_[service]->header.meta;
      return meta.ns == home_ns ? meta.name : meta.name + "." + meta.ns;
    };
    std::vector<std::string> names;
    std::vector<const sim::BehaviorRule*> on_loop;
    for (size_t i = start; i < path.size(); ++i) {
      names.push_back(name(path[i].service));
      if (i > start) on_loop.push_back(path[i].via);
    }
    names.push_back(name(closing.to));
    on_loop.push_back(closing.behavior);
    std::string loop = fmt::format("{}", fmt::join(names, " -> "));
    std::string message;
    if (const sim::BehaviorRule* ender = ends_loop(on_loop))
      message = fmt::format("calls form a cycle ({}): each request goes round until Behavior {}'s errorRate fails it "
                            "before its calls",
                            loop, ender->name);
    else
      message = fmt::format("calls form a cycle ({}): every request that reaches {} calls on without end (meshsim "
                            "answers 503 once a request is nested 100 deep, and the run fails)",
                            loop, names.front());
    return {Severity::kWarning, "MSH2002", "Behavior " + closing.behavior->name, closing.behavior->pos, message};
  }

  std::vector<const Service*> services_;
  std::unordered_map<std::string, size_t> number_;  // by FQDN
  std::vector<std::vector<CallEdge>> edges_;         // by caller's number
};

}  // namespace

std::vector<Diagnostic> analyze_call_cycles(const proxy::Resources& resources,
                                            const std::vector<sim::BehaviorRule>& behaviors) {
  if (behaviors.empty()) return {};
  return CallGraph(resources, behaviors).loops();
}

}  // namespace meshsim::config
