// Replayed access-log requests (sim/scenario.h ReplayTraffic) as a run or a
// plan sends them: who calls, and the request itself.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "proxy_core/http.h"
#include "proxy_core/resources.h"
#include "sim/plan_probes.h"
#include "sim/scenario.h"
#include "sim/world.h"

namespace meshsim::sim {

struct ReplayCaller {
  std::string ns, workload;
};

// The Deployment of `resources` a line names as its caller: its workload by
// name, else the Deployment whose name its pod name starts with ("NAME-"),
// preferring the line's namespace. Nullopt when the line names none or the
// files lack it.
std::optional<ReplayCaller> replay_caller(const ReplayRequest& r, const proxy::Resources& resources);

// The caller of each request of `source` (its own `from` when the line names
// no Deployment of `resources`), and notes for lines whose caller is unknown,
// one per name: "replay browser: 3 lines (first access.log:7) name pod x-1, no Deployment; sent from browser".
std::vector<ReplayCaller> replay_callers(const TrafficSource& source, const proxy::Resources& resources,
                                         std::vector<std::string>* notes);

// The request a replayed line sends: method, authority (the URL host and
// port it dials), path, user agent, request id, plus the source's headers.
// Nullopt when the line has no authority to dial.
struct ReplaySend {
  proxy::HttpRequest request;
  std::string host;
  uint32_t port = 80;
};
std::optional<ReplaySend> replay_send(const ReplayRequest& r, const TrafficSource& source);

// `meshsim plan --replay`: one probe per distinct replayed request (caller,
// host, port, method, path, user agent and the source's headers; request ids
// aside), in order of first appearance. `callers` as replay_callers gives them.
std::vector<PlanProbe> replay_probes(const TrafficSource& source, const std::vector<ReplayCaller>& callers);

// "replay browser: 12 requests from access.log (istio-text, speed 1); 2 lines not parsed, 1 inbound line skipped".
std::string replay_summary(const TrafficSource& source);

}  // namespace meshsim::sim
