// The whole-message fast path (proxy_core/whole_message_parser.h) against
// Beast's parser (codec.cc's streaming decoders, which never take the fast
// path): on every input, parse_request/parse_response must answer exactly
// what Beast answers, and the fast path must take the messages the
// simulated world writes. Inputs: hand-written edge cases (RFC 9112 §5
// field syntax, §6.3 framing) and seeded byte mutations of them.
#include "proxy_core/whole_message_parser.h"

#include <gtest/gtest.h>

#include <random>

#include "proxy_core/codec.h"

namespace meshsim::proxy {
namespace {

std::vector<std::pair<std::string, std::string>> fields_of(const HeaderMap& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Header h : headers.all()) out.emplace_back(h.name, h.value);
  return out;
}

// What a decoder makes of `bytes` as one message, and whether the
// connection stays open after it: nullopt when it is no whole message. With
// `beast`, the first byte goes alone, so the decoder has begun the message
// with Beast (the fast path takes only a message that is all there).
template <typename Decoder>
auto decode(std::string_view bytes, bool beast) -> std::optional<std::pair<typename Decoder::Message, bool>> {
  Decoder decoder;
  if (bytes.empty()) return std::nullopt;
  DecodeOutcome o;
  if (beast) {
    std::string_view first = bytes.substr(0, 1);
    o = decoder.feed(first);
    if (o.kind == DecodeOutcome::Kind::kError) return std::nullopt;
    if (first.empty()) bytes.remove_prefix(1);  // taken (the parser keeps no copy of what it did not take)
  }
  if (o.kind == DecodeOutcome::Kind::kNeedMore) o = decoder.feed(bytes);
  if (o.kind != DecodeOutcome::Kind::kMessage) return std::nullopt;
  auto message = decoder.take();
  return std::make_pair(std::move(message), decoder.keep_alive());
}
std::optional<HttpRequest> beast_request(std::string_view bytes) {
  auto got = decode<RequestDecoder>(bytes, true);
  return got ? std::optional<HttpRequest>(std::move(got->first)) : std::nullopt;
}
std::optional<HttpResponse> beast_response(std::string_view bytes) {
  auto got = decode<ResponseDecoder>(bytes, true);
  return got ? std::optional<HttpResponse>(std::move(got->first)) : std::nullopt;
}
// The decoders, fast path or not, keep a connection open exactly when Beast does.
template <typename Decoder>
void expect_same_keep_alive(std::string_view bytes) {
  auto beast = decode<Decoder>(bytes, true);
  auto either = decode<Decoder>(bytes, false);
  ASSERT_EQ(either.has_value(), beast.has_value()) << testing::PrintToString(std::string(bytes));
  if (beast) {
    EXPECT_EQ(either->second, beast->second) << testing::PrintToString(std::string(bytes));
  }
}

void expect_same_request(const std::string& bytes) {
  expect_same_keep_alive<RequestDecoder>(bytes);
  std::optional<HttpRequest> beast = beast_request(bytes);
  HttpRequest ours;
  bool parsed = parse_request(bytes, ours);
  ASSERT_EQ(parsed, beast.has_value()) << testing::PrintToString(bytes);
  if (!parsed) return;
  EXPECT_EQ(ours.method, beast->method) << testing::PrintToString(bytes);
  EXPECT_EQ(ours.target, beast->target) << testing::PrintToString(bytes);
  EXPECT_EQ(ours.authority, beast->authority) << testing::PrintToString(bytes);
  EXPECT_EQ(fields_of(ours.headers), fields_of(beast->headers)) << testing::PrintToString(bytes);
  EXPECT_EQ(ours.body, beast->body) << testing::PrintToString(bytes);
}

void expect_same_response(const std::string& bytes) {
  expect_same_keep_alive<ResponseDecoder>(bytes);
  std::optional<HttpResponse> beast = beast_response(bytes);
  HttpResponse ours;
  bool parsed = parse_response(bytes, ours);
  ASSERT_EQ(parsed, beast.has_value()) << testing::PrintToString(bytes);
  if (!parsed) return;
  EXPECT_EQ(ours.status, beast->status) << testing::PrintToString(bytes);
  EXPECT_EQ(fields_of(ours.headers), fields_of(beast->headers)) << testing::PrintToString(bytes);
  EXPECT_EQ(ours.body, beast->body) << testing::PrintToString(bytes);
}

const std::vector<std::string> kRequests = {
    // What a sidecar hop writes (codec.cc serialize).
    "GET / HTTP/1.1\r\nhost: bar\r\nuser-agent: Mozilla/5.0 (Macintosh) Chrome/66.0\r\nx-request-id: "
    "0a1b2c3d-0000-1111-2222-333344445555\r\nx-b3-traceid: 0123456789abcdef0123456789abcdef\r\nx-b3-sampled: "
    "1\r\ncontent-length: 0\r\n\r\n",
    "POST /a?x=1 HTTP/1.1\r\nHost: bar:80\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello",
    "GET /x HTTP/1.1\r\n\r\n",                                     // no Host, no body
    "GET /x HTTP/1.1\r\nA:\r\nB:   \r\nC: \t v \t \r\n\r\n",      // empty and padded values (RFC 9112 §5.1 OWS)
    "GET /x HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n",                  // obs-fold (§5.2)
    "GET /x HTTP/1.1\r\nA : 1\r\n\r\n",                            // space before the colon (§5.1: 400)
    "GET /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "GET /x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
    "GET /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\nabc",
    "GET /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc",            // body not all there
    "GET /x HTTP/1.1\r\nConnection: close\r\nKeep-Alive: 5\r\n\r\n",
    "GET /x HTTP/1.1\r\nConnection: Keep-Alive\r\nKeep-Alive: 5\r\nUpgrade: h2c\r\n\r\n",
    "GET /x HTTP/1.1\r\nConnection: keep-alive\r\nProxy-Connection: close\r\n\r\n",
    "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "GET /x HTTP/1.0\r\nHost: a\r\n\r\n",
    "GET http://a/x HTTP/1.1\r\nHost: b\r\n\r\n",                  // absolute-form
    "get /x HTTP/1.1\r\n\r\n",
    "GET /x HTTP/1.1\r\nA: caf\xc3\xa9\r\n\r\n",                   // obs-text
    "GET /x HTTP/1.1\r\nA: 1\x7f\r\n\r\n",
    "GET /x HTTP/1.1\r\nA: 1\rB: 2\r\n\r\n",
    "GET /x HTTP/1.1\nA: 1\n\n",
    "GET /x HTTP/1.1\r\nA: 1\r\n\r\nGET /y HTTP/1.1\r\n\r\n",      // a second request after it
};

const std::vector<std::string> kResponses = {
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-envoy-upstream-service-time: 3\r\nserver: envoy\r\ncontent-length: "
    "6\r\n\r\nbar v1",
    "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 19\r\n\r\nno healthy upstream",
    "HTTP/1.1 200 \r\ncontent-length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\n\r\nto the end",                            // framed by the connection's end
    "HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n",
    "HTTP/1.1 304 Not Modified\r\n\r\n",
    "HTTP/1.1 100 Continue\r\n\r\n",
    "HTTP/1.1 099 Low\r\ncontent-length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nHost: x\r\nContent-Length: 2\r\n\r\nokEXTRA",
    "HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok",
    // What nginx answers (the peers run's upstream): Connection: keep-alive.
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sat, 05 Dec 2026 17:33:00 GMT\r\nContent-Type: "
    "text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\nKeep-Alive: timeout=5\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, Upgrade\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nA: 1\r\n\tfolded\r\ncontent-length: 2\r\n\r\nok",
};

TEST(WholeMessageParser, TakesWhatTheWorldWrites) {
  HttpRequest request;
  EXPECT_TRUE(parse_whole_request(kRequests[0], CodecLimits{}, request));
  EXPECT_EQ(request.authority, "bar");
  HttpResponse response;
  EXPECT_TRUE(parse_whole_response(kResponses[0], CodecLimits{}, response));
  EXPECT_EQ(response.body, "bar v1");
}

TEST(WholeMessageParser, AnswersAsBeastOnEdgeCases) {
  for (const auto& r : kRequests) expect_same_request(r);
  for (const auto& r : kResponses) expect_same_response(r);
}

// The fast path scans a value eight bytes at a time and resumes byte by
// byte where a word stops being field content (RFC 9112 5.5: VCHAR, SP,
// HTAB; obs-text goes to Beast); a name must be a token (RFC 9110 5.6.2
// tchar). Every byte value at every place of the first words of a name and
// of a value: each answer must equal Beast's.
TEST(WholeMessageParser, AnswersAsBeastOnEveryByteAtEveryPlaceOfAWord) {
  const std::string name = "x-abcdefghijklmnopq", value = "abcdefghijklmnopqrs";
  for (size_t at = 0; at < 17; ++at) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string n = name, v = value;
      n[at] = static_cast<char>(byte);
      v[at] = static_cast<char>(byte);
      expect_same_request("GET / HTTP/1.1\r\n" + n + ": 1\r\ncontent-length: 0\r\n\r\n");
      expect_same_request("GET / HTTP/1.1\r\nx-a: " + v + "\r\ncontent-length: 0\r\n\r\n");
      expect_same_response("HTTP/1.1 200 OK\r\n" + n + ": " + v + "\r\ncontent-length: 0\r\n\r\n");
    }
  }
}

