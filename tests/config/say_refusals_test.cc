// `meshsim say` refuses rather than guesses: unknown or ambiguous services
// (with the nearest known name), missing slots, numbers that contradict
// each other, and what Istio itself would reject. A refusal changes nothing
// and says why. Against the talk's mesh (tests/fixtures/talk-mesh.yaml).
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/say.h"
#include "tests/fixtures/fixture.h"

namespace meshsim::config {
namespace {

struct Refusal {
  const char* sentence;
  const char* fragment;  // in the reply
  const char* why;       // the reason the sentence must not become YAML
};

constexpr const char* kUnknown = "a misspelt service would create a rule for nothing";
constexpr const char* kAmbiguous = "two readings; guessing would change the wrong service";
constexpr const char* kMissing = "a slot the resource needs is not in the sentence";
constexpr const char* kSum = "istio.io/latest/docs/reference/config/networking/virtual-service/#RouteDestination (weights sum to 100)";
constexpr const char* kIstio = "pilot/pkg/config/validation: validateHTTPFaultInjection (abort 200-599, percentage 0-100, delay > 0)";
constexpr const char* kRetryOn = "pkg/config/validation/validation.go validateHTTPRetry (a retryOn code needs http.StatusText)";
constexpr const char* kSubsets = "istio.io/latest/docs/tasks/traffic-management/mirroring (the mirror is another subset than the route)";

const Refusal kRefusals[] = {
    {"route all traffic to baz v1", "There is no service \"baz\" in the mesh; did you mean \"bar\"?", kUnknown},
    {"deny access to the baz service", "did you mean \"bar\"?", kUnknown},
    {"block fronted from calling bar", "did you mean \"frontend\"?", kUnknown},
    {"add a 500ms delay to fooo", "did you mean \"foo\"?", kUnknown},
    {"abort requests from jason to foo with 500", "There is no service \"jason\"", kUnknown},
    {"route all traffic to qux v1", "There is no service \"qux\" in the mesh (services: bar, curl, foo, frontend)", kUnknown},
    {"route jason to bar v1", "There is no service \"jason\"", kUnknown},
    {"delay foo and bar by 2s", "Which service do you mean: foo or bar?", kAmbiguous},
    {"send all traffic to v1", "Which service's v1: bar or foo or frontend?", kAmbiguous},
    {"route mobile traffic to bar and foo v2", "Which service do you mean: bar or foo?", kAmbiguous},
    {"route mobile chrome users to bar v2", "One condition at a time", kAmbiguous},
    {"route 10% of bar to v1 and v2", "say which version gets which share", kAmbiguous},
    {"block frontend from calling frontend", "frontend cannot be both the caller and the service called", kAmbiguous},
    {"add a 2s delay to bar from frontend and curl", "One caller at a time", kAmbiguous},
    {"set a timeout on the mesh", "Which service?", kMissing},
    {"split bar traffic between v1 and v2", "How much of the traffic should each of v1 and v2 get?", kMissing},
    {"canary bar v2", "How much of the traffic should go to v2?", kMissing},
    {"route mobile traffic to bar", "Which version of bar should the traffic go to?", kMissing},
    {"delay bar", "How long a delay?", kMissing},
    {"slow down foo", "How long a delay?", kMissing},
    {"abort 10% of bar requests", "Which status code should the failed requests get?", kMissing},
    {"retry bar", "How many times should requests to bar be retried?", kMissing},
    {"set a timeout on bar", "How long before requests to bar time out?", kMissing},
    {"mirror bar traffic", "Mirror bar's traffic to which version?", kMissing},
    {"send 10% of bar traffic", "Which version should get 10%?", kMissing},
    {"send 60% of bar to v1 and 60% to v2", "The shares add up to 120%, not 100% (60% to v1, 60% to v2)", kSum},
    {"split bar 70/20 between v1 and v2", "The shares add up to 90%, not 100%", kSum},
    {"split bar 80/20 between v1, v2 and v1", "v1 is named twice", kSum},
    {"split bar 60/20/20 between v1 and v2", "60/20/20 gives 3 shares but the sentence names 2 versions", kSum},
    {"shift 120% of bar traffic to v2", "A share cannot be more than 100% (120% for v2)", kSum},
    {"send 10.5% of bar traffic to v2", "Istio route weights are whole percentages", kSum},
    {"inject a 103 abort into bar", "Istio aborts with an HTTP status from 200 to 599, not 103", kIstio},
    {"abort bar with 600", "not 600", kIstio},
    {"inject a 0s delay into bar", "A delay must be at least 1ms", kIstio},
    {"inject a 503 abort into bar for 250%", "A share cannot be more than 100% (250%)", kIstio},
    {"delay bar by 10% and 20%", "Two shares (10% and 20%): which one?", kIstio},
    {"delay bar by 2 days", "A delay of more than a day is surely a slip", kIstio},
    {"retry bar 1000 times", "1000 retries: say from 1 to 100", kIstio},
    {"retry bar on 599 3 times", "Istio retries on an HTTP status it names (e.g. 503), not 599", kRetryOn},
    {"mirror bar traffic to v1 from v1", "v1 cannot mirror to itself", kSubsets},
    {"route 20% of bar traffic to v2 with a 2s delay", "I understood a delay but not what \"v2\" is for; one change per sentence", kAmbiguous},
    {"make 10% of bar requests time out after 1s", "I understood a timeout but not what \"10%\" is for", kAmbiguous},
    {"block bar v2", "I understood a block but not what \"v2\" is for", kAmbiguous},
    {"shift 10% more traffic to v2", "Say the share each version should have in total", kMissing},
    {"mirror all of bar's traffic to v2 and keep serving v1", "There is no service \"serving\"", kUnknown},
    {"block everything except frontend from calling bar", "There is no service \"except\"", kUnknown},
    {"undo", "Which service? (bar, curl, foo, frontend)", kMissing},
    {"block mobile users from calling bar", "I can block callers (services), not requests by mobile clients", kAmbiguous},
    {"please make bar faster", "Sorry, I did not understand that", kMissing},
    {"", "Sorry, I did not understand that", kMissing},
};

TEST(SayRefusals, EachSaysWhyAndChangesNothing) {
  static const LoadResult mesh = load({fixtures::source("talk-mesh.yaml")});
  for (const Refusal& row : kRefusals) {
    SCOPED_TRACE(std::string(row.sentence) + " (" + row.why + ")");
    SayResult r = interpret_say(row.sentence, mesh.resources, mesh.behaviors);
    EXPECT_FALSE(r.understood);
    EXPECT_TRUE(r.yaml.empty()) << r.yaml;
    EXPECT_TRUE(r.delete_keys.empty());
    EXPECT_NE(r.reply.find(row.fragment), std::string::npos) << r.reply;
    EXPECT_NE(r.reply.find("Nothing was changed."), std::string::npos) << r.reply;
    EXPECT_FALSE(r.suggestions.empty()) << "a refusal offers a phrasing that works";
  }
}

// Without a mesh (`meshsim say` with no -f) any name-shaped word is a
// service, as before; the sentence's structure still decides the roles.
TEST(SayRefusals, WithoutAMeshNamesAreTakenAsSaid) {
  auto r = interpret_say("block checkout from calling payments", {}, {});
  ASSERT_TRUE(r.understood) << r.reply;
  EXPECT_EQ(r.reply, "Access to the payments service is prohibited from the checkout service");
  auto shift = interpret_say("shift 20% of reviews traffic to v3", {}, {});
  ASSERT_TRUE(shift.understood) << shift.reply;
  EXPECT_NE(shift.yaml.find("subset: v1\n      weight: 80"), std::string::npos) << shift.yaml;
  EXPECT_FALSE(interpret_say("route all traffic to v1", {}, {}).understood);  // no service named
  EXPECT_FALSE(interpret_say("route mobile traffic to - v2", {}, {}).understood);
}

}  // namespace
}  // namespace meshsim::config

namespace meshsim::config {
namespace {

// A scenario's `say:` step that is refused says why, not only that it was
// not understood: the talk's demo with its mobile rule changed into a
// split without shares.
TEST(SayRefusals, AScenarioStepSaysWhy) {
  std::ifstream in(std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml");
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  const std::string talk = "say: route mobile traffic to bar v2";
  ASSERT_NE(yaml.find(talk), std::string::npos);
  yaml.replace(yaml.find(talk), talk.size(), "say: split bar traffic between v1 and v2");
  std::string path = testing::TempDir() + "say-refused-step.yaml";
  std::ofstream(path) << yaml;
  auto loaded = load_scenario({path});
  std::remove(path.c_str());
  bool found = false;
  for (const auto& d : loaded.diagnostics)
    found = found || (d.code == "MSH0006" && d.message.find("How much of the traffic should each of v1 and v2 get?") != std::string::npos);
  EXPECT_TRUE(found);
  EXPECT_FALSE(loaded.scenario);
}

}  // namespace
}  // namespace meshsim::config
