#include "proxy_core/codec.h"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>

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
    if (ec) return error_outcome(ec);
    if (used == 0) return {};
  }
  DecodeOutcome out;
  if (parser.is_done()) out.kind = DecodeOutcome::Kind::kMessage;
  return out;
}

template <typename Fields>
void copy_headers(const Fields& fields, HeaderMap& into, std::string* host) {
  for (const auto& field : fields) {
    std::string_view name(field.name_string().data(), field.name_string().size());
    std::string_view value(field.value().data(), field.value().size());
    if (host != nullptr && iequals(name, "host")) {
      *host = std::string(value);
      continue;
    }
    // Framing headers are the codec's business, not the application's.
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
    into.add(name, value);
  }
}

template <typename Message>
std::string write_message(Message& message) {
  message.prepare_payload();
  std::string out;
  http::serializer<Message::is_request::value, http::string_body> sr(message);
  boost::system::error_code ec;
  while (!sr.is_done() && !ec) {
    sr.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      size_t n = 0;
      for (auto b : boost::beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      sr.consume(n);
    });
  }
  return out;
}

}  // namespace

struct RequestDecoder::Impl {
  std::optional<http::request_parser<http::string_body>> parser;
};

RequestDecoder::RequestDecoder(CodecLimits limits) : impl_(std::make_unique<Impl>()), limits_(limits) {}
RequestDecoder::~RequestDecoder() = default;
RequestDecoder::RequestDecoder(RequestDecoder&&) noexcept = default;
RequestDecoder& RequestDecoder::operator=(RequestDecoder&&) noexcept = default;

DecodeOutcome RequestDecoder::feed(std::string_view& bytes) {
  if (!impl_->parser) {
    impl_->parser.emplace();
    impl_->parser->header_limit(static_cast<std::uint32_t>(limits_.header_bytes_max));
    impl_->parser->body_limit(limits_.body_bytes_max);
  }
  return feed_parser(*impl_->parser, bytes);
}

HttpRequest RequestDecoder::take() {
  auto message = impl_->parser->release();
  impl_->parser.reset();
  keep_alive_ = message.keep_alive();
  HttpRequest out;
  out.method = std::string(message.method_string());
  out.target = std::string(message.target());
  copy_headers(message.base(), out.headers, &out.authority);
  out.body = std::move(message.body());
  return out;
}

struct ResponseDecoder::Impl {
  std::optional<http::response_parser<http::string_body>> parser;
};

ResponseDecoder::ResponseDecoder(CodecLimits limits) : impl_(std::make_unique<Impl>()), limits_(limits) {}
ResponseDecoder::~ResponseDecoder() = default;
ResponseDecoder::ResponseDecoder(ResponseDecoder&&) noexcept = default;
ResponseDecoder& ResponseDecoder::operator=(ResponseDecoder&&) noexcept = default;

DecodeOutcome ResponseDecoder::feed(std::string_view& bytes) {
  if (!impl_->parser) {
    impl_->parser.emplace();
    impl_->parser->header_limit(static_cast<std::uint32_t>(limits_.header_bytes_max));
    impl_->parser->body_limit(limits_.body_bytes_max);
  }
  return feed_parser(*impl_->parser, bytes);
}

HttpResponse ResponseDecoder::take() {
  auto message = impl_->parser->release();
  impl_->parser.reset();
  keep_alive_ = message.keep_alive();
  HttpResponse out;
  out.status = static_cast<int>(message.result_int());
  copy_headers(message.base(), out.headers, nullptr);
  out.body = std::move(message.body());
  return out;
}

std::string serialize(const HttpRequest& request) {
  http::request<http::string_body> message;
  message.method_string(request.method);
  message.target(request.target);
  message.version(11);
  if (!request.authority.empty()) message.set(http::field::host, request.authority);
  for (const Header& h : request.headers.all()) message.insert(h.name, h.value);
  message.body() = request.body;
  return write_message(message);
}

std::string serialize(const HttpResponse& response) {
  http::response<http::string_body> message;
  message.result(static_cast<unsigned>(response.status));
  message.reason(reason_phrase(response.status));
  message.version(11);
  for (const Header& h : response.headers.all()) message.insert(h.name, h.value);
  message.body() = response.body;
  return write_message(message);
}

bool parse_request(std::string_view bytes, HttpRequest& out, DecodeOutcome* outcome) {
  RequestDecoder decoder;
  DecodeOutcome result = decoder.feed(bytes);
  if (outcome) *outcome = result;
  if (result.kind != DecodeOutcome::Kind::kMessage) return false;
  out = decoder.take();
  return true;
}

bool parse_response(std::string_view bytes, HttpResponse& out, DecodeOutcome* outcome) {
  ResponseDecoder decoder;
  DecodeOutcome result = decoder.feed(bytes);
  if (outcome) *outcome = result;
  if (result.kind != DecodeOutcome::Kind::kMessage) return false;
  out = decoder.take();
  return true;
}

}  // namespace meshsim::proxy
