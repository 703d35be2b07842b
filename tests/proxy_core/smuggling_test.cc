// Request smuggling and framing, one row per attack, each checked against
// what Envoy (the HTTP/1 codec Istio's sidecars run: the balsa parser, which
// current Envoy uses by default, under source/common/http/http1/codec_impl.cc)
// answers to the same bytes, with RFC 9112 where Envoy leaves a choice.
//
// Every row runs through the codec alone (the path the simulated network
// takes, parse_request -> MessageDecoder, whole and a byte at a time) and
// live, on 127.0.0.1, through the proxy core as `meshsim proxy` runs it:
// the Asio listener, the outbound Sidecar and the upstream pool, to a real
// upstream that records what reaches it. A rejected
// row must get Envoy's status, a closed connection, and nothing upstream (or
// only the legitimate request before the smuggled one). Bounded waits only.
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "proxy_core/asio/asio_adapter.h"
#include "proxy_core/codec.h"

namespace meshsim::proxy {
namespace {

struct Row {
  std::string name;
  std::string bytes;
  int envoy_status;       // what Envoy answers; 200: it forwards the request
  int forwarded;          // requests Envoy passes to the upstream
  std::string upstream_target = "";  // the target the upstream sees (forwarded rows)
  int meshsim_status = 0;            // only where meshsim knowingly answers otherwise
  std::string source = "";
  // Beast sees a bare LF only when the header block arrives whole; fed a byte
  // at a time it waits for a CRLF that never comes, and the listener's
  // request timeout closes the connection. Either way nothing is forwarded.
  bool whole_only = false;
  int expected_status() const { return meshsim_status ? meshsim_status : envoy_status; }
  // Where meshsim refuses what Envoy forwards, nothing is forwarded.
  int expected_forwarded() const { return meshsim_status && envoy_status == 200 ? 0 : forwarded; }
};

constexpr const char* kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: bar\r\n\r\n";

std::string post(std::string fields, std::string body) {
  return "POST /p HTTP/1.1\r\nHost: bar\r\n" + fields + "\r\n" + body;
}
std::string chunk(std::string_view data) {
  char size[20];
  snprintf(size, sizeof size, "%zx", data.size());
  return std::string(size) + "\r\n" + std::string(data) + "\r\n";
}
std::string many_fields(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += "x-f" + std::to_string(i) + ": v\r\n";
  return out;
}

// Sources, shortened in the rows below:
//  onHeadersCompleteBase = envoy source/common/http/http1/codec_impl.cc
//    ConnectionImpl::onHeadersCompleteBase ("Envoy should reject transfer-codings
//    it does not understand": value not exactly "chunked" -> 501 NotImplemented;
//    repeated fields are joined with ',' by the header map).
//  onHeadersComplete = codec_impl.cc ServerConnectionImpl::onHeadersComplete
//    (Transfer-Encoding with Content-Length -> 400 unless allow_chunked_length,
//    off by default: http1/settings.cc parseHttp1Settings).
//  completeLastHeader = codec_impl.cc ConnectionImpl::completeLastHeader
//    (more than max_headers_count, default 100 -> 431 TooManyHeaders).
//  balsa = envoy http1/balsa_parser.cc BalsaParser::BalsaParser policy
//    (disallow_multiple_content_length = true, disallow_header_continuation_lines
//    = false, validate_transfer_encoding = false) over quiche
//    quiche/balsa/balsa_frame.cc (ProcessHeaderLines, ProcessInput chunk states).
//  handlePath = codec_impl.cc ServerConnectionImpl::handlePath
//    (allow_absolute_url defaults to true: Host from the URL; invalid URL -> 400).
//  hcm = envoy source/common/http/conn_manager_impl.cc decodeHeaders
//    (a path not starting with '/' -> 404, details absolute_path_rejected).
std::vector<Row> rows() {
  const std::string close = "Connection: close\r\n";
  const std::string hidden = chunk(kSmuggled) + "0\r\n\r\n";
  return {
      // --- Content-Length with Transfer-Encoding (RFC 9112 §6.1: "ought to be handled as an error")
      {"ClThenTeChunked", post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n") + kSmuggled, 400, 0,
       "", 0, "onHeadersComplete"},
      {"TeChunkedThenCl", post("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", "0\r\n\r\n") + kSmuggled, 400, 0,
       "", 0, "onHeadersComplete"},
      // Envoy checks the coding first (501); Beast refuses the Transfer-Encoding
      // line itself once it has seen a length, before the codec sees its value.
      {"ClThenTeGzip", post("Content-Length: 4\r\nTransfer-Encoding: gzip\r\n", "abcd"), 501, 0, "", 400,
       "onHeadersCompleteBase (meshsim: 400, Beast refuses first; both close)"},
      {"TeGzipThenCl", post("Transfer-Encoding: gzip\r\nContent-Length: 4\r\n", "abcd"), 501, 0, "", 0,
       "onHeadersCompleteBase"},
      // --- duplicate or conflicting Content-Length (RFC 9112 §6.3 item 5)
      {"DuplicateClSameValue", post("Content-Length: 4\r\nContent-Length: 4\r\n", "abcd"), 400, 0, "", 0,
       "balsa MULTIPLE_CONTENT_LENGTH_KEYS"},
      {"ConflictingCl", post("Content-Length: 4\r\nContent-Length: 40\r\n", "abcd") + kSmuggled, 400, 0, "", 0,
       "balsa MULTIPLE_CONTENT_LENGTH_KEYS"},
      {"ClList", post("Content-Length: 4, 4\r\n", "abcd"), 400, 0, "", 0, "balsa ProcessContentLengthLine (digits only)"},
      {"ClNegative", post("Content-Length: -1\r\n", "abcd"), 400, 0, "", 0, "balsa ProcessContentLengthLine"},
      {"ClOverflow", post("Content-Length: 99999999999999999999999\r\n", "abcd"), 400, 0, "", 0,
       "balsa CONTENT_LENGTH_OVERFLOW"},
      // --- Transfer-Encoding other than chunked (RFC 9112 §6.1: 501 for an unknown coding)
      {"TeXchunked", post("Transfer-Encoding: xchunked\r\n", hidden), 501, 0, "", 0, "onHeadersCompleteBase"},
      {"TeXchunkedRequestAsBody", post("Transfer-Encoding: xchunked\r\n", kSmuggled), 501, 0, "", 0,
       "onHeadersCompleteBase"},
      {"TeGzip", post("Transfer-Encoding: gzip\r\n", hidden), 501, 0, "", 0, "onHeadersCompleteBase"},
      {"TeIdentity", post("Transfer-Encoding: identity\r\n", hidden), 501, 0, "", 0, "onHeadersCompleteBase"},
      {"TeGzipChunked", post("Transfer-Encoding: gzip, chunked\r\n", hidden), 501, 0, "", 0, "onHeadersCompleteBase"},
      {"TeChunkedNotLast", post("Transfer-Encoding: chunked, gzip\r\n", hidden), 501, 0, "", 0,
       "onHeadersCompleteBase"},
      {"TeChunkedChunked", post("Transfer-Encoding: chunked, chunked\r\n", hidden), 501, 0, "", 0,
       "onHeadersCompleteBase"},
      {"TeTwoLines", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", hidden), 501, 0, "", 0,
       "onHeadersCompleteBase (joined: chunked,chunked)"},
      {"TeGzipLineThenChunkedLine", post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", hidden), 501,
       0, "", 0, "onHeadersCompleteBase (joined: gzip,chunked)"},
      {"TeUpperCaseChunked", post("Transfer-Encoding: CHUNKED\r\n" + close, chunk("abc") + "0\r\n\r\n"), 200, 1,
       "/p", 0, "onHeadersCompleteBase (EqualsIgnoreCase)"},
      // --- obs-fold (RFC 9112 §5.2: reject with 400 or replace with SP). Envoy
      // replaces: balsa keeps continuation lines (envoy PR #31168) and
      // BalsaParser drops the CR LF, so the value is read whole.
      {"ObsFoldTeValue", post("Transfer-Encoding: x\r\n chunked\r\n", hidden), 501, 0, "", 0,
       "balsa continuation + onHeadersCompleteBase (\"x chunked\")"},
      {"ObsFoldTeRequestAsBody", post("Transfer-Encoding: x\r\n chunked\r\n", kSmuggled), 501, 0, "", 0,
       "balsa continuation + onHeadersCompleteBase"},
      {"ObsFoldTeOnlyOnContinuation", post("Transfer-Encoding:\r\n chunked\r\n" + close, hidden), 200, 1, "/p", 0,
       "balsa continuation: the value is \"chunked\"; the hidden request stays body"},
      {"ObsFoldHidesTeInAnotherField", post("X-A: b\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n" + close,
                                            "0\r\n\r\n") + kSmuggled,
       200, 1, "/p", 0, "balsa continuation: part of X-A's value, framing by Content-Length"},
      // --- bare LF (RFC 9112 §2.2: a recipient MAY accept it). Balsa splits
      // lines on LF alone (BalsaFrame::ProcessHeaders), so Envoy accepts;
      // Beast requires CRLF. meshsim stays stricter: a rejection, never a smuggle.
      {"BareLfHeaders", "GET /lf HTTP/1.1\nHost: bar\nConnection: close\n\n", 200, 1, "/lf", 400,
       "balsa ProcessHeaders (meshsim: 400, stricter)", true},
      {"BareLfAfterChunkSize", post("Transfer-Encoding: chunked\r\n", "3\nabc\r\n0\r\n\r\n"), 400, 0, "", 0,
       "balsa disallow_lone_lf_in_chunk_extension (default true)"},
      // --- chunk sizes and extensions (RFC 9112 §7.1)
      {"ChunkSizeNotHex", post("Transfer-Encoding: chunked\r\n", "g\r\nabc\r\n0\r\n\r\n"), 400, 0, "", 0,
       "balsa INVALID_CHUNK_LENGTH"},
      {"ChunkSizeNegative", post("Transfer-Encoding: chunked\r\n", "-3\r\nabc\r\n0\r\n\r\n"), 400, 0, "", 0,
       "balsa INVALID_CHUNK_LENGTH"},
      {"ChunkSizeOverflow", post("Transfer-Encoding: chunked\r\n", "10000000000000003\r\nabc\r\n0\r\n\r\n"), 400, 0, "",
       0, "balsa CHUNK_LENGTH_OVERFLOW"},
      {"ChunkSizeLeadingSpace", post("Transfer-Encoding: chunked\r\n", " 3\r\nabc\r\n0\r\n\r\n"), 400, 0, "", 0,
       "balsa INVALID_CHUNK_LENGTH (no digit first)"},
      {"ChunkSize0xPrefix", post("Transfer-Encoding: chunked\r\n", "0x3\r\nabc\r\n0\r\n\r\n"), 400, 0, "", 0,
       "balsa: 'x' after the digits starts no extension -> INVALID_CHUNK_LENGTH"},
      {"ChunkExtension", post("Transfer-Encoding: chunked\r\n" + close, "3;name=value\r\nabc\r\n0\r\n\r\n"), 200, 1,
       "/p", 0, "balsa READING_CHUNK_EXTENSION (ignored)"},
      {"ChunkExtensionLoneCr", post("Transfer-Encoding: chunked\r\n", "3;a\rb\r\nabc\r\n0\r\n\r\n"), 400, 0, "", 0,
       "balsa IsValidChunkExtensionCharacter (runtime guard http1_balsa_disallow_lone_cr_in_chunk_extension, "
       "default on: runtime_features.cc)"},
      // Balsa skips stray bytes up to the LF after a chunk
      // (disallow_stray_data_after_chunk defaults to false); Beast refuses them.
      {"ChunkDataLongerThanSize", post("Transfer-Encoding: chunked\r\n" + close, "3\r\nabcdef\r\n0\r\n\r\n"), 200, 1,
       "/p", 400, "balsa READING_CHUNK_TERM (meshsim: 400, stricter)"},
      // --- header field count (Envoy's max_headers_count default 100)
      {"HundredFields", "GET /many HTTP/1.1\r\nHost: bar\r\n" + close + many_fields(98) + "\r\n", 200, 1, "/many", 0,
       "completeLastHeader (100 fields: at the limit)"},
      {"HundredAndOneFields", "GET /many HTTP/1.1\r\nHost: bar\r\n" + close + many_fields(99) + "\r\n", 431, 0, "", 0,
       "completeLastHeader"},
      // --- request-target forms (RFC 9112 §3.2)
      {"AbsoluteForm", "GET http://bar/abs?q=1 HTTP/1.1\r\nHost: elsewhere\r\n" + close + "\r\n", 200, 1,
       "/abs?q=1", 0, "handlePath (Host from the URL, RFC 9112 §3.2.2)"},
      {"AbsoluteFormNoPath", "GET http://bar HTTP/1.1\r\nHost: elsewhere\r\n" + close + "\r\n", 200, 1, "/", 0,
       "handlePath"},
      {"AbsoluteFormNoAuthority", "GET http:///abs HTTP/1.1\r\nHost: bar\r\n\r\n", 400, 0, "", 0,
       "handlePath (Utility::Url::initialize fails -> InvalidUrl)"},
      {"AsteriskFormOptions", "OPTIONS * HTTP/1.1\r\nHost: bar\r\n\r\n", 404, 0, "", 0, "hcm (path \"*\")"},
      {"AsteriskFormGet", "GET * HTTP/1.1\r\nHost: bar\r\n\r\n", 400, 0, "", 0, "handlePath (\"*\" is no URL)"},
      // --- escaped slashes: Istio sets path_with_escaped_slashes_action KEEP_UNCHANGED on
      // every HCM and, for the default pathNormalization (BASE), normalize_path on and
      // merge_slashes off (istio pilot/pkg/networking/core/listener_builder.go,
      // buildHTTPConnectionManager "Setup normalization"), so %2F and %5C reach the
      // upstream as sent; normalize_path does not decode reserved characters.
      {"EscapedSlash", "GET /a%2Fb HTTP/1.1\r\nHost: bar\r\n" + close + "\r\n", 200, 1, "/a%2Fb", 0,
       "istio listener_builder.go: KEEP_UNCHANGED"},
      {"EscapedBackslash", "GET /a%5Cb HTTP/1.1\r\nHost: bar\r\n" + close + "\r\n", 200, 1, "/a%5Cb", 0,
       "istio listener_builder.go: KEEP_UNCHANGED (%5C is an escaped slash to Envoy)"},
      {"EscapedSlashDotDot", "GET /a/..%2Fb HTTP/1.1\r\nHost: bar\r\n" + close + "\r\n", 200, 1, "/a/..%2Fb", 0,
       "KEEP_UNCHANGED: '..%2Fb' is no dot segment"},
      // --- path normalization: normalize_path (BASE) canonicalizes the path Envoy routes
      // and forwards, keeping the query as sent (envoy source/common/http/path_utility.cc
      // PathTransformer::rfcNormalize, called from conn_manager_utility.cc
      // maybeNormalizePath); slashes are not merged (merge_slashes off).
      {"DotSegments", "GET /a/../b HTTP/1.1\r\nHost: bar\r\n" + close + "\r\n", 200, 1, "/b", 0,
       "path_utility.cc rfcNormalize"},
      {"DotSegmentsAboveRoot", "GET /../../b/./c/ HTTP/1.1\r\nHost: bar\r\n" + close + "\r\n", 200, 1, "/b/c/", 0,
       "path_utility.cc rfcNormalize (RFC 3986 §5.2.4)"},
      {"EncodedDotSegments", "GET /a/%2e%2E/b?q=/../x HTTP/1.1\r\nHost: bar\r\n" + close + "\r\n", 200, 1,
       "/b?q=/../x", 0, "path_utility.cc rfcNormalize (the query is kept as sent)"},
      {"DoubleSlashKept", "GET //a/../b HTTP/1.1\r\nHost: bar\r\n" + close + "\r\n", 200, 1, "//b", 0,
       "istio listener_builder.go BASE: merge_slashes off"},
      // --- the legitimate first request of a pipelined pair still goes through
      {"PipelinedThenSmuggleAttempt",
       "GET /first HTTP/1.1\r\nHost: bar\r\n\r\n" + post("Transfer-Encoding: xchunked\r\n", hidden), 501, 1, "/first", 0,
       "onHeadersCompleteBase (the first request is legitimate)"},
  };
}

// --- the codec alone: the simulated network's path -------------------------

struct Decoded {
  std::vector<HttpRequest> requests;
  int error_status = 0;  // 0: no error
};

Decoded decode_all(std::string_view bytes, bool byte_by_byte) {
  Decoded out;
  RequestDecoder decoder;
  std::string pending;
  auto step = [&](std::string_view fresh) {
    pending.append(fresh);
    for (;;) {
      std::string_view view = pending;
      DecodeOutcome o = decoder.feed(view);
      pending.erase(0, pending.size() - view.size());
      if (o.kind == DecodeOutcome::Kind::kError) {
        out.error_status = o.error_status;
        return false;
      }
      if (o.kind != DecodeOutcome::Kind::kMessage) return true;
      out.requests.push_back(decoder.take());
      if (!decoder.keep_alive()) return false;  // Connection: close: nothing after it is read
    }
  };
  if (byte_by_byte) {
    for (char c : bytes)
      if (!step(std::string_view(&c, 1))) break;
  } else {
    step(bytes);
  }
  return out;
}

void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

class Smuggling : public ::testing::TestWithParam<Row> {};

TEST_P(Smuggling, CodecAnswersAsEnvoy) {
  const Row& row = GetParam();
  SCOPED_TRACE(row.source);
  for (bool byte_by_byte : {false, true}) {
    Decoded d = decode_all(row.bytes, byte_by_byte);
    int status = row.expected_status();
    if (byte_by_byte && row.whole_only) {
      EXPECT_TRUE(d.requests.empty());
      continue;
    }
    EXPECT_EQ(d.error_status, status == 200 ? 0 : status) << (byte_by_byte ? "byte by byte" : "whole");
    ASSERT_EQ(static_cast<int>(d.requests.size()), row.expected_forwarded());
    if (!row.upstream_target.empty() && !d.requests.empty()) {
      HttpRequest first = d.requests.front();
      normalize_target(first);  // what every sidecar does next (see the live test)
      EXPECT_EQ(first.target, row.upstream_target);
    }
  }
}

// The one-shot entry the simulated hops use reports the same status.
TEST_P(Smuggling, ParseRequestReportsTheSameStatus) {
  const Row& row = GetParam();
  SCOPED_TRACE(row.source);
  HttpRequest request;
  DecodeOutcome outcome;
  if (row.expected_forwarded() > 0) {  // the first request is legitimate
    ASSERT_TRUE(parse_request(row.bytes, request, &outcome)) << outcome.error;
    normalize_target(request);
    EXPECT_EQ(request.target, row.upstream_target);
    return;
  }
  EXPECT_FALSE(parse_request(row.bytes, request, &outcome));
  EXPECT_EQ(outcome.error_status, row.expected_status());
}

// --- live: client -> listener (as `meshsim proxy`) -> pool -> upstream ------

using asio::net::ip::tcp;
namespace net = asio::net;
const auto kLoopback = net::ip::make_address("127.0.0.1");

struct Loop {
  net::io_context io{asio::kOneThread};
  net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(io);
  std::thread thread{[this] { io.run_for(std::chrono::seconds(60)); }};
  ~Loop() { stop(); }
  void stop() {
    work.reset();
    io.stop();
    if (thread.joinable()) thread.join();
  }
  template <typename F>
  auto run(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    net::post(io, [&task] { task(); });
    return result.get();
  }
};

// Reads until the peer closes or `limit` passes; "<still open>" marks the latter.
std::string exchange(uint16_t port, const std::string& bytes, std::chrono::seconds limit) {
  net::io_context io;
  tcp::socket socket(io);
  socket.connect({kLoopback, port});
  net::write(socket, net::buffer(bytes));
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + limit;
  socket.non_blocking(true);
  std::array<char, 4096> buf{};
  while (std::chrono::steady_clock::now() < deadline) {
    boost::system::error_code ec;
    size_t n = socket.read_some(net::buffer(buf), ec);
    got.append(buf.data(), n);
    if (ec == net::error::would_block) {
      socket.wait(tcp::socket::wait_read, ec);
      continue;
    }
    if (ec) return got;
  }
  return got + "<still open>";
}

constexpr const char* kMesh = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: bar}
spec:
  selector: {matchLabels: {app: bar}}
  template:
    metadata: {labels: {app: bar}}
    spec: {containers: [{name: app, image: bar, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: bar}
spec: {selector: {app: bar}, ports: [{port: 80, targetPort: 8080}]}
)";

// The proxy core on real sockets, as `meshsim proxy` runs it: a listener
// whose handler is the outbound Sidecar, the upstream pool, and a real
// upstream server that records every request reaching it. (No second
// sidecar in front of it: that one would count the fields the first adds,
// as a second Envoy does, and the 100-field row is about the first hop.)
// A real server counts no fields (nginx, for one, bounds only their size);
// the sidecar adds its own (trace, request id) to the 100 the client sent.
asio::ListenerLimits server_limits() {
  asio::ListenerLimits limits;
  limits.codec.header_count_max = 1000;
  return limits;
}

struct LiveProxy {
  Loop loop;
  std::shared_ptr<const RouteTable> table;
  SnapshotHolder snapshot;
  asio::AsioClock clock;
  asio::AsioTimers timers{loop.io};
  struct FixedRandom : Random {
    uint64_t next() override { return 0x9E3779B97F4A7C15ull; }
  } random;
  asio::AsioTransport transport{loop.io};
  SidecarEnv env{&clock, &timers, &random, &transport, nullptr, &snapshot};
  std::optional<Sidecar> client_side;
  std::optional<asio::HttpListener> upstream, front;
  std::vector<std::string> upstream_saw;  // targets, on the loop's thread

  LiveProxy() {
    auto loaded = config::load({{"mesh.yaml", kMesh}});
    std::vector<std::string> errors;
    table = RouteTable::create(std::move(loaded.resources), &errors);
    snapshot.set(table);
    loop.run([this] {
      const Endpoint& bar = table->endpoints()[0];
      client_side.emplace(nullptr, "default", Labels{}, env);
      upstream.emplace(loop.io, tcp::endpoint{kLoopback, 0}, [this](HttpRequest req, asio::HttpListener::Respond respond) {
        upstream_saw.push_back(req.target);
        respond(HttpResponse{});
      }, server_limits());
      transport.map(bar.ip, 8080, {kLoopback, upstream->port()});
      front.emplace(loop.io, tcp::endpoint{kLoopback, 0}, [this](HttpRequest req, asio::HttpListener::Respond respond) {
        std::string host = req.authority;
        client_side->outbound(std::move(req), host, 80, [respond](OutboundResult out) {
          HttpResponse r;
          if (out.response) r = *out.response;
          else r.status = 503;
          respond(std::move(r));
        });
      });
      return 0;
    });
  }
  // The loop stops first: nothing runs while the sidecars and sockets go.
  ~LiveProxy() { loop.stop(); }
};

TEST_P(Smuggling, LiveProxyAnswersAsEnvoyAndTheUpstreamSeesNothingSmuggled) {
  const Row& row = GetParam();
  SCOPED_TRACE(row.source);
  LiveProxy live;
  std::string reply = exchange(live.front->port(), row.bytes, std::chrono::seconds(10));
  EXPECT_EQ(reply.find("<still open>"), std::string::npos) << "the connection must close";
  // The last response on the connection carries the verdict.
  size_t last = reply.rfind("HTTP/1.1 ");
  ASSERT_NE(last, std::string::npos) << reply;
  EXPECT_EQ(reply.substr(last, 12), "HTTP/1.1 " + std::to_string(row.expected_status())) << reply;
  auto saw = live.loop.run([&] { return live.upstream_saw; });
  ASSERT_EQ(static_cast<int>(saw.size()), row.expected_forwarded()) << reply;
  if (!row.upstream_target.empty() && !saw.empty()) {
    EXPECT_EQ(saw.front(), row.upstream_target);
  }
  for (const auto& target : saw) EXPECT_EQ(target.find("smuggled"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Envoy, Smuggling, ::testing::ValuesIn(rows()),
                         [](const ::testing::TestParamInfo<Row>& info) { return info.param.name; });

}  // namespace
}  // namespace meshsim::proxy
