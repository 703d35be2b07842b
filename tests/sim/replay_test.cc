// Replayed access logs through the world (issue 17): a scenario's `replay`
// traffic sources, the callers named by the logs' pod fields, and every line
// not replayed reported with its line number. The logs are ours
// (tests/fixtures/replay), written in Istio's default TEXT format and JSON.
#include <algorithm>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/replay_source.h"
#include "sim/plan.h"
#include "sim/replay.h"
#include "sim/scenario_runner.h"
#include "tests/sim/scenario_fixture.h"

namespace meshsim::sim {
namespace {

std::string fixture(const std::string& name) { return std::string(MESHSIM_SOURCE_DIR) + "/tests/fixtures/" + name; }

config::SourceText fixtures_source(const std::string& name) {
  std::ifstream in(fixture(name));
  std::ostringstream text;
  text << in.rdbuf();
  return {fixture(name), text.str()};
}

config::ScenarioLoad load_replay_scenario() {
  return config::load_scenario(
      {fixture("talk-mesh.yaml"), fixture("replay/mobile-to-v2.yaml"), fixture("replay/replay-scenario.yaml")});
}

bool has_note(const RunResult& r, const std::string& part) {
  for (const auto& p : r.phases)
    for (const auto& n : p.notes)
      if (n.find(part) != std::string::npos) return true;
  return false;
}

TEST(Replay, ScenarioReplaysBothFormats) {
  auto loaded = load_replay_scenario();
  ASSERT_TRUE(loaded.scenario);
  RunResult r = run_scenario(*loaded.scenario, {});
  EXPECT_EQ(testing::failed_expectations(r), "");
  EXPECT_EQ(r.requests, 10u);  // 5 of each log's 9 and 8 lines
}

TEST(Replay, BadLinesAreWarningsWithLineNumbers) {
  auto loaded = load_replay_scenario();
  std::vector<std::string> warnings;
  for (const auto& d : loaded.diagnostics)
    if (d.code == "MSH0050") warnings.push_back(d.message);
  ASSERT_EQ(warnings.size(), 4u) << ::testing::PrintToString(warnings);
  EXPECT_NE(warnings[0].find("frontend-text.log:5:"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("response code \"abc\" is not a number"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("frontend-text.log:8:"), std::string::npos) << warnings[1];
  EXPECT_NE(warnings[2].find("frontend-json.log:4:"), std::string::npos) << warnings[2];
  EXPECT_NE(warnings[3].find("frontend-json.log:6:1: not parsed as envoy-json: expected a JSON object"), std::string::npos)
      << warnings[3];
}

TEST(Replay, ReportSaysWhatWasNotReplayed) {
  auto loaded = load_replay_scenario();
  ASSERT_TRUE(loaded.scenario);
  RunResult r = run_scenario(*loaded.scenario, {});
  EXPECT_TRUE(has_note(r, "replay text-log: 5 requests from")) << ::testing::PrintToString(r.phases.front().notes);
  EXPECT_TRUE(has_note(r, "2 lines not parsed, 1 inbound line skipped"));
  EXPECT_TRUE(has_note(r, "1 TCP line skipped"));
  EXPECT_TRUE(has_note(r, "frontend-text.log:5:"));
}

TEST(Replay, StartOffsetsAndSpeed) {
  auto log = config::replay_from_log(
      "[2026-12-01T10:00:02Z] \"GET /b HTTP/1.1\" 200 - - - \"-\" 0 0 1 - \"-\" \"-\" \"-\" \"foo\" \"-\" outbound|80||x\n"
      "[2026-12-01T10:00:00Z] \"GET /a HTTP/1.1\" 200 - - - \"-\" 0 0 1 - \"-\" \"-\" \"-\" \"foo\" \"-\" outbound|80||x\n",
      "t.log", config::AccessLogFormat::kIstioText, 4);
  ASSERT_EQ(log.requests.size(), 2u);
  EXPECT_EQ(log.requests[0].path, "/a");  // by time, not file order
  EXPECT_EQ(log.requests[0].at, Duration(0));
  EXPECT_EQ(log.requests[1].at, Duration(500'000));  // 2 s at speed 4
  EXPECT_EQ(log.requests[1].line, 1);
}

TEST(Replay, UnknownCallerFallsBackToTheSourceAndSaysSo) {
  TrafficSource t;
  t.name = "logs";
  t.from = "curl";
  auto traffic = std::make_shared<ReplayTraffic>();
  traffic->file = "a.log";
  ReplayRequest known, unknown;
  known.pod = "frontend-v1-6b746f74dc-9stvs";
  known.workload = "frontend-v1";
  known.line = 1;
  unknown.pod = "ghost-7d9f8c6b5a-abcde";
  unknown.workload = "ghost";
  unknown.line = 2;
  traffic->requests = {known, unknown};
  t.replay = traffic;
  auto mesh = config::load_scenario({fixture("talk-mesh.yaml"), fixture("replay/replay-scenario.yaml")});
  ASSERT_TRUE(mesh.scenario);
  std::vector<std::string> notes;
  auto callers = replay_callers(t, mesh.scenario->resources, &notes);
  ASSERT_EQ(callers.size(), 2u);
  EXPECT_EQ(callers[0].workload, "frontend-v1");
  EXPECT_EQ(callers[1].workload, "curl");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "replay logs: 1 line (first a.log:2) name pod ghost-7d9f8c6b5a-abcde, which is no Deployment of the files; sent from curl");
}

// `meshsim plan --replay`'s engine: one probe per distinct replayed request,
// callers from the log's pods, through the mesh before and after the talk's
// "route mobile traffic to bar v2".
TEST(Replay, PlanProbesFromALog) {
  std::string error;
  auto replay = config::read_replay(fixture("replay/frontend-text.log"), "", 1, &error);
  ASSERT_TRUE(replay) << error;
  TrafficSource t;
  t.name = "frontend-text.log";
  t.from = "replay";
  t.sidecar = true;
  t.replay = std::make_shared<const ReplayTraffic>(std::move(*replay));
  auto before = config::load({fixtures_source("talk-mesh.yaml")});
  auto after = config::load({fixtures_source("talk-mesh.yaml"), fixtures_source("replay/mobile-to-v2.yaml")});
  std::vector<std::string> notes;
  auto callers = replay_callers(t, before.resources, &notes);
  EXPECT_TRUE(notes.empty()) << ::testing::PrintToString(notes);
  auto probes = replay_probes(t, callers);
  ASSERT_EQ(probes.size(), 2u);  // 3 mobile and 2 browser lines
  EXPECT_EQ(probes[0].caller(), "default/frontend-v1");
  EXPECT_EQ(probes[0].request(), "GET /api/items user-agent: mobile");
  EXPECT_EQ(probes[0].why, "replayed from " + fixture("replay/frontend-text.log") + ":1");
  add_traffic_clients(before.resources, {t});
  add_traffic_clients(after.resources, {t});
  auto result = run_plan(before.resources, after.resources, probes, {}, &error);
  ASSERT_TRUE(result) << error;
  EXPECT_EQ(result->moves.size(), 2u);  // mobile: v1/v2 -> v2; browsers: v1/v2 -> v1
}

TEST(Replay, MissingLogIsAnErrorAtItsField) {
  auto loaded = config::load({{"s.yaml", R"(apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: s}
spec:
  traffic:
  - name: logs
    replay: {file: /nonexistent/access.log, format: istio-text}
)"}});
  ASSERT_TRUE(config::has_errors(loaded.diagnostics));
  std::string all;
  for (const auto& d : loaded.diagnostics) all += config::format_diagnostic(d) + "\n";
  EXPECT_NE(all.find("s.yaml:7:"), std::string::npos) << all;
  EXPECT_NE(all.find("cannot read access log /nonexistent/access.log"), std::string::npos) << all;
}

TEST(Replay, UnknownFormatListsTheValidOnes) {
  auto loaded = config::load({{"s.yaml", R"(apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: s}
spec:
  traffic:
  - name: logs
    replay: {file: x.log, format: nginx}
)"}});
  std::string all;
  for (const auto& d : loaded.diagnostics) all += config::format_diagnostic(d) + "\n";
  EXPECT_NE(all.find("istio-text"), std::string::npos) << all;
  EXPECT_NE(all.find("envoy-json"), std::string::npos) << all;
}

}  // namespace
}  // namespace meshsim::sim
