#include "proxy_core/grpc.h"

#include <array>
#include <charconv>

namespace meshsim::proxy {

bool is_grpc(const HeaderMap& headers) {
  auto type = headers.get("content-type");
  if (!type || type->size() < 16 || !iequals(type->substr(0, 16), "application/grpc")) return false;
  return type->size() == 16 || (*type)[16] == '+' || (*type)[16] == ';';
}

std::optional<int> grpc_code_from_name(std::string_view name) {
  // grpc/grpc doc/statuscodes.md order: the index is the code.
  static constexpr std::array<std::string_view, 17> kNames = {
      "OK",        "CANCELLED",          "UNKNOWN",        "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",        "UNAVAILABLE",    "DATA_LOSS",        "UNAUTHENTICATED"};
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<int>(i);
  return std::nullopt;
}

int http_to_grpc_status(int http_status) {
  switch (http_status) {
    case 400: return 13;  // INTERNAL
    case 401: return 16;  // UNAUTHENTICATED
    case 403: return 7;   // PERMISSION_DENIED
    case 404: return 12;  // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504: return 14;  // UNAVAILABLE
    default: return 2;    // UNKNOWN
  }
}

namespace {
std::optional<int> parse_code(std::optional<std::string_view> v) {
  if (!v) return std::nullopt;
  int code = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), code);
  if (ec != std::errc() || end != v->data() + v->size()) return std::nullopt;
  return code;
}
}  // namespace

std::optional<int> grpc_status_in_headers(const HttpResponse& response) {
  return parse_code(response.headers.get("grpc-status"));
}

int grpc_status_of(const HttpResponse& response) {
  if (auto t = parse_code(response.trailers.get("grpc-status"))) return *t;
  if (auto h = grpc_status_in_headers(response)) return *h;
  return http_to_grpc_status(response.status);
}

int to_grpc_local_reply(HttpResponse& reply, std::optional<int> explicit_code) {
  int http_status = reply.status;
  int code = explicit_code ? *explicit_code : http_to_grpc_status(http_status);
  reply.status = 200;
  reply.headers.set("content-type", "application/grpc");
  reply.headers.remove("content-length");
  reply.headers.set("grpc-status", std::to_string(code));
  if (!reply.body.empty()) reply.headers.set("grpc-message", grpc_percent_encode(reply.body));
  reply.body.clear();
  reply.trailers = HeaderMap();
  return http_status;
}

std::string grpc_percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string grpc_percent_decode(std::string_view text) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<Duration> parse_grpc_timeout(std::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  int64_t amount = 0;
  for (char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    amount = amount * 10 + (c - '0');
  }
  switch (value.back()) {
    case 'H': return Duration(amount * 3600LL * 1'000'000);
    case 'M': return Duration(amount * 60LL * 1'000'000);
    case 'S': return Duration(amount * 1'000'000);
    case 'm': return Duration(amount * 1'000);
    case 'u': return Duration(amount);
    case 'n': return Duration(amount / 1000);
    default: return std::nullopt;
  }
}

std::string format_grpc_timeout(Duration timeout) {
  // Envoy Grpc::Common::toGrpcTimeout: milliseconds, moving to a larger unit
  // while the value needs more than 8 digits.
  int64_t value = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  constexpr int64_t kMax = 99'999'999;
  const char* units = "mSMH";
  const int64_t factors[] = {1000, 60, 60};
  int unit = 0;
  while (value > kMax && unit < 3) {
    value /= factors[unit];
    ++unit;
  }
  if (value > kMax) value = kMax;
  return std::to_string(value) + units[unit];
}

std::string grpc_frame(std::string_view message) {
  std::string out(5, '\0');
  auto n = static_cast<uint32_t>(message.size());
  out[1] = static_cast<char>(n >> 24);
  out[2] = static_cast<char>(n >> 16);
  out[3] = static_cast<char>(n >> 8);
  out[4] = static_cast<char>(n);
  out.append(message);
  return out;
}

uint64_t grpc_message_count(std::string_view body) {
  uint64_t count = 0;
  while (body.size() >= 5) {
    uint32_t n = (static_cast<uint32_t>(static_cast<unsigned char>(body[1])) << 24) |
                 (static_cast<uint32_t>(static_cast<unsigned char>(body[2])) << 16) |
                 (static_cast<uint32_t>(static_cast<unsigned char>(body[3])) << 8) |
                 static_cast<uint32_t>(static_cast<unsigned char>(body[4]));
    if (body.size() - 5 < n) break;
    ++count;
    body.remove_prefix(5 + n);
  }
  return count;
}

}  // namespace meshsim::proxy
