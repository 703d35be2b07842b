// The simulated application behind a sidecar. Without a behaviour it echoes:
// 200 with a JSON body naming its workload, version and the method, path and
// headers it received. With one (behavior.h) it waits a sampled latency,
// runs its call script through `caller` (its own sidecar, or plain
// Kubernetes networking without one), and answers from a body template.
// Single-threaded; owned by the world's instance for its pod.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy_core/env.h"
#include "proxy_core/http.h"
#include "proxy_core/route_table.h"
#include "services/behavior.h"

namespace meshsim::services {

// What the app saw, for `meshsim curl --json`'s `upstream` and for tests.
struct ReceivedRequest {
  const proxy::Endpoint* endpoint = nullptr;
  proxy::HttpRequest request;
};

// How the app reaches other services: a request to host:port, answered once
// with a response or nothing (connection failure).
using Caller = std::function<void(proxy::HttpRequest&&, std::string host, uint32_t port,
                                  std::function<void(std::optional<proxy::HttpResponse>&&)>)>;

class WorkloadApp {
 public:
  // `clock` (optional) lets the app tell its sidecar how much its calls
  // overcounted (HttpResponse::overcount; live networks only).
  WorkloadApp(const proxy::Endpoint& endpoint, Behavior behavior, proxy::Timers& timers, proxy::Random& random,
              Caller caller = nullptr, const proxy::Clock* clock = nullptr)
      : endpoint_(endpoint), behavior_(std::move(behavior)), timers_(timers), random_(random), caller_(std::move(caller)),
        clock_(clock) {}

  void handle(proxy::HttpRequest&& request, std::function<void(proxy::HttpResponse&&)> respond);

  // Guards of the simulator, not a model of any server. In a call cycle (a
  // calls b, b calls a) every request calls on without end and the run grew
  // until the machine's memory ran out. A request whose x-request-id (which
  // every app propagates) reaches this app nested kMaxNestedArrivals deep
  // is taken for one: that arrival gets a 503, which unwinds the cycle.
  // Nesting is tracked only while more than kTrackNestingAbove requests are
  // in flight here (a cycle gets there in moments; ordinary traffic seldom
  // does, and then costs a map entry per request). Past kMaxRequestsInFlight
  // (a cycle among requests without an id) every arrival gets a 503. Either
  // calls `runaway(why)` once: the run then fails with the reason.
  static constexpr size_t kTrackNestingAbove = 1'000;
  static constexpr int kMaxNestedArrivals = 100;
  static constexpr size_t kMaxRequestsInFlight = 250'000;
  void on_runaway(std::function<void(const std::string& why)> runaway) { runaway_ = std::move(runaway); }
  const proxy::Endpoint& endpoint() const { return endpoint_; }
  const Behavior& behavior() const { return behavior_; }

 private:
  struct Execution;
  struct StepJoin;
  proxy::HttpResponse echo(const proxy::HttpRequest& request) const;
  void run_step(const std::shared_ptr<Execution>& ex, size_t step);
  // One call of a script step as the app's HTTP client makes it: an attempt,
  // then another while the call's retries last (CallSpec::timeout, retries).
  proxy::HttpRequest call_request(const Execution& ex, const CallSpec& call) const;
  void attempt_call(const std::shared_ptr<Execution>& ex, size_t step, const std::shared_ptr<StepJoin>& join,
                    const CallSpec& call, int attempt);
  void finish(const std::shared_ptr<Execution>& ex);
  // Turns the answer into a gRPC reply (behavior.h GrpcAnswer).
  void answer_grpc(const Execution& ex, proxy::HttpResponse& response) const;
  void answer_ext_authz(const proxy::HttpRequest& request, proxy::HttpResponse& response) const;

  const proxy::Endpoint& endpoint_;
  size_t in_flight_ = 0;  // handled, not yet answered
  std::map<std::string, int, std::less<>> nested_;  // x-request-id -> arrivals in flight, while tracked
  std::function<void(const std::string&)> runaway_;
  // Answers `respond` with a 503 naming `why`; tells runaway_ the first time.
  void refuse_runaway(std::string_view why, std::function<void(proxy::HttpResponse&&)>& respond);
  Behavior behavior_;
  proxy::Timers& timers_;
  proxy::Random& random_;
  Caller caller_;
  const proxy::Clock* clock_;
  // Attempts seen per x-request-id, bounded: forgotten oldest-first past the limit.
  static constexpr size_t kAttemptMemory = 4096;
  std::map<std::string, int> attempts_;
  std::vector<std::string> attempt_order_;
};

}  // namespace meshsim::services
