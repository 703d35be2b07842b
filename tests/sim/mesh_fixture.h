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

// The same mesh in a world of its own: `curl` calls bar:80 in virtual time
// (no link latency), so a test can set behaviours and sidecars first.
struct CurlToBar {
  sim::World world{sim::WorldOptions{1, proxy::Duration(0)}};
  explicit CurlToBar(const std::string& rules) {
    std::vector<std::string> errors;
    EXPECT_TRUE(world.apply(mesh_with(rules), &errors)) << ::testing::PrintToString(errors);
  }
  sim::CallResult get(const std::string& path, const std::string& from = "curl",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    proxy::HttpRequest r;
    r.target = path;
    r.authority = "bar";
    for (auto& [k, v] : headers) r.headers.add(k, v);
    auto out = world.call("default", from, r, "bar", 80);
    EXPECT_TRUE(out.has_value());
    return out.value_or(sim::CallResult{});
  }
};

}  // namespace meshsim::testing
