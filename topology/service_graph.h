// A synthetic service graph: services, their replicas and versions, and the
// script each runs when called (calls in sequence or concurrent groups,
// sleeps), as istio/tools isotope describes one. Plain data, filled by the
// generator (generate.h) or the isotope reader (isotope.h) and written out
// as a meshsim scenario by scenario_yaml.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "proxy_core/env.h"

namespace meshsim::topology {

using proxy::Duration;

struct GraphCall {
  std::string service;
  size_t request_bytes = 0;
};

// One script step: a single call, a concurrent group (more than one call),
// or a sleep (no calls).
struct GraphStep {
  std::vector<GraphCall> calls;
  Duration sleep{0};
};

struct GraphService {
  std::string name;
  int replicas = 1;
  bool entrypoint = false;
  bool grpc = false;                // isotope `type: grpc`
  uint32_t error_per_million = 0;   // answers 500 this often, on arrival (isotope's handler.go)
  size_t response_bytes = 0;
  std::vector<GraphStep> script;
};

struct ServiceGraph {
  std::string name;
  std::vector<GraphService> services;
  // The entrypoints (isEntrypoint), or the first service when none is marked.
  std::vector<const GraphService*> entrypoints() const;
  const GraphService* find(const std::string& name) const;
};

}  // namespace meshsim::topology
