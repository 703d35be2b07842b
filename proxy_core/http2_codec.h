// HTTP/2 codec over byte buffers (sans-IO), on nghttp2: bytes in with
// receive(), bytes out with write_to(), messages in and out as the core's
// HttpRequest / HttpResponse. One object per connection; many concurrent
// streams. No nghttp2 type leaves this header's implementation.
//
// Translation (RFC 9113 §8.3): :method/:path/:authority <-> method/target/
// authority (a Host field stands in for a missing :authority and never
// reaches the core as a field); names are lower-case on the wire; the
// connection-specific fields of §8.2.2 (Connection and the fields it names,
// Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, a TE other than
// "trailers") are refused on input (nghttp2 checks them) and dropped on
// output; Cookie crumbs are joined with "; " (§8.2.3); trailers both ways.
//
// Limits and errors follow Envoy's HTTP/2 codec on nghttp2
// (source/common/http/http2/codec_impl.cc): see Http2Settings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy_core/http.h"

namespace meshsim::proxy {

// RFC 9113 §7 error codes (RST_STREAM and GOAWAY).
enum class Http2Error : uint32_t {
  kNoError = 0x0,
  kProtocolError = 0x1,
  kInternalError = 0x2,
  kFlowControlError = 0x3,
  kSettingsTimeout = 0x4,
  kStreamClosed = 0x5,
  kFrameSizeError = 0x6,
  kRefusedStream = 0x7,
  kCancel = 0x8,
  kCompressionError = 0x9,
  kConnectError = 0xa,
  kEnhanceYourCalm = 0xb,
  kInadequateSecurity = 0xc,
  kHttp11Required = 0xd,
};
const char* http2_error_name(Http2Error code);

// Envoy's Http2ProtocolOptions defaults (envoy/config/core/v3/protocol.proto,
// data-plane-api 84e84367f256, envoy#40716) and HttpProtocolOptions header limits.
struct Http2Settings {
  // SETTINGS_MAX_CONCURRENT_STREAMS we advertise (1024 since envoy#40716; 2^31-1 before).
  uint32_t max_concurrent_streams = 1024;
  // SETTINGS_INITIAL_WINDOW_SIZE (16 MiB) and the connection window (24 MiB).
  uint32_t initial_stream_window_size = 16 * 1024 * 1024;
  uint32_t initial_connection_window_size = 24 * 1024 * 1024;
  // max_request_headers_kb (60 KiB) and max_headers_count (100): a header
  // block beyond either resets its stream (codec_impl.cc saveHeader returns
  // NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE -> RST_STREAM INTERNAL_ERROR).
  size_t header_bytes_max = 60 * 1024;
  size_t header_count_max = 100;
  // A body beyond this resets its stream (as the HTTP/1.1 codec's 413 bounds memory).
  size_t body_bytes_max = 4 * 1024 * 1024;
  // Envoy's stream_error_on_invalid_http_messaging (default false): a request
  // that breaks HTTP messaging rules (bad or connection-specific fields,
  // missing pseudo-headers) ends the whole connection (GOAWAY PROTOCOL_ERROR)
  // rather than only its stream (codec_impl.cc onInvalidFrame).
  bool stream_error_on_invalid_http_messaging = false;
};

// What receive() made of the bytes.
struct Http2Status {
  bool ok = true;          // false: a connection error; write the output (GOAWAY) and close
  std::optional<Http2Error> goaway;  // the code of the GOAWAY sent, if one was
  std::string error;       // nghttp2's words, for logs
};

// A stream the peer or we reset, or one cut off by the connection's end.
struct Http2Reset {
  uint32_t stream_id = 0;
  Http2Error code = Http2Error::kNoError;
};

class Http2Connection {
 public:
  ~Http2Connection();
  Http2Connection(Http2Connection&&) noexcept;
  Http2Connection& operator=(Http2Connection&&) noexcept;

  // Feeds bytes read from the socket.
  Http2Status receive(std::string_view bytes);
  // Appends every byte the codec wants written now (frames, responses,
  // WINDOW_UPDATEs, GOAWAY) to `out`.
  void write_to(std::string& out);
  // Nothing more to read or write: close the socket once `out` is written.
  bool finished() const;
  // Sends GOAWAY(NO_ERROR) after the streams in flight (graceful close).
  void shut_down();
  // Streams open now.
  size_t open_streams() const;
  // Streams reset since the last call (by the peer, by the codec for a limit, or by a GOAWAY).
  std::vector<Http2Reset> take_resets();
  // The GOAWAY error code received from the peer, if one came.
  std::optional<Http2Error> goaway_received() const;

 protected:
  struct Impl;
  explicit Http2Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The server side: a client's connection, from its first byte (the
// connection preface "PRI * HTTP/2.0..."; bad bytes end it with no reply, as nghttp2 does).
class Http2ServerConnection : public Http2Connection {
 public:
  explicit Http2ServerConnection(Http2Settings settings = {});
  struct Request {
    uint32_t stream_id;
    HttpRequest request;  // protocol = kHttp2
  };
  // Requests completed (END_STREAM received) since the last call, in order.
  std::vector<Request> take_requests();
  // Answers a stream; ignored when the stream is gone (reset or closed).
  void respond(uint32_t stream_id, HttpResponse response);
  // Resets a stream (RST_STREAM `code`).
  void reset(uint32_t stream_id, Http2Error code);
};

// The client side: writes the preface and SETTINGS first.
class Http2ClientConnection : public Http2Connection {
 public:
  explicit Http2ClientConnection(Http2Settings settings = {});
  // Whether another stream may start now (no GOAWAY, under the peer's SETTINGS_MAX_CONCURRENT_STREAMS).
  bool can_submit() const;
  // Starts a request; returns its stream id, or 0 when the connection cannot take it.
  uint32_t submit(HttpRequest request);
  struct Response {
    uint32_t stream_id;
    HttpResponse response;  // protocol = kHttp2
  };
  // Responses completed since the last call. A stream that ends without one
  // shows in take_resets().
  std::vector<Response> take_responses();
};

// Whether `bytes` begin the HTTP/2 connection preface, as Envoy's codec
// auto-detection decides (conn_manager_utility.cc determineNextProtocol:
// the first bytes start with "PRI * HTTP/2"). nullopt: too few bytes to tell.
std::optional<bool> starts_http2_preface(std::string_view bytes);

}  // namespace meshsim::proxy
