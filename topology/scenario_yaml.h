// Writes a service graph as a meshsim scenario (multi-document YAML that
// `meshsim run` and `meshsim validate` read): per service a Deployment per
// version, a Service, a Behavior with its call script; with two versions a
// DestinationRule (subsets v1, v2) and a VirtualService per service (a
// 90/10 split, or v2 for requests with `x-canary: "true"`); a traffic
// source per entrypoint; and expectations that hold by construction.
// Deterministic: the same graph and options give the same bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "topology/service_graph.h"

namespace meshsim::topology {

enum class Rules { kNone, kSplit, kHeader };

std::optional<Rules> rules_from_name(std::string_view name);

struct ScenarioOptions {
  int versions = 1;  // 1 or 2
  Rules rules = Rules::kNone;
  uint64_t seed = 1;
  double rate_per_second = 10;  // per entrypoint
  Duration duration{60'000'000};
  bool sidecars = true;
  // Each service's own processing time (log-normal p50/p99); none when
  // zero (an isotope service takes only what its script's sleeps take).
  Duration latency_p50{0}, latency_p99{0};
  std::string comment;  // a header comment (how the file was made)
};

// The weight v2 gets under Rules::kSplit (isotope-like canary: 90/10).
inline constexpr int kSplitV2Percent = 10;

std::string scenario_yaml(const ServiceGraph& graph, const ScenarioOptions& options);

}  // namespace meshsim::topology
