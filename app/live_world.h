// A scenario played against the wall clock, for `meshsim serve` and
// `meshsim demo`: the simulated mesh advances in step with real time (times
// `speed`), woken by an Asio timer for its next event and by every request
// that arrives from outside through the ingress gateway. What it reports
// carries wall time: simulated time t is Unix time start + t / speed (spans,
// OpenMetrics samples), and latencies are simulated service time plus real
// network time (loopback_network.h), whatever the speed. Single-threaded on
// the command's io_context.
#pragma once

#include <chrono>
#include <utility>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio.hpp>

#include "app/loopback_network.h"
#include "reports/mesh_telemetry.h"
#include "reports/time_series.h"
#include "sim/scenario_runner.h"

namespace meshsim::app {

struct LiveOptions {
  double speed = 1.0;   // simulated seconds per wall-clock second
  bool manual = false;  // timeline steps wait for next_step()
  bool sockets = false;  // every pod a real listener on 127.0.0.1, hops over TCP
  std::optional<uint64_t> seed;
  std::vector<proxy::TelemetrySink*> extra_sinks;  // also given every telemetry event (trace push)
  const WallClock* clock = nullptr;  // the real clock (tests set their own); null: the system's
};

class LiveWorld {
 public:
  LiveWorld(boost::asio::io_context& io, const sim::Scenario& scenario, LiveOptions options);
  ~LiveWorld();

  // Simulated time that corresponds to the wall clock now.
  sim::Duration target_now() const;
  sim::Duration now() const { return session_->now(); }
  // Runs the mesh up to the wall clock and re-arms the wake-up timer.
  void pump();
  // A request from outside through the ingress gateway to url_host:port.
  void send(proxy::HttpRequest request, const std::string& url_host, uint32_t port,
            std::function<void(sim::CallResult&&)> done);
  // Manual mode: applies the next held timeline step now.
  const sim::TimelineStep* next_held_step() const { return session_->next_step(); }
  void apply_next_step();

  sim::ScenarioSession& session() { return *session_; }
  const sim::ScenarioSession& session() const { return *session_; }
  const sim::Scenario& scenario() const { return scenario_; }
  const reports::MeshTelemetry& telemetry() const { return telemetry_; }
  const reports::TimeSeries& series() const { return series_; }
  // What the run looks like so far, for live pages: phases, requests, and
  // expectations judged once their window has closed (pending before).
  sim::RunResult snapshot() const;
  // Ends the session: the full result with expectations.
  sim::RunResult finish();
  // With options.sockets: where each pod listens (opened when first addressed).
  std::vector<LoopbackNetwork::PodAddress> pods() const;
  // With options.sockets: the network carrying the hops (null without).
  LoopbackNetwork* network() { return network_.get(); }
  const WallClock& clock() const { return clock_; }

 private:
  const sim::Scenario& scenario_;
  LiveOptions options_;
  const WallClock& clock_;
  reports::MeshTelemetry telemetry_;
  reports::TimeSeries series_;
  std::unique_ptr<sim::ScenarioSession> session_;
  std::unique_ptr<LoopbackNetwork> network_;
  std::chrono::steady_clock::time_point wall_start_;
  boost::asio::steady_timer wake_;
  bool finished_ = false;
};

}  // namespace meshsim::app
