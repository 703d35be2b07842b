// Log-linear latency buckets (as HdrHistogram's): values below 2^bits are
// exact; above, a value keeps its top `bits` bits, so a bucket's lowest value
// is at most 2^-(bits-1) below any value in it. One definition for the two
// histograms that bucket this way: sim::LatencyHistogram (counters) and
// reports::CompactHistogram (packed counters), so their percentiles agree.
#pragma once

#include <bit>
#include <cstdint>

namespace meshsim::sim {

inline int log_linear_bucket(uint64_t value, int bits) {
  const uint64_t sub = uint64_t{1} << bits;
  if (value < sub) return static_cast<int>(value);
  int magnitude = 63 - std::countl_zero(value);  // >= bits
  int shift = magnitude - bits + 1;
  uint64_t top = value >> shift;  // in [sub/2, sub)
  return static_cast<int>(static_cast<uint64_t>(shift) * (sub / 2) + top);
}

inline uint64_t log_linear_lowest(int bucket, int bits) {
  const uint64_t sub = uint64_t{1} << bits;
  uint64_t b = static_cast<uint64_t>(bucket);
  if (b < sub) return b;
  uint64_t shift = (b - sub / 2) / (sub / 2);
  uint64_t top = b - shift * (sub / 2);
  return top << shift;
}

}  // namespace meshsim::sim
