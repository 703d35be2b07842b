// Latency histogram with bounded relative error: log-linear buckets (as
// HdrHistogram does). Values keep their top `precision_bits` bits, so a
// reported percentile is at most 2^-(precision_bits-1) below a recorded
// value: 1/64 (1.6%) with the default 7 bits, 1/16 with 5 bits (per-second
// time series). No per-request storage: only the counters from the lowest
// to the highest bucket seen are kept (a latency spread over one decade
// takes about 3.3 × 2^(bits-1) counters: 1.7 KiB at 7 bits, 0.4 KiB at 5),
// at most 64 << bits (64 KiB at 7 bits); an empty histogram holds none.
// Dense from 0 they were 64 KiB each, per service per phase, per graph edge
// and per service per second of the time series: the memory that grew with
// the mesh and with the run (issue 20).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace meshsim::sim {

class LatencyHistogram {
 public:
  static constexpr int kDefaultPrecisionBits = 7;
  explicit LatencyHistogram(int precision_bits = kDefaultPrecisionBits) : bits_(precision_bits) {}
  void record(int64_t value_us);
  void merge(const LatencyHistogram& other);  // same precision only
  uint64_t count() const { return count_; }
  // Value at percentile p in [0, 100] (nearest rank); 0 when empty.
  int64_t percentile(double p) const;
  int64_t max() const { return max_; }

 private:
  int bucket_of(uint64_t value) const;
  uint64_t lowest_of(int bucket) const;
  // Makes counts_ cover bucket `b` (first_ moves down, or the end up).
  void cover(int b);
  int bits_;
  int first_ = 0;                 // the bucket counts_[0] counts
  std::vector<uint64_t> counts_;  // buckets [first_, first_ + size)
  uint64_t count_ = 0;
  int64_t max_ = 0;
};

}  // namespace meshsim::sim
