// The `meshsim curl` use case: build a world from loaded resources, send one
// or N requests from a client workload, and return what happened, either
// per request (one) or aggregated as it goes (many; no per-request storage).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy_core/resources.h"
#include "sim/scenario.h"
#include "sim/world.h"

namespace meshsim::sim {

struct CurlSpec {
  std::string from;  // "name" or "namespace/name"; empty = the default client `curl` in `default`; kOutsideClient
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string url;
  int repeat = 1;
  uint64_t seed = 1;
  // --http2: HTTP/2 with prior knowledge (h2c) from the client app to its sidecar.
  proxy::WireProtocol protocol = proxy::WireProtocol::kHttp1;
  // --grpc: a unary gRPC call over h2c: POST, content-type application/grpc,
  // te: trailers, the body framed as one message (PROTOCOL-HTTP2.md).
  bool grpc = false;
  // The files' Behaviors: how pods and hosts outside the cluster answer.
  std::vector<BehaviorRule> behaviors;
  // From a Scenario in the files: its traffic sources (their clients are
  // created as `run` creates them, and `from` may name a source) and its
  // `sidecars` default.
  std::vector<TrafficSource> sources;
  bool sidecars_injected = true;
};

struct CurlSummary {
  int count = 0;
  std::map<int, int> by_status;  // 0 = no HTTP response
  std::map<std::string, int> by_version, by_workload, by_flag, mirrored;
  std::vector<double> latency_ms;  // one per request, for percentiles
};

struct CurlRun {
  // Results point into the world (endpoints, snapshot); the run keeps it alive.
  std::shared_ptr<World> world;
  std::shared_ptr<proxy::TelemetrySink> report_log;  // the world's sidecars report here
  std::string from_namespace, from_workload;
  bool from_has_sidecar = true;
  proxy::HttpRequest request;  // as the client sent it
  std::string url_host;        // where the client dialled (the URL's host and port)
  uint32_t url_port = 80;
  std::optional<CallResult> single;  // repeat == 1
  CurlSummary summary;              // always filled
  // repeat == 1: the report whose istio_requests_total labels the request
  // got: the destination reporter's when a server-side proxy saw it, else
  // the source reporter's; none when neither side had a sidecar.
  std::optional<proxy::StoredTelemetryEvent> report;
};

// `--from @outside`: a client outside the cluster (scenario.h kOutsideSource).
inline constexpr const char* kOutsideClient = kOutsideSource;

// The request limit per run; more would be a load test, not a curl.
inline constexpr int kCurlRepeatMax = 10'000'000;

// Fills `error` and returns nullopt on bad input (unknown client, bad URL).
std::optional<CurlRun> run_curl(proxy::Resources resources, const CurlSpec& spec, std::string* error);

// p in [0, 100] over sorted values, nearest-rank.
double percentile(std::vector<double>& values, double p);

}  // namespace meshsim::sim
