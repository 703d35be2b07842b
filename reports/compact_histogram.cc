#include "reports/compact_histogram.h"
#include "reports/varint.h"
#include "sim/log_linear_buckets.h"

#include <algorithm>
#include <cmath>

namespace meshsim::reports {

int CompactHistogram::bucket_of(uint64_t v) const { return sim::log_linear_bucket(v, bits_); }

uint64_t CompactHistogram::lowest_of(int bucket) const { return sim::log_linear_lowest(bucket, bits_); }

namespace {

// Counts from a first bucket on, for folding and reading.
struct Dense {
  int first = 0;
  std::vector<uint64_t> counts;
  void add(int b, uint64_t n) {
    if (n == 0) return;
    if (counts.empty()) {
      first = b;
      counts.assign(1, 0);
    } else if (b < first) {
      counts.insert(counts.begin(), static_cast<size_t>(first - b), 0);
      first = b;
    } else if (b >= first + static_cast<int>(counts.size())) {
      counts.resize(static_cast<size_t>(b - first + 1), 0);
    }
    counts[static_cast<size_t>(b - first)] += n;
  }
};

// Packed: first bucket, number of buckets, then a token per bucket: 0 an
// empty bucket, 1 a run of empty buckets (its length - 2 follows: tails are
// sparse), n >= 2 a count of n - 1.
std::vector<uint8_t> encode(const Dense& d) {
  std::vector<uint8_t> out;
  if (d.counts.empty()) return out;
  out.reserve(d.counts.size() + 4);
  put_varint(out, static_cast<uint64_t>(d.first));
  put_varint(out, d.counts.size());
  for (size_t i = 0; i < d.counts.size();) {
    if (d.counts[i] != 0) {
      put_varint(out, d.counts[i++] + 1);
      continue;
    }
    size_t run = 0;
    while (i < d.counts.size() && d.counts[i] == 0) ++i, ++run;
    if (run == 1) {
      put_varint(out, 0);
    } else {
      put_varint(out, 1);
      put_varint(out, run - 2);
    }
  }
  out.shrink_to_fit();
  return out;
}

}  // namespace

CompactHistogram::CompactHistogram(int precision_bits) : bits_(precision_bits) {}

template <typename F>
void CompactHistogram::for_each_packed(F f) const {
  if (packed_.empty()) return;
  size_t pos = 0;
  int bucket = static_cast<int>(get_varint(packed_, pos));
  int end = bucket + static_cast<int>(get_varint(packed_, pos));
  while (bucket < end) {
    uint64_t token = get_varint(packed_, pos);
    if (token == 0) ++bucket;
    else if (token == 1) bucket += 2 + static_cast<int>(get_varint(packed_, pos));
    else f(bucket++, token - 1);
  }
}

void CompactHistogram::pack() {
  if (pending_.empty()) return;
  // The buckets' range first, so the dense counts are made once at their
  // size rather than grown and shifted as out-of-order buckets arrive.
  auto [low, high] = std::minmax_element(pending_.begin(), pending_.end());
  int first = *low, last = *high;
  if (!packed_.empty()) {
    size_t pos = 0;
    int packed_first = static_cast<int>(get_varint(packed_, pos));
    first = std::min(first, packed_first);
    last = std::max(last, packed_first + static_cast<int>(get_varint(packed_, pos)) - 1);
  }
  Dense d;
  d.first = first;
  d.counts.assign(static_cast<size_t>(last - first + 1), 0);
  for_each_packed([&](int b, uint64_t n) { d.add(b, n); });
  for (uint16_t b : pending_) d.add(b, 1);
  packed_ = encode(d);
  std::vector<uint16_t>().swap(pending_);  // frees the list (`= {}` would keep its capacity)
}

void CompactHistogram::record(int64_t value_us) {
  uint64_t v = static_cast<uint64_t>(std::max<int64_t>(0, value_us));
  // The last bucket of sim::LatencyHistogram's dense layout takes everything above.
  int b = std::min(bucket_of(v), (64 << bits_) - 1);
  if (pending_.empty()) pending_.reserve(kPendingMax);
  pending_.push_back(static_cast<uint16_t>(b));
  ++count_;
  max_ = std::max<int64_t>(max_, static_cast<int64_t>(v));
  if (pending_.size() == kPendingMax) {
    pack();
    pending_.reserve(kPendingMax);  // more will come: keep the list's room
  }
}

void CompactHistogram::merge(const CompactHistogram& other) {
  if (other.bits_ != bits_ || other.count_ == 0) return;
  Dense d;
  for_each_packed([&](int b, uint64_t n) { d.add(b, n); });
  for (uint16_t b : pending_) d.add(b, 1);
  other.for_each_packed([&](int b, uint64_t n) { d.add(b, n); });
  for (uint16_t b : other.pending_) d.add(b, 1);
  packed_ = encode(d);
  std::vector<uint16_t>().swap(pending_);
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

int64_t CompactHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  if (p >= 100) return max_;
  Dense d;
  for_each_packed([&](int b, uint64_t n) { d.add(b, n); });
  for (uint16_t b : pending_) d.add(b, 1);
  uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < d.counts.size(); ++i) {
    seen += d.counts[i];
    if (seen >= rank) return std::min<int64_t>(static_cast<int64_t>(lowest_of(d.first + static_cast<int>(i))), max_);
  }
  return max_;
}

}  // namespace meshsim::reports
