// `meshsim plan`: the same probes through the mesh before and after a
// change, and what moves in the terms of a code review (issue 17): per
// caller and host, destination shares, status, response flags, the
// authorization decision, and the route effects (timeout, retries, faults,
// mirrors, header edits, rewrites) of the rule that took the request; plus
// which rules no probe reached in each version.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proxy_core/resources.h"
#include "sim/plan_probes.h"

namespace meshsim::sim {

struct PlanOptions {
  uint64_t seed = 1;
  // Every probe is sent quick_samples times in both versions; when either
  // side is not uniform (weights, fault percentages), both go to samples.
  int quick_samples = 20;
  int samples = 200;
  // A share moves when it differs by more than this many standard errors of
  // the difference of two proportions, so seeded noise does not count.
  double sigmas = 4.0;
};

// What one probe (or a group of equal probes) saw in one version.
struct ProbeOutcome {
  int count = 0;
  std::string error;  // the caller does not exist in this version, …
  std::map<std::string, int> destinations;  // "reviews v2" (app and version label), "no app" = none reached
  std::map<std::string, int> statuses;      // "200", "403", "no response"
  std::map<std::string, int> flags;         // Envoy response flags, "-" = none
  std::map<std::string, int> mirrors;       // workloads that got a mirrored copy
  std::map<std::string, int> rules;         // "VirtualService ns/name rule #i", "default route"
  std::string authorization = "allowed";    // or "denied by AuthorizationPolicy ns/name"
  std::map<std::string, std::string> effects;  // of the rule taken: "timeout" -> "500ms"
};

struct PlanChange {
  std::string what;  // destination, status, flags, mirror, authorization, timeout, retries, fault, …
  std::string before, after;
};

struct PlanMove {
  std::string host;
  uint32_t port = 0;
  std::string request;               // "GET / end-user: jason"
  std::vector<std::string> callers;  // "ns/workload", sorted
  std::vector<std::string> why;      // what the probe was generated for
  std::vector<PlanChange> changes;
};

struct PlanCoverage {
  std::vector<std::string> rules;      // every rule a mesh client can reach, in config order
  std::vector<std::string> unreached;  // those no probe took
  size_t covered() const { return rules.size() - unreached.size(); }
};

struct PlanResult {
  size_t probes = 0;
  long requests = 0;  // sent, both versions together
  std::vector<PlanMove> moves;
  PlanCoverage before, after;
  std::vector<std::string> coverage_lost;  // unreached after, reached (or absent) before
  bool moved() const { return !moves.empty() || !coverage_lost.empty(); }
};

// Runs `probes` through both versions. Fills `error` and returns nullopt
// when a version does not compile.
std::optional<PlanResult> run_plan(const proxy::Resources& before, const proxy::Resources& after,
                                   const std::vector<PlanProbe>& probes, const PlanOptions& options,
                                   std::string* error);

// The changes between two outcomes of the same probe (empty: nothing moved).
std::vector<PlanChange> compare_outcomes(const ProbeOutcome& before, const ProbeOutcome& after, double sigmas);

// "500ms", "2s", "1.5s".
std::string duration_text(proxy::Duration d);

}  // namespace meshsim::sim
