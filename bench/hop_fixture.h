// What the sidecar hop benchmarks share: the talk's rules for bar on top of
// tests/fixtures/talk-mesh.yaml, compiled, and a cheap deterministic Random.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/loader.h"
#include "proxy_core/router.h"
#include "tests/fixtures/fixture.h"

namespace meshsim::bench {

// The talk's rules: mobile user agents to v2, everyone else 90/10.
constexpr const char* kDemoRules = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match: [{headers: {user-agent: {regex: ".*Mobile.*"}}}]
    route: [{destination: {host: bar, subset: v2}}]
  - route:
    - {destination: {host: bar, subset: v1}, weight: 90}
    - {destination: {host: bar, subset: v2}, weight: 10}
)";

struct CounterRandom final : proxy::Random {
  uint64_t state = 1;
  uint64_t next() override { return state = state * 6364136223846793005ull + 1442695040888963407ull; }
};

// The talk's mesh and rules plus `extra_yaml`, compiled; null if they do not compile.
inline std::shared_ptr<const proxy::RouteTable> demo_route_table(const std::string& extra_yaml = "") {
  auto loaded = config::load({fixtures::source("talk-mesh.yaml"), {"rules.yaml", std::string(kDemoRules) + extra_yaml}});
  std::vector<std::string> errors;
  return proxy::RouteTable::create(std::move(loaded.resources), &errors);
}

}  // namespace meshsim::bench
