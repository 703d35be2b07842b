// Test helpers for scenario files run through the whole world: load one
// (failing the test on a load error) and list the expectations that failed.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/scenario_runner.h"

namespace meshsim::testing {

// Loads the scenario at `relative_path` in the source tree.
inline sim::Scenario load_scenario_file(const std::string& relative_path) {
  auto loaded = config::load_scenario({std::string(MESHSIM_SOURCE_DIR) + "/" + relative_path});
  for (const auto& d : loaded.diagnostics)
    if (d.severity == config::Severity::kError) ADD_FAILURE() << config::format_diagnostic(d);
  EXPECT_TRUE(loaded.scenario.has_value()) << relative_path;
  return loaded.scenario.value_or(sim::Scenario{});
}

// One line per failed expectation, for a test's failure message.
inline std::string failed_expectations(const sim::RunResult& r) {
  std::string out;
  for (const auto& e : r.expectations)
    if (!e.passed) out += e.name + ": " + e.observed + "\n";
  return out;
}

}  // namespace meshsim::testing
