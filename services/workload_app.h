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

  // A bound no real server has: an app holding this many requests at once is
  // taken for a call cycle (a calls b, b calls a), where every request calls
  // on without end until the simulator runs out of memory. The request past
  // it gets a 503, and `runaway(why)` is called once (the world stops the
  // run and says why). A pod answering 10,000 requests/s that each take 5 s
  // stays under it.
  static constexpr size_t kMaxRequestsInFlight = 50'000;
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

  const proxy::Endpoint& endpoint_;
  size_t in_flight_ = 0;  // handled, not yet answered
  std::function<void(const std::string&)> runaway_;
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
