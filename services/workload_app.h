// The simulated application behind a sidecar. Without a behaviour it echoes:
// 200 with a JSON body naming its workload, version and the method, path and
// headers it received. The knobs the conformance corpus and the talk need
// are here (a fixed response delay, static response headers, failing the
// first N attempts of each client request); richer behaviour models
// (latency distributions, call scripts) build on this in issue 4.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proxy_core/env.h"
#include "proxy_core/http.h"
#include "proxy_core/route_table.h"

namespace meshsim::services {

struct Behavior {
  proxy::Duration response_delay{0};
  std::vector<std::pair<std::string, std::string>> response_headers;
  int fail_first_n = 0;  // per distinct x-request-id
  int fail_status = 503;
};

// What the app saw, for `meshsim curl --json`'s `upstream` and for tests.
struct ReceivedRequest {
  const proxy::Endpoint* endpoint = nullptr;
  proxy::HttpRequest request;
  bool mirrored = false;
};

class WorkloadApp {
 public:
  WorkloadApp(const proxy::Endpoint& endpoint, Behavior behavior, proxy::Timers& timers)
      : endpoint_(endpoint), behavior_(std::move(behavior)), timers_(timers) {}

  void handle(proxy::HttpRequest request, std::function<void(proxy::HttpResponse)> respond);
  const proxy::Endpoint& endpoint() const { return endpoint_; }

 private:
  proxy::HttpResponse echo(const proxy::HttpRequest& request) const;

  const proxy::Endpoint& endpoint_;
  Behavior behavior_;
  proxy::Timers& timers_;
  // Attempts seen per x-request-id, bounded: forgotten oldest-first past the limit.
  static constexpr size_t kAttemptMemory = 4096;
  std::map<std::string, int> attempts_;
  std::vector<std::string> attempt_order_;
};

}  // namespace meshsim::services
