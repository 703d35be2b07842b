// `meshsim generate`'s graphs and scenarios: shapes as isotope builds them,
// deterministic bytes, and every generated scenario loads and runs with its
// expectations holding.
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/scenario_runner.h"
#include "tests/sim/scenario_fixture.h"
#include "topology/generate.h"
#include "topology/scenario_yaml.h"

namespace meshsim::topology {
namespace {

std::vector<std::string> callees(const GraphService& s) {
  std::vector<std::string> out;
  for (const auto& step : s.script)
    for (const auto& c : step.calls) out.push_back(c.service);
  return out;
}

ServiceGraph make(Shape shape, int services, int fanout = 3, uint64_t seed = 1) {
  std::string error;
  auto g = generate_graph({shape, services, fanout, seed}, &error);
  EXPECT_TRUE(g) << error;
  return g.value_or(ServiceGraph{});
}

// isotope/create_tree_topology.py: a complete tree filled breadth first,
// svc-0 the entrypoint, each service calling all its children in one
// concurrent step.
TEST(Generate, TreeIsBreadthFirstWithConcurrentChildren) {
  auto g = make(Shape::kTree, 13, 3);
  ASSERT_EQ(g.services.size(), 13u);
  EXPECT_TRUE(g.services[0].entrypoint);
  ASSERT_EQ(g.services[0].script.size(), 1u);
  EXPECT_EQ(callees(g.services[0]), (std::vector<std::string>{"svc-1", "svc-2", "svc-3"}));
  EXPECT_EQ(callees(g.services[1]), (std::vector<std::string>{"svc-4", "svc-5", "svc-6"}));
  EXPECT_EQ(callees(g.services[4]), (std::vector<std::string>{}));
  EXPECT_EQ(g.entrypoints().size(), 1u);
}

TEST(Generate, ChainCallsTheNext) {
  auto g = make(Shape::kChain, 4);
  EXPECT_EQ(callees(g.services[0]), (std::vector<std::string>{"svc-1"}));
  EXPECT_EQ(callees(g.services[2]), (std::vector<std::string>{"svc-3"}));
  EXPECT_TRUE(callees(g.services[3]).empty());
}

// A DAG: every service but the root is called by an earlier one (so all are
// reached and nothing loops), at most `fanout` callees each; the seed picks it.
TEST(Generate, RandomIsAReachableDagPerSeed) {
  auto g = make(Shape::kRandom, 200, 4, 7);
  std::vector<int> callers(200, 0);
  for (size_t i = 0; i < g.services.size(); ++i) {
    auto c = callees(g.services[i]);
    EXPECT_LE(c.size(), 4u);
    for (const auto& name : c) {
      int j = std::stoi(name.substr(4));
      EXPECT_GT(j, static_cast<int>(i)) << "an edge back up would loop";
      ++callers[static_cast<size_t>(j)];
    }
  }
  for (size_t j = 1; j < callers.size(); ++j) EXPECT_GE(callers[j], 1) << j;
  ScenarioOptions o;
  EXPECT_EQ(scenario_yaml(g, o), scenario_yaml(make(Shape::kRandom, 200, 4, 7), o));
  EXPECT_NE(scenario_yaml(g, o), scenario_yaml(make(Shape::kRandom, 200, 4, 8), o));
}

TEST(Generate, BadSizesAreErrors) {
  std::string error;
  EXPECT_FALSE(generate_graph({Shape::kTree, 0, 3, 1}, &error));
  EXPECT_NE(error.find("--services"), std::string::npos);
  EXPECT_FALSE(generate_graph({Shape::kTree, 10, 0, 1}, &error));
  EXPECT_NE(error.find("--fanout"), std::string::npos);
}

// Writes `yaml` to a file of its own and loads it as `meshsim run` does.
sim::Scenario load_text(const std::string& yaml, const std::string& name) {
  auto path = std::filesystem::temp_directory_path() / ("meshsim-generate-" + name + "-" + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << yaml;
  auto loaded = config::load_scenario({path.string()});
  std::filesystem::remove(path);
  for (const auto& d : loaded.diagnostics)
    if (d.severity == config::Severity::kError) ADD_FAILURE() << config::format_diagnostic(d);
  EXPECT_TRUE(loaded.scenario) << yaml.substr(0, 2000);
  return loaded.scenario.value_or(sim::Scenario{});
}

struct Case {
  const char* name;
  Shape shape;
  int services, versions;
  Rules rules;
  size_t expectations;  // how many the scenario states
  bool sidecars = true;
};

class GeneratedScenario : public ::testing::TestWithParam<Case> {};

// Small and short (a few hundred service calls) to stay well under a
// second; the expectations are the generator's own (scenario_yaml.h).
TEST_P(GeneratedScenario, LoadsAndItsExpectationsHold) {
  const Case& c = GetParam();
  ScenarioOptions o;
  o.versions = c.versions;
  o.rules = c.rules;
  o.rate_per_second = 20;
  o.duration = std::chrono::seconds(10);
  o.latency_p50 = std::chrono::milliseconds(1);
  o.latency_p99 = std::chrono::milliseconds(4);
  o.sidecars = c.sidecars;
  auto scenario = load_text(scenario_yaml(make(c.shape, c.services), o), c.name);
  EXPECT_EQ(scenario.expectations.size(), c.expectations);
  auto result = sim::run_scenario(scenario, {});
  EXPECT_TRUE(result.passed()) << testing::failed_expectations(result);
  EXPECT_GT(result.requests, 100u);
}

INSTANTIATE_TEST_SUITE_P(Shapes, GeneratedScenario,
                         ::testing::Values(Case{"tree", Shape::kTree, 13, 1, Rules::kNone, 2},
                                           Case{"tree_split", Shape::kTree, 13, 2, Rules::kSplit, 3},
                                           Case{"chain_header", Shape::kChain, 5, 2, Rules::kHeader, 4},
                                           Case{"random_split", Shape::kRandom, 20, 2, Rules::kSplit, 3},
                                           // No sidecar applies the rules or reports a version: no share expected.
                                           Case{"tree_split_no_sidecars", Shape::kTree, 13, 2, Rules::kSplit, 2, false},
                                           Case{"chain_header_no_sidecars", Shape::kChain, 5, 2, Rules::kHeader, 2, false}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace meshsim::topology
