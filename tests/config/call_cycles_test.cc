// MSH2002: Behaviors whose calls lead back to where they started. A loop
// has no end in a real mesh (nothing in Istio bounds a request's depth), so
// it is warned of when the files are loaded, before any traffic runs.
#include "config/call_cycles.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/traffic_analysis.h"

namespace meshsim::config {
namespace {

// A Deployment and a Service named `name`, and its Behavior with `behavior` as its spec's extra lines.
std::string service(const std::string& name, const std::string& behavior) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name +
         "}\nspec:\n  selector: {matchLabels: {app: " + name + "}}\n  template:\n    metadata: {labels: {app: " + name +
         "}}\n    spec:\n      containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]\n---\n"
         "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + "}\nspec:\n  selector: {app: " + name +
         "}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n---\n"
         "apiVersion: meshsim.dev/v1alpha1\nkind: Behavior\nmetadata: {name: " + name +
         "}\nspec:\n  selector: {app: " + name + "}\n" + behavior + "---\n";
}

std::vector<Diagnostic> cycles_in(const std::string& mesh) {
  auto r = load({{"mesh.yaml", mesh}});
  for (const auto& d : r.diagnostics) ADD_FAILURE() << format_diagnostic(d);
  return analyze_call_cycles(r.resources, r.behaviors);
}

int line_of(const std::string& text, const std::string& needle) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(text.find(needle)), '\n'));
}

TEST(CallCycles, TwoServicesCallingEachOtherAreOneLoopAtTheBehaviorThatClosesIt) {
  std::string mesh = service("a", "  calls: [{service: b}]\n") + service("b", "  calls: [{service: a}]\n");
  auto found = cycles_in(mesh);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].code, "MSH2002");
  EXPECT_EQ(found[0].severity, Severity::kWarning);
  EXPECT_NE(found[0].message.find("(a -> b -> a)"), std::string::npos) << found[0].message;
  EXPECT_NE(found[0].message.find("without end"), std::string::npos) << found[0].message;
  EXPECT_EQ(found[0].resource, "Behavior b");
  EXPECT_EQ(found[0].pos.file, "mesh.yaml");
  // The first line of b's Behavior document.
  EXPECT_EQ(found[0].pos.line, line_of(mesh, "apiVersion: meshsim.dev/v1alpha1\nkind: Behavior\nmetadata: {name: b}"));
}

TEST(CallCycles, AServiceCallingItself) {
  auto found = cycles_in(service("a", "  calls: [{service: a.default.svc.cluster.local}]\n"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("(a -> a)"), std::string::npos) << found[0].message;
}

TEST(CallCycles, CallsThatMeetAgainWithoutLoopingAreNoCycle) {
  // a -> b -> c and a -> c, in parallel and in turn: c is reached twice, never from itself.
  auto found = cycles_in(service("a", "  calls:\n  - parallel: [{service: b}, {service: c}]\n") +
                         service("b", "  calls: [{service: c}]\n") + service("c", ""));
  EXPECT_TRUE(found.empty()) << format_diagnostic(found[0]);
}

TEST(CallCycles, ALoopThroughAServiceFailingBeforeItsCallsEnds) {
  // As isotope's services do (handler.go fails before the script), each
  // request goes round until one such failure: warned, with the reason.
  auto found = cycles_in(service("a", "  calls: [{service: b}]\n") +
                         service("b", "  errorRate: {percent: 10, beforeCalls: true}\n  calls: [{service: a}]\n"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("goes round until Behavior b's errorRate"), std::string::npos) << found[0].message;
}

TEST(CallCycles, AnErrorRateAfterTheCallsDoesNotEndTheLoop) {
  auto found = cycles_in(service("a", "  errorRate: {percent: 10}\n  calls: [{service: b}]\n") +
                         service("b", "  calls: [{service: a}]\n"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("without end"), std::string::npos) << found[0].message;
}

TEST(CallCycles, ReportedWithTheTrafficAnalysisThatRunAndValidatePrint) {
  auto r = load({{"mesh.yaml", service("a", "  calls: [{service: b}]\n") + service("b", "  calls: [{service: a}]\n")}});
  auto findings = analyze_traffic(r.resources, r.behaviors, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].code, "MSH2002");
}

}  // namespace
}  // namespace meshsim::config