// Seeded single-byte edits of every case: each answer must equal Beast's.
TEST(WholeMessageParser, AnswersAsBeastOnMutations) {
  constexpr std::string_view kAlphabet = " \t\r\n:;,/\"=0159AZaz-\x7f\x80\xff";
  std::mt19937 rng(20);
  auto mutate = [&](std::string s) {
    if (s.empty()) return s;
    size_t at = rng() % s.size();
    switch (rng() % 3) {
      case 0: s[at] = kAlphabet[rng() % kAlphabet.size()]; break;
      case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), kAlphabet[rng() % kAlphabet.size()]); break;
      default: s.erase(at, 1); break;
    }
    return s;
  };
  int fast = 0, refused = 0;  // the mutations reach both sides of the fast path
  for (int round = 0; round < 150; ++round) {
    for (const auto& r : kRequests) {
      std::string bytes = mutate(r);
      expect_same_request(bytes);
      HttpRequest request;
      fast += parse_whole_request(bytes, CodecLimits{}, request);
      refused += !beast_request(bytes);
    }
    for (const auto& r : kResponses) {
      std::string bytes = mutate(r);
      expect_same_response(bytes);
      HttpResponse response;
      fast += parse_whole_response(bytes, CodecLimits{}, response);
      refused += !beast_response(bytes);
    }
  }
  EXPECT_GT(fast, 500);
  EXPECT_GT(refused, 500);
  RecordProperty("fast_path", fast);
  RecordProperty("refused_by_beast", refused);
}

}  // namespace
}  // namespace meshsim::proxy
