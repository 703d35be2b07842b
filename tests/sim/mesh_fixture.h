// Test helper: the talk's topology (tests/fixtures/talk-mesh.yaml: frontend,
// foo and bar at v1 and v2, and a `curl` client) plus rules given as YAML,
// sent through `run_curl`.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/curl.h"
#include "tests/fixtures/fixture.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::testing {

// Loads the topology plus `rules`; fails the test on any load error.
inline proxy::Resources mesh_with(const std::string& rules) {
  auto loaded = testing::load_or_fail({fixtures::source("talk-mesh.yaml"), {"rules.yaml", rules}});
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
