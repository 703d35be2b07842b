#include "reports/compact_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace meshsim::reports {

namespace {

void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

uint64_t get_varint(const std::vector<uint8_t>& in, size_t& pos) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = in[pos++];
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}

// The last bucket of sim::LatencyHistogram's dense layout takes everything above.
constexpr int kLastBucket = (64 << CompactHistogram::kPrecisionBits) - 1;

}  // namespace

int CompactHistogram::bucket_of(uint64_t v) {
  // Values below 2^bits are exact; above, keep the top `bits` bits.
  constexpr uint64_t kSub = uint64_t{1} << kPrecisionBits;
  if (v < kSub) return static_cast<int>(v);
  int magnitude = 63 - std::countl_zero(v);  // >= kPrecisionBits
  int shift = magnitude - kPrecisionBits + 1;
  uint64_t top = v >> shift;  // in [kSub/2, kSub)
  return static_cast<int>(static_cast<uint64_t>(shift) * (kSub / 2) + top);
}

uint64_t CompactHistogram::lowest_of(int bucket) {
  constexpr uint64_t kSub = uint64_t{1} << kPrecisionBits;
  uint64_t b = static_cast<uint64_t>(bucket);
  if (b < kSub) return b;
  uint64_t shift = (b - kSub / 2) / (kSub / 2);
  uint64_t top = b - shift * (kSub / 2);
  return top << shift;
}

template <typename F>
void CompactHistogram::for_each_bucket(F f) const {
  if (!packed()) {
    for (size_t i = 0; i < open_.size(); ++i) f(first_ + static_cast<int>(i), open_[i]);
    return;
  }
  size_t pos = 0;
  int first = static_cast<int>(get_varint(packed_, pos));
  uint64_t n = get_varint(packed_, pos);
  for (uint64_t i = 0; i < n; ++i) f(first + static_cast<int>(i), get_varint(packed_, pos));
}

void CompactHistogram::open() {
  if (!packed()) return;
  std::vector<uint8_t> packed = std::move(packed_);
  packed_.clear();
  size_t pos = 0;
  first_ = static_cast<int>(get_varint(packed, pos));
  open_.resize(get_varint(packed, pos));
  for (uint64_t& c : open_) c = get_varint(packed, pos);
}

void CompactHistogram::pack() {
  if (packed() || open_.empty()) return;
  std::vector<uint8_t> out;
  out.reserve(open_.size() + 4);
  put_varint(out, static_cast<uint64_t>(first_));
  put_varint(out, open_.size());
  for (uint64_t c : open_) put_varint(out, c);
  out.shrink_to_fit();
  packed_ = std::move(out);
  open_ = {};  // frees the open counts
}

void CompactHistogram::cover(int b) {
  if (open_.empty()) {
    first_ = b;
    open_.assign(1, 0);
  } else if (b < first_) {
    open_.insert(open_.begin(), static_cast<size_t>(first_ - b), 0);
    first_ = b;
  } else if (b >= first_ + static_cast<int>(open_.size())) {
    open_.resize(static_cast<size_t>(b - first_ + 1), 0);
  }
}

void CompactHistogram::record(int64_t value_us) {
  uint64_t v = static_cast<uint64_t>(std::max<int64_t>(0, value_us));
  int b = std::min(bucket_of(v), kLastBucket);
  open();
  cover(b);
  ++open_[static_cast<size_t>(b - first_)];
  ++count_;
  max_ = std::max<int64_t>(max_, static_cast<int64_t>(v));
}

void CompactHistogram::merge(const CompactHistogram& other) {
  if (other.count_ == 0) return;
  open();
  other.for_each_bucket([&](int bucket, uint64_t n) {
    if (n == 0) return;
    cover(bucket);
    open_[static_cast<size_t>(bucket - first_)] += n;
  });
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

int64_t CompactHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  if (p >= 100) return max_;
  uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_))));
  uint64_t seen = 0;
  int64_t found = max_;
  bool done = false;
  for_each_bucket([&](int bucket, uint64_t n) {
    if (done) return;
    seen += n;
    if (seen >= rank) {
      found = std::min<int64_t>(static_cast<int64_t>(lowest_of(bucket)), max_);
      done = true;
    }
  });
  return found;
}

}  // namespace meshsim::reports
