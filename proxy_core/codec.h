// HTTP/1.1 codec over byte buffers (sans-IO), on Boost.Beast's parser and
// serializer. The same code parses bytes from the simulated network and
// from real sockets. Limits follow Envoy's defaults: 60 KiB of headers
// (max_request_headers_kb) -> 431; bodies over the limit -> 413.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "proxy_core/http.h"

namespace meshsim::proxy {

struct CodecLimits {
  size_t header_bytes_max = 60 * 1024;
  // Envoy's max_headers_count default (HttpProtocolOptions): more -> 431.
  size_t header_count_max = 100;
  size_t body_bytes_max = 4 * 1024 * 1024;
};

struct DecodeOutcome {
  enum class Kind { kNeedMore, kMessage, kError };
  Kind kind = Kind::kNeedMore;
  int error_status = 0;  // 400, 413, 431 or 501 (a Transfer-Encoding other than chunked) for kError
  std::string error;
};

// Decodes a stream of requests (or responses) from one connection. Feed
// bytes as they arrive; `feed` consumes from the front of `bytes` what it used.
template <bool kRequest>
class DirectParser;

template <bool kRequest>
class MessageDecoder {
 public:
  using Message = std::conditional_t<kRequest, HttpRequest, HttpResponse>;
  explicit MessageDecoder(CodecLimits limits = {});
  ~MessageDecoder();
  MessageDecoder(MessageDecoder&&) noexcept;
  MessageDecoder& operator=(MessageDecoder&&) noexcept;

  DecodeOutcome feed(std::string_view& bytes);
  // Responses only: the next response answers a HEAD request, so it has no
  // body whatever its Content-Length says (RFC 9110 9.3.2).
  void expect_headers_only();
  // The completed message; resets for the next one on the same connection.
  Message take();
  // Drops whatever was fed so far: the next byte starts a new message.
  void reset();
  bool keep_alive() const { return keep_alive_; }

 private:
  struct Impl;
  DirectParser<kRequest>& parser();
  std::unique_ptr<Impl> impl_;
  CodecLimits limits_;
  bool keep_alive_ = true;
};

using RequestDecoder = MessageDecoder<true>;
using ResponseDecoder = MessageDecoder<false>;
extern template class MessageDecoder<true>;
extern template class MessageDecoder<false>;

// Serializes with Content-Length (bodies are complete by then).
std::string serialize(const HttpRequest& request);
std::string serialize(const HttpResponse& response);
// The same bytes written over `out`, reusing its capacity (a connection's
// output buffer: no allocation per message once warm).
void serialize_into(std::string& out, const HttpRequest& request);
void serialize_into(std::string& out, const HttpResponse& response);

// Exactly how many bytes serialize() writes for the message, without
// writing them: what Envoy's HTTP/1 codec counts as wire bytes (headers and
// body) for istio_request_bytes / istio_response_bytes.
size_t serialized_size(const HttpRequest& request);
size_t serialized_size(const HttpResponse& response);

// One-shot helpers for complete messages.
bool parse_request(std::string_view bytes, HttpRequest& out, DecodeOutcome* outcome = nullptr);
bool parse_response(std::string_view bytes, HttpResponse& out, DecodeOutcome* outcome = nullptr);

}  // namespace meshsim::proxy
