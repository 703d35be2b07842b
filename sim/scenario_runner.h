// Runs a Scenario in virtual time: builds the World, drives the traffic
// sources, applies the timeline at its times, aggregates telemetry as it
// goes (no per-request storage) and checks the expectations.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "proxy_core/telemetry.h"

#include "sim/run_result.h"
#include "sim/scenario.h"
#include "sim/world.h"

namespace meshsim::sim {

struct RunOptions {
  std::optional<uint64_t> seed;  // overrides the scenario's
  // Called now and then with the virtual time reached (progress bars).
  std::function<void(Duration now, Duration total)> progress;
  // Further consumers of every telemetry event (metrics, traces, graph).
  std::vector<proxy::TelemetrySink*> sinks;
  // Virtual time zero in Unix time (Date headers); live commands pass the wall clock.
  int64_t unix_epoch_us = proxy::kDefaultUnixEpochUs;
  double wall_per_sim = 1.0;  // live commands: 1/--speed (WorldOptions::wall_per_sim)
  // Set (to a signal number) from a signal handler: the run stops between two
  // events and reports what ran, marked interrupted (`meshsim run` on SIGINT).
  const std::atomic<int>* interrupt = nullptr;
};

RunResult run_scenario(const Scenario& scenario, const RunOptions& options = {});

// Where live requests enter (`meshsim serve`): Istio's ingress gateway.
inline constexpr const char* kIngressWorkload = "istio-ingressgateway";
inline constexpr const char* kIngressNamespace = "istio-system";

struct SessionOptions {
  bool manual = false;   // timeline steps wait for apply_next_step()
  bool ingress = false;  // add the ingress gateway workload for send_ingress()
};

// A scenario run in pieces, for live modes: `run_scenario` is start,
// advance to the end, finish. Virtual time moves only in advance(); a live
// command advances it in step with the wall clock.
class ScenarioSession {
 public:
  ScenarioSession(const Scenario& scenario, const RunOptions& options = {}, const SessionOptions& session = {});
  ~ScenarioSession();
  // Runs events up to `until`; false once the event limit is hit.
  bool advance(Duration until);
  Duration now() const;
  std::optional<Duration> next_event() const;
  // Manual mode: the step apply_next_step() would apply, or null.
  const TimelineStep* next_step() const;
  void apply_next_step();
  // The mesh resources serving now, and a live push of new ones (rejected
  // whole on error); `note` goes into the report's phase.
  const proxy::Resources& resources() const;
  bool push(proxy::Resources next, std::vector<std::string>* errors, const std::string& note);
  // A request from outside the mesh through the ingress gateway: the
  // scenario's own (ingress_gateway()), which the request's Host routes
  // through; else the built-in istio-ingressgateway client, to host:port.
  void send_ingress(proxy::HttpRequest request, const std::string& host, uint32_t port, std::function<void(CallResult&&)> done);
  // The Service in front of the scenario's ingress gateway pods (a gateway
  // proxy that is not an egress gateway), as <name>.<namespace> and its first
  // port that a Gateway server listens behind; none when the mesh has none.
  struct GatewayAddress {
    std::string host;
    uint32_t port = 80;
  };
  std::optional<GatewayAddress> ingress_gateway() const;
  RunResult finish();
  // The run so far without ending it (live dashboards): expectations whose
  // window is still open are reached == false.
  RunResult snapshot() const;
  // The mesh itself, for live commands that carry its traffic over sockets.
  World& world();

 private:
  class Runner;
  std::unique_ptr<Runner> runner_;
};

using proxy::apply_resources;
using proxy::delete_resource;

}  // namespace meshsim::sim
