// Latency histogram with bounded relative error: log-linear buckets (as
// HdrHistogram does). Values keep their top `precision_bits` bits, so a
// reported percentile is at most 2^-(precision_bits-1) below a recorded
// value: 1/64 (1.6%) with the default 7 bits in 8192 counters (64 KiB);
// 5 bits give 1/16 in 2048 counters, for per-second time series. Fixed
// memory, no per-request storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace meshsim::sim {

class LatencyHistogram {
 public:
  static constexpr int kDefaultPrecisionBits = 7;
  explicit LatencyHistogram(int precision_bits = kDefaultPrecisionBits)
      : bits_(precision_bits), counts_(static_cast<size_t>(64) << precision_bits, 0) {}
  void record(int64_t value_us);
  void merge(const LatencyHistogram& other);  // same precision only
  uint64_t count() const { return count_; }
  // Value at percentile p in [0, 100] (nearest rank); 0 when empty.
  int64_t percentile(double p) const;
  int64_t max() const { return max_; }

 private:
  int bucket_of(uint64_t value) const;
  uint64_t lowest_of(int bucket) const;
  int bits_;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  int64_t max_ = 0;
};

}  // namespace meshsim::sim
