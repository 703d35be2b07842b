// Scenarios written for meshsim's tests under tests/fidelity/, run through
// the whole world: each shows the user-visible effect of an Istio/Envoy
// behaviour (the sources are cited in each file's header).
#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/scenario_runner.h"

namespace meshsim::sim {
namespace {

RunResult run_fidelity(const std::string& file) {
  auto loaded = config::load_scenario({std::string(MESHSIM_SOURCE_DIR) + "/tests/fidelity/" + file});
  for (const auto& d : loaded.diagnostics)
    if (d.severity == config::Severity::kError) ADD_FAILURE() << config::format_diagnostic(d);
  if (!loaded.scenario) return {};
  return run_scenario(*loaded.scenario);
}

std::string failures(const RunResult& r) {
  std::string out;
  for (const auto& e : r.expectations) out += (e.passed ? "ok   " : "FAIL ") + e.name + ": " + e.observed + "\n";
  return out;
}

TEST(FidelityScenario, PerTryTimeoutIsRetriedOnlyByResetPolicies) {
  RunResult r = run_fidelity("per-try-timeout.yaml");
  EXPECT_FALSE(r.expectations.empty());
  EXPECT_TRUE(r.passed()) << failures(r);
}

TEST(FidelityScenario, DefaultEjectionCapKeepsOneOfFourFailingPods) {
  RunResult r = run_fidelity("outlier-ejection-cap.yaml");
  EXPECT_FALSE(r.expectations.empty());
  EXPECT_TRUE(r.passed()) << failures(r);
}

}  // namespace
}  // namespace meshsim::sim
