// The merged verdict of many runs: Wilson score intervals and the pass rule.
#include <gtest/gtest.h>

#include "reports/sweep_verdict.h"

namespace meshsim::reports {
namespace {

struct WilsonRow {
  uint64_t k, n;
  double low, high;
  const char* source;
};

// Wilson (1927) score interval, z = 1.96; values as tabulated by Newcombe,
// "Two-sided confidence intervals for the single proportion" (Stat. Med.
// 1998), Table I, method 3 (81/263, 15/148, 0/20, 1/29).
TEST(Wilson, MatchesNewcombesTable) {
  const WilsonRow rows[] = {
      {81, 263, 0.2553, 0.3662, "Newcombe 1998 Table I, 81/263, method 3"},
      {15, 148, 0.0624, 0.1605, "Newcombe 1998 Table I, 15/148, method 3"},
      {0, 20, 0.0, 0.1611, "Newcombe 1998 Table I, 0/20, method 3"},
      {1, 29, 0.0061, 0.1718, "Newcombe 1998 Table I, 1/29, method 3"},
  };
  for (const auto& r : rows) {
    auto [low, high] = wilson_interval_95(r.k, r.n);
    EXPECT_NEAR(low, r.low, 0.00051) << r.source;
    EXPECT_NEAR(high, r.high, 0.00051) << r.source;
  }
  EXPECT_EQ(wilson_interval_95(0, 0), (std::pair<double, double>{0.0, 1.0}));
}

nlohmann::json report(uint64_t seed, bool a_held, bool b_held, bool b_reached = true, std::string scenario = "demo") {
  nlohmann::json r;
  r["schema"] = "meshsim.dev/report/v1alpha1";
  r["run"] = {{"scenario", scenario}, {"seed", seed}, {"passed", a_held && (b_held || !b_reached)}, {"event_limit_hit", false}};
  r["expectations"] = nlohmann::json::array(
      {{{"name", "a"}, {"passed", a_held}, {"reached", true}, {"source", "s.yaml:10:5"}},
       {{"name", "b"}, {"passed", b_held}, {"reached", b_reached}, {"source", "s.yaml:11:5"}}});
  return r;
}

TEST(Merge, CountsPerExpectationAndAppliesTheRule) {
  std::vector<nlohmann::json> runs = {report(1, true, true), report(2, true, false), report(3, true, true),
                                      report(4, true, true, false)};
  auto v = merge_reports(runs, {"1", "2", "3", "4"}, 1.0);
  ASSERT_EQ(v.expectations.size(), 2u);
  EXPECT_EQ(v.runs, 4u);
  EXPECT_EQ(v.seeds, (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(v.expectations[0].held, 4u);
  EXPECT_EQ(v.expectations[1].held, 2u);
  EXPECT_EQ(v.expectations[1].failed, 1u);
  EXPECT_EQ(v.expectations[1].not_reached, 1u);  // neither held nor failed
  EXPECT_FALSE(v.passed);                        // b failed in one run
  EXPECT_TRUE(merge_reports(runs, {}, 0.6).passed);   // 2 of 3 judged >= 60%
  EXPECT_FALSE(merge_reports(runs, {}, 0.7).passed);  // 2 of 3 < 70%
  auto j = verdict_json(v);
  EXPECT_EQ(j["expectations"][1]["held"], 2);
  EXPECT_EQ(j["rule"]["interval"], "Wilson score, 95%");
}

TEST(Merge, MismatchedOrMalformedReportsAreProblems) {
  auto v = merge_reports({report(1, true, true), report(2, true, true, true, "other"), nlohmann::json{{"x", 1}}},
                         {"r1.json", "r2.json", "r3.json"}, 1.0);
  EXPECT_EQ(v.runs, 1u);
  ASSERT_EQ(v.problems.size(), 2u);
  EXPECT_NE(v.problems[0].find("r2.json"), std::string::npos);
  EXPECT_NE(v.problems[1].find("not a meshsim report.json"), std::string::npos);
  EXPECT_FALSE(v.passed);
  EXPECT_FALSE(merge_reports({}, {}, 1.0).passed);  // nothing ran: no verdict to pass
}

// `meshsim merge` applies the sweep's rule to reports gathered elsewhere
// (CI jobs, a cluster's pods): a run stopped by a signal makes a sweep exit
// 128+signal, so its report cannot count as a judged run here; and one
// seed's report given twice (a retried job) is one run, not two.
TEST(Merge, InterruptedRunsAndRepeatedSeedsAreProblems) {
  nlohmann::json stopped = report(2, true, true);
  stopped["run"]["interrupted_by"] = "SIGINT";
  auto v = merge_reports({report(1, true, true), stopped, report(1, true, true)}, {"a.json", "b.json", "c.json"}, 1.0);
  EXPECT_EQ(v.runs, 1u);
  EXPECT_EQ(v.seeds, (std::vector<uint64_t>{1}));
  ASSERT_EQ(v.problems.size(), 2u);
  EXPECT_NE(v.problems[0].find("b.json: seed 2 was interrupted by SIGINT"), std::string::npos) << v.problems[0];
  EXPECT_NE(v.problems[1].find("c.json: seed 1 is already counted from a.json"), std::string::npos) << v.problems[1];
  EXPECT_EQ(v.expectations[0].held, 1u);
  EXPECT_FALSE(v.passed);
}

}  // namespace
}  // namespace meshsim::reports
