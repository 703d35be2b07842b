// The sidecar hop of bench/sidecar_hop_bench.cc on HTTP/2: a request's
// HEADERS frame in from a warm downstream connection (nghttp2 decodes HPACK
// and frames), routed through the compiled snapshot, out as a stream on a
// warm upstream connection, and the response encoded back downstream. The
// downstream frame uses literal HPACK fields (no dynamic table), so every
// iteration decodes the full header block: a conservative figure.
#include <benchmark/benchmark.h>

#include "bench/hop_fixture.h"
#include "proxy_core/http2_codec.h"
#include "proxy_core/router.h"
#include "tests/proxy_core/http2_frames.h"

namespace {

using namespace meshsim;
using bench::CounterRandom;
namespace h2 = meshsim::testing::h2;

// An upstream client connection that has seen its peer's SETTINGS (no stream limit).
proxy::Http2ClientConnection warm_upstream() {
  proxy::Http2Settings unlimited;
  unlimited.max_concurrent_streams = 0x7fffffff;
  proxy::Http2ServerConnection peer(unlimited);
  std::string settings;
  peer.write_to(settings);
  proxy::Http2ClientConnection upstream;
  upstream.receive(settings);
  std::string discard;
  upstream.write_to(discard);
  return upstream;
}

void BM_SidecarHop_Http2(benchmark::State& state) {
  auto table = bench::demo_route_table();
  if (!table) return state.SkipWithError("config does not compile");
  std::string frame = h2::get_headers(1, {{"user-agent", "Mozilla/5.0 (iPhone) Mobile Safari"},
                                          {"accept", "*/*"},
                                          {"x-request-id", "7d3c1e0a-2f41-4c1b-9a55-1f2e3d4c5b6a"}});
  proxy::Http2ServerConnection downstream;
  downstream.receive(h2::client_start());
  proxy::Http2ClientConnection upstream = warm_upstream();
  proxy::ClientContext client;
  client.ns = "default";
  CounterRandom random;
  std::string out;
  uint32_t stream = 1;
  size_t sent = 0;
  for (auto _ : state) {
    // The stream id is the frame's bytes 5..8.
    frame[5] = static_cast<char>(stream >> 24);
    frame[6] = static_cast<char>(stream >> 16);
    frame[7] = static_cast<char>(stream >> 8);
    frame[8] = static_cast<char>(stream);
    stream += 2;
    downstream.receive(frame);
    for (auto& [id, request] : downstream.take_requests()) {
      proxy::RouteDecision d = proxy::decide_route(*table, client, "bar", 80, request, random);
      benchmark::DoNotOptimize(d);
      upstream.submit(std::move(request));
      out.clear();
      upstream.write_to(out);
      sent += out.size();
      proxy::HttpResponse response;
      response.headers.add("content-type", "text/plain");
      response.body = "ok";
      downstream.respond(id, std::move(response));
      out.clear();
      downstream.write_to(out);
      sent += out.size();
    }
    if (upstream.open_streams() >= 4096) {  // streams the bench never answers: start a fresh connection
      state.PauseTiming();
      upstream = warm_upstream();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
  benchmark::DoNotOptimize(sent);
}

BENCHMARK(BM_SidecarHop_Http2);

}  // namespace

BENCHMARK_MAIN();
