#include "proxy_core/whole_message_parser.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "proxy_core/codec.h"

namespace meshsim::proxy {
namespace {

// Header blocks this large go to Beast, whose header_bytes_max check then applies.
constexpr size_t kHeaderBlockMax = 16 * 1024;

// Bytes of a field value or reason phrase taken here: printable ASCII and
// HTAB (Beast also takes obs-text; that goes to Beast).
constexpr std::array<bool, 256> kValueChar = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x7f; ++c) t[c] = true;
  t['\t'] = true;
  return t;
}();

bool is_space(char c) { return c == ' ' || c == '\t'; }

// skip_value_bytes reads eight bytes as one word, first byte lowest.
static_assert(std::endian::native == std::endian::little);
constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;

// The index of the lowest byte whose high bit `mask` sets. In the masks
// below only that lowest byte is exact (a borrow or carry may flag bytes
// above it), which is all the scan needs: it resumes there byte by byte.
int lowest_flagged_byte(uint64_t mask) { return std::countr_zero(mask) >> 3; }

// The end of the run of value bytes (kValueChar) from p: eight bytes at a
// time while all eight are printable ASCII (0x20..0x7e), then byte by byte
// from the first byte that is not (HTAB is, and the byte loop takes it).
const char* skip_value_bytes(const char* p, const char* end) {
  while (end - p >= 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);  // little-endian: the first byte is the lowest
    uint64_t below_space = (x - kOnes * 0x20) & ~x & kHighs;  // a byte < 0x20
    uint64_t del_or_high = ((x + kOnes) | x) & kHighs;       // a byte >= 0x7f
    if (uint64_t stop = below_space | del_or_high) {
      p += lowest_flagged_byte(stop);
      break;
    }
    p += 8;
  }
  while (p < end && kValueChar[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

// Parses the fields after the start line at `p`, up to and including the
// empty line. Calls on_field(name, value) per field; it returns false to
// give up. Returns the position after the header block, or nullptr.
template <typename OnField>
const char* parse_fields(const char* p, const char* end, OnField&& on_field) {
  for (;;) {
    if (end - p < 2) return nullptr;
    if (p[0] == '\r') return p[1] == '\n' ? p + 2 : nullptr;
    const char* name = p;
    // Byte by byte: field names are short, and a word at a time (letters,
    // digits and '-' in one test, then the table) cost more than it saved.
    while (p < end && kTchar[static_cast<unsigned char>(*p)]) ++p;
    if (p == name || p == end || *p != ':') return nullptr;
    std::string_view field_name(name, static_cast<size_t>(p - name));
    ++p;
    while (p < end && is_space(*p)) ++p;
    const char* value = p;
    p = skip_value_bytes(p, end);
    // CRLF, then no obs-fold (a line starting with SP or HTAB).
    if (end - p < 3 || p[0] != '\r' || p[1] != '\n' || is_space(p[2])) return nullptr;
    const char* value_end = p;
    while (value_end > value && is_space(value_end[-1])) --value_end;
    if (!on_field(field_name, std::string_view(value, static_cast<size_t>(value_end - value)))) return nullptr;
    p += 2;
  }
}

// A Content-Length this path frames by: digits only, at most 18 of them.
bool read_length(std::string_view v, size_t& length) {
  if (v.empty() || v.size() > 18) return false;
  size_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  length = n;
  return true;
}

// What becomes of a field in this path: kept, dropped as DirectParser drops
// it (hop-by-hop, never the application's), or left with its message to
// Beast, whose framing and connection rules depend on it. Content-Length
// and Host are the callers'.
enum class Hop { kKeep, kDrop, kBeast };
Hop hop_by_hop(std::string_view name, std::string_view value) {
  switch (name.size()) {
    case 7: return iequals(name, "upgrade") ? Hop::kBeast : Hop::kKeep;
    case 10:
      // "Connection: keep-alive" changes nothing for HTTP/1.1 (Beast's
      // keep_alive() stays true); any other Connection value goes to Beast.
      if (iequals(name, "connection")) return iequals(value, "keep-alive") ? Hop::kDrop : Hop::kBeast;
      return iequals(name, "keep-alive") ? Hop::kDrop : Hop::kKeep;
    case 16: return iequals(name, "proxy-connection") ? Hop::kBeast : Hop::kKeep;
    case 17: return iequals(name, "transfer-encoding") ? Hop::kBeast : Hop::kKeep;
    default: return Hop::kKeep;
  }
}

// A field the parser keeps, by its place in the header block starting at
// `block` (under kHeaderBlockMax bytes, so positions fit 32 bits).
void add_positioned(HeaderMap& headers, const char* block, std::string_view name, std::string_view value) {
  headers.add_positioned(static_cast<uint32_t>(name.data() - block), static_cast<uint32_t>(name.size()),
                         static_cast<uint32_t>(value.data() - block), static_cast<uint32_t>(value.size()));
}

// The header block [block, body) into `headers` once parse_fields() read
// it all; a block it gave up on leaves no field without its text.
bool adopt_fields(HeaderMap& headers, const char* block, const char* body, size_t room) {
  if (body == nullptr) {
    headers = HeaderMap();
    return false;
  }
  headers.adopt_block(std::string_view(block, static_cast<size_t>(body - block)), room);
  return true;
}

}  // namespace

bool parse_whole_request(std::string_view bytes, const CodecLimits& limits, HttpRequest& out, size_t* used) {
  const char* p = bytes.data();
  const char* end = p + std::min(bytes.size(), kHeaderBlockMax);
  // Request line: an upper-case method, an origin-form target, HTTP/1.1.
  const char* method = p;
  while (p < end && *p >= 'A' && *p <= 'Z') ++p;
  if (p == method || p == end || *p != ' ') return false;
  std::string_view method_text(method, static_cast<size_t>(p - method));
  const char* target = ++p;
  if (p == end || *p != '/') return false;
  while (p < end && *p > 0x20 && *p < 0x7f) ++p;
  std::string_view target_text(target, static_cast<size_t>(p - target));
  constexpr std::string_view kVersion = " HTTP/1.1\r\n";
  if (static_cast<size_t>(end - p) < kVersion.size() || std::string_view(p, kVersion.size()) != kVersion) return false;
  p += kVersion.size();

  HttpRequest& message = out;
  message.method.assign(method_text);
  message.target.assign(target_text);
  message.headers.reserve_more(24, 0);  // as DirectParser::on_request_impl
  size_t fields = 0, length = 0;
  bool has_length = false, has_host = false;
  const char* block = p;  // the fields are kept by position in it, then copied at once
  const char* body = parse_fields(p, end, [&](std::string_view name, std::string_view value) {
    if (++fields > limits.header_count_max) return false;
    if (Hop hop = hop_by_hop(name, value); hop != Hop::kKeep) return hop == Hop::kDrop;
    if (name.size() == 14 && iequals(name, "content-length")) {
      if (has_length || !read_length(value, length)) return false;
      has_length = true;
      return true;
    }
    if (name.size() == 4 && iequals(name, "host")) {
      if (has_host) return false;
      has_host = true;
      message.authority.assign(value);
      return true;
    }
    add_positioned(message.headers, block, name, value);
    return true;
  });
  // Room for the sidecar's edits to append in place (DirectParser reserves 1 KiB).
  if (!adopt_fields(message.headers, block, body, 512)) return false;
  if (length > limits.body_bytes_max) return false;
  size_t header_size = static_cast<size_t>(body - bytes.data());
  if (header_size > limits.header_bytes_max || bytes.size() - header_size < length) return false;
  message.body.assign(body, length);
  if (used) *used = header_size + length;
  return true;
}

bool parse_whole_response(std::string_view bytes, const CodecLimits& limits, HttpResponse& out, size_t* used) {
  const char* p = bytes.data();
  const char* end = p + std::min(bytes.size(), kHeaderBlockMax);
  // Status line: HTTP/1.1, three digits, a reason of printable bytes.
  constexpr std::string_view kVersion = "HTTP/1.1 ";
  if (static_cast<size_t>(end - p) < kVersion.size() + 4 || std::string_view(p, kVersion.size()) != kVersion) return false;
  p += kVersion.size();
  for (int i = 0; i < 3; ++i)
    if (p[i] < '0' || p[i] > '9') return false;
  int status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
  // Below 200, 204 and 304 have no body whatever they state: Beast's rules.
  if (p[3] != ' ' || status < 200 || status == 204 || status == 304) return false;
  p += 4;
  while (p < end && kValueChar[static_cast<unsigned char>(*p)]) ++p;
  if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return false;
  p += 2;

  HttpResponse& message = out;
  message.status = status;
  message.headers.reserve_more(16, 0);  // as DirectParser::on_response_impl
  size_t length = 0;
  bool has_length = false;
  const char* block = p;
  const char* body = parse_fields(p, end, [&](std::string_view name, std::string_view value) {
    if (Hop hop = hop_by_hop(name, value); hop != Hop::kKeep) return hop == Hop::kDrop;
    if (name.size() == 14 && iequals(name, "content-length")) {
      if (has_length || !read_length(value, length)) return false;
      has_length = true;
      return true;
    }
    add_positioned(message.headers, block, name, value);
    return true;
  });
  // Without Content-Length the body runs to the end of the connection: Beast's.
  if (!adopt_fields(message.headers, block, body, 256)) return false;
  if (!has_length || length > limits.body_bytes_max) return false;
  size_t header_size = static_cast<size_t>(body - bytes.data());
  if (header_size > limits.header_bytes_max || bytes.size() - header_size < length) return false;
  message.body.assign(body, length);
  if (used) *used = header_size + length;
  return true;
}

}  // namespace meshsim::proxy
