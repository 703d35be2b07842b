// `meshsim serve`'s clocks (issue 14): spans and samples carry wall time,
// and a latency is simulated service time plus real network time, never
// scaled by --speed. The wall clock is injected: the span tests set it by
// hand; the latency tests run real loopback hops and check an equality that
// holds whatever the timing (the network time is what the hops measured).
#include <algorithm>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

#include <utility>  // Boost 1.74 asio/awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include "app/live_world.h"
#include "app/wall_clock.h"
#include "proxy_core/http.h"
#include "tests/sim/scenario_fixture.h"

namespace meshsim::app {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr char kFixture[] = "tests/fixtures/live-time.yaml";
constexpr int64_t kUnixStartUs = 1'764'892'800'000'000;  // 2025-12-05T00:00:00Z

// A wall clock the test moves by hand.
class ManualWallClock final : public WallClock {
 public:
  std::chrono::steady_clock::time_point steady_now() const override { return start_ + elapsed_; }
  int64_t unix_now_us() const override { return kUnixStartUs + elapsed_.count(); }
  void advance(microseconds d) { elapsed_ += d; }

 private:
  std::chrono::steady_clock::time_point start_{std::chrono::hours(1)};
  microseconds elapsed_{0};
};

// Keeps every telemetry event.
struct Recorder final : proxy::TelemetrySink {
  std::vector<proxy::StoredTelemetryEvent> events;
  void record(const proxy::TelemetryEvent& e) override { events.emplace_back(e); }
  const proxy::StoredTelemetryEvent* find(proxy::TelemetryReporter reporter, const std::string& workload) const {
    for (const auto& e : events) {
      bool ours = reporter == proxy::TelemetryReporter::kSource ? e.source_workload == workload : e.destination_workload == workload;
      if (e.reporter == reporter && ours) return &e;
    }
    return nullptr;
  }
};

proxy::HttpRequest get(const std::string& host) {
  proxy::HttpRequest r;
  r.target = "/";
  r.authority = host;
  return r;
}

// Span timestamps: at --speed 2, 10 s of wall time is 20 s of simulated
// time; a request sent then starts at wall time start + 10 s (before: + 20 s,
// ahead of the wall clock and of Prometheus's samples). Date headers too.
TEST(LiveClock, SpanTimestampsFollowTheWallClockAtSpeed2) {
  sim::Scenario scenario = testing::load_scenario_file(kFixture);
  boost::asio::io_context io;
  ManualWallClock clock;
  Recorder recorder;
  LiveOptions options;
  options.speed = 2;
  options.clock = &clock;
  options.extra_sinks = {&recorder};
  LiveWorld live(io, scenario, options);
  clock.advance(std::chrono::seconds(10));
  std::optional<sim::CallResult> result;
  live.send(get("frontend"), "frontend", 80, [&](sim::CallResult&& r) { result = std::move(r); });
  EXPECT_EQ(live.now(), std::chrono::seconds(20));
  for (int step = 0; step < 1000 && !result; ++step) {  // 1 ms of wall time a step: 2 ms simulated
    clock.advance(milliseconds(1));
    live.pump();
  }
  ASSERT_TRUE(result && result->outbound.response);
  EXPECT_EQ(result->outbound.response->status, 200);

  auto spans = live.telemetry().zipkin();
  ASSERT_FALSE(spans.empty());
  int64_t earliest = spans[0].at("timestamp").get<int64_t>();
  for (const auto& s : spans) earliest = std::min(earliest, s.at("timestamp").get<int64_t>());
  EXPECT_EQ(earliest, kUnixStartUs + 10'000'000);
  // The service times stay simulated time: backend's span lasts its 30 ms.
  const auto* backend = recorder.find(proxy::TelemetryReporter::kDestination, "backend");
  ASSERT_TRUE(backend);
  EXPECT_EQ(backend->duration, milliseconds(30));
  // Envoy's Date header: wall time too, (start + 10 s + what the request took) in whole seconds.
  auto date = result->outbound.response->headers.get("date");
  ASSERT_TRUE(date);
  EXPECT_EQ(*date, proxy::http_date((kUnixStartUs + 10'000'000) / 1'000'000));
  // OpenMetrics samples: the scrape at simulated 30 s is wall time start + 15 s.
  std::ostringstream om;
  live.telemetry().write_openmetrics(om, std::chrono::duration_cast<microseconds>(std::chrono::seconds(30)).count());
  EXPECT_NE(om.str().find(" 1764892815"), std::string::npos) << om.str().substr(0, 2000);
  EXPECT_EQ(om.str().find(" 1764892830"), std::string::npos);
}

struct Hops {
  std::vector<LoopbackNetwork::HopTime> all;
  microseconds network_to(const std::string& pod_prefix) const {
    microseconds sum{0};
    for (const auto& h : all)
      if (h.pod.rfind(pod_prefix, 0) == 0) sum += h.network;
    return sum;
  }
};

// Runs one request from outside through real loopback hops at `speed`.
struct LiveCall {
  Recorder recorder;
  Hops hops;
  std::optional<sim::CallResult> result;

