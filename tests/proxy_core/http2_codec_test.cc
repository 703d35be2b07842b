// The HTTP/2 codec (proxy_core/http2_codec.h) without sockets: our client
// codec against our server codec, and hand-made frames (http2_frames.h)
// against the server for what a broken or hostile peer sends. Each case
// names its source: an RFC 9113 section or Envoy's HTTP/2 codec on nghttp2
// (envoyproxy/envoy source/common/http/http2/codec_impl.cc).
#include <gtest/gtest.h>

#include "proxy_core/http2_codec.h"
#include "tests/proxy_core/http2_frames.h"

namespace meshsim::proxy {
namespace {

namespace h2 = meshsim::testing::h2;

// Moves bytes both ways until neither side has anything to say.
void pump(Http2ClientConnection& client, Http2ServerConnection& server) {
  for (int i = 0; i < 1000; ++i) {
    std::string up, down;
    client.write_to(up);
    if (!up.empty()) server.receive(up);
    server.write_to(down);
    if (!down.empty()) client.receive(down);
    if (up.empty() && down.empty()) return;
  }
}

// One request through client -> server, answered by `answer`, back to the client.
struct RoundTrip {
  HttpRequest seen;
  HttpResponse got;
};
RoundTrip round_trip(HttpRequest request, HttpResponse answer, Http2Settings settings = {}) {
  Http2ClientConnection client(settings);
  Http2ServerConnection server(settings);
  uint32_t id = client.submit(std::move(request));
  EXPECT_EQ(id, 1u);
  pump(client, server);
  auto requests = server.take_requests();
  EXPECT_EQ(requests.size(), 1u);
  RoundTrip out;
  if (requests.empty()) return out;
  out.seen = std::move(requests[0].request);
  server.respond(requests[0].stream_id, std::move(answer));
  pump(client, server);
  auto responses = client.take_responses();
  EXPECT_EQ(responses.size(), 1u);
  if (!responses.empty()) out.got = std::move(responses[0].response);
  return out;
}

std::vector<std::pair<std::string, std::string>> fields(const HeaderMap& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Header h : headers.all()) out.emplace_back(h.name, h.value);
  return out;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

// RFC 9113 §8.3.1: :method, :path, :authority carry what HTTP/1.1 put in the
// request line and Host; §8.2: names go out lower-case; §8.3.2 :status.
TEST(Http2Codec, RequestAndResponseRoundTrip) {
  HttpRequest request;
  request.method = "POST";
  request.target = "/a/b?c=d";
  request.authority = "bar.default.svc.cluster.local:80";
  request.headers.add("X-Request-Id", "abc");
  request.headers.add("Content-Type", "text/plain");
  request.body = "hello";
  HttpResponse answer;
  answer.status = 201;
  answer.headers.add("X-Served-By", "v1");
  answer.body = "world";
  RoundTrip t = round_trip(std::move(request), std::move(answer));
  EXPECT_EQ(t.seen.protocol, WireProtocol::kHttp2);
  EXPECT_EQ(t.seen.method, "POST");
  EXPECT_EQ(t.seen.target, "/a/b?c=d");
  EXPECT_EQ(t.seen.authority, "bar.default.svc.cluster.local:80");
  EXPECT_EQ(fields(t.seen.headers), (Fields{{"x-request-id", "abc"}, {"content-type", "text/plain"}}));
  EXPECT_EQ(t.seen.body, "hello");
  EXPECT_EQ(t.got.protocol, WireProtocol::kHttp2);
  EXPECT_EQ(t.got.status, 201);
  EXPECT_EQ(fields(t.got.headers), (Fields{{"x-served-by", "v1"}}));
  EXPECT_EQ(t.got.body, "world");
}

// RFC 9113 §8.2.2: connection-specific fields MUST NOT be sent; TE only as
// "trailers" (gRPC needs it end to end: grpc PROTOCOL-HTTP2.md). Fields the
// Connection field names go too (RFC 9110 §7.6.1), as does Host (it is :authority).
TEST(Http2Codec, ConnectionSpecificFieldsAreDroppedOnOutput) {
  struct Row {
    const char* name;
    const char* value;
    bool kept;
  } rows[] = {
      {"Connection", "x-hop", false}, {"Keep-Alive", "timeout=5", false}, {"Proxy-Connection", "keep-alive", false},
      {"Transfer-Encoding", "chunked", false}, {"Upgrade", "h2c", false}, {"HTTP2-Settings", "AAMAAABkAAQAAP__", false},
      {"X-Hop", "named by Connection", false}, {"Host", "other", false}, {"TE", "gzip", false},
      {"TE", "trailers", true}, {"X-Kept", "yes", true},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name + std::string(": ") + row.value);
    HttpRequest request;
    request.authority = "a";
    request.headers.add("Connection", "x-hop");
    if (std::string_view(row.name) != "Connection") request.headers.add(row.name, row.value);
    HttpResponse answer;
    answer.headers.add("Connection", "x-hop");
    if (std::string_view(row.name) != "Connection") answer.headers.add(row.name, row.value);
    RoundTrip t = round_trip(std::move(request), std::move(answer));
    EXPECT_EQ(t.seen.headers.has(row.name), row.kept);
    EXPECT_EQ(t.got.headers.has(row.name), row.kept);
    EXPECT_FALSE(t.seen.headers.has("connection"));
    EXPECT_EQ(t.seen.authority, "a");
  }
}

// RFC 9113 §8.3.1: a request without :authority takes Host's value (the
// h2 server side of an HTTP/1.1 client's Host); §8.2.3: cookie crumbs are
// joined with "; " before an HTTP/1.1 hop (Envoy reconstituteCrumbledCookies).
TEST(Http2Codec, HostStandsInForAuthorityAndCookiesAreJoined) {
  Http2ServerConnection server;
  std::string in = h2::client_start() +
                   h2::frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1,
                             h2::block({{":method", "GET"}, {":scheme", "http"}, {":path", "/x"}, {"host", "h.example"},
                                        {"cookie", "a=1"}, {"accept", "*/*"}, {"cookie", "b=2"}}));
  ASSERT_TRUE(server.receive(in).ok);
  auto requests = server.take_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].request.authority, "h.example");
  EXPECT_FALSE(requests[0].request.headers.has("host"));
  EXPECT_EQ(requests[0].request.headers.get("cookie"), "a=1; b=2");
}

