// A latency histogram that stays small however long the run: the same
// log-linear buckets and percentiles as sim::LatencyHistogram at the same
// precision (a percentile at most 2^-(bits-1) below a recorded value: 1/16
// at 5 bits, 1/64 at 7), stored packed: the counts from the lowest to the
// highest bucket seen, as varints (a bucket with fewer than 128 requests
// takes one byte instead of eight). record() notes the value's bucket in a
// short list that is folded into the packed counts every kPendingMax
// records or at pack(). About a tenth of sim::LatencyHistogram's memory,
// for the histograms a run keeps many of: the time series' bins and the
// service graph's edges (issue 20). Not thread-safe; owned by its bin or edge.
//
// The bucketing is sim::LatencyHistogram's (sim/log_linear_buckets.h); a
// test holds the two to the same percentiles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace meshsim::reports {

class CompactHistogram {
 public:
  static constexpr int kPrecisionBits = 5;  // the time series'
  static constexpr size_t kPendingMax = 64;
  // At most 7 bits (the highest bucket must fit 16 bits: 64 << 7).
  explicit CompactHistogram(int precision_bits = kPrecisionBits);
  void record(int64_t value_us);
  // Adds `other`'s counts (same precision only).
  void merge(const CompactHistogram& other);
  // Folds the recorded values into the packed counts and frees the list.
  void pack();
  bool packed() const { return pending_.empty(); }
  uint64_t count() const { return count_; }
  int64_t max() const { return max_; }
  // Value at percentile p in [0, 100] (nearest rank), as
  // sim::LatencyHistogram::percentile; 0 when empty.
  int64_t percentile(double p) const;
  // Bytes on the heap, for the tests of the bound.
  size_t heap_bytes() const { return pending_.capacity() * sizeof(uint16_t) + packed_.capacity(); }

 private:
  int bucket_of(uint64_t value) const;
  uint64_t lowest_of(int bucket) const;
  // Calls f(bucket, count) for every packed bucket from the lowest to the highest.
  template <typename F>
  void for_each_packed(F f) const;
  std::vector<uint16_t> pending_;  // buckets recorded since the last fold
  std::vector<uint8_t> packed_;    // first bucket, number of buckets, then each count (varints)
  uint64_t count_ = 0;
  int64_t max_ = 0;
  int bits_;
};

}  // namespace meshsim::reports
