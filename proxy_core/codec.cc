#include "proxy_core/codec.h"

#include <cctype>
#include <charconv>
#include <cstring>

#include <boost/beast/http.hpp>

#include "proxy_core/request_framing.h"
#include "proxy_core/whole_message_parser.h"

namespace meshsim::proxy {
namespace {

namespace http = boost::beast::http;

DecodeOutcome error_outcome(const boost::system::error_code& ec) {
  DecodeOutcome out;
  out.kind = DecodeOutcome::Kind::kError;
  out.error = ec.message();
  if (ec == http::error::header_limit) out.error_status = 431;
  else if (ec == http::error::body_limit) out.error_status = 413;
  else out.error_status = 400;
  return out;
}

template <typename Parser>
DecodeOutcome feed_parser(Parser& parser, std::string_view& bytes) {
  while (!bytes.empty() && !parser.is_done()) {
    boost::system::error_code ec;
    size_t used = parser.put(boost::asio::const_buffer(bytes.data(), bytes.size()), ec);
    bytes.remove_prefix(used);
    if (ec == http::error::need_more) return {};
    if (ec) {
      DecodeOutcome out = error_outcome(ec);
      if (FramingVerdict verdict = parser.framing_verdict(ec); verdict.status != 0) {
        out.error_status = verdict.status;
        out.error = std::string(verdict.reason);
      }
      return out;
    }
    if (used == 0) return {};
  }
  DecodeOutcome out;
  if (parser.is_done()) out.kind = DecodeOutcome::Kind::kMessage;
  return out;
}

}  // namespace

// A Beast parser that writes straight into our message types: no
// intermediate beast::http::fields container (one allocation per field)
// to copy from. Beast still does all the HTTP/1.1 parsing and framing.
template <bool kRequest>
class DirectParser final : public http::basic_parser<kRequest> {
 public:
  using Message = std::conditional_t<kRequest, HttpRequest, HttpResponse>;
  Message message;

  explicit DirectParser(size_t header_count_max) : framing_(header_count_max) {}
  // The status Envoy answers a request that failed with `ec`, and why, when
  // it differs from the codec's plain mapping (400/413/431); status 0
  // otherwise. The reason names the framing rule: Beast's own message would
  // name the error code reject() borrows, not the cause.
  FramingVerdict framing_verdict(const boost::system::error_code& ec) const {
    if (rejected_status_) return {rejected_status_, rejected_reason_};
    if (kRequest && ec == http::error::bad_transfer_encoding) return framing_.on_beast_rejected_transfer_encoding();
    return {};
  }

 private:
  using string_view = boost::beast::string_view;
  using error_code = boost::system::error_code;

