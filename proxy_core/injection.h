// Which pods Istio's sidecar injector gives a sidecar, from the pod
// template's sidecar.istio.io/inject label (or, without the label, its
// deprecated annotation of the same name) and its Namespace document's
// labels (istio.io "Installing the Sidecar", Controlling the injection
// policy):
//   1. if either says disabled, the pod is not injected;
//   2. if either says enabled, the pod is injected;
//   3. otherwise the mesh default decides (the scenario's `sidecars`).
#pragma once

#include <optional>
#include <string_view>

#include "proxy_core/resources.h"

namespace meshsim::proxy {

// What the pod's labels and annotations and its namespace `ns` say:
// injected, not injected, or nothing (the default applies).
std::optional<bool> injection_choice(const Resources& resources, std::string_view ns, const Labels& pod_labels,
                                     const Labels& pod_annotations);

inline std::optional<bool> injection_choice(const Resources& resources, const Deployment& d) {
  return injection_choice(resources, d.header.meta.ns, d.pod_labels, d.pod_annotations);
}

// Whether the Deployment's pods get a sidecar, `default_injected` when
// neither the pod template nor its Namespace says.
inline bool sidecar_injected(const Resources& resources, const Deployment& d, bool default_injected) {
  return injection_choice(resources, d).value_or(default_injected);
}

}  // namespace meshsim::proxy
