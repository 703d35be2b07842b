// Which Behavior each pod runs, for a whole mesh at once (issue 20).
#pragma once

#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sim/scenario.h"

namespace meshsim::sim {

// most_specific_behavior for many pods: the rules indexed by their
// selector's first label, so a pod is tested against the rules that can
// select it, not against every rule (a rule per service made building a
// 1,000-service mesh quadratic, issue 20). Same answer: the selecting rule
// with the most labels, the first of equals. Holds pointers into
// `behaviors`, which must outlive it unchanged.
class BehaviorIndex {
 public:
  explicit BehaviorIndex(const std::vector<BehaviorRule>& behaviors) : behaviors_(behaviors) {
    for (size_t i = 0; i < behaviors.size(); ++i) {
      const BehaviorRule& b = behaviors[i];
      if (!b.external_host.empty()) continue;
      if (b.selector.empty()) select_all_.push_back(i);
      else by_first_label_[{b.selector.begin()->first, b.selector.begin()->second}].push_back(i);
    }
  }
  const BehaviorRule* most_specific(const proxy::Labels& pod_labels) const {
    size_t best = behaviors_.size();
    auto consider = [&](size_t i) {
      const BehaviorRule& b = behaviors_[i];
      if (!proxy::labels_select(b.selector, pod_labels)) return;
      if (best == behaviors_.size() || b.selector.size() > behaviors_[best].selector.size() ||
          (b.selector.size() == behaviors_[best].selector.size() && i < best))
        best = i;
    };
    for (size_t i : select_all_) consider(i);
    for (const auto& label : pod_labels)
      if (auto it = by_first_label_.find({label.first, label.second}); it != by_first_label_.end())
        for (size_t i : it->second) consider(i);
    return best == behaviors_.size() ? nullptr : &behaviors_[best];
  }

 private:
  using Label = std::pair<std::string_view, std::string_view>;
  struct LabelHash {
    size_t operator()(const Label& l) const {
      return std::hash<std::string_view>{}(l.first) * 31 + std::hash<std::string_view>{}(l.second);
    }
  };
  const std::vector<BehaviorRule>& behaviors_;
  std::vector<size_t> select_all_;  // an empty selector selects every pod
  std::unordered_map<Label, std::vector<size_t>, LabelHash> by_first_label_;  // views into the selectors
};

}  // namespace meshsim::sim
