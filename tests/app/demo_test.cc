// `meshsim demo --speed 20`: the whole Hightower replay, unattended, live
// against the wall clock (about ten seconds; 40 under sanitizers), with every expectation of the
// scenario holding as in the virtual run.
#include <gtest/gtest.h>

#include "tests/app/live_process.h"

namespace meshsim::testing {
namespace {

// A sanitizer build runs the mesh several times slower: it replays at
// 5x so that the wall clock does not outrun what the machine can simulate
// (the check is the demo's output, not the machine's speed).
constexpr const char* kSpeed = kSanitizedBuild ? "5" : "20";

TEST(Demo, ReplaysTheWholeTalkUnattended) {
  LiveProcess demo({"demo", "--speed", kSpeed, "--port", "0", "--admin-port", "0"});
  ASSERT_EQ(demo.wait_exit(std::chrono::seconds(120)), 0) << demo.stdout_text() << demo.stderr_text();
  std::string out = demo.stdout_text();
  for (const char* line : {
           "▶ inject the sidecars without touching the apps",
           "$ kubectl apply -f <(istioctl kube-inject -f kubernetes/deployments/)",
           "▶ delete the bar route rule; v2 traffic shows up",
           "« Access to the bar service is prohibited from the frontend service »",
           "curl http://frontend/                            frontend -> foo v1, bar v1",
           "curl -H 'User-Agent: mobile' http://frontend/    frontend -> foo v1, bar v2",
           "│ bar ",
           "expectations: 15 of 15 held",
       })
    EXPECT_NE(out.find(line), std::string::npos) << line;
  // While access is denied, the curl loop shows the failure.
  EXPECT_NE(out.find("http://frontend/                            500"), std::string::npos);
}

}  // namespace
}  // namespace meshsim::testing
