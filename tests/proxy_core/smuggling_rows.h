// The request smuggling and framing table: raw request bytes, what Envoy
// answers to each (the HTTP/1 codec Istio's sidecars run: the balsa parser,
// current Envoy's default, under source/common/http/http1/codec_impl.cc, and
// the connection manager with Istio's settings), and the source of that
// answer; RFC 9112 where Envoy leaves a choice. Shared by the codec and
// proxy-core test (tests/proxy_core/smuggling_test.cc) and the `meshsim proxy`
// process test (tests/app/proxy_smuggling_test.cc).
#pragma once

#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace meshsim::testing::smuggling {

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

// gtest names a failing row by its name rather than its bytes.
inline void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

inline constexpr const char* kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: bar\r\n\r\n";

inline std::string post(std::string fields, std::string body) {
  return "POST /p HTTP/1.1\r\nHost: bar\r\n" + fields + "\r\n" + body;
}
inline std::string chunk(std::string_view data) {
  char size[20];
  snprintf(size, sizeof size, "%zx", data.size());
  return std::string(size) + "\r\n" + std::string(data) + "\r\n";
}
inline std::string many_fields(int n) {
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
inline std::vector<Row> rows() {
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

}  // namespace meshsim::testing::smuggling
