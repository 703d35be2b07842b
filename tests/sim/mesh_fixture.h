// Test helper: the talk's topology (tests/fixtures/talk-mesh.yaml: frontend,
// foo and bar at v1 and v2, and a `curl` client) plus rules given as YAML,
// sent through `run_curl`.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/curl.h"
#include "tests/fixtures/fixture.h"

namespace meshsim::testing {

// Loads the topology plus `rules`; fails the test on any load error.
inline proxy::Resources mesh_with(const std::string& rules) {
  auto loaded = config::load({fixtures::source("talk-mesh.yaml"), {"rules.yaml", rules}});
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
