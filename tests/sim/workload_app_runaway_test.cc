// WorkloadApp's runaway guards: a guard of the simulator, not a model of any
// server. In a call cycle (a calls b, b calls a) every request calls on
// without end; before the guard a run grew until the machine's memory ran
// out (16 GB in 20 s). A request whose x-request-id reaches an app nested
// kMaxNestedArrivals deep (tracked above kTrackNestingAbove in flight) gets
// a 503, which unwinds the cycle, and the run fails with the reason.
#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "reports/run_report.h"
#include "services/workload_app.h"
#include "sim/random.h"
#include "sim/scenario_runner.h"
#include "sim/scheduler.h"

namespace meshsim::services {
namespace {

using Done = std::function<void(std::optional<proxy::HttpResponse>&&)>;

proxy::HttpRequest with_id(const std::string& id) {
  proxy::HttpRequest r;
  r.headers.set("x-request-id", id);
  return r;
}

// An app whose one call comes back to itself, every hop through the
// scheduler (as the world's network does), so nothing recurses on the stack.
TEST(WorkloadAppRunaway, ACycleIsRefusedAtTheNestingBound) {
  sim::Scheduler scheduler;
  sim::SplitMix64 random(1);
  proxy::Endpoint self;
  self.pod = "a-1";
  Behavior calls_out;
  calls_out.script = {ScriptStep{{CallSpec{.service = "a"}}, {}}};
  size_t calls_made = 0;
  WorkloadApp* app_ptr = nullptr;
  Caller caller = [&](proxy::HttpRequest&& request, std::string, uint32_t, Done done) {
    ++calls_made;
    scheduler.schedule(proxy::Duration(1), [&, request = std::move(request), done = std::move(done)]() mutable {
      app_ptr->handle(std::move(request), [&scheduler, done = std::move(done)](proxy::HttpResponse&& r) mutable {
        scheduler.schedule(proxy::Duration(1), [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
      });
    });
  };
  WorkloadApp app(self, calls_out, scheduler, random, caller);
  app_ptr = &app;
  std::vector<std::string> reports;
  app.on_runaway([&](const std::string& why) { reports.push_back(why); });
  std::vector<int> answers;
  app.handle(with_id("r-1"), [&](proxy::HttpResponse&& r) { answers.push_back(r.status); });
  scheduler.run();
  // Untracked up to kTrackNestingAbove in flight, then kMaxNestedArrivals more.
  EXPECT_EQ(calls_made, WorkloadApp::kTrackNestingAbove + WorkloadApp::kMaxNestedArrivals);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("request r-1 reached a-1 100 times"), std::string::npos) << reports[0];
  EXPECT_EQ(answers, (std::vector<int>{500}));  // the refused call failed every level's call
  // Everything unwound: a new request starts from nothing in flight.
  app.handle(proxy::HttpRequest{}, [&](proxy::HttpResponse&& r) { answers.push_back(r.status); });
  EXPECT_EQ(calls_made, WorkloadApp::kTrackNestingAbove + WorkloadApp::kMaxNestedArrivals + 1);
}

// Many requests in flight, each with its own id, are ordinary load: a pod
// answering 10,000 requests/s that each take 5 s holds 50,000.
TEST(WorkloadAppRunaway, ManyDistinctRequestsInFlightAreNotACycle) {
  sim::Scheduler scheduler;
  sim::SplitMix64 random(1);
  proxy::Endpoint self;
  self.pod = "a-1";
  Behavior calls_out;
  calls_out.script = {ScriptStep{{CallSpec{.service = "b"}}, {}}};
  std::vector<Done> unanswered;  // calls that have not answered yet
  Caller caller = [&](proxy::HttpRequest&&, std::string, uint32_t, Done done) { unanswered.push_back(std::move(done)); };
  WorkloadApp app(self, calls_out, scheduler, random, caller);
  std::vector<std::string> reports;
  app.on_runaway([&](const std::string& why) { reports.push_back(why); });
  size_t answered = 0;
  for (int i = 0; i < 5'000; ++i) app.handle(with_id("r-" + std::to_string(i)), [&](proxy::HttpResponse&&) { ++answered; });
  scheduler.run();
  EXPECT_EQ(unanswered.size(), 5'000u);
  EXPECT_TRUE(reports.empty());
  for (auto& done : unanswered) done(proxy::HttpResponse{});
  EXPECT_EQ(answered, 5'000u);
}

// Through the whole world: two Behaviors calling each other. The run ends,
// fails, and says why in its text.
TEST(WorkloadAppRunaway, ARunWithACallCycleFailsAndSaysWhy) {
  const char* yaml = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a, version: v1}}
    spec: {containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b}
spec:
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b, version: v1}}
    spec: {containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: a}
spec: {selector: {app: a}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: b}
spec: {selector: {app: b}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: a}
spec: {selector: {app: a}, calls: [{service: b}]}
---
apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: b}
spec: {selector: {app: b}, calls: [{service: a}]}
---
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: cycle}
spec:
  duration: 2s
  traffic:
  - {name: load, url: http://a/, rate: 1}
)";
  std::string path = ::testing::TempDir() + "runaway-cycle.yaml";
  std::ofstream(path) << yaml;
  auto loaded = config::load_scenario({path});
  std::remove(path.c_str());
  ASSERT_TRUE(loaded.scenario);
  sim::RunResult r = sim::run_scenario(*loaded.scenario, {});
  EXPECT_FALSE(r.passed());
  EXPECT_FALSE(r.event_limit_hit);
  EXPECT_NE(r.runaway.find("the Behaviors' calls lead back to it (a call cycle)"), std::string::npos) << r.runaway;
  EXPECT_EQ(r.requests, 2u);
  EXPECT_NE(reports::run_text(r).find("FAIL meshsim refused a runaway request: request "), std::string::npos)
      << reports::run_text(r);
  EXPECT_NE(reports::run_json(r, "test").dump().find("\"runaway\""), std::string::npos);
}

}  // namespace
}  // namespace meshsim::services
