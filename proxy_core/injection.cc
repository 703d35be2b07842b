#include "proxy_core/injection.h"

#include <algorithm>
#include <string>

#include "proxy_core/http.h"

namespace meshsim::proxy {

namespace {

enum class Vote { kNone, kEnabled, kDisabled };

constexpr const char* kInjectKey = "sidecar.istio.io/inject";

// The pod's sidecar.istio.io/inject as injectRequired finds it (istio/istio
// pkg/kube/inject/inject.go): the label when present, even empty ("if both
// are present we prefer the label"), else the deprecated annotation of the
// same name; null when neither is there.
const std::string* inject_setting(const Labels& labels, const Labels& annotations) {
  if (auto it = labels.find(kInjectKey); it != labels.end()) return &it->second;
  if (auto it = annotations.find(kInjectKey); it != annotations.end()) return &it->second;
  return nullptr;
}

// The pod's say, read as injectRequired reads it: y/yes/true/on inject, an
// empty value leaves the choice to the default, any other value opts out.
Vote pod_vote(const Labels& labels, const Labels& annotations) {
  Vote vote = Vote::kNone;
  if (const std::string* setting = inject_setting(labels, annotations); setting && !setting->empty()) {
    std::string v = to_lower(*setting);
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

std::optional<bool> injection_choice(const Resources& resources, std::string_view ns, const Labels& pod_labels,
                                     const Labels& pod_annotations) {
  Vote pod = pod_vote(pod_labels, pod_annotations), space = namespace_vote(resources, ns);
  if (pod == Vote::kDisabled || space == Vote::kDisabled) return false;
  if (pod == Vote::kEnabled || space == Vote::kEnabled) return true;
  return std::nullopt;
}

}  // namespace meshsim::proxy
