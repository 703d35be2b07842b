// Honest partial runs: a run stopped before the end (serve stopped early)
// reports what ran. An expectation whose window had not closed is "not
// reached" (JUnit <skipped>), never a failure, and duration_s is what ran.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/loader.h"
#include "reports/junit.h"
#include "reports/run_report.h"
#include "sim/scenario_runner.h"

namespace meshsim::reports {
namespace {

TEST(PartialRun, LaterWindowsAreNotReachedAndNothingFails) {
  auto loaded = config::load_scenario({std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml"});
  ASSERT_TRUE(loaded.scenario.has_value());
  sim::ScenarioSession session(*loaded.scenario);
  session.advance(sim::Duration(60'000'000));  // stopped at 60 s, as a person stopping serve
  sim::RunResult r = session.finish();
  EXPECT_EQ(r.duration, sim::Duration(60'000'000));
  size_t not_reached = 0, held = 0;
  for (const auto& e : r.expectations) {
    EXPECT_TRUE(e.passed || !e.reached) << e.name << ": " << e.observed;
    not_reached += !e.reached;
    held += e.passed;
  }
  EXPECT_GT(not_reached, 0u);
  EXPECT_GT(held, 0u);
  EXPECT_TRUE(r.passed());
  std::string junit = junit_xml(r);
  EXPECT_NE(junit.find("failures=\"0\""), std::string::npos);
  EXPECT_NE(junit.find(fmt::format("skipped=\"{}\"", not_reached)), std::string::npos);
  EXPECT_NE(junit.find("<skipped message=\""), std::string::npos);
  auto j = run_json(r, "test");
  EXPECT_EQ(j.at("run").at("passed"), true);
  EXPECT_EQ(j.at("run").at("duration_s"), 60);
  EXPECT_NE(run_text(r).find("NOT REACHED"), std::string::npos);
}

}  // namespace
}  // namespace meshsim::reports
