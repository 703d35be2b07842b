#include "app/live_world.h"

namespace meshsim::app {

namespace {

reports::TelemetryOptions live_telemetry_options(const sim::Scenario& scenario, const WallClock& clock, double speed) {
  reports::TelemetryOptions options = reports::telemetry_options_for(scenario);
  // Live spans and samples carry wall time (Zipkin: microseconds since the
  // Unix epoch): simulated time runs `speed` times as fast as the wall clock.
  options.epoch_us = clock.unix_now_us();
  options.wall_per_sim = 1.0 / speed;
  return options;
}

// An upper bound on one sleep, so the clock mapping never drifts far.
constexpr auto kWakeMax = std::chrono::milliseconds(100);

}  // namespace

LiveWorld::LiveWorld(boost::asio::io_context& io, const sim::Scenario& scenario, LiveOptions options)
    : scenario_(scenario),
      options_(options),
      clock_(options.clock ? *options.clock : WallClock::system()),
      telemetry_(live_telemetry_options(scenario, clock_, options.speed)),
      wall_start_(clock_.steady_now()),
      wake_(io) {
  sim::RunOptions run_options;
  run_options.seed = options.seed;
  run_options.sinks = {&telemetry_, &series_};
  run_options.sinks.insert(run_options.sinks.end(), options.extra_sinks.begin(), options.extra_sinks.end());
  run_options.unix_epoch_us = telemetry_.epoch_us();  // Date headers and spans on one clock
  run_options.wall_per_sim = 1.0 / options.speed;
  session_ = std::make_unique<sim::ScenarioSession>(scenario_, run_options,
                                                     sim::SessionOptions{options.manual, /*ingress=*/true});
  if (options.sockets) {
    network_ = std::make_unique<LoopbackNetwork>(io, session_->world(), [this] { pump(); }, clock_);
    session_->world().set_network(network_.get());
  }
  pump();
}

LiveWorld::~LiveWorld() {
  wake_.cancel();
  if (network_) session_->world().set_network(nullptr);
}

std::vector<LoopbackNetwork::PodAddress> LiveWorld::pods() const {
  return network_ ? network_->pods() : std::vector<LoopbackNetwork::PodAddress>{};
}

sim::Duration LiveWorld::target_now() const {
  std::chrono::duration<double, std::micro> wall = clock_.steady_now() - wall_start_;
  return std::chrono::duration_cast<sim::Duration>(wall * options_.speed);
}

void LiveWorld::pump() {
  if (finished_) return;
  session_->advance(std::max(target_now(), session_->now()));
  auto wait = kWakeMax;
  if (auto next = session_->next_event()) {
    auto until = std::chrono::duration<double, std::micro>(static_cast<double>((*next - session_->now()).count()) / options_.speed);
    wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(until) + std::chrono::milliseconds(1));
  }
  wake_.expires_after(wait);
  wake_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) pump();
  });
}

void LiveWorld::send(proxy::HttpRequest request, const std::string& url_host, uint32_t port,
                     std::function<void(sim::CallResult&&)> done) {
  session_->advance(std::max(target_now(), session_->now()));
  session_->send_ingress(std::move(request), url_host, port, std::move(done));
  pump();  // what needs no simulated time happens now
}

void LiveWorld::apply_next_step() {
  session_->apply_next_step();
  pump();
}

sim::RunResult LiveWorld::snapshot() const {
  sim::RunResult r = session_->snapshot();
  r.scenario += " (live)";
  return r;
}

sim::RunResult LiveWorld::finish() {
  finished_ = true;
  wake_.cancel();
  return session_->finish();
}

}  // namespace meshsim::app
