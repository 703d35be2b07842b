// A phase's notes stay bounded under a stream of the same event: `serve`
// taking a config push through its admin API every few seconds for hours
// kept one note per push (scripts/soak.sh, issue 19), and the live
// dashboard and report.json listed every one.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/scenario_runner.h"

namespace meshsim::sim {
namespace {

TEST(PhaseNotes, ANoteRepeatingTheOneBeforeIsCountedOnIt) {
  Phase phase;
  phase.add_note("push");
  phase.add_note("push");
  phase.add_note("push");
  EXPECT_EQ(phase.notes, std::vector<std::string>{"push (3 times)"});
  phase.add_note("other");
  phase.add_note("push");  // not the note just before: a line of its own
  EXPECT_EQ(phase.notes, (std::vector<std::string>{"push (3 times)", "other", "push"}));
  // A note written straight into the list in between is not counted over.
  phase.notes.push_back("direct");
  phase.add_note("push");
  EXPECT_EQ(phase.notes, (std::vector<std::string>{"push (3 times)", "other", "push", "direct", "push"}));
}

TEST(PhaseNotes, RepeatedLivePushesKeepOneNote) {
  auto loaded = config::load_scenario({std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml"});
  ASSERT_TRUE(loaded.scenario.has_value());
  ScenarioSession session(*loaded.scenario);
  std::vector<std::string> errors;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(session.push(session.resources(), &errors, "live push")) << errors.front();
  RunResult r = session.snapshot();
  ASSERT_FALSE(r.phases.empty());
  EXPECT_EQ(r.phases.front().notes, std::vector<std::string>{"live push (50 times)"});
}

}  // namespace
}  // namespace meshsim::sim