  void on_request_impl(http::verb, string_view method, string_view target, int, error_code& ec) override {
    if constexpr (kRequest) {
      message.method.assign(method.data(), method.size());
      if (target.empty() || target.front() != '/') {
        if (int status = absolute_target(std::string_view(method.data(), method.size()),
                                         std::string_view(target.data(), target.size())))
          return reject(status, status == 404 ? "OPTIONS * has no route" : "invalid request target", ec);
      } else {
        message.target.assign(target.data(), target.size());
      }
      // Room for the fields plus the few a sidecar adds (trace, attempt count).
      message.headers.reserve_more(24, 1024);
    }
  }
  void on_response_impl(int code, string_view, int, error_code& ec) override {
    if constexpr (!kRequest) {
      // Beast takes any three digits; Envoy's HTTP/1 parser (BalsaParser,
      // HPE_INVALID_STATUS) refuses a status below 100, and the router
      // treats the upstream as having sent a protocol error.
      if (code < 100) {
        ec = http::error::bad_status;
        return;
      }
      message.status = code;
      message.headers.reserve_more(16, 512);
    }
  }
  void on_field_impl(http::field field, string_view name, string_view value, error_code& ec) override {
    if constexpr (kRequest) {
      // Envoy's framing rules, before the field is dropped or kept below.
      if (int status = framing_.on_field(field == http::field::transfer_encoding, field == http::field::content_length,
                                         std::string_view(value.data(), value.size())))
        return reject(status, framing_.reason(), ec);
    }
    // Framing and connection headers are the codec's business, not the
    // application's: hop-by-hop fields end here, as Envoy's HTTP connection
    // manager clears them in both directions (RFC 9110 §7.6.1). A response to
    // HEAD keeps its Content-Length (the size a GET would have).
    if (field == http::field::transfer_encoding || field == http::field::connection ||
        field == http::field::keep_alive || field == http::field::proxy_connection || field == http::field::upgrade)
      return;
    if (field == http::field::content_length && !this->skip()) return;
    if constexpr (kRequest) {
      if (field == http::field::host) {
        if (!authority_from_target_) message.authority.assign(value.data(), value.size());
        return;
      }
    }
    message.headers.add_checked(std::string_view(name.data(), name.size()), std::string_view(value.data(), value.size()));
  }
  void on_header_impl(error_code& ec) override {
    if constexpr (kRequest) {
      if (int status = framing_.on_header_end()) reject(status, framing_.reason(), ec);
    }
  }
  // A target that is not origin-form (RFC 9112 §3.2). Envoy's
  // ServerConnectionImpl::handlePath (codec_impl.cc) takes an absolute-form
  // target apart (allow_absolute_url defaults to true, http1/settings.cc):
  // its authority replaces Host and its path is forwarded, as RFC 9112 §3.2.2
  // asks of a proxy; anything else but OPTIONS * is an invalid URL -> 400.
  // OPTIONS * passes the codec, and the connection manager answers 404 to any
  // path not starting with '/' (conn_manager_impl.cc decodeHeaders,
  // ResponseCodeDetails AbsolutePath). Returns the status to reject with, or 0.
  int absolute_target(std::string_view method, std::string_view target) {
    if (target == "*") return method == "OPTIONS" ? 404 : 400;
    size_t scheme_end = target.find("://");
    if (scheme_end == 0 || scheme_end == std::string_view::npos) return 400;
    for (size_t i = 0; i < scheme_end; ++i) {
      char c = target[i];
      bool alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
      if (!alpha && (i == 0 || !((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))) return 400;
    }
    std::string_view rest = target.substr(scheme_end + 3);
    size_t path_start = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, path_start);
    if (authority.empty()) return 400;
    message.authority.assign(authority);
    authority_from_target_ = true;
    std::string_view path = path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
    if (path.empty() || path.front() != '/') message.target.assign("/");
    else message.target.clear();
    message.target.append(path);
    return 0;
  }
  void reject(int status, std::string_view reason, error_code& ec) {
    rejected_status_ = status;
    rejected_reason_ = reason;
    ec = http::error::bad_transfer_encoding;  // any error stops Beast; the status says which
  }
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) message.body.reserve(static_cast<size_t>(*length));
  }
  std::size_t on_body_impl(string_view body, error_code&) override {
    message.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    message.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  RequestFraming framing_;
  int rejected_status_ = 0;
  std::string_view rejected_reason_;  // a literal
  bool authority_from_target_ = false;
};

template <bool kRequest>
struct MessageDecoder<kRequest>::Impl {
  std::optional<DirectParser<kRequest>> parser;
  std::optional<Message> whole;  // decoded by the fast path, not yet taken
};

template <bool kRequest>
MessageDecoder<kRequest>::MessageDecoder(CodecLimits limits) : impl_(std::make_unique<Impl>()), limits_(limits) {}
template <bool kRequest>
MessageDecoder<kRequest>::~MessageDecoder() = default;
template <bool kRequest>
MessageDecoder<kRequest>::MessageDecoder(MessageDecoder&&) noexcept = default;
template <bool kRequest>
MessageDecoder<kRequest>& MessageDecoder<kRequest>::operator=(MessageDecoder&&) noexcept = default;

template <bool kRequest>
DirectParser<kRequest>& MessageDecoder<kRequest>::parser() {
  if (!impl_->parser) {
    impl_->parser.emplace(limits_.header_count_max);
    impl_->parser->header_limit(static_cast<std::uint32_t>(limits_.header_bytes_max));
    impl_->parser->body_limit(limits_.body_bytes_max);
  }
  return *impl_->parser;
}

