// Real gRPC (libgrpc++ client and server, tests/grpc/echo.proto) through
// `meshsim proxy --upstream-protocol http2` on 127.0.0.1: h2c both ways,
// the response's grpc-status in trailers (or Trailers-Only for an error)
// reaching the client intact. Deadlines bound every call.
#include <chrono>
#include <memory>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "tests/app/live_process.h"
#include "tests/grpc/echo.grpc.pb.h"

namespace meshsim::testing {
namespace {

class EchoService final : public meshsim::test::Echo::Service {
  grpc::Status Say(grpc::ServerContext* context, const meshsim::test::EchoRequest* request,
                   meshsim::test::EchoReply* reply) override {
    if (request->reply_code() != 0)
      return grpc::Status(static_cast<grpc::StatusCode>(request->reply_code()), "asked for " + request->message());
    reply->set_message(request->message());
    grpc::string_ref authority = context->ExperimentalGetAuthority();
    reply->set_authority(std::string(authority.data(), authority.size()));
    reply->set_padding(std::string(static_cast<size_t>(request->reply_bytes()), 'p'));
    return grpc::Status::OK;
  }
};

struct GrpcServer {
  EchoService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
  GrpcServer() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
  }
  ~GrpcServer() { server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2)); }
};

grpc::Status say(meshsim::test::Echo::Stub& stub, const std::string& message, int code, meshsim::test::EchoReply& reply,
                 int reply_bytes = 0) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  meshsim::test::EchoRequest request;
  request.set_message(message);
  request.set_reply_code(code);
  request.set_reply_bytes(reply_bytes);
  return stub.Say(&context, request, &reply);
}

TEST(GrpcThroughProxy, UnaryCallsAndStatusesPassThrough) {
  GrpcServer upstream;
  ASSERT_NE(upstream.port, 0);
  LiveProcess proxy({"proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + std::to_string(upstream.port),
                     "--admin-port", "0", "--upstream-protocol", "http2"});
  ASSERT_TRUE(proxy.wait_for_stderr("admin http://")) << proxy.stderr_text();
  uint16_t port = proxy.port_after("listening on");
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto stub = meshsim::test::Echo::NewStub(channel);

  meshsim::test::EchoReply reply;
  grpc::Status ok = say(*stub, "hello", 0, reply);
  EXPECT_TRUE(ok.ok()) << ok.error_code() << " " << ok.error_message();
  EXPECT_EQ(reply.message(), "hello");
  EXPECT_EQ(reply.authority(), "upstream");  // the proxy names the service, as for HTTP/1.1

  // A reply larger than HTTP/2's initial 64 KiB windows.
  grpc::Status big = say(*stub, "big", 0, reply, 300 * 1024);
  EXPECT_TRUE(big.ok()) << big.error_message();
  EXPECT_EQ(reply.padding().size(), 300u * 1024);

  // An error status is Trailers-Only from the server; code and message arrive unchanged.
  grpc::Status failed = say(*stub, "not found", static_cast<int>(grpc::StatusCode::NOT_FOUND), reply);
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(failed.error_message(), "asked for not found");

  // Many calls share the proxy's connections.
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(say(*stub, "n" + std::to_string(i), 0, reply).ok());
}

}  // namespace
}  // namespace meshsim::testing