// RFC 9113 §8.1: trailers are a HEADERS frame with END_STREAM after DATA,
// both ways; a gRPC error answer is Trailers-Only (one HEADERS, END_STREAM;
// grpc PROTOCOL-HTTP2.md), which our codec sends for a body-less response.
TEST(Http2Codec, TrailersBothWays) {
  HttpRequest request;
  request.method = "POST";
  request.target = "/pkg.Svc/Call";
  request.authority = "svc";
  request.headers.add("te", "trailers");
  request.headers.add("content-type", "application/grpc");
  request.body = std::string("\0\0\0\0\x02hi", 7);
  request.trailers.add("x-request-trailer", "1");
  HttpResponse answer;
  answer.headers.add("content-type", "application/grpc");
  answer.body = std::string("\0\0\0\0\x02ok", 7);
  answer.trailers.add("grpc-status", "0");
  answer.trailers.add("grpc-message", "fine");
  RoundTrip t = round_trip(std::move(request), std::move(answer));
  EXPECT_EQ(t.seen.body.size(), 7u);
  EXPECT_EQ(t.seen.headers.get("te"), "trailers");
  EXPECT_EQ(fields(t.seen.trailers), (Fields{{"x-request-trailer", "1"}}));
  EXPECT_EQ(t.got.body.size(), 7u);
  EXPECT_EQ(fields(t.got.trailers), (Fields{{"grpc-status", "0"}, {"grpc-message", "fine"}}));

  // Trailers-Only: grpc-status in the only HEADERS frame.
  Http2ServerConnection server;
  ASSERT_TRUE(server.receive(h2::client_start() + h2::get_headers(1)).ok);
  std::string out;
  server.write_to(out);
  auto requests = server.take_requests();
  ASSERT_EQ(requests.size(), 1u);
  HttpResponse only;
  only.headers.add("content-type", "application/grpc");
  only.headers.add("grpc-status", "14");
  server.respond(1, std::move(only));
  out.clear();
  server.write_to(out);
  auto sent = h2::frames(out);
  auto headers = h2::find(sent, h2::kHeaders);
  ASSERT_TRUE(headers);
  EXPECT_TRUE(headers->flags & h2::kEndStream);
  EXPECT_FALSE(h2::find(sent, h2::kData));
}

