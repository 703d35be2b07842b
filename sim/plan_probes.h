// Probes for `meshsim plan` when no traffic is given: for every match of
// every VirtualService http rule and HTTPRoute rule, a request that hits it
// and one that just misses it, from every client the rule applies to, to
// every host the rule names; plus a plain GET / to every Service from every
// client, so policies and default routing are exercised too (issue 17).
// Rules bound to a gateway (a VirtualService's gateways, an HTTPRoute's
// Gateway parent) are probed from outside the cluster, through the
// gateway's Service with the Host the route serves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proxy_core/resources.h"
#include "sim/scenario.h"

namespace meshsim::sim {

struct PlanProbe {
  std::string from_ns, from_workload;
  bool from_sidecar = true;
  std::string host;  // as the client dials it: "name.ns.svc.cluster.local"
  uint32_t port = 80;
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;  // sorted by name
  std::string why;  // "hits VirtualService default/reviews rule #0 match #0"

  // "namespace/workload", or kOutsideSource for a client outside the cluster.
  std::string caller() const;
  // The request without the caller: "GET /path end-user: jason".
  std::string request() const;
  // Caller + host + request: probes with equal keys are the same probe.
  std::string key() const;
};

// Probes for one version of the config. Call for both versions and merge
// with merge_probes, so that both run the same traffic.
std::vector<PlanProbe> generate_probes(const proxy::Resources& resources);

// `a` then the probes of `b` that `a` lacks; order is stable.
std::vector<PlanProbe> merge_probes(std::vector<PlanProbe> a, const std::vector<PlanProbe>& b);

// `--traffic SCENARIO`: one probe per traffic source (its client, method,
// URL and headers). Fills `error` and returns nullopt on a bad URL.
std::optional<std::vector<PlanProbe>> probes_from_traffic(const std::vector<TrafficSource>& sources, std::string* error);
// Adds a Deployment for each source's client that `resources` lacks, with or
// without a sidecar as the source says (as `meshsim run` creates them).
void add_traffic_clients(proxy::Resources& resources, const std::vector<TrafficSource>& sources);

// A string RE2 fully matches for `regex` (simple patterns: literals, ., .*,
// .+, classes, alternation takes the first branch), or nullopt.
std::optional<std::string> sample_regex(const std::string& regex);

}  // namespace meshsim::sim