  explicit LiveCall(double speed) {
    sim::Scenario scenario = testing::load_scenario_file(kFixture);
    boost::asio::io_context io;
    LiveOptions options;
    options.speed = speed;
    options.sockets = true;
    options.extra_sinks = {&recorder};
    LiveWorld live(io, scenario, options);
    live.network()->on_hop([this](const LoopbackNetwork::HopTime& h) { hops.all.push_back(h); });
    live.send(get("frontend"), "frontend", 80, [&](sim::CallResult&& r) {
      result = std::move(r);
      io.stop();
    });
    // Bounded: a few ms of wall time at speed 10; the limit only stops a hang.
    io.run_for(std::chrono::seconds(20));
    live.finish();
  }
};

// At --speed 10 each tier reports its simulated service time plus the real
// network time its hops measured (before: the network time counted ten
// times over, "p50 13 ms in run, 42 ms live at --speed 10").
TEST(LiveClock, LatencyIsServiceTimePlusNetworkTimeAtSpeed10) {
  LiveCall call(10);
  ASSERT_TRUE(call.result && call.result->outbound.response) << call.result->outbound.error;
  EXPECT_EQ(call.result->outbound.response->status, 200);
  ASSERT_EQ(call.hops.all.size(), 2u);  // ingress gateway -> frontend, frontend -> backend
  microseconds to_frontend = call.hops.network_to("default/frontend");
  microseconds to_backend = call.hops.network_to("default/backend");
  EXPECT_GT(to_frontend.count(), 0);
  EXPECT_GT(to_backend.count(), 0);

  const auto* backend_in = call.recorder.find(proxy::TelemetryReporter::kDestination, "backend");
  const auto* frontend_out = call.recorder.find(proxy::TelemetryReporter::kSource, "frontend");
  const auto* frontend_in = call.recorder.find(proxy::TelemetryReporter::kDestination, "frontend");
  const auto* gateway_out = call.recorder.find(proxy::TelemetryReporter::kSource, "istio-ingressgateway");
  ASSERT_TRUE(backend_in && frontend_out && frontend_in && gateway_out);
  EXPECT_EQ(backend_in->duration, milliseconds(30));
  EXPECT_EQ(frontend_out->duration, milliseconds(30) + to_backend);
  EXPECT_EQ(frontend_in->duration, milliseconds(50) + to_backend);
  EXPECT_EQ(gateway_out->duration, milliseconds(50) + to_backend + to_frontend);
  // x-envoy-upstream-service-time: the same, in whole milliseconds.
  auto upstream_ms = call.result->outbound.response->headers.get("x-envoy-upstream-service-time");
  ASSERT_TRUE(upstream_ms);
  EXPECT_EQ(std::string(*upstream_ms),
            std::to_string(std::chrono::duration_cast<milliseconds>(milliseconds(50) + to_backend + to_frontend).count()));
}

// Below 1x the simulated clock counts a hop's real time less than once;
// the correction adds it back: the same equality.
TEST(LiveClock, LatencyIsServiceTimePlusNetworkTimeAtSpeedHalf) {
  LiveCall call(0.5);
  ASSERT_TRUE(call.result && call.result->outbound.response) << call.result->outbound.error;
  const auto* frontend_in = call.recorder.find(proxy::TelemetryReporter::kDestination, "frontend");
  ASSERT_TRUE(frontend_in);
  EXPECT_EQ(frontend_in->duration, milliseconds(50) + call.hops.network_to("default/backend"));
}

}  // namespace
}  // namespace meshsim::app
