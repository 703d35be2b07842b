// Istio's connectionPool settings on HTTP/2 hops, through the sidecar in
// virtual time: concurrent unary gRPC calls to a Service whose port is named
// grpc (so the hop is HTTP/2) against http2MaxRequests, maxConcurrentStreams
// with maxConnections and http1MaxPendingRequests, and http2MaxRequests on a
// plain HTTP/1.1 port. Each row names its source.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "proxy_core/grpc.h"
#include "sim/world.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::sim {
namespace {

constexpr const char* kMesh = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: client}
spec:
  selector: {matchLabels: {app: client}}
  template: {metadata: {labels: {app: client, version: v1}}, spec: {containers: [{name: app, image: client}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  selector: {matchLabels: {app: echo}}
  template: {metadata: {labels: {app: echo, version: v1}}, spec: {containers: [{name: app, image: echo}]}}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec: {selector: {app: echo}, ports: [{name: grpc, port: 7070}, {name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo}
spec:
  host: echo
  trafficPolicy:
    connectionPool:
)";

struct Outcome {
  int ok = 0, overflow = 0;  // overflow: Envoy's local reply, flag UO
  std::vector<int64_t> ms;   // each call's duration, sorted
};

// `calls` concurrent calls from client to echo, each answered after 100 ms.
Outcome concurrent(const std::string& pool_yaml, int calls, bool grpc) {
  World world{WorldOptions{1, proxy::Duration(0)}};  // no link latency: durations are the service time
  std::vector<std::string> errors;
  auto loaded = testing::load_or_fail({{"mesh.yaml", std::string(kMesh) + pool_yaml}});
  EXPECT_TRUE(world.apply(loaded.resources, &errors));
  services::Behavior slow;
  slow.response_delay = std::chrono::milliseconds(100);
  world.set_behavior("default", "echo", slow);
  Outcome out;
  for (int i = 0; i < calls; ++i) {
    proxy::HttpRequest r;
    if (grpc) {
      r.protocol = proxy::WireProtocol::kHttp2;
      r.method = "POST";
      r.target = "/proto.EchoTestService/Echo";
      r.authority = "echo:7070";
      r.headers.set("content-type", "application/grpc");
      r.headers.set("te", "trailers");
      r.body = proxy::grpc_frame("");
    } else {
      r.authority = "echo";
    }
    world.send("default", "client", std::move(r), "echo", grpc ? 7070 : 80, [&out, grpc](CallResult&& res) {
      const auto& o = res.outbound;
      bool ok = o.response && (grpc ? proxy::grpc_status_of(*o.response) == 0 : o.response->status == 200);
      // An overflow is 503 UO; to a gRPC request, HTTP 200 + grpc-status 14 (UNAVAILABLE).
      bool overflow = o.flags == "UO" && o.response &&
                      (grpc ? proxy::grpc_status_of(*o.response) == 14 : o.response->status == 503);
      out.ok += ok;
      out.overflow += overflow;
      out.ms.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(o.duration).count());
    });
  }
  world.scheduler().run();
  std::sort(out.ms.begin(), out.ms.end());
  return out;
}

struct Row {
  const char* source;
  const char* pool;
  bool grpc;
  int calls, ok, overflow;
  std::vector<int64_t> ms;
};

const Row kRows[] = {
    {"istio destination_rule.proto http2MaxRequests -> envoy max_requests (cluster_traffic_policy.go "
     "applyConnectionPool); conn_pool_base.cc attachStreamToClient overflow; grpc local reply 503 -> 14",
     "      http: {http2MaxRequests: 2}\n", true, 4, 2, 2, {0, 0, 100, 100}},
    {"envoy circuit_breaking.rst: HTTP/2 multiplexes every stream on one connection; maxConnections 1 refuses none",
     "      tcp: {maxConnections: 1}\n      http: {http1MaxPendingRequests: 1}\n", true, 4, 4, 0, {100, 100, 100, 100}},
    {"envoy circuit_breaking.rst (pending while no connection has room) + protocol.proto max_concurrent_streams: "
     "1 stream per connection, 1 connection, 1 pending: the pending call waits for the first",
     "      tcp: {maxConnections: 1}\n      http: {http1MaxPendingRequests: 1, maxConcurrentStreams: 1}\n", true, 3, 2, 1,
     {0, 100, 200}},
    {"envoy conn_pool_base.cc tryCreateNewConnection: maxConcurrentStreams 1 opens a connection per stream",
     "      http: {maxConcurrentStreams: 1}\n", true, 3, 3, 0, {100, 100, 100}},
    {"istio destination_rule.proto http2MaxRequests: \"applicable to both HTTP/1.1 and HTTP/2\"",
     "      http: {http2MaxRequests: 1}\n", false, 3, 1, 2, {0, 0, 100}},
};

TEST(Http2PoolWorld, ConcurrentCallsAgainstTheConnectionPool) {
  for (const Row& row : kRows) {
    SCOPED_TRACE(std::string(row.pool) + " [" + row.source + "]");
    Outcome o = concurrent(row.pool, row.calls, row.grpc);
    EXPECT_EQ(o.ok, row.ok);
    EXPECT_EQ(o.overflow, row.overflow);
    EXPECT_EQ(o.ms, row.ms);
  }
}

}  // namespace
}  // namespace meshsim::sim
