// Plain-word commands: every supported phrasing becomes valid Istio YAML;
// anything else changes nothing and names the closest phrasings.
#include "config/say.h"

#include <gtest/gtest.h>

#include "config/analyzer.h"
#include "config/loader.h"

namespace meshsim::config {
namespace {

TEST(Say, EverySupportedPhrasingBecomesValidYaml) {
  proxy::Resources mesh;
  for (const auto& phrase : say_phrasings()) {
    SayResult r = interpret_say(phrase, mesh, {});
    EXPECT_TRUE(r.understood) << phrase;
    EXPECT_FALSE(r.reply.empty()) << phrase;
    bool query = phrase.rfind("get ", 0) == 0;  // queries answer and change nothing
    EXPECT_EQ(query, r.yaml.empty() && r.delete_keys.empty()) << phrase;
    if (r.yaml.empty()) continue;
    auto loaded = load({{"say.yaml", r.yaml}});
    for (const auto& d : loaded.diagnostics) ADD_FAILURE() << phrase << ": " << format_diagnostic(d) << "\n" << r.yaml;
  }
}

TEST(Say, TheTalksSentences) {
  // The replies follow the assistant in the talk.
  auto deny = interpret_say("Deny access to the bar service from the frontend service.", {}, {});
  EXPECT_EQ(deny.reply, "Access to the bar service is prohibited from the frontend service");
  auto allow = interpret_say("allow access to the bar service from frontend", {}, {});
  EXPECT_EQ(allow.reply, "Access to the bar service is permitted from the frontend service");
  ASSERT_EQ(allow.delete_keys.size(), 1u);
  EXPECT_EQ(allow.delete_keys[0], "AuthorizationPolicy/default/deny-frontend-to-bar");  // what deny created
  EXPECT_NE(deny.yaml.find("name: deny-frontend-to-bar"), std::string::npos);
  auto mobile = interpret_say("route mobile traffic to bar v2", {}, {});
  EXPECT_EQ(mobile.reply, "Traffic from mobile clients will be routed to bar version v2");
}

// The talk's "get the frontend topology" and "get the bar route", answered
// from the mesh: Deployments, Behaviors (who calls whom), VirtualServices.
TEST(Say, QueriesDescribeTopologyAndRoutes) {
  auto demo = load_scenario({std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml"});
  ASSERT_TRUE(demo.scenario);
  const auto& mesh = demo.scenario->resources;
  const auto& behaviors = demo.scenario->behaviors;
  EXPECT_EQ(interpret_say("get the frontend topology", mesh, behaviors).reply,
            "The frontend service runs v1; it calls bar and foo; it is called by no service (no Behavior calls it)");
  EXPECT_EQ(interpret_say("show me the topology of bar", mesh, behaviors).reply,
            "The bar service runs v1; it calls no other service; it is called by frontend");
  EXPECT_EQ(interpret_say("get the bar route", mesh, behaviors).reply,
            "The bar service has no route rule: Kubernetes spreads its traffic over every version");
  auto mobile = interpret_say("route mobile traffic to bar v2", mesh, behaviors);
  auto with_rule = load({{"say.yaml", mobile.yaml}}, {}, mesh);
  EXPECT_EQ(interpret_say("what is bar's route?", with_rule.resources, behaviors).reply,
            "Traffic to the bar service: requests whose header user-agent matches .*[Mm]obile.* go to bar v2; "
            "all other requests go to bar v1 (VirtualService default/bar)");
  EXPECT_EQ(interpret_say("get the baz topology", mesh, behaviors).reply, "There is no baz service in the mesh");
}

TEST(Say, NotUnderstoodChangesNothing) {
  auto r = interpret_say("please make bar faster", {}, {});
  EXPECT_FALSE(r.understood);
  EXPECT_TRUE(r.yaml.empty());
  EXPECT_TRUE(r.delete_keys.empty());
  EXPECT_EQ(r.suggestions.size(), 3u);
}

TEST(Say, ShiftKeepsTheRestOnTheOtherVersion) {
  auto r = interpret_say("shift 20% of bar traffic to v2", {}, {});
  ASSERT_TRUE(r.understood);
  auto loaded = load({{"say.yaml", r.yaml}});
  ASSERT_EQ(loaded.resources.virtual_services.size(), 1u);
  const auto& route = loaded.resources.virtual_services[0].http[0].route;
  ASSERT_EQ(route.size(), 2u);
  EXPECT_EQ(route[0].destination.subset, "v1");
  EXPECT_EQ(route[0].weight, 80);
  EXPECT_EQ(route[1].destination.subset, "v2");
  EXPECT_EQ(route[1].weight, 20);
  EXPECT_FALSE(interpret_say("shift 120% of bar traffic to v2", {}, {}).understood);
}

// Found by say_fuzz: what `say` accepts must be valid Istio configuration.
// Istio's validation allows abort statuses 200-599 and percentages 0-100
// (pilot/pkg/config/validation validateHTTPFaultInjectionAbort,
// validatePercentage); the loader enforces the same ranges.
TEST(Say, RefusesWhatIstioWouldRejectRatherThanWritingIt) {
  for (const char* sentence : {"inject a 103 abort into bar", "inject a 600 abort into bar", "inject a 0s delay into bar",
                               "inject a 503 abort into bar for 250%", "route mobile traffic to - v2"})
    EXPECT_FALSE(interpret_say(sentence, {}, {}).understood) << sentence;
}

TEST(Say, AHeaderValueWithQuotesStaysOneYamlString) {
  auto r = interpret_say(R"(route traffic with header x-a "\q to bar v2)", {}, {});
  ASSERT_TRUE(r.understood);
  auto loaded = load({{"say.yaml", r.yaml}});
  for (const auto& d : loaded.diagnostics) ADD_FAILURE() << format_diagnostic(d) << "\n" << r.yaml;
  ASSERT_EQ(loaded.resources.virtual_services.size(), 1u);
  // The sentence's value, a quote and a backslash, escaped for a YAML double-quoted string.
  EXPECT_NE(r.yaml.find(R"-(exact: "\"\\q")-"), std::string::npos) << r.yaml;
}

}  // namespace
}  // namespace meshsim::config
