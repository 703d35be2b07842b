// A latency histogram for the bins of the time series: the same log-linear
// buckets and percentiles as sim::LatencyHistogram at 5 bits (a percentile
// within 1/16 below a recorded value), in two forms. Open, it counts in
// place (one uint64 per bucket from the lowest to the highest seen); packed,
// the same counts are varints (a bucket with fewer than 128 requests takes a
// byte), about a tenth of the size. The time series keeps the bins being
// written open and packs the rest, so the bins a long run keeps up to its
// budget stay small (issue 20); record() on a packed histogram opens it.
// Not thread-safe; owned by its bin.
//
// The bucketing is sim::LatencyHistogram's (sim/histogram.cc), repeated here
// because the packed form needs the buckets themselves; a test holds the
// two to the same percentiles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace meshsim::reports {

class CompactHistogram {
 public:
  static constexpr int kPrecisionBits = 5;
  void record(int64_t value_us);
  // Adds `other`'s counts (either form); this one is open afterwards.
  void merge(const CompactHistogram& other);
  // To the packed form (no-op when packed or empty); frees the open counts.
  void pack();
  bool packed() const { return !packed_.empty(); }
  uint64_t count() const { return count_; }
  int64_t max() const { return max_; }
  // Value at percentile p in [0, 100] (nearest rank), as
  // sim::LatencyHistogram::percentile; 0 when empty.
  int64_t percentile(double p) const;
  // Bytes on the heap (both forms), for the memory bound's test.
  size_t heap_bytes() const { return open_.capacity() * sizeof(uint64_t) + packed_.capacity(); }

 private:
  static int bucket_of(uint64_t value);
  static uint64_t lowest_of(int bucket);
  void open();
  void cover(int b);
  // Calls f(bucket, count) for every bucket from the lowest to the highest.
  template <typename F>
  void for_each_bucket(F f) const;
  int first_ = 0;                // the bucket open_[0] counts
  std::vector<uint64_t> open_;   // open form: buckets [first_, first_ + size)
  std::vector<uint8_t> packed_;  // packed form: first bucket, bucket count, counts (varints)
  uint64_t count_ = 0;
  int64_t max_ = 0;
};

}  // namespace meshsim::reports
