// Scenarios we wrote from Istio's sources (tests/fidelity/*.yaml) run through
// the whole world: every expectation must hold, and the metrics a user would
// read through Prometheus show what Istio's would.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "reports/mesh_telemetry.h"
#include "sim/scenario_runner.h"

namespace meshsim::sim {
namespace {

Scenario load_fidelity(const std::string& name) {
  auto loaded = config::load_scenario({std::string(MESHSIM_SOURCE_DIR) + "/tests/fidelity/" + name});
  for (const auto& d : loaded.diagnostics)
    if (d.severity == config::Severity::kError) ADD_FAILURE() << config::format_diagnostic(d);
  EXPECT_TRUE(loaded.scenario.has_value());
  return loaded.scenario.value_or(Scenario{});
}

std::string failures(const RunResult& r) {
  std::string out;
  for (const auto& e : r.expectations)
    if (!e.passed) out += e.name + ": " + e.observed + "\n";
  return out;
}

// istio_requests_total series (reporter="destination") whose labels contain all of `parts`, summed.
uint64_t destination_requests(const std::string& prometheus, std::initializer_list<std::string> parts) {
  uint64_t total = 0;
  size_t at = 0;
  const std::string prefix = "istio_requests_total{reporter=\"destination\"";
  while ((at = prometheus.find(prefix, at)) != std::string::npos) {
    size_t end = prometheus.find('\n', at);
    std::string line = prometheus.substr(at, end - at);
    at = end;
    bool all = true;
    for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
    if (all) total += std::stoull(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

TEST(FidelityScenario, RoutedAndMirroredRequestsCountUnderTheServingService) {
  reports::MeshTelemetry metrics;
  RunOptions options;
  options.sinks.push_back(&metrics);
  RunResult r = run_scenario(load_fidelity("orders-next-routing.yaml"), options);
  EXPECT_TRUE(r.passed()) << failures(r);
  // Errors only ever come from orders-next pods, and are labelled so.
  std::string text = metrics.prometheus();
  EXPECT_EQ(destination_requests(text, {"destination_service_name=\"orders\"", "response_code=\"500\""}), 0u);
  EXPECT_GT(destination_requests(text, {"destination_workload=\"orders-next\"", "destination_service_name=\"orders-next\"",
                                        "response_code=\"500\""}),
            100u);
  EXPECT_EQ(destination_requests(text, {"destination_workload=\"orders-next\"", "destination_service_name=\"orders\""}), 0u);
}

TEST(FidelityScenario, PodsWithoutSidecarsIgnoreClientRulesAndAreUnknownCallers) {
  reports::MeshTelemetry metrics;
  RunOptions options;
  options.sinks.push_back(&metrics);
  RunResult r = run_scenario(load_fidelity("injection-opt-out.yaml"), options);
  EXPECT_TRUE(r.passed()) << failures(r);
  std::string text = metrics.prometheus();
  // Sidecar-less callers: unknown in every source label, plain text (istio_stats.cc populatePeerInfo).
  EXPECT_EQ(text.find("legacy-app"), std::string::npos);
  EXPECT_EQ(text.find("kiosk"), std::string::npos);
  EXPECT_GT(destination_requests(text, {"source_workload=\"unknown\"", "source_workload_namespace=\"unknown\"",
                                        "destination_principal=\"unknown\"", "connection_security_policy=\"none\""}),
            300u);
  EXPECT_GT(destination_requests(text, {"source_workload=\"web\"", "connection_security_policy=\"mutual_tls\""}), 300u);
}

TEST(FidelityScenario, DestinationRuleServesOnlyClientsOnItsLookupPath) {
  RunResult r = run_scenario(load_fidelity("destination-rule-scope.yaml"));
  EXPECT_TRUE(r.passed()) << failures(r);
}

}  // namespace
}  // namespace meshsim::sim