// RFC 9113 §5.1.2 / §5: many streams share one connection, answered in any order.
TEST(Http2Codec, ManyConcurrentStreamsAnsweredOutOfOrder) {
  Http2ClientConnection client;
  Http2ServerConnection server;
  constexpr int kStreams = 200;
  for (int i = 0; i < kStreams; ++i) {
    HttpRequest r;
    r.target = "/" + std::to_string(i);
    r.authority = "a";
    ASSERT_NE(client.submit(std::move(r)), 0u);
  }
  pump(client, server);
  auto requests = server.take_requests();
  ASSERT_EQ(requests.size(), size_t{kStreams});
  for (auto it = requests.rbegin(); it != requests.rend(); ++it) {
    HttpResponse answer;
    answer.body = it->request.target;
    server.respond(it->stream_id, std::move(answer));
  }
  pump(client, server);
  auto responses = client.take_responses();
  ASSERT_EQ(responses.size(), size_t{kStreams});
  for (const auto& r : responses) EXPECT_EQ(r.response.body, "/" + std::to_string((r.stream_id - 1) / 2));
  EXPECT_EQ(client.open_streams(), 0u);
  EXPECT_EQ(server.open_streams(), 0u);
}

// RFC 9113 §5.2 / §6.9: a body larger than the peer's windows flows as
// WINDOW_UPDATEs open them (the RFC's initial 65,535-byte windows here).
TEST(Http2Codec, LargeBodiesFollowFlowControl) {
  Http2Settings small;
  small.initial_stream_window_size = 65535;
  small.initial_connection_window_size = 65535;
  HttpRequest request;
  request.method = "PUT";
  request.authority = "a";
  request.body.assign(1 << 20, 'q');
  HttpResponse answer;
  answer.body.assign((1 << 20) + 7, 'r');
  RoundTrip t = round_trip(std::move(request), std::move(answer), small);
  EXPECT_EQ(t.seen.body.size(), size_t{1} << 20);
  EXPECT_EQ(t.got.body.size(), (size_t{1} << 20) + 7);
}

// A HEAD answer keeps the Content-Length a GET would have, with no body
// (RFC 9110 §9.3.2), as the HTTP/1.1 codec keeps it.
TEST(Http2Codec, HeadResponseKeepsContentLength) {
  HttpRequest request;
  request.method = "HEAD";
  request.authority = "a";
  HttpResponse answer;
  answer.headers.add("content-length", "42");
  RoundTrip t = round_trip(std::move(request), std::move(answer));
  EXPECT_EQ(t.got.headers.get("content-length"), "42");
  EXPECT_TRUE(t.got.body.empty());
}

// Envoy's codec auto-detection (conn_manager_utility.cc determineNextProtocol):
// HTTP/2 when the first bytes start with "PRI * HTTP/2" (CLIENT_MAGIC_PREFIX).
TEST(Http2Codec, PrefaceDetection) {
  EXPECT_EQ(starts_http2_preface(h2::kPreface), true);
  EXPECT_EQ(starts_http2_preface("PRI * HTTP/2"), true);
  EXPECT_EQ(starts_http2_preface("PRI * HT"), std::nullopt);
  EXPECT_EQ(starts_http2_preface(""), std::nullopt);
  EXPECT_EQ(starts_http2_preface("GET / HTTP/1.1\r\n"), false);
  EXPECT_EQ(starts_http2_preface("PRX"), false);
}

// Bad input, one row each: the bytes after the preface and SETTINGS, and
// what the server must send back. `connection_ends` = GOAWAY with `code`;
// otherwise RST_STREAM `code` on stream 1 and the connection lives on.
struct BadInput {
  const char* what;
  const char* source;
  std::string bytes;
  bool connection_ends;
  Http2Error code;
  Http2Settings settings = {};
};

