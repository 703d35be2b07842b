// Runs the request-level conformance corpus (../shared/conformance/cases,
// taken from Istio's and Gateway API's own tests) through the simulated
// mesh: builds the case's workloads, applies its config as `kubectl apply`
// would, sends each request and checks every expectation key present.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "sim/world.h"

namespace meshsim::conformance {

struct RequestOutcome {
  std::string case_id;
  size_t request_index = 0;
  std::string tier;
  bool passed = false;
  std::vector<std::string> failures;
  // What each sample saw, one line each: status or error, response flags,
  // route, cluster, serving workload, attempts, and the request as the app
  // received it (ids and times left out), for comparing two runs.
  std::vector<std::string> seen;
};

// How a case's hops travel between the sidecars. By default in memory (the
// simulated network); runner_live.h carries them over real sockets.
class HopCarrier {
 public:
  virtual ~HopCarrier() = default;
  virtual void attach(sim::World& world) = 0;
  // Runs the world until nothing is scheduled and nothing is in flight.
  virtual void settle(sim::World& world) = 0;
};

// Runs every request of one case. Load or config errors fail all its requests.
std::vector<RequestOutcome> run_case(const nlohmann::json& test_case, uint64_t seed = 1, HopCarrier* carrier = nullptr);

// What `meshsim validate` would read for one case: its workloads as
// Deployments and Services, its meshConfig as the `istio` ConfigMap and its
// config, loaded as run_case loads them (diagnostics included).
config::LoadResult load_case(const nlohmann::json& test_case);

}  // namespace meshsim::conformance
