// Hand-made HTTP/2 frames for the codec tests and the live bad-input tests:
// bytes a broken or hostile client might send (RFC 9113 §4.1 frame layout,
// RFC 7541 §6.2.2 literal header fields without Huffman coding), and a
// reader for what came back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshsim::testing::h2 {

inline constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum Type : uint8_t { kData = 0, kHeaders = 1, kRstStream = 3, kSettings = 4, kPing = 6, kGoaway = 7, kWindowUpdate = 8, kContinuation = 9 };
enum Flags : uint8_t { kEndStream = 0x1, kAck = 0x1, kEndHeaders = 0x4 };

inline std::string u32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

inline std::string frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload) {
  size_t n = payload.size();
  std::string out{static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n), static_cast<char>(type),
                  static_cast<char>(flags)};
  out += u32(stream & 0x7fffffff);
  out += payload;
  return out;
}

// An HPACK integer with an N-bit prefix (RFC 7541 §5.1), first byte's high bits in `first`.
inline std::string hpack_int(uint8_t first, int prefix_bits, size_t v) {
  size_t max = (1u << prefix_bits) - 1;
  std::string out;
  if (v < max) return std::string(1, static_cast<char>(first | v));
  out += static_cast<char>(first | max);
  v -= max;
  while (v >= 128) {
    out += static_cast<char>((v % 128) + 128);
    v /= 128;
  }
  out += static_cast<char>(v);
  return out;
}

// A header block of literal fields without indexing, names taken as given
// (so a test can send upper-case or connection-specific names).
inline std::string block(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    out += '\0';
    out += hpack_int(0, 7, name.size()) + name;
    out += hpack_int(0, 7, value.size()) + value;
  }
  return out;
}

inline std::string get_headers(uint32_t stream, std::vector<std::pair<std::string, std::string>> extra = {},
                               bool end_stream = true) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {":method", "GET"}, {":scheme", "http"}, {":authority", "a.example"}, {":path", "/"}};
  fields.insert(fields.end(), extra.begin(), extra.end());
  return frame(kHeaders, kEndHeaders | (end_stream ? kEndStream : 0), stream, block(fields));
}

// A header block over HEADERS and CONTINUATION frames of at most 16,384
// bytes each (the default SETTINGS_MAX_FRAME_SIZE, RFC 9113 §4.2, §6.10).
inline std::string split_headers(uint32_t stream, std::string_view header_block) {
  constexpr size_t kMax = 16384;
  std::string out;
  bool first = true;
  do {
    std::string_view part = header_block.substr(0, kMax);
    header_block.remove_prefix(part.size());
    uint8_t flags = (header_block.empty() ? kEndHeaders : 0) | (first ? kEndStream : 0);
    out += frame(first ? kHeaders : kContinuation, flags, stream, part);
    first = false;
  } while (!header_block.empty());
  return out;
}

// What a client sends first: the preface and an empty SETTINGS.
inline std::string client_start() { return std::string(kPreface) + frame(kSettings, 0, 0, ""); }

struct Frame {
  uint8_t type = 0, flags = 0;
  uint32_t stream = 0;
  std::string payload;
  uint32_t error_code() const {  // RST_STREAM: the payload; GOAWAY: after the last stream id
    size_t at = type == kGoaway ? 4 : 0;
    if (payload.size() < at + 4) return 0xffffffff;
    auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(payload[at + i])); };
    return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
  }
};

// Frames in `bytes` (a server's output; a client's after its preface).
inline std::vector<Frame> frames(std::string_view bytes) {
  std::vector<Frame> out;
  while (bytes.size() >= 9) {
    auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])); };
    size_t n = b(0) << 16 | b(1) << 8 | b(2);
    if (bytes.size() < 9 + n) break;
    out.push_back({static_cast<uint8_t>(b(3)), static_cast<uint8_t>(b(4)),
                   (b(5) << 24 | b(6) << 16 | b(7) << 8 | b(8)) & 0x7fffffff, std::string(bytes.substr(9, n))});
    bytes.remove_prefix(9 + n);
  }
  return out;
}

inline std::optional<Frame> find(const std::vector<Frame>& all, uint8_t type) {
  for (const Frame& f : all)
    if (f.type == type) return f;
  return std::nullopt;
}

}  // namespace meshsim::testing::h2
