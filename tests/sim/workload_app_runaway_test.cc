// WorkloadApp's bound on requests in flight (kMaxRequestsInFlight): a guard
// of the simulator, not a model of any server. A call cycle (a calls b, b
// calls a) makes every request call on without end; before the bound a run
// grew until the machine's memory ran out (16 GB in 20 s).
#include <gtest/gtest.h>

#include "services/workload_app.h"
#include "sim/random.h"
#include "sim/scheduler.h"

namespace meshsim::services {
namespace {

TEST(WorkloadAppRunaway, PastTheBoundA503AndOneReport) {
  sim::Scheduler scheduler;
  sim::SplitMix64 random(1);
  proxy::Endpoint self;
  self.pod = "a-1";
  Behavior calls_out;
  calls_out.script = {ScriptStep{{CallSpec{.service = "b"}}, {}}};
  // Calls that never answer: each request the app takes stays in flight.
  size_t calls_made = 0;
  std::vector<std::function<void(std::optional<proxy::HttpResponse>&&)>> unanswered;
  Caller caller = [&](proxy::HttpRequest&&, std::string, uint32_t, std::function<void(std::optional<proxy::HttpResponse>&&)> done) {
    ++calls_made;
    unanswered.push_back(std::move(done));
  };
  WorkloadApp app(self, calls_out, scheduler, random, caller);
  std::vector<std::string> reports;
  app.on_runaway([&](const std::string& why) { reports.push_back(why); });
  std::vector<int> answers;
  auto send = [&] { app.handle(proxy::HttpRequest{}, [&](proxy::HttpResponse&& r) { answers.push_back(r.status); }); };
  for (size_t i = 0; i < WorkloadApp::kMaxRequestsInFlight; ++i) send();
  scheduler.run();
  EXPECT_EQ(calls_made, WorkloadApp::kMaxRequestsInFlight);
  EXPECT_TRUE(answers.empty());
  EXPECT_TRUE(reports.empty());
  send();
  send();
  ASSERT_EQ(answers, (std::vector<int>{503, 503}));
  ASSERT_EQ(reports.size(), 1u);  // once, however many follow
  EXPECT_NE(reports[0].find("a-1 holds 50000 requests at once"), std::string::npos) << reports[0];
  // Answered calls free their places: the app takes requests again.
  unanswered.front()(proxy::HttpResponse{});
  scheduler.run();
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers.back(), 200);
  send();
  scheduler.run();
  EXPECT_EQ(calls_made, WorkloadApp::kMaxRequestsInFlight + 1);
}

}  // namespace
}  // namespace meshsim::services
