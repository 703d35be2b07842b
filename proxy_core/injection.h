// Which pods Istio's sidecar injector gives a sidecar, from the labels on
// the pod template and on its Namespace document (istio.io "Installing the
// Sidecar", Controlling the injection policy):
//   1. if either label is disabled, the pod is not injected;
//   2. if either label is enabled, the pod is injected;
//   3. otherwise the mesh default decides (the scenario's `sidecars`).
#pragma once

#include <optional>
#include <string_view>

#include "proxy_core/resources.h"

namespace meshsim::proxy {

// What the labels say for a pod of namespace `ns`: injected, not injected,
// or nothing (the default applies).
std::optional<bool> injection_by_labels(const Resources& resources, std::string_view ns, const Labels& pod_labels);

inline bool sidecar_injected(const Resources& resources, std::string_view ns, const Labels& pod_labels,
                             bool default_injected) {
  return injection_by_labels(resources, ns, pod_labels).value_or(default_injected);
}

}  // namespace meshsim::proxy
