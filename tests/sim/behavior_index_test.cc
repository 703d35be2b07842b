// BehaviorIndex (issue 20) picks the same Behavior for a pod as
// most_specific_behavior, which tests every rule: the selecting rule with
// the most selector labels, the first of equals (README.md, "kind:
// Behavior ... the most specific selector wins"; sim/scenario.h).
#include <gtest/gtest.h>

#include "sim/behavior_index.h"

namespace meshsim::sim {
namespace {

BehaviorRule rule(std::string name, proxy::Labels selector, std::string external_host = "") {
  BehaviorRule b;
  b.name = std::move(name);
  b.selector = std::move(selector);
  b.external_host = std::move(external_host);
  return b;
}

struct Row {
  const char* what;  // and where the rule is written
  std::vector<BehaviorRule> rules;
  proxy::Labels pod;
  const char* want;  // "" = none
};

TEST(BehaviorIndex, PicksWhatMostSpecificBehaviorPicks) {
  const Row rows[] = {
      // README.md "kind: Behavior": the most specific selector wins.
      {"more labels win", {rule("app", {{"app", "a"}}), rule("v2", {{"app", "a"}, {"version", "v2"}})},
       {{"app", "a"}, {"version", "v2"}}, "v2"},
      // sim/scenario.h most_specific_behavior: the first of equals.
      {"first of equals", {rule("one", {{"app", "a"}}), rule("two", {{"version", "v1"}})},
       {{"app", "a"}, {"version", "v1"}}, "one"},
      // The same, the equal rules indexed under different first labels.
      {"first of equals, other order", {rule("two", {{"version", "v1"}}), rule("one", {{"app", "a"}})},
       {{"app", "a"}, {"version", "v1"}}, "two"},
      // An empty selector selects every pod, and loses to any label.
      {"empty selector", {rule("all", {}), rule("b", {{"app", "b"}})}, {{"app", "a"}}, "all"},
      {"empty selector loses", {rule("all", {}), rule("a", {{"app", "a"}})}, {{"app", "a"}}, "a"},
      // A rule for a host outside the cluster never selects a pod.
      {"external host", {rule("ext", {}, "api.example.com")}, {{"app", "a"}}, ""},
      // Every label of the selector must be on the pod, with its value.
      {"partial selector", {rule("v2", {{"app", "a"}, {"version", "v2"}})}, {{"app", "a"}, {"version", "v1"}}, ""},
      {"no rule", {}, {{"app", "a"}}, ""},
  };
  for (const Row& row : rows) {
    BehaviorIndex index(row.rules);
    const BehaviorRule* got = index.most_specific(row.pod);
    const BehaviorRule* want = most_specific_behavior(row.pod, row.rules);
    EXPECT_EQ(got, want) << row.what;
    EXPECT_EQ(got ? got->name : "", row.want) << row.what;
  }
}

TEST(BehaviorIndex, AgreesOnEveryPodOfAMixedSet) {
  // Rules over two labels with three values each, in every combination and
  // both orders, against every pod labelling of the same values.
  std::vector<BehaviorRule> rules;
  const char* values[] = {"x", "y", "z"};
  for (const char* a : values)
    for (const char* v : values) {
      rules.push_back(rule(std::string("av-") + a + v, {{"app", a}, {"version", v}}));
      rules.push_back(rule(std::string("v-") + v, {{"version", v}}));
      rules.push_back(rule(std::string("a-") + a, {{"app", a}}));
    }
  rules.push_back(rule("all", {}));
  BehaviorIndex index(rules);
  for (const char* a : values)
    for (const char* v : values)
      for (proxy::Labels pod : {proxy::Labels{{"app", a}}, proxy::Labels{{"version", v}},
                                proxy::Labels{{"app", a}, {"version", v}, {"zone", "1"}}})
        EXPECT_EQ(index.most_specific(pod), most_specific_behavior(pod, rules)) << a << v;
}

}  // namespace
}  // namespace meshsim::sim
