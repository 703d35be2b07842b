// `meshsim plan --replay LOG` (issue 17): the requests of an access log,
// callers from its pod fields, through the mesh before and after a change;
// every line not replayed is listed on stderr with its line number.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "tests/app/meshsim_run.h"

namespace {

using meshsim::testing::meshsim;
using meshsim::testing::Run;

std::string fixture(const std::string& name) { return std::string(MESHSIM_SOURCE_DIR) + "/tests/fixtures/" + name; }

const std::string kChange =
    "plan --before " + fixture("talk-mesh.yaml") + " --after " + fixture("talk-mesh.yaml") + " " + fixture("replay/mobile-to-v2.yaml");

TEST(PlanReplayCli, TextLogMovesMobileToV2) {
  auto r = meshsim(kChange + " --replay " + fixture("replay/frontend-text.log"));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("bar:80  GET /api/items user-agent: mobile"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("from default/frontend-v1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 probe(s)"), std::string::npos) << r.out;
  // Nothing dropped silently: the summary and each bad line with its number.
  EXPECT_NE(r.out.find("5 requests from"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("frontend-text.log:5:101: not parsed as istio-text: the response code \"abc\" is not a number"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("frontend-text.log:8:"), std::string::npos) << r.out;
}

TEST(PlanReplayCli, JsonLogIsDetected) {
  auto r = meshsim(kChange + " --replay " + fixture("replay/frontend-json.log"));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("(envoy-json, speed 1)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("from default/frontend-v1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("frontend-json.log:6:1: not parsed as envoy-json: expected a JSON object"), std::string::npos) << r.out;
}

TEST(PlanReplayCli, BadReplayInputExitsTwo) {
  EXPECT_EQ(meshsim(kChange + " --replay /nonexistent.log").exit_code, 2);
  auto r = meshsim(kChange + " --replay " + fixture("replay/frontend-text.log") + " --replay-format nginx");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("valid: istio-text, envoy-json"), std::string::npos) << r.out;
}

}  // namespace
