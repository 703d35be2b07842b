// Real gRPC and curl through `meshsim serve` (issue 16's Done-when): a
// libgrpc++ client on serve's ingress (h2c, prior knowledge) reaching
// simulated gRPC apps over HTTP/2 hops between the sidecars, with Istio's
// default retries on UNAVAILABLE and a grpcStatus fault; curl
// --http2-prior-knowledge the same way. Deadlines bound every call.
#include <chrono>
#include <memory>
#include <string>
#include <unistd.h>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/app/live_process.h"
#include "tests/grpc/echo.grpc.pb.h"

namespace meshsim::testing {
namespace {

const std::string kFixture = std::string(MESHSIM_SOURCE_DIR) + "/tests/fixtures/grpc-serve.yaml";

grpc::Status say(meshsim::test::Echo::Stub& stub, const std::string& test_case) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!test_case.empty()) context.AddMetadata("x-case", test_case);
  meshsim::test::EchoRequest request;
  request.set_message("hello");
  meshsim::test::EchoReply reply;
  return stub.Say(&context, request, &reply);
}

// The sum of istio_requests_total samples whose labels contain all of `labels`.
double requests_total(const std::string& metrics, const std::vector<std::string>& labels) {
  double sum = 0;
  size_t at = 0;
  while ((at = metrics.find("istio_requests_total{", at)) != std::string::npos) {
    size_t end = metrics.find('\n', at);
    std::string line = metrics.substr(at, end - at);
    at = end;
    bool all = true;
    for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
    if (all) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

struct Serve {
  LiveProcess process{{"serve", kFixture, "--port", "0", "--admin-port", "0", "--target", "http://echo:7070/"}};
  uint16_t ingress = 0, admin = 0;
  Serve() {
    if (!process.wait_for_stderr("admin http://")) return;
    ingress = process.port_after("ingress");
    admin = process.port_after("admin");
  }
};

// --target names echo by its short name; serve's ingress stands in
// istio-system, so the front door qualifies it as echo.default, as a real
// gateway's route would, and the VirtualService written for echo applies
// (before, Host "echo" from istio-system matched no rule: every call
// reached echo and answered OK).
TEST(GrpcThroughServe, RetriedUnavailableAndGrpcStatusFault) {
  Serve serve;
  ASSERT_NE(serve.ingress, 0) << serve.process.stderr_text();
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(serve.ingress), grpc::InsecureChannelCredentials());
  auto stub = meshsim::test::Echo::NewStub(channel);

  grpc::Status ok = say(*stub, "");
  EXPECT_TRUE(ok.ok()) << ok.error_code() << " " << ok.error_message();

  // VirtualService fault.abort.grpcStatus: Envoy's Trailers-Only local
  // reply with that code (fault_filter.cc abortWithStatus; istio
  // networking/core/route/route.go translateFault).
  grpc::Status denied = say(*stub, "fault");
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED) << denied.error_message();

  // flaky answers UNAVAILABLE every time: Istio's default retry policy
  // (retryOn includes unavailable, 2 attempts; istio
  // pilot/pkg/networking/core/route/retry/retry.go DefaultPolicy) tries it
  // three times, then the client gets UNAVAILABLE.
  grpc::Status unavailable = say(*stub, "flaky");
  EXPECT_EQ(unavailable.error_code(), grpc::StatusCode::UNAVAILABLE) << unavailable.error_message();

  HttpReply metrics = http(serve.admin, "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(requests_total(metrics.body, {"reporter=\"destination\"", "destination_workload=\"flaky\"",
                                          "request_protocol=\"grpc\"", "grpc_response_status=\"14\""}),
            3)
      << metrics.body;
  // One OK call reached echo (the fault is answered by the client's sidecar).
  EXPECT_EQ(requests_total(metrics.body, {"reporter=\"destination\"", "destination_workload=\"echo\"",
                                          "request_protocol=\"grpc\"", "grpc_response_status=\"0\""}),
            1)
      << metrics.body;
  EXPECT_EQ(serve.process.stop(SIGTERM), 0);
}

// curl speaking h2c with prior knowledge to serve's ingress, and on to echo
// over an HTTP/2 hop (its port is named grpc).
TEST(GrpcThroughServe, CurlHttp2PriorKnowledge) {
  if (::access("/usr/bin/curl", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/curl";
  Serve serve;
  ASSERT_NE(serve.ingress, 0) << serve.process.stderr_text();
  LiveProcess curl("/usr/bin/curl", {"-sS", "-i", "--max-time", "10", "--http2-prior-knowledge",
                                     "http://127.0.0.1:" + std::to_string(serve.ingress) + "/hello"});
  EXPECT_EQ(curl.wait_exit(std::chrono::seconds(20)), 0) << curl.stderr_text();
  std::string out = curl.stdout_text();
  EXPECT_EQ(out.rfind("HTTP/2 200", 0), 0u) << out;
  EXPECT_NE(out.find("echo v1"), std::string::npos) << out;  // the Behavior's default body: {{app}} {{version}}
  EXPECT_EQ(serve.process.stop(SIGTERM), 0);
}

// `meshsim load --grpc` (what `meshsim export` runs for a `grpc: true`
// traffic source): unary calls over h2c through serve; the HTTP status of
// every call is 200 and the grpc-status tells them apart (GrpcCodes).
TEST(GrpcThroughServe, LoadSendsUnaryGrpcCalls) {
  Serve serve;
  ASSERT_NE(serve.ingress, 0) << serve.process.stderr_text();
  const std::string url = "http://127.0.0.1:" + std::to_string(serve.ingress) + "/meshsim.test.Echo/Say";
  LiveProcess ok({"load", "--grpc", "-n", "3", "-c", "1", "--qps", "0", "--json", "-", url});
  ASSERT_EQ(ok.wait_exit(std::chrono::seconds(20)), 0) << ok.stderr_text();
  auto j = nlohmann::json::parse(ok.stdout_text());
  EXPECT_EQ(j["RetCodes"], nlohmann::json({{"200", 3}})) << ok.stdout_text();
  EXPECT_EQ(j["GrpcCodes"], nlohmann::json({{"0", 3}})) << ok.stdout_text();
  LiveProcess flaky({"load", "--grpc", "-n", "2", "-c", "1", "--qps", "0", "-H", "x-case: flaky", "--json", "-", url});
  ASSERT_EQ(flaky.wait_exit(std::chrono::seconds(20)), 0) << flaky.stderr_text();
  j = nlohmann::json::parse(flaky.stdout_text());
  EXPECT_EQ(j["GrpcCodes"], nlohmann::json({{"14", 2}})) << flaky.stdout_text();  // UNAVAILABLE
  EXPECT_EQ(serve.process.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace meshsim::testing
