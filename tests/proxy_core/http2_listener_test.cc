// h2c on the live listener (proxy_core/asio HttpListener, which `meshsim
// proxy` and `meshsim serve` use) over real 127.0.0.1 sockets: real HTTP/2
// clients (curl --http2-prior-knowledge, nghttp, h2load from nghttp2-client),
// and hand-made bad input. Every wait is bounded; no sleeps.
#include <poll.h>

#include <cstdio>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "proxy_core/asio/asio_adapter.h"
#include "proxy_core/http2_codec.h"
#include "tests/proxy_core/http2_frames.h"

namespace meshsim::proxy::asio {
namespace {

using net::ip::tcp;
namespace h2 = meshsim::testing::h2;
const auto kLoopback = net::ip::make_address("127.0.0.1");

// An echo server on its own io_context thread: the answer names what the
// handler saw (protocol, method, target, authority, body size).
struct EchoServer {
  net::io_context io;
  HttpListener listener{io, {kLoopback, 0}, [](HttpRequest request, HttpListener::Respond respond) {
                          HttpResponse r;
                          r.headers.add("content-type", "text/plain");
                          r.body = std::string(request.protocol == WireProtocol::kHttp2 ? "h2" : "h1") + " " +
                                   request.method + " " + request.target + " " + request.authority + " " +
                                   std::to_string(request.body.size());
                          if (auto te = request.headers.get("x-echo-trailer")) r.trailers.add("x-trailer", *te);
                          respond(std::move(r));
                        }};
  std::thread thread{[this] { io.run_for(std::chrono::seconds(60)); }};
  ~EchoServer() {
    net::post(io, [this] { listener.close(); });
    io.stop();
    thread.join();
  }
  std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(listener.port()) + std::string(path);
  }
};

bool have(const char* tool) { return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0; }

// Runs a command (bounded by `timeout`) and returns its standard output.
std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(("timeout 30 " + command + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out;
}

// curl with prior knowledge (RFC 9113 §3.3) gets HTTP/2 from the listener;
// the handler sees the request as the HTTP/1.1 path would, marked kHttp2.
TEST(Http2Listener, CurlWithPriorKnowledge) {
  if (!have("curl")) GTEST_SKIP() << "curl not installed";
  EchoServer server;
  std::string out = run("curl -s --http2-prior-knowledge -w ' %{http_version} %{http_code}' " + server.url("/a?b=c"));
  EXPECT_EQ(out, "h2 GET /a?b=c 127.0.0.1:" + std::to_string(server.listener.port()) + " 0 2 200");
  out = run("curl -s --http2-prior-knowledge -d hello -w ' %{http_version}' " + server.url("/post"));
  EXPECT_EQ(out, "h2 POST /post 127.0.0.1:" + std::to_string(server.listener.port()) + " 5 2");
  // The same listener still speaks HTTP/1.1.
  out = run("curl -s --http1.1 -w ' %{http_version}' " + server.url("/one"));
  EXPECT_EQ(out, "h1 GET /one 127.0.0.1:" + std::to_string(server.listener.port()) + " 0 1.1");
}

// `Upgrade: h2c` is not honoured (Envoy's HTTP/1 codec strips it and serves
// HTTP/1.1: http1/codec_impl.cc, envoy#7161; RFC 9113 §3.1 deprecates it).
TEST(Http2Listener, UpgradeToH2cIsServedAsHttp11) {
  if (!have("curl")) GTEST_SKIP() << "curl not installed";
  EchoServer server;
  std::string out = run("curl -s --http2 -w ' %{http_version} %{http_code}' " + server.url("/up"));
  EXPECT_EQ(out, "h1 GET /up 127.0.0.1:" + std::to_string(server.listener.port()) + " 0 1.1 200");
}

// nghttp sends several requests as concurrent streams on one connection, and
// sees trailers (RFC 9113 §8.1).
TEST(Http2Listener, NghttpConcurrentStreamsAndTrailers) {
  if (!have("nghttp")) GTEST_SKIP() << "nghttp (nghttp2-client) not installed";
  EchoServer server;
  std::string out = run("nghttp -v -H 'x-echo-trailer: t1' " + server.url("/a") + " " + server.url("/b") + " " +
                        server.url("/c"));
  EXPECT_NE(out.find("h2 GET /a"), std::string::npos) << out;
  EXPECT_NE(out.find("h2 GET /b"), std::string::npos) << out;
  EXPECT_NE(out.find("h2 GET /c"), std::string::npos) << out;
  EXPECT_NE(out.find("x-trailer: t1"), std::string::npos) << out;
  EXPECT_EQ(out.find("recv RST_STREAM"), std::string::npos) << out;
  EXPECT_EQ(out.find("recv GOAWAY"), std::string::npos) << out;  // nghttp sends its own at the end
}

// h2load: 2 connections x 10 concurrent streams, 400 requests, all answered.
TEST(Http2Listener, H2loadAllSucceed) {
  if (!have("h2load")) GTEST_SKIP() << "h2load (nghttp2-client) not installed";
  EchoServer server;
  std::string out = run("h2load -n 400 -c 2 -m 10 " + server.url("/load"));
  EXPECT_NE(out.find("400 succeeded, 0 failed, 0 errored"), std::string::npos) << out;
  EXPECT_NE(out.find("status codes: 400 2xx"), std::string::npos) << out;
}

// A raw client socket: writes bytes, reads frames until a condition or a deadline.
struct RawClient {
  net::io_context io;
  tcp::socket socket{io};
  std::string got;
  bool closed = false;
  explicit RawClient(uint16_t port) { socket.connect({kLoopback, port}); }
  void send(std::string_view bytes) { net::write(socket, net::buffer(bytes.data(), bytes.size())); }
  // Reads until `done(frames)` or the peer closes or 10 s pass.
  template <typename Done>
  std::vector<h2::Frame> read_until(Done done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!closed && std::chrono::steady_clock::now() < deadline) {
      auto frames = h2::frames(got);
      if (done(frames)) return frames;
      pollfd fd{socket.native_handle(), POLLIN, 0};
      if (::poll(&fd, 1, 100) <= 0) continue;
      char buf[16384];
      boost::system::error_code ec;
      size_t n = socket.read_some(net::buffer(buf), ec);
      got.append(buf, n);
      if (ec) closed = true;
    }
    return h2::frames(got);
  }
  std::vector<h2::Frame> read_until_closed() {
    return read_until([](const std::vector<h2::Frame>&) { return false; });
  }
};

bool has_type(const std::vector<h2::Frame>& frames, uint8_t type, uint32_t stream) {
  for (const auto& f : frames)
    if (f.type == type && f.stream == stream) return true;
  return false;
}

// Bytes that start like the preface but are not it: closed with no answer,
// as Envoy does (multiplexed_integration_test.cc BadMagic).
TEST(Http2Listener, BadPrefaceIsClosedWithoutAnswer) {
  EchoServer server;
  RawClient c(server.listener.port());
  c.send("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n");
  c.read_until_closed();
  EXPECT_TRUE(c.closed);
  EXPECT_EQ(c.got, "");
}

// Oversized headers reset only their stream (Envoy saveHeader:
// max_request_headers_kb 60 -> RST_STREAM INTERNAL_ERROR); a messaging error
// (upper-case name, RFC 9113 §8.2.1) ends that connection with GOAWAY
// PROTOCOL_ERROR (Envoy onInvalidFrame); another client's connection is unaffected.
TEST(Http2Listener, BadInputGetsErrorCodesAndSparesOtherConnections) {
  EchoServer server;
  RawClient good(server.listener.port());
  good.send(h2::client_start() + h2::get_headers(1));
  auto frames = good.read_until([](const auto& f) { return has_type(f, h2::kData, 1); });
  ASSERT_TRUE(has_type(frames, h2::kData, 1));

  RawClient big(server.listener.port());
  std::vector<std::pair<std::string, std::string>> fields = {
      {":method", "GET"}, {":scheme", "http"}, {":authority", "a"}, {":path", "/"}};
  for (int i = 0; i < 16; ++i) fields.emplace_back("x-big" + std::to_string(i), std::string(3900, 'b'));
  big.send(h2::client_start() + h2::split_headers(1, h2::block(fields)) + h2::get_headers(3));
  frames = big.read_until([](const auto& f) { return has_type(f, h2::kRstStream, 1) && has_type(f, h2::kData, 3); });
  auto rst = h2::find(frames, h2::kRstStream);
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->error_code(), static_cast<uint32_t>(Http2Error::kInternalError));
  EXPECT_TRUE(has_type(frames, h2::kData, 3)) << "the next stream on that connection is served";