std::vector<BadInput> bad_inputs() {
  Http2Settings stream_errors;
  stream_errors.stream_error_on_invalid_http_messaging = true;
  Http2Settings small_window;
  small_window.initial_stream_window_size = 1000;  // in force once the client ACKs our SETTINGS
  Fields many;
  for (int i = 0; i < 101; ++i) many.emplace_back("x-f" + std::to_string(i), "v");
  Fields big = {{":method", "GET"}, {":scheme", "http"}, {":authority", "a"}, {":path", "/"}};
  for (int i = 0; i < 16; ++i) big.emplace_back("x-big" + std::to_string(i), std::string(3900, 'b'));
  return {
      {"upper-case field name", "RFC 9113 §8.2.1; Envoy onInvalidFrame (messaging error ends the connection)",
       h2::get_headers(1, {{"X-Upper", "1"}}), true, Http2Error::kProtocolError},
      {"upper-case name, stream errors on", "Envoy stream_error_on_invalid_http_messaging: true",
       h2::get_headers(1, {{"X-Upper", "1"}}), false, Http2Error::kProtocolError, stream_errors},
      {"connection field", "RFC 9113 §8.2.2", h2::get_headers(1, {{"connection", "keep-alive"}}), true,
       Http2Error::kProtocolError},
      {"transfer-encoding field", "RFC 9113 §8.2.2", h2::get_headers(1, {{"transfer-encoding", "chunked"}}), true,
       Http2Error::kProtocolError},
      {"te other than trailers", "RFC 9113 §8.2.2", h2::get_headers(1, {{"te", "gzip"}}), true,
       Http2Error::kProtocolError},
      {"te: trailers is fine... but :path missing", "RFC 9113 §8.3.1 (required pseudo-headers)",
       h2::frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1,
                 h2::block({{":method", "GET"}, {":scheme", "http"}, {"te", "trailers"}})),
       true, Http2Error::kProtocolError},
      {"101 header fields", "Envoy saveHeader: max_headers_count 100 -> TEMPORAL_CALLBACK_FAILURE -> RST_STREAM",
       h2::get_headers(1, many), false, Http2Error::kInternalError},
      {"61 KiB of headers (HEADERS + CONTINUATION)", "Envoy saveHeader: max_request_headers_kb 60 -> RST_STREAM",
       h2::split_headers(1, h2::block(big)), false, Http2Error::kInternalError},
      {"DATA on stream 0", "RFC 9113 §6.1", h2::frame(h2::kData, 0, 0, "x"), true, Http2Error::kProtocolError},
      {"HEADERS on an even stream id", "RFC 9113 §5.1.1", h2::get_headers(2), true, Http2Error::kProtocolError},
      {"DATA frame over SETTINGS_MAX_FRAME_SIZE", "RFC 9113 §4.2",
       h2::get_headers(1, {}, false) + h2::frame(h2::kData, 0, 1, std::string(16385, 'x')), true,
       Http2Error::kFrameSizeError},
      {"WINDOW_UPDATE of 0", "RFC 9113 §6.9", h2::frame(h2::kWindowUpdate, 0, 0, h2::u32(0)), true,
       Http2Error::kProtocolError},
      {"connection window past 2^31-1", "RFC 9113 §6.9.1",
       h2::frame(h2::kWindowUpdate, 0, 0, h2::u32(0x7fffffff)), true, Http2Error::kFlowControlError},
      {"DATA beyond the stream's flow-control window", "RFC 9113 §6.9, §5.4.2 (a stream error)",
       h2::frame(h2::kSettings, h2::kAck, 0, "") + h2::get_headers(1, {}, false) +
           h2::frame(h2::kData, 0, 1, std::string(16000, 'x')),
       false, Http2Error::kFlowControlError, small_window},
      {"SETTINGS with a bad length", "RFC 9113 §6.5", h2::frame(h2::kSettings, 0, 0, "12345"), true,
       Http2Error::kFrameSizeError},
      {"PING on a stream", "RFC 9113 §6.7", h2::frame(h2::kPing, 0, 1, "12345678"), true, Http2Error::kProtocolError},
  };
}

TEST(Http2Codec, BadInputGetsTheRightErrorCode) {
  for (const BadInput& row : bad_inputs()) {
    SCOPED_TRACE(std::string(row.what) + " (" + row.source + ")");
    Http2ServerConnection server(row.settings);
    Http2Status status = server.receive(h2::client_start() + row.bytes);
    std::string out;
    server.write_to(out);
    auto sent = h2::frames(out);
    auto goaway = h2::find(sent, h2::kGoaway);
    auto rst = h2::find(sent, h2::kRstStream);
    if (row.connection_ends) {
      EXPECT_FALSE(status.ok);
      ASSERT_TRUE(goaway);
      EXPECT_EQ(goaway->error_code(), static_cast<uint32_t>(row.code));
      EXPECT_TRUE(server.finished());
    } else {
      EXPECT_TRUE(status.ok) << status.error;
      EXPECT_FALSE(goaway);
      ASSERT_TRUE(rst);
      EXPECT_EQ(rst->stream, 1u);
      EXPECT_EQ(rst->error_code(), static_cast<uint32_t>(row.code));
      EXPECT_TRUE(server.take_requests().empty());
      // The connection still serves the next stream.
      ASSERT_TRUE(server.receive(h2::get_headers(3)).ok);
      auto next = server.take_requests();
      ASSERT_EQ(next.size(), 1u);
      EXPECT_EQ(next[0].stream_id, 3u);
    }
  }
}

