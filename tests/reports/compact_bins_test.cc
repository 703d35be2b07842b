// Memory flat in run length (issue 20): the time series keeps its bins small
// (latency histograms packed once written, versions by interned name) and
// still reports what sim::LatencyHistogram at 5 bits would.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "reports/compact_histogram.h"
#include "reports/time_series.h"
#include "sim/histogram.h"

namespace meshsim::reports {
namespace {

constexpr double kPercentiles[] = {0, 1, 10, 25, 50, 75, 90, 99, 99.9, 100};

// Latencies over several decades with a long tail, from one seed.
std::vector<int64_t> latencies(uint64_t seed, int n) {
  std::mt19937_64 random(seed);
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) {
    uint64_t r = random();
    int magnitude = static_cast<int>(r % 24);  // 1 us .. 16 s
    out.push_back(static_cast<int64_t>((r >> 8) % (uint64_t{1} << magnitude)) + (i % 7 == 0 ? -1 : 0));
  }
  return out;
}

void expect_same(const CompactHistogram& compact, const sim::LatencyHistogram& reference, const std::string& what) {
  EXPECT_EQ(compact.count(), reference.count()) << what;
  EXPECT_EQ(compact.max(), reference.max()) << what;
  for (double p : kPercentiles) EXPECT_EQ(compact.percentile(p), reference.percentile(p)) << what << ", p" << p;
}

TEST(CompactHistogram, PercentilesAreLatencyHistogramsAtTheSamePrecision) {
  for (int bits : {5, 7})
    for (uint64_t seed : {1, 2, 3}) {
      std::string what = std::to_string(bits) + " bits, seed " + std::to_string(seed);
      CompactHistogram compact(bits);
      sim::LatencyHistogram reference(bits);
      std::vector<int64_t> values = latencies(seed, 2000);
      for (size_t i = 0; i < values.size(); ++i) {
        compact.record(values[i]);
        reference.record(values[i]);
        if (i % 500 == 0) expect_same(compact, reference, what + ", values not folded yet, after " + std::to_string(i + 1));
        if (i % 500 == 499) {
          compact.pack();
          EXPECT_TRUE(compact.packed());
          expect_same(compact, reference, what + ", packed after " + std::to_string(i + 1));
        }
      }
    }
}

TEST(CompactHistogram, MergeAddsEitherForm) {
  CompactHistogram a, b;
  sim::LatencyHistogram ra(CompactHistogram::kPrecisionBits), rb(CompactHistogram::kPrecisionBits);
  for (int64_t v : latencies(7, 800)) a.record(v), ra.record(v);
  for (int64_t v : latencies(8, 300)) b.record(v), rb.record(v);
  b.pack();
  a.merge(b);
  ra.merge(rb);
  expect_same(a, ra, "merged with packed");
  CompactHistogram c;
  c.record(12345);
  ra.record(12345);
  a.merge(c);  // c's value is not folded yet
  expect_same(a, ra, "merged with values not folded");
  CompactHistogram empty;
  empty.merge(a);
  expect_same(empty, ra, "empty merged");
}

TEST(CompactHistogram, PackedTakesAboutAByteABucket) {
  // A bin of the 10-service tree: 100 requests, 1 to 10 ms: buckets 111 to
  // 163 at 5 bits, 53 counters of 8 bytes in sim::LatencyHistogram.
  CompactHistogram h;
  std::mt19937_64 random(42);
  for (int i = 0; i < 100; ++i) h.record(1000 + static_cast<int64_t>(random() % 9000));
  h.pack();
  EXPECT_LE(h.heap_bytes(), 53u + 2) << "varints: one byte per bucket, two for the header";
  EXPECT_EQ(h.count(), 100u);
  // A long tail at 7 bits: empty buckets between take a run length.
  CompactHistogram tail(7);
  for (int i = 0; i < 1000; ++i) tail.record(5000 + i % 50);
  tail.record(15'000'000);  // a 15 s timeout: 11 octaves (700 buckets) above
  tail.pack();
  EXPECT_LE(tail.heap_bytes(), 40u);
}

proxy::TelemetryEvent event(const std::string& service, const std::string& version, int64_t start_us, int64_t duration_us) {
  proxy::TelemetryEvent e;
  e.reporter = proxy::TelemetryEvent::Reporter::kDestination;
  e.destination_workload = "w";
  e.destination_namespace = "default";
  e.destination_service = service;
  e.destination_version = version;
  e.response_code = 200;
  e.start = proxy::TimePoint(start_us);
  e.duration = proxy::Duration(duration_us);
  return e;
}

TEST(CompactBins, AllButTheTwoNewestBinsOfAServiceArePacked) {
  TimeSeries series;
  std::vector<std::string> services = {"a.default.svc.cluster.local", "b.default.svc.cluster.local"};
  for (int64_t t = 0; t < 50; ++t)
    for (int i = 0; i < 20; ++i)
      for (const std::string& s : services) series.record(event(s, i % 10 ? "v1" : "v2", t * 1'000'000 + i * 1000, 500 + i * 100));
  for (const auto& [service, bins] : series.services()) {
    ASSERT_EQ(bins.size(), 50u);
    int open = 0;
    for (const auto& [t, bin] : bins) open += bin.latency.packed() ? 0 : 1;
    EXPECT_LE(open, 2) << service;
  }
}

TEST(CompactBins, ALateReportOpensItsBinAndCountsThere) {
  // Reports come in as requests end: one that started in second 3 and took
  // 2 s arrives after second 5's, and counts in second 3.
  TimeSeries series;
  sim::LatencyHistogram second3(CompactHistogram::kPrecisionBits);
  const std::string s = "a.default.svc.cluster.local";
  for (int64_t t = 0; t < 6; ++t)
    for (int i = 0; i < 10; ++i) {
      series.record(event(s, "v1", t * 1'000'000 + i * 1000, 1000 + i));
      if (t == 3) second3.record(1000 + i);
    }
  series.record(event(s, "v2", 3'500'000, 2'000'000));
  second3.record(2'000'000);
  const TimeSeries::Bin& bin = series.services().at("a").at(3);
  EXPECT_EQ(bin.requests, 11u);
  for (double p : kPercentiles) EXPECT_EQ(bin.latency.percentile(p), second3.percentile(p)) << "p" << p;
  ASSERT_EQ(bin.by_version.size(), 2u);
  EXPECT_EQ(bin.by_version.begin()->first, "v1");
  EXPECT_EQ(bin.by_version.find("v2")->second, 1u);
  EXPECT_EQ(bin.by_version.find("v3"), bin.by_version.end());
}

TEST(CompactBins, VersionsAreInNameOrderAsAMapWouldHaveThem) {
  // report.json's by_version was a std::map<std::string, uint64_t>: keys sorted.
  TimeSeries series;
  for (const char* v : {"v2", "canary", "v10", "", "v1"}) series.record(event("a.default.svc.cluster.local", v, 0, 1000));
  nlohmann::ordered_json json = series.json();
  EXPECT_EQ(json["a"][0]["by_version"].dump(), R"({"-":1,"canary":1,"v1":1,"v10":1,"v2":1})");
}

}  // namespace
}  // namespace meshsim::reports