  RawClient upper(server.listener.port());
  upper.send(h2::client_start() + h2::get_headers(1, {{"X-Upper", "1"}}));
  frames = upper.read_until_closed();
  EXPECT_TRUE(upper.closed);
  auto goaway = h2::find(frames, h2::kGoaway);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->error_code(), static_cast<uint32_t>(Http2Error::kProtocolError));

  // The first connection still serves streams.
  good.got.clear();
  good.send(h2::get_headers(3));
  frames = good.read_until([](const auto& f) { return has_type(f, h2::kData, 3); });
  EXPECT_TRUE(has_type(frames, h2::kData, 3));
}

// A flow-control violation on the connection (RFC 9113 §6.9.1: a window
// past 2^31-1) ends it with GOAWAY FLOW_CONTROL_ERROR.
TEST(Http2Listener, FlowControlAbuseGetsGoaway) {
  EchoServer server;
  RawClient c(server.listener.port());
  c.send(h2::client_start() + h2::frame(h2::kWindowUpdate, 0, 0, h2::u32(0x7fffffff)));
  auto frames = c.read_until_closed();
  auto goaway = h2::find(frames, h2::kGoaway);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->error_code(), static_cast<uint32_t>(Http2Error::kFlowControlError));
  EXPECT_TRUE(c.closed);
}

}  // namespace
}  // namespace meshsim::proxy::asio
