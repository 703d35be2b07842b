// Envoy's HTTP/1 request framing rules that Boost.Beast's parser does not
// apply itself. Beast frames a request by its own reading of RFC 9112; where
// it is more lenient than Envoy, bytes Envoy would refuse become a body or a
// second request (request smuggling). The codec feeds every parsed field here
// and asks for a verdict once the header block ends; a nonzero status rejects
// the request and closes the connection. No allocation: it keeps counts and
// flags only, so the per-request path stays as fast as before.
//
// Sources (envoyproxy/envoy, source/common/http/http1/):
//  - codec_impl.cc ConnectionImpl::onHeadersCompleteBase: a Transfer-Encoding
//    whose (comma-joined) value is not exactly "chunked" -> 501.
//  - codec_impl.cc ServerConnectionImpl::onHeadersComplete: Transfer-Encoding
//    with Content-Length -> 400 (allow_chunked_length is off by default).
//  - codec_impl.cc ConnectionImpl::completeLastHeader: more header fields than
//    max_headers_count (default 100) -> 431.
//  - balsa_parser.cc BalsaParser::BalsaParser: disallow_multiple_content_length
//    (quiche balsa_frame.cc ProcessHeaderLines: a second Content-Length, even
//    with the same value, and any non-digit value -> error -> 400).
#pragma once

#include <cstddef>
#include <string_view>

namespace meshsim::proxy {

// A refusal: the status Envoy answers with and the framing rule's words
// (a literal); status 0 when nothing was refused.
struct FramingVerdict {
  int status = 0;
  std::string_view reason;
};

class RequestFraming {
 public:
  explicit RequestFraming(size_t header_count_max) : header_count_max_(header_count_max) {}

  // One field as Beast parsed it (value without surrounding whitespace;
  // obs-fold already joined, as Envoy's BalsaParser joins it). Returns the
  // status to reject with at once, or 0.
  int on_field(bool is_transfer_encoding, bool is_content_length, std::string_view value) {
    if (++fields_ > header_count_max_) return refuse(431, "more header fields than the limit");
    if (is_content_length) {
      if (++content_lengths_ > 1) return refuse(400, "more than one Content-Length");
      if (!all_digits(value)) return refuse(400, "Content-Length is not a number");
    } else if (is_transfer_encoding && !value.empty()) {
      // Envoy's header map joins repeated fields with ',': two non-empty
      // Transfer-Encoding lines can never read as exactly "chunked".
      ++transfer_encodings_;
      chunked_ = transfer_encodings_ == 1 && is_chunked(value);
    }
    return 0;
  }

  // The header block ended: the verdict on the framing as a whole.
  int on_header_end() {
    if (transfer_encodings_ > 0 && !chunked_) return refuse(501, "Transfer-Encoding other than chunked");
    if (transfer_encodings_ > 0 && content_lengths_ > 0) return refuse(400, "Transfer-Encoding with Content-Length");
    return 0;
  }

  // Why the last nonzero status was returned, for the decoder's error text.
  std::string_view reason() const { return reason_; }

  // Beast refused a Transfer-Encoding field on its own (it saw a chunked one
  // or a Content-Length first): what Envoy answers to the same bytes.
  FramingVerdict on_beast_rejected_transfer_encoding() const {
    if (transfer_encodings_ > 0) return {501, "Transfer-Encoding other than chunked"};
    return {400, "Transfer-Encoding with Content-Length"};
  }

  static bool is_chunked(std::string_view v) {
    constexpr std::string_view kChunked = "chunked";
    if (v.size() != kChunked.size()) return false;
    for (size_t i = 0; i < v.size(); ++i)
      if ((v[i] | 0x20) != kChunked[i]) return false;
    return true;
  }

 private:
  int refuse(int status, std::string_view reason) {
    reason_ = reason;
    return status;
  }
  static bool all_digits(std::string_view v) {
    if (v.empty()) return false;
    for (char c : v)
      if (c < '0' || c > '9') return false;
    return true;
  }

  size_t header_count_max_;
  size_t fields_ = 0;
  int content_lengths_ = 0;
  int transfer_encodings_ = 0;
  bool chunked_ = false;
  std::string_view reason_;
};

}  // namespace meshsim::proxy
