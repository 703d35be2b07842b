// `meshsim serve`'s hops between sidecars speak what the Service port says,
// as Istio decides it (issue 16): HTTP/1.1 to a port named http, HTTP/2
// (h2c, prior knowledge) to a port named grpc (istio
// pilot/pkg/networking/core/cluster_builder.go setH2Options;
// pkg/config/protocol/instance.go IsHTTP2). Real loopback sockets, in process.
#include <optional>
#include <vector>

#include <utility>  // Boost 1.74 asio/awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include "app/live_world.h"
#include "proxy_core/grpc.h"
#include "tests/sim/scenario_fixture.h"

namespace meshsim::app {
namespace {

struct LiveRun {
  std::vector<LoopbackNetwork::HopTime> hops;
  std::optional<sim::CallResult> result;

  LiveRun(const char* fixture, proxy::HttpRequest request, const std::string& host, uint32_t port) {
    sim::Scenario scenario = testing::load_scenario_file(fixture);
    boost::asio::io_context io;
    LiveOptions options;
    options.speed = 10;
    options.sockets = true;
    LiveWorld live(io, scenario, options);
    live.network()->on_hop([this](const LoopbackNetwork::HopTime& h) { hops.push_back(h); });
    live.send(std::move(request), host, port, [&](sim::CallResult&& r) {
      result = std::move(r);
      io.stop();
    });
    io.run_for(std::chrono::seconds(20));  // bounded; a few ms when it works
    live.finish();
  }
};

TEST(LiveHops, HttpPortsCarryHttp1) {
  proxy::HttpRequest request;
  request.authority = "frontend";
  LiveRun run("tests/fixtures/live-time.yaml", std::move(request), "frontend", 80);
  ASSERT_TRUE(run.result && run.result->outbound.response);
  ASSERT_EQ(run.hops.size(), 2u);
  for (const auto& hop : run.hops) EXPECT_EQ(hop.protocol, proxy::WireProtocol::kHttp1) << hop.pod;
}

TEST(LiveHops, GrpcPortsCarryHttp2WithTrailers) {
  proxy::HttpRequest request;
  request.protocol = proxy::WireProtocol::kHttp2;  // a gRPC client on serve's ingress speaks h2c
  request.method = "POST";
  request.target = "/meshsim.test.Echo/Say";
  request.authority = "echo:7070";
  request.headers.set("content-type", "application/grpc");
  request.headers.set("te", "trailers");
  request.body = proxy::grpc_frame("");
  LiveRun run("tests/fixtures/grpc-serve.yaml", std::move(request), "echo", 7070);
  ASSERT_TRUE(run.result && run.result->outbound.response) << (run.result ? run.result->outbound.error : "no answer");
  ASSERT_EQ(run.hops.size(), 1u);
  EXPECT_EQ(run.hops[0].protocol, proxy::WireProtocol::kHttp2);
  EXPECT_EQ(run.hops[0].pod.rfind("default/echo", 0), 0u) << run.hops[0].pod;
  // The reply crossed the h2c hop with its grpc-status in trailers (one message first).
  const proxy::HttpResponse& response = *run.result->outbound.response;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.trailers.get("grpc-status"), "0");
}

}  // namespace
}  // namespace meshsim::app
