// LEB128 varints for the packed stores (kept metrics scrapes, compact
// histograms, kept spans): 7 bits a byte, low bits first, the top bit set
// on every byte but the last. Readers trust the bytes: they read back only
// what put_varint wrote.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace meshsim::reports {

inline void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

inline uint64_t get_varint(const uint8_t* in, size_t& pos) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = in[pos++];
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}

inline uint64_t get_varint(const std::vector<uint8_t>& in, size_t& pos) { return get_varint(in.data(), pos); }

}  // namespace meshsim::reports
