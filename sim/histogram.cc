#include "sim/histogram.h"
#include "sim/log_linear_buckets.h"

#include <algorithm>
#include <cmath>

namespace meshsim::sim {

int LatencyHistogram::bucket_of(uint64_t v) const { return sim::log_linear_bucket(v, bits_); }

uint64_t LatencyHistogram::lowest_of(int bucket) const { return sim::log_linear_lowest(bucket, bits_); }

void LatencyHistogram::cover(int b) {
  if (counts_.empty()) {
    first_ = b;
    counts_.assign(1, 0);
  } else if (b < first_) {
    counts_.insert(counts_.begin(), static_cast<size_t>(first_ - b), 0);
    first_ = b;
  } else if (b >= first_ + static_cast<int>(counts_.size())) {
    counts_.resize(static_cast<size_t>(b - first_ + 1), 0);
  }
}

void LatencyHistogram::record(int64_t value_us) {
  uint64_t v = static_cast<uint64_t>(std::max<int64_t>(0, value_us));
  // The last bucket of the dense layout (64 << bits) takes everything above.
  int b = std::min(bucket_of(v), (64 << bits_) - 1);
  cover(b);
  ++counts_[static_cast<size_t>(b - first_)];
  ++count_;
  max_ = std::max<int64_t>(max_, static_cast<int64_t>(v));
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.bits_ != bits_ || other.counts_.empty()) return;
  cover(other.first_);
  cover(other.first_ + static_cast<int>(other.counts_.size()) - 1);
  for (size_t i = 0; i < other.counts_.size(); ++i) counts_[static_cast<size_t>(other.first_ - first_) + i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

int64_t LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  if (p >= 100) return max_;
  uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min<int64_t>(static_cast<int64_t>(lowest_of(first_ + static_cast<int>(i))), max_);
  }
  return max_;
}

}  // namespace meshsim::sim