template <bool kRequest>
DecodeOutcome MessageDecoder<kRequest>::feed(std::string_view& bytes) {
  if (impl_->whole) return {DecodeOutcome::Kind::kMessage, 0, {}};
  if (!impl_->parser) {
    // A message that starts here and is all there, in the common shape:
    // decoded without Beast (whole_message_parser.h). Otherwise, and for
    // the rest of a message Beast has begun, Beast decides.
    Message& message = impl_->whole.emplace();
    size_t used = 0;
    bool whole = false;
    if constexpr (kRequest) whole = parse_whole_request(bytes, limits_, message, &used);
    else whole = parse_whole_response(bytes, limits_, message, &used);
    if (whole) {
      bytes.remove_prefix(used);
      return {DecodeOutcome::Kind::kMessage, 0, {}};
    }
    impl_->whole.reset();
  }
  return feed_parser(parser(), bytes);
}

template <bool kRequest>
void MessageDecoder<kRequest>::reset() {
  impl_->parser.reset();
  impl_->whole.reset();
}

template <bool kRequest>
void MessageDecoder<kRequest>::expect_headers_only() {
  parser().skip(true);
}

template <bool kRequest>
typename MessageDecoder<kRequest>::Message MessageDecoder<kRequest>::take() {
  if (impl_->whole) {
    keep_alive_ = true;  // HTTP/1.1 without a Connection field
    Message message = std::move(*impl_->whole);
    impl_->whole.reset();
    return message;
  }
  keep_alive_ = impl_->parser->keep_alive();
  Message message = std::move(impl_->parser->message);
  impl_->parser.reset();
  return message;
}

template class MessageDecoder<true>;
template class MessageDecoder<false>;

// Serialization is written out rather than built through Beast's message
// and serializer: writing a request line and fields is trivial, and Beast's
// generic path cost ~800 ns per message in bench/sidecar_hop_bench against
// ~100 ns here. A HeaderMap holds only fields that are safe to write (token
// names, no CR or LF in values: see HeaderMap::add), so its fields are copied
// as they are; the request line and Host come from elsewhere and are checked.
namespace {

// Writes into a string sized once for the whole message: one allocation at
// most, then plain copies.
class Writer {
 public:
  Writer(std::string& out, size_t size) : out_(out) {
    out_.resize(size);
    at_ = out_.data();
  }
  ~Writer() { out_.resize(static_cast<size_t>(at_ - out_.data())); }
  Writer& operator<<(std::string_view s) {
    if (!s.empty()) std::memcpy(at_, s.data(), s.size());  // an empty view may be null
    at_ += s.size();
    return *this;
  }
  Writer& operator<<(char c) {
    *at_++ = c;
    return *this;
  }
  Writer& operator<<(uint64_t n) {
    at_ = std::to_chars(at_, at_ + 20, n).ptr;
    return *this;
  }
  // A value that did not come through a HeaderMap: CR and LF become spaces.
  void unfolded(std::string_view s) {
    for (char c : s) *at_++ = (c == '\r' || c == '\n') ? ' ' : c;
  }

 private:
  std::string& out_;
  char* at_;
};

constexpr size_t kDigitsMax = 20;  // of a uint64_t

// What the fields, framing and body take on the wire, at most.
size_t wire_size(const HeaderMap& headers, const std::string& body) {
  size_t n = sizeof("content-length: \r\n\r\n") + kDigitsMax + body.size();
  for (const Header h : headers.all()) n += h.name.size() + h.value.size() + 4;
  return n;
}

// The Content-Length a message states itself (a response to HEAD): only its
// digits count, since it frames the message; none reads as 0.
uint64_t stated_length(std::string_view value) {
  uint64_t n = 0;
  int digits = 0;
  for (char c : value)
    if (c >= '0' && c <= '9' && digits++ < 19) n = n * 10 + static_cast<uint64_t>(c - '0');
  return n;
}

void write_fields_and_body(Writer& out, const HeaderMap& headers, const std::string& body) {
  // The codec frames messages itself: Content-Length is the body's size. The
  // one exception is a body-less message that carries a Content-Length field,
  // the response to a HEAD request, which states the size a GET would have.
  std::optional<std::string_view> stated;
  for (const Header h : headers.all()) {
    if (h.name.size() == 14 && iequals(h.name, "content-length")) {
      stated = h.value;
      continue;
    }
    out << h.name << ": " << h.value << "\r\n";
  }
  uint64_t length = body.empty() && stated ? stated_length(*stated) : body.size();
  out << "content-length: " << length << "\r\n\r\n" << body;
}

size_t decimal_digits(uint64_t n) {
  char digits[kDigitsMax];
  return static_cast<size_t>(std::to_chars(digits, digits + kDigitsMax, n).ptr - digits);
}

// What write_fields_and_body() writes, exactly.
size_t fields_and_body_size(const HeaderMap& headers, const std::string& body) {
  std::optional<std::string_view> stated;
  size_t n = 0;
  for (const Header h : headers.all()) {
    if (h.name.size() == 14 && iequals(h.name, "content-length")) {
      stated = h.value;
      continue;
    }
    n += h.name.size() + h.value.size() + 4;
  }
  uint64_t length = body.empty() && stated ? stated_length(*stated) : body.size();
  return n + sizeof("content-length: \r\n\r\n") - 1 + decimal_digits(length) + body.size();
}

}  // namespace

