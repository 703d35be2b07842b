// Outbound route selection: the pure part of the client-side sidecar.
// Given the snapshot, the calling workload and a request, decides what
// Envoy's HTTP connection manager would: which resource, rule and match
// apply; a local reply (404 NR, redirect, direct response, CORS preflight,
// 503 NC/UH) or a cluster to forward to, with faults, timeout, retry policy,
// mirrors and the header operations for the response. Rewrites and request
// header operations are applied to `request` in place.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "proxy_core/env.h"
#include "proxy_core/http.h"
#include "proxy_core/route_table.h"

namespace meshsim::proxy {

// The calling side. `endpoint` is null for a client outside the registry.
struct ClientContext {
  const Endpoint* endpoint = nullptr;
  std::string ns = "default";
  Labels labels;
};

// An Envoy cluster: a Service port, optionally narrowed to a subset.
struct Cluster {
  const ServiceInfo* service = nullptr;
  const Endpoint* pinned = nullptr;  // traffic addressed to a pod IP
  std::string subset;
  uint32_t port = 0;  // Service port
  std::vector<const Endpoint*> endpoints;
  TrafficPolicyCore policy;  // effective: port/subset level over host level
  std::string name() const;  // outbound|80|v1|reviews.default.svc.cluster.local
};

struct RetryPolicy {
  int num_retries = 2;
  std::vector<std::string> retry_on;  // Envoy x-envoy-retry-on tokens
  std::vector<int> retriable_status_codes;
  std::optional<Duration> per_try_timeout;
  bool previous_hosts = true;
  Duration base_interval{25'000};  // Envoy default 25 ms; max interval 10x base
  bool retries_on(std::string_view token) const;
};

// Istio's default policy when a route sets none (retry.go DefaultPolicy):
// 2 retries on connect-failure,refused-stream,unavailable,cancelled,
// retriable-status-codes with no status codes listed (503 is not retried
// since Istio 1.24, release note 50506), previous_hosts predicate.
RetryPolicy istio_default_retry_policy();

struct RouteInfo {
  std::string resource;  // "VirtualService default/reviews" or "HTTPRoute ns/name"
  std::string rule;      // rule name, or "#<index>"
  int rule_index = -1;
  std::string match;     // match name, or "#<index>"
  int match_index = -1;
};

struct MirrorTarget {
  Cluster cluster;
};

struct RouteDecision {
  enum class Kind { kForward, kLocalReply, kUnresolvable };
  Kind kind = Kind::kForward;
  HttpResponse local_reply;
  std::string flag;  // Envoy response flag of a local reply: NR, NC, UH
  Cluster cluster;
  std::optional<Duration> timeout;  // none = disabled (Istio's default)
  std::optional<RetryPolicy> retry;
  std::optional<Duration> fault_delay;
  std::optional<int> fault_abort_status;
  std::vector<MirrorTarget> mirrors;
  HeaderOps response_ops;  // applied in order: destination level, then route level
  std::vector<std::pair<std::string, std::string>> cors_response_headers;
  std::optional<RouteInfo> route;  // null = no VirtualService/HTTPRoute (default route)
  std::string consistent_hash_key;  // non-empty when the cluster uses consistentHash
};

// `url_host` is the host the client connects to (a Service name, FQDN or pod
// IP), `port` the port it connects to. Draws from `random` for weights,
// fault percentages and mirror percentages.
RouteDecision decide_route(const RouteTable& table, const ClientContext& client, std::string_view url_host,
                           uint32_t port, HttpRequest& request, Random& random);

// Builds the cluster for `service_fqdn:port[subset]`; nullopt if the subset is
// not defined by any DestinationRule (Envoy: cluster not found).
std::optional<Cluster> resolve_cluster(const RouteTable& table, const ServiceInfo& service, uint32_t port,
                                       const std::string& subset);

}  // namespace meshsim::proxy