// A client that does not start with the preface is not spoken to: nghttp2
// fails with BAD_CLIENT_MAGIC and Envoy closes without a response
// (test/integration/multiplexed_integration_test.cc BadMagic).
TEST(Http2Codec, BadPrefaceClosesWithoutAReply) {
  Http2ServerConnection server;
  Http2Status status = server.receive("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + h2::frame(h2::kSettings, 0, 0, ""));
  EXPECT_FALSE(status.ok);
  EXPECT_FALSE(status.goaway);
  std::string out;
  server.write_to(out);
  // Nothing but the SETTINGS the server opened with (queued before any byte arrived).
  for (const auto& f : h2::frames(out)) EXPECT_EQ(f.type, h2::kSettings);
  EXPECT_TRUE(server.finished());
}

// SETTINGS_MAX_CONCURRENT_STREAMS (Envoy default 1024): a client that opens
// more than we allow has the extra stream refused (RFC 9113 §5.1.2:
// PROTOCOL_ERROR or REFUSED_STREAM; nghttp2 refuses before our SETTINGS is
// acknowledged).
TEST(Http2Codec, StreamsBeyondTheLimitAreRefused) {
  Http2Settings two;
  two.max_concurrent_streams = 2;
  Http2ServerConnection server(two);
  std::string in = h2::client_start() + h2::get_headers(1, {}, false) + h2::get_headers(3, {}, false) +
                   h2::get_headers(5, {}, false);
  ASSERT_TRUE(server.receive(in).ok);
  std::string out;
  server.write_to(out);
  auto rst = h2::find(h2::frames(out), h2::kRstStream);
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->stream, 5u);
  EXPECT_TRUE(rst->error_code() == static_cast<uint32_t>(Http2Error::kRefusedStream) ||
              rst->error_code() == static_cast<uint32_t>(Http2Error::kProtocolError));
  EXPECT_EQ(server.open_streams(), 2u);
}

// A request body over the limit gets 413, as Envoy's connection manager
// answers a request that overflows its buffer; the connection lives on.
TEST(Http2Codec, OversizedBodyGets413) {
  Http2Settings small;
  small.body_bytes_max = 10;
  HttpRequest request;
  request.method = "POST";
  request.authority = "a";
  request.body.assign(100, 'x');
  Http2ClientConnection client;
  Http2ServerConnection server(small);
  client.submit(std::move(request));
  pump(client, server);
  EXPECT_TRUE(server.take_requests().empty());
  auto responses = client.take_responses();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].response.status, 413);
}

// The client side sees a peer's RST_STREAM and GOAWAY: streams the GOAWAY
// leaves out end as resets, and no new stream starts (RFC 9113 §6.8).
TEST(Http2Codec, ClientSeesResetsAndGoaway) {
  Http2ClientConnection client;
  Http2ServerConnection server;
  HttpRequest a, b;
  a.authority = b.authority = "x";
  client.submit(std::move(a));
  client.submit(std::move(b));
  pump(client, server);
  auto requests = server.take_requests();
  ASSERT_EQ(requests.size(), 2u);
  server.reset(requests[0].stream_id, Http2Error::kRefusedStream);
  pump(client, server);
  auto resets = client.take_resets();
  ASSERT_EQ(resets.size(), 1u);
  EXPECT_EQ(resets[0].stream_id, 1u);
  EXPECT_EQ(resets[0].code, Http2Error::kRefusedStream);
  server.shut_down();
  HttpResponse answer;
  server.respond(requests[1].stream_id, std::move(answer));
  pump(client, server);
  EXPECT_EQ(client.take_responses().size(), 1u);  // stream 3 was under the GOAWAY's last id
  EXPECT_EQ(client.goaway_received(), Http2Error::kNoError);
  EXPECT_FALSE(client.can_submit());
  HttpRequest c;
  EXPECT_EQ(client.submit(std::move(c)), 0u);
}

}  // namespace
}  // namespace meshsim::proxy