size_t serialized_size(const HttpRequest& request) {
  size_t target = request.target.empty() ? 1 : request.target.size();
  size_t n = request.method.size() + 1 + target + sizeof(" HTTP/1.1\r\n") - 1;
  if (!request.authority.empty()) n += sizeof("host: \r\n") - 1 + request.authority.size();
  return n + fields_and_body_size(request.headers, request.body);
}

size_t serialized_size(const HttpResponse& response) {
  uint64_t status = static_cast<uint64_t>(response.status < 0 ? 0 : response.status);
  return sizeof("HTTP/1.1  \r\n") - 1 + decimal_digits(status) + std::string_view(reason_phrase(response.status)).size() +
         fields_and_body_size(response.headers, response.body);
}

std::string serialize(const HttpRequest& request) {
  std::string out;
  serialize_into(out, request);
  return out;
}

std::string serialize(const HttpResponse& response) {
  std::string out;
  serialize_into(out, response);
  return out;
}

void serialize_into(std::string& out, const HttpRequest& request) {
  std::string_view target = request.target.empty() ? "/" : std::string_view(request.target);
  Writer w(out, request.method.size() + target.size() + sizeof(" HTTP/1.1\r\nhost: \r\n") +
                    request.authority.size() + wire_size(request.headers, request.body));
  w.unfolded(request.method);
  w << ' ';
  w.unfolded(target);
  w << " HTTP/1.1\r\n";
  if (!request.authority.empty()) {
    w << "host: ";
    w.unfolded(request.authority);
    w << "\r\n";
  }
  write_fields_and_body(w, request.headers, request.body);
}

void serialize_into(std::string& out, const HttpResponse& response) {
  std::string_view reason = reason_phrase(response.status);
  Writer w(out, sizeof("HTTP/1.1  \r\n") + kDigitsMax + reason.size() + wire_size(response.headers, response.body));
  w << "HTTP/1.1 " << static_cast<uint64_t>(response.status < 0 ? 0 : response.status) << ' ' << reason << "\r\n";
  write_fields_and_body(w, response.headers, response.body);
}

bool parse_request(std::string_view bytes, HttpRequest& out, DecodeOutcome* outcome) {
  // The fast path straight into a message of our own: no decoder state to
  // keep, one move (whole_message_parser.h; Beast below decides the rest).
  if (HttpRequest whole; parse_whole_request(bytes, CodecLimits{}, whole)) {
    out = std::move(whole);
    if (outcome) *outcome = DecodeOutcome{DecodeOutcome::Kind::kMessage, 0, {}};
    return true;
  }
  // One decoder per thread, reused: every hop of the simulated world parses
  // a whole message at once, and a fresh decoder costs an allocation.
  thread_local RequestDecoder decoder;
  decoder.reset();
  DecodeOutcome result = decoder.feed(bytes);
  if (outcome) *outcome = result;
  if (result.kind != DecodeOutcome::Kind::kMessage) return false;
  out = decoder.take();
  return true;
}

bool parse_response(std::string_view bytes, HttpResponse& out, DecodeOutcome* outcome) {
  if (HttpResponse whole; parse_whole_response(bytes, CodecLimits{}, whole)) {
    out = std::move(whole);
    if (outcome) *outcome = DecodeOutcome{DecodeOutcome::Kind::kMessage, 0, {}};
    return true;
  }
  thread_local ResponseDecoder decoder;
  decoder.reset();
  DecodeOutcome result = decoder.feed(bytes);
  if (outcome) *outcome = result;
  if (result.kind != DecodeOutcome::Kind::kMessage) return false;
  out = decoder.take();
  return true;
}

}  // namespace meshsim::proxy
