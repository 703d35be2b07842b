// Delegate VirtualServices (virtual_service.proto Delegate): a root
// VirtualService's route with `delegate: {name, namespace}` is replaced by
// the delegate's routes, each merged with the root route as Istio does it.
#pragma once

#include "proxy_core/resources.h"

namespace meshsim::proxy {

// Rewrites every root VirtualService of `resources` in place (only one level
// of delegation, as Istio allows). Destination hosts of merged routes are
// made fully qualified in the delegate's namespace first.
void merge_delegate_virtual_services(Resources& resources);

}  // namespace meshsim::proxy
