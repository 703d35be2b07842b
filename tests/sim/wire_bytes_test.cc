// istio_request_bytes / istio_response_bytes carry wire bytes, headers
// included: istio-proxy records the downstream connection's
// wireBytesReceived / wireBytesSent (istio/proxy
// source/extensions/filters/http/istio_stats/istio_stats.cc,
// IstioStatsFilter::log), which Envoy's HTTP/1 codec counts as every byte it
// parses or writes (envoy source/common/http/http1/codec_impl.cc,
// ConnectionImpl::onDispatch). The istio.io "Istio Standard Metrics" page
// still says "body sizes"; the code is what Prometheus sees.
#include <gtest/gtest.h>

#include "proxy_core/codec.h"
#include "sim/world.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::sim {
namespace {

struct Recorder : proxy::TelemetrySink {
  std::vector<proxy::StoredTelemetryEvent> events;
  void record(const proxy::TelemetryEvent& e) override { events.emplace_back(e); }
};

TEST(WireBytes, SerializedSizeIsWhatSerializeWrites) {
  proxy::HttpRequest bare;
  bare.target = "";
  proxy::HttpRequest full;
  full.method = "POST";
  full.target = "/a?b=c";
  full.authority = "bar.default.svc.cluster.local";
  full.headers.add("x-request-id", "abc");
  full.headers.add("x-a", "1");
  full.body.assign(1234, 'x');
  for (const auto* r : {&bare, &full}) EXPECT_EQ(proxy::serialized_size(*r), proxy::serialize(*r).size());
  proxy::HttpResponse ok, teapot, head;
  ok.body = "hello";
  teapot.status = 418;
  head.headers.add("content-length", "98765");  // a HEAD reply states the GET's length
  for (const auto* r : {&ok, &teapot, &head}) EXPECT_EQ(proxy::serialized_size(*r), proxy::serialize(*r).size());
}

TEST(WireBytes, BothReportersCountHeadersAndBody) {
  Recorder sink;
  World world(WorldOptions{1, proxy::Duration(0)});
  world.set_telemetry(&sink);
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(testing::mesh_with(""), &errors));
  proxy::HttpRequest r;
  r.method = "POST";
  r.authority = "bar";
  r.target = "/x";
  r.body.assign(100, 'b');
  auto out = world.call("default", "frontend-v1", r, "bar", 80);
  ASSERT_TRUE(out && out->outbound.response);
  ASSERT_EQ(sink.events.size(), 2u);
  const auto& server = sink.events[0];
  const auto& client = sink.events[1];
  // The source reporter counts the request as its app wrote it and the
  // response as the app got it back.
  EXPECT_GT(client.request_bytes, proxy::serialized_size(r));  // plus x-request-id, from the world's client
  EXPECT_EQ(client.response_bytes, proxy::serialized_size(*out->outbound.response));
  // The destination reporter counts what crossed the pod-to-pod connection:
  // the request grew by the trace and attempt headers the client sidecar added.
  EXPECT_GT(server.request_bytes, client.request_bytes);
  EXPECT_GT(server.request_bytes, r.body.size() + 100);
  EXPECT_GT(server.response_bytes, out->outbound.response->body.size());
}

}  // namespace
}  // namespace meshsim::sim
