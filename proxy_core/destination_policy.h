// The traffic policy a cluster gets from its DestinationRule, as istiod
// merges it (pilot/pkg/networking/util/util.go GetPortLevelTrafficPolicy and
// MergeSubsetTrafficPolicy, pilot/pkg/model/destination_rule.go
// MergeTrafficPolicy): a portLevelSettings entry for the cluster's port
// replaces the level's policy whole ("will not be inherited ... default
// values will be applied to fields omitted"); a subset's own policy then
// overrides the settings it sets, or all four when it has an entry for the
// port.
#pragma once

#include <cstdint>
#include <string_view>

#include "proxy_core/resources.h"

namespace meshsim::proxy {

// GetPortLevelTrafficPolicy: the entry for `port`, else the policy itself.
inline const TrafficPolicyCore& policy_for_port(const TrafficPolicy& policy, uint32_t port, bool* port_level) {
  for (const PortTrafficPolicy& p : policy.port_level_settings)
    if (p.port == port) {
      *port_level = true;
      return p;
    }
  *port_level = false;
  return policy;
}

// The DestinationRule's subset named `name`, or null (no rule, no such subset).
inline const Subset* find_subset(const DestinationRule* dr, std::string_view name) {
  if (dr == nullptr) return nullptr;
  for (const Subset& s : dr->subsets)
    if (s.name == name) return &s;
  return nullptr;
}

// MergeSubsetTrafficPolicy for `subset` (nullptr: the service's own cluster).
inline TrafficPolicyCore cluster_policy(const DestinationRule* dr, const Subset* subset, uint32_t port) {
  TrafficPolicyCore out;
  bool port_level = false;
  if (dr && dr->traffic_policy) out = policy_for_port(*dr->traffic_policy, port, &port_level);
  if (subset == nullptr || !subset->traffic_policy) return out;
  const TrafficPolicyCore& own = policy_for_port(*subset->traffic_policy, port, &port_level);
  if (port_level) return own;
  if (own.load_balancer) out.load_balancer = own.load_balancer;
  if (own.connection_pool) out.connection_pool = own.connection_pool;
  if (own.outlier_detection) out.outlier_detection = own.outlier_detection;
  if (own.tls) out.tls = own.tls;
  return out;
}

}  // namespace meshsim::proxy
