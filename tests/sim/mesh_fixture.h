// Test helper: the talk's topology (frontend, foo and bar at v1 and v2, and a
// `curl` client) plus rules given as YAML, sent through `run_curl`.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/curl.h"

namespace meshsim::testing {

inline constexpr const char* kTopology = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: curl}
spec:
  selector: {matchLabels: {app: curl}}
  template:
    metadata: {labels: {app: curl}}
    spec: {serviceAccountName: curl, containers: [{name: curl, image: curl}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend-v1}
spec:
  selector: {matchLabels: {app: frontend, version: v1}}
  template:
    metadata: {labels: {app: frontend, version: v1}}
    spec: {serviceAccountName: frontend, containers: [{name: app, image: frontend, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: frontend}
spec: {selector: {app: frontend}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bar-v1}
spec:
  selector: {matchLabels: {app: bar, version: v1}}
  template:
    metadata: {labels: {app: bar, version: v1}}
    spec: {serviceAccountName: bar, containers: [{name: app, image: bar, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bar-v2}
spec:
  selector: {matchLabels: {app: bar, version: v2}}
  template:
    metadata: {labels: {app: bar, version: v2}}
    spec: {serviceAccountName: bar, containers: [{name: app, image: bar, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: bar}
spec: {selector: {app: bar}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: foo-v1}
spec:
  selector: {matchLabels: {app: foo, version: v1}}
  template:
    metadata: {labels: {app: foo, version: v1}}
    spec: {serviceAccountName: foo, containers: [{name: app, image: foo, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: foo}
spec: {selector: {app: foo}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec:
  host: bar
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
)";

// Loads the topology plus `rules`; fails the test on any load error.
inline proxy::Resources mesh_with(const std::string& rules) {
  auto loaded = config::load({{"topology.yaml", kTopology}, {"rules.yaml", rules}});
  for (const auto& d : loaded.diagnostics)
    if (d.severity == config::Severity::kError) ADD_FAILURE() << config::format_diagnostic(d);
  return std::move(loaded.resources);
}

inline sim::CurlRun curl(const std::string& rules, sim::CurlSpec spec) {
  std::string error;
  auto run = sim::run_curl(mesh_with(rules), spec, &error);
  if (!run) {
    ADD_FAILURE() << error;
    return {};
  }
  return std::move(*run);
}

}  // namespace meshsim::testing
