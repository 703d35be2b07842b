#include "proxy_core/injection.h"

#include <algorithm>

#include "proxy_core/http.h"

namespace meshsim::proxy {

namespace {

enum class Vote { kNone, kEnabled, kDisabled };

// The pod label sidecar.istio.io/inject, read as injectRequired does
// (istio/istio pkg/kube/inject/inject.go): y/yes/true/on inject, an empty
// value leaves the choice to the default, any other value opts out.
Vote pod_vote(const Labels& labels) {
  Vote vote = Vote::kNone;
  if (auto it = labels.find("sidecar.istio.io/inject"); it != labels.end() && !it->second.empty()) {
    std::string v = to_lower(it->second);
    vote = (v == "y" || v == "yes" || v == "true" || v == "on") ? Vote::kEnabled : Vote::kDisabled;
  }
  // A revision label on the pod selects that revision's injector (revision table of the same page).
  if (vote == Vote::kNone && labels.count("istio.io/rev")) vote = Vote::kEnabled;
  return vote;
}

// The namespace labels: istio-injection enabled|disabled, which takes
// precedence over istio.io/rev=<revision> (which enables).
Vote namespace_vote(const Resources& resources, std::string_view ns) {
  auto it = std::find_if(resources.namespaces.begin(), resources.namespaces.end(),
                         [&](const Namespace& n) { return n.header.meta.name == ns; });
  if (it == resources.namespaces.end()) return Vote::kNone;
  const Labels& labels = it->header.meta.labels;
  if (auto injection = labels.find("istio-injection"); injection != labels.end()) {
    if (injection->second == "enabled") return Vote::kEnabled;
    if (injection->second == "disabled") return Vote::kDisabled;
  }
  if (labels.count("istio.io/rev")) return Vote::kEnabled;
  return Vote::kNone;
}

}  // namespace

std::optional<bool> injection_by_labels(const Resources& resources, std::string_view ns, const Labels& pod_labels) {
  Vote pod = pod_vote(pod_labels), space = namespace_vote(resources, ns);
  if (pod == Vote::kDisabled || space == Vote::kDisabled) return false;
  if (pod == Vote::kEnabled || space == Vote::kEnabled) return true;
  return std::nullopt;
}

}  // namespace meshsim::proxy
