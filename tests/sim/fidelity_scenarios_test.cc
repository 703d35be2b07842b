// Scenarios we wrote from Istio's and Envoy's sources (tests/fidelity/*.yaml, each
// citing them in its header) run through the whole world: every expectation
// must hold, and the metrics a user reads through Prometheus show what Istio's would.
#include <gtest/gtest.h>

#include "reports/mesh_telemetry.h"
#include "sim/scenario_runner.h"
#include "tests/sim/scenario_fixture.h"

namespace meshsim::sim {
namespace {

Scenario load_fidelity(const std::string& name) { return testing::load_scenario_file("tests/fidelity/" + name); }

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
  EXPECT_TRUE(r.passed()) << testing::failed_expectations(r);
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
  EXPECT_TRUE(r.passed()) << testing::failed_expectations(r);
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
  EXPECT_TRUE(r.passed()) << testing::failed_expectations(r);
}

TEST(FidelityScenario, PerTryTimeoutIsRetriedOnlyByResetPolicies) {
  reports::MeshTelemetry metrics;
  RunOptions options;
  options.sinks.push_back(&metrics);
  RunResult r = run_scenario(load_fidelity("per-try-timeout.yaml"), options);
  EXPECT_FALSE(r.expectations.empty());
  EXPECT_TRUE(r.passed()) << testing::failed_expectations(r);
  // bar answers after every try was given up on: its proxy reports response
  // code 0 (DC) each time, which the service table and the graph count as
  // errors, as Kiali does (graph/protocol.go httpNoResponse, IsErr).
  uint64_t bar_requests = 0;
  for (const auto& phase : r.phases) {
    auto bar = phase.services.find("bar");
    if (bar == phase.services.end()) continue;
    bar_requests += bar->second.requests;
    EXPECT_EQ(bar->second.errors, bar->second.requests);
    EXPECT_EQ(bar->second.by_status.count(0) ? bar->second.by_status.at(0) : 0, bar->second.requests);
  }
  EXPECT_GT(bar_requests, 500u);
  ASSERT_FALSE(metrics.edges().empty());
  for (const auto& [ends, edge] : metrics.edges()) EXPECT_EQ(edge.errors, edge.requests) << ends.first << " -> " << ends.second;
}

TEST(FidelityScenario, DefaultEjectionCapKeepsOneOfFourFailingPods) {
  RunResult r = run_scenario(load_fidelity("outlier-ejection-cap.yaml"));
  EXPECT_FALSE(r.expectations.empty());
  EXPECT_TRUE(r.passed()) << testing::failed_expectations(r);
}

}  // namespace
}  // namespace meshsim::sim
