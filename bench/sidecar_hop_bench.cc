// One sans-IO sidecar hop: parse the request bytes (Beast), route it through
// the compiled snapshot (VirtualService match, weights, subset, header ops)
// and serialize the upstream request; with the talk's rules, and with 1,000
// extra Services and VirtualServices to show lookup does not grow with hosts.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench/hop_fixture.h"
#include "proxy_core/codec.h"
#include "proxy_core/router.h"

namespace {

using namespace meshsim;
using bench::CounterRandom;

std::string extra_routes(int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += fmt::format(R"(
---
apiVersion: v1
kind: Service
metadata: {{name: svc{0}}}
spec: {{selector: {{app: svc{0}}}, ports: [{{port: 80}}]}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: svc{0}}}
spec:
  hosts: [svc{0}]
  http:
  - match: [{{uri: {{prefix: /api/{0}}}}}]
    route: [{{destination: {{host: svc{0}}}}}]
)",
                       i);
  return out;
}

void hop(benchmark::State& state, int extra) {
  auto table = bench::demo_route_table(extra_routes(extra));
  if (!table) {
    state.SkipWithError("config does not compile");
    return;
  }
  const std::string bytes =
      "GET /api/items?page=2 HTTP/1.1\r\nHost: bar\r\nUser-Agent: Mozilla/5.0 (iPhone) Mobile Safari\r\n"
      "Accept: */*\r\nx-request-id: 7d3c1e0a-2f41-4c1b-9a55-1f2e3d4c5b6a\r\n\r\n";
  proxy::ClientContext client;
  client.ns = "default";
  CounterRandom random;
  size_t out_bytes = 0;
  for (auto _ : state) {
    proxy::RequestDecoder decoder;
    std::string_view view = bytes;
    decoder.feed(view);
    proxy::HttpRequest request = decoder.take();
    proxy::RouteDecision d = proxy::decide_route(*table, client, "bar", 80, request, random);
    std::string upstream = proxy::serialize(request);
    out_bytes += upstream.size();
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["hosts"] = static_cast<double>(table->services().size());
  benchmark::DoNotOptimize(out_bytes);
}

void BM_SidecarHop_DemoRules(benchmark::State& state) { hop(state, 0); }
void BM_SidecarHop_1000ExtraRoutes(benchmark::State& state) { hop(state, 1000); }
void BM_SidecarHop_5000ExtraRoutes(benchmark::State& state) { hop(state, 5000); }

BENCHMARK(BM_SidecarHop_DemoRules);
BENCHMARK(BM_SidecarHop_1000ExtraRoutes);
BENCHMARK(BM_SidecarHop_5000ExtraRoutes);

}  // namespace


namespace {

const std::string kRequestBytes =
    "GET /api/items?page=2 HTTP/1.1\r\nHost: bar\r\nUser-Agent: Mozilla/5.0 (iPhone) Mobile Safari\r\n"
    "Accept: */*\r\nx-request-id: 7d3c1e0a-2f41-4c1b-9a55-1f2e3d4c5b6a\r\n\r\n";

void BM_Parse(benchmark::State& state) {
  for (auto _ : state) {
    proxy::RequestDecoder decoder;
    std::string_view view = kRequestBytes;
    decoder.feed(view);
    benchmark::DoNotOptimize(decoder.take());
  }
}

void BM_Serialize(benchmark::State& state) {
  proxy::HttpRequest request;
  proxy::parse_request(kRequestBytes, request);
  for (auto _ : state) benchmark::DoNotOptimize(proxy::serialize(request));
}

void BM_Route(benchmark::State& state) {
  auto table = bench::demo_route_table();
  if (!table) return state.SkipWithError("config does not compile");
  proxy::HttpRequest base;
  proxy::parse_request(kRequestBytes, base);
  proxy::ClientContext client;
  CounterRandom random;
  for (auto _ : state) {
    proxy::HttpRequest request = base;
    benchmark::DoNotOptimize(proxy::decide_route(*table, client, "bar", 80, request, random));
  }
}

BENCHMARK(BM_Parse);
BENCHMARK(BM_Serialize);
BENCHMARK(BM_Route);

}  // namespace
BENCHMARK_MAIN();
