// The Beast-based codec over byte buffers (sans-IO).
#include "proxy_core/codec.h"

#include <gtest/gtest.h>

namespace meshsim::proxy {
namespace {

TEST(Codec, ParsesKeepAliveStreamInPieces) {
  std::string stream =
      "POST /a?x=1 HTTP/1.1\r\nHost: bar:80\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello"
      "GET /b HTTP/1.1\r\nHost: foo\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  RequestDecoder decoder;
  std::vector<HttpRequest> got;
  // Feed one byte at a time: the parser must keep state across calls.
  std::string buffered;
  for (char c : stream) {
    buffered += c;
    std::string_view view = buffered;
    DecodeOutcome o = decoder.feed(view);
    buffered.erase(0, buffered.size() - view.size());
    ASSERT_NE(o.kind, DecodeOutcome::Kind::kError) << o.error;
    if (o.kind == DecodeOutcome::Kind::kMessage) got.push_back(decoder.take());
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/a?x=1");
  EXPECT_EQ(got[0].path(), "/a");
  EXPECT_EQ(got[0].query(), "x=1");
  EXPECT_EQ(got[0].authority, "bar:80");
  EXPECT_EQ(got[0].body, "hello");
  EXPECT_EQ(got[0].headers.get_joined("x-a").value_or(""), "1,2");
  EXPECT_EQ(got[1].body, "abc");
  EXPECT_TRUE(decoder.keep_alive());
}

TEST(Codec, LimitsGive431And413) {
  CodecLimits limits;
  limits.header_bytes_max = 100;
  limits.body_bytes_max = 10;
  HttpRequest r;
  DecodeOutcome o;
  RequestDecoder big_headers(limits);
  std::string a = "GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(200, 'a') + "\r\n\r\n";
  std::string_view va = a;
  EXPECT_EQ(big_headers.feed(va).error_status, 431);
  RequestDecoder big_body(limits);
  std::string b = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world";
  std::string_view vb = b;
  EXPECT_EQ(big_body.feed(vb).error_status, 413);
  EXPECT_FALSE(parse_request("NOT HTTP\r\n\r\n", r, &o));
  EXPECT_EQ(o.error_status, 400);
}

TEST(Codec, RoundTrip) {
  HttpRequest r;
  r.method = "PUT";
  r.target = "/x";
  r.authority = "bar";
  r.headers.add("User-Agent", "mobile");
  r.body = "data";
  HttpRequest back;
  ASSERT_TRUE(parse_request(serialize(r), back));
  EXPECT_EQ(back.method, "PUT");
  EXPECT_EQ(back.authority, "bar");
  EXPECT_EQ(back.headers.get("user-agent").value_or(""), "mobile");
  EXPECT_EQ(back.body, "data");
  HttpResponse resp;
  resp.status = 503;
  resp.body = "no healthy upstream";
  HttpResponse rback;
  ASSERT_TRUE(parse_response(serialize(resp), rback));
  EXPECT_EQ(rback.status, 503);
  EXPECT_EQ(rback.body, "no healthy upstream");
}

TEST(PathNormalization, AsEnvoyBaseNormalization) {
  // Istio authz_test.go path normalization cases: dot segments and %2E.
  EXPECT_EQ(normalize_path("/public/../private"), "/private");
  EXPECT_EQ(normalize_path("/public/%2E%2E/private"), "/private");
  EXPECT_EQ(normalize_path("/a/./b/"), "/a/b/");
  EXPECT_EQ(normalize_path("/store//cart"), "/store//cart");
}

}  // namespace
}  // namespace meshsim::proxy

namespace meshsim::proxy {
namespace {

// RFC 9110 9.3.2: a response to HEAD carries the GET response's headers,
// Content-Length included, and no body.
TEST(CodecHead, ResponseToHeadEndsAfterTheHeadersAndKeepsItsContentLength) {
  ResponseDecoder decoder;
  decoder.expect_headers_only();
  std::string_view bytes = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n";
  ASSERT_EQ(decoder.feed(bytes).kind, DecodeOutcome::Kind::kMessage);
  HttpResponse head = decoder.take();
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(serialize(head), "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n");
  // The next response on the connection is framed normally again.
  std::string_view next = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
  ASSERT_EQ(decoder.feed(next).kind, DecodeOutcome::Kind::kMessage);
  EXPECT_EQ(decoder.take().body, "ok");
}

TEST(Codec, HopByHopFieldsStopAtTheCodec) {
  // RFC 9110 §7.6.1; Envoy's HTTP connection manager clears connection,
  // keep-alive, proxy-connection and upgrade on both sides
  // (envoyproxy/envoy#33593). The decoder still honours them for the
  // connection it reads from.
  RequestDecoder requests;
  std::string_view request =
      "GET / HTTP/1.1\r\nHost: bar\r\nConnection: close\r\nProxy-Connection: x\r\nx-kept: 1\r\n\r\n";
  ASSERT_EQ(requests.feed(request).kind, DecodeOutcome::Kind::kMessage);
  HttpRequest r = requests.take();
  EXPECT_FALSE(requests.keep_alive());
  EXPECT_FALSE(r.headers.has("connection"));
  EXPECT_FALSE(r.headers.has("proxy-connection"));
  EXPECT_EQ(r.headers.get("x-kept"), "1");
  HttpResponse resp;
  ASSERT_TRUE(parse_response("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
                             "Content-Length: 2\r\n\r\nok",
                             resp));
  EXPECT_EQ(resp.headers.size(), 0u);
  EXPECT_EQ(resp.body, "ok");
}

TEST(Codec, WritesNoLineBreakFromOutsideTheHeaderMap) {
  // The request line and Host come from the request's own strings (a rewrite
  // from configuration can set them): CR or LF there would split the message.
  HttpRequest r;
  r.method = "GET";
  r.target = "/a\r\nx-injected: 1";
  r.authority = "bar\nx-injected: 2";
  r.headers.add("x-seen", "1");
  EXPECT_EQ(serialize(r), "GET /a  x-injected: 1 HTTP/1.1\r\nhost: bar x-injected: 2\r\nx-seen: 1\r\ncontent-length: 0\r\n\r\n");
}

TEST(CodecHead, AStatedContentLengthNeverFramesABody) {
  HttpResponse r;
  r.headers.set("content-length", "999");
  r.body = "abc";
  EXPECT_EQ(serialize(r), "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc");
  r.body.clear();
  r.headers.set("content-length", "12\r\nx-injected: 1");
  EXPECT_EQ(serialize(r), "HTTP/1.1 200 OK\r\ncontent-length: 121\r\n\r\n");  // digits only
}

// Found by http_response_fuzz: Beast accepts any three digits as a status.
// Envoy's HTTP/1 parser (BalsaParser: a status below 100 is
// HPE_INVALID_STATUS) refuses the response as a protocol error.
TEST(CodecResponse, AStatusBelow100IsAProtocolError) {
  HttpResponse response;
  EXPECT_FALSE(parse_response("HTTP/1.1 000 OK\r\nContent-Length: 0\r\n\r\n", response));
  EXPECT_FALSE(parse_response("HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n", response));
  EXPECT_TRUE(parse_response("HTTP/1.1 100 Continue\r\n\r\n", response));
}

}  // namespace
}  // namespace meshsim::proxy
