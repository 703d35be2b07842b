// Memory flat in run length (issue 20): the per-second time series and the
// kept scrapes of metrics.om.txt are bounded by resolution. What is kept at
// a coarser resolution must still be exact at the times it keeps.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "reports/mesh_telemetry.h"
#include "reports/time_series.h"

namespace meshsim::reports {
namespace {

struct Names {
  std::vector<std::string> service, workload;
  explicit Names(int n) {
    for (int i = 0; i < n; ++i) {
      service.push_back("svc-" + std::to_string(i) + ".default.svc.cluster.local");
      workload.push_back("svc-" + std::to_string(i) + "-v1");
    }
  }
};

proxy::TelemetryEvent destination_event(const Names& names, int i, int64_t start_us, int64_t duration_us) {
  proxy::TelemetryEvent e;
  e.reporter = proxy::TelemetryEvent::Reporter::kDestination;
  e.source_workload = "client";
  e.source_namespace = "default";
  e.destination_workload = names.workload[static_cast<size_t>(i)];
  e.destination_namespace = "default";
  e.destination_service = names.service[static_cast<size_t>(i)];
  e.destination_version = "v1";
  e.response_code = 200;
  e.start = proxy::TimePoint(start_us);
  e.duration = proxy::Duration(duration_us);
  return e;
}

TEST(BoundedSeries, OneServiceKeepsOneSecondBinsUpToTheBudgetThenWidens) {
  Names names(1);
  TimeSeries series;
  int64_t seconds = TimeSeries::kBinBudget + 100;
  for (int64_t t = 0; t < seconds; ++t) series.record(destination_event(names, 0, t * 1'000'000, 1000));
  EXPECT_EQ(series.bin_width_s(), 2);
  const auto& bins = series.services().at("svc-0");
  EXPECT_LE(static_cast<int64_t>(bins.size()), TimeSeries::kBinBudget);
  uint64_t total = 0;
  for (const auto& [t, bin] : bins) {
    EXPECT_EQ(t % 2, 0) << "a bin starts at a multiple of its width";
    total += bin.requests;
  }
  EXPECT_EQ(total, static_cast<uint64_t>(seconds)) << "widening merges bins, it loses no request";
}

TEST(BoundedSeries, ManyServicesShareTheBudget) {
  Names names(1000);
  TimeSeries series;
  for (int64_t t = 0; t < 60; ++t)
    for (int i = 0; i < 1000; ++i) series.record(destination_event(names, i, t * 1'000'000 + i, 1000));
  // 1,000 services x 60 s would be 60,000 one-second bins; past 512 services
  // the bound is kBinsMin (8) per service: 8-second bins.
  EXPECT_EQ(series.bin_width_s(), 8);
  size_t bins = 0;
  for (const auto& [service, by_time] : series.services()) bins += by_time.size();
  EXPECT_LE(static_cast<int64_t>(bins), 1000 * TimeSeries::kBinsMin);
  EXPECT_EQ(series.services().at("svc-7").at(56).requests, 4u);
}

TEST(BoundedSeries, ShortRunsKeepOneSecondBins) {
  Names names(10);
  TimeSeries series;
  for (int64_t t = 0; t < 400; ++t)
    for (int i = 0; i < 10; ++i) series.record(destination_event(names, i, t * 1'000'000, 1000));
  EXPECT_EQ(series.bin_width_s(), 1);  // 4,000 bins fit the budget
  EXPECT_EQ(series.services().at("svc-3").size(), 400u);
}

// The error series counts what Kiali counts (sim/request_errors.h), and
// names a gRPC error by its status, not the HTTP 200 it travels in.
TEST(ErrorSeries, CountsResetsAndGrpcErrorsAndNamesTheGrpcStatus) {
  Names names(1);
  TimeSeries series;
  proxy::TelemetryEvent ok = destination_event(names, 0, 0, 1000);
  proxy::TelemetryEvent reset = ok, grpc_error = ok;
  reset.response_code = 0;  // the client reset the stream
  reset.response_flags = "DC";
  grpc_error.grpc = true;
  grpc_error.grpc_response_status = 14;
  for (const auto& e : {ok, reset, grpc_error}) series.record(e);
  const auto& bins = series.services().at("svc-0");
  ASSERT_EQ(bins.size(), 1u);
  EXPECT_EQ(bins.begin()->second.requests, 3u);
  EXPECT_EQ(bins.begin()->second.errors, 2u);
  const auto& origins = series.error_origins().at("svc-0");
  EXPECT_EQ(origins.at("0 DC"), 1u);
  EXPECT_EQ(origins.at("grpc-status 14"), 1u);
}

// istio_requests_total of one series in metrics.om.txt: timestamp -> value.
std::map<double, uint64_t> requests_total(const std::string& om, const std::string& workload) {
  std::map<double, uint64_t> out;
  std::istringstream in(om);
  std::string line;
  std::string needle = "destination_workload=\"" + workload + "\"";
  while (std::getline(in, line)) {
    if (!line.starts_with("istio_requests_total{") || line.find(needle) == std::string::npos) continue;
    std::istringstream fields(line.substr(line.find("} ") + 2));
    uint64_t value = 0;
    double time = 0;
    fields >> value >> time;
    out[time] = value;
  }
  return out;
}

TEST(BoundedSeries, OpenMetricsKeepsEveryOtherScrapeAndItsExactValues) {
  // 20 series scraped every second for 100 s: 2,000 samples, over a budget
  // of 300, so the kept scrapes thin out to one in eight (20 x 13 fit).
  constexpr int kSeries = 20;
  constexpr int64_t kSeconds = 100;
  Names names(kSeries);
  TelemetryOptions options;
  options.scrape_interval_us = 1'000'000;
  options.scrape_samples_max = 300;
  options.epoch_us = 0;
  MeshTelemetry telemetry(options);
  // Series i gets a request every (i % 7 + 1) seconds, from second i % 5 on.
  std::vector<std::vector<int64_t>> ends(kSeries);
  for (int64_t t = 0; t < kSeconds; ++t)
    for (int i = 0; i < kSeries; ++i) {
      if (t < i % 5 || (t - i % 5) % (i % 7 + 1) != 0) continue;
      int64_t start = t * 1'000'000 + 1000 * i, duration = 250'000;
      telemetry.record(destination_event(names, i, start, duration));
      ends[static_cast<size_t>(i)].push_back(start + duration);
    }
  std::ostringstream out;
  telemetry.write_openmetrics(out, kSeconds * 1'000'000);
  std::string om = out.str();
  for (int i : {0, 3, 12, 19}) {
    auto samples = requests_total(om, names.workload[static_cast<size_t>(i)]);
    ASSERT_FALSE(samples.empty());
    EXPECT_LE(samples.size(), 100u / 8 + 2) << "thinned to one scrape in eight";
    EXPECT_GE(samples.size(), 100u / 8 - 1) << "and no fewer";
    for (const auto& [time, value] : samples) {
      // A scrape at T counts every request that ended at or before T.
      uint64_t expected = 0;
      for (int64_t end : ends[static_cast<size_t>(i)])
        if (end <= static_cast<int64_t>(time * 1e6)) ++expected;
      EXPECT_EQ(value, expected) << "series " << i << " at " << time << " s";
    }
  }
}


// One field of one series in metrics.om.txt: timestamp -> value as written.
std::map<double, std::string> om_values(const std::string& om, const std::string& metric, const std::string& workload) {
  std::map<double, std::string> out;
  std::istringstream in(om);
  std::string line;
  std::string needle = "destination_workload=\"" + workload + "\"";
  while (std::getline(in, line)) {
    if (!line.starts_with(metric + "{") || line.find(needle) == std::string::npos) continue;
    std::istringstream fields(line.substr(line.find("} ") + 2));
    std::string value;
    double time = 0;
    fields >> value >> time;
    out[time] = value;
  }
  return out;
}

TEST(BoundedSeries, KeptScrapesAreStoredAsChangesAndReadBackExactly) {
  // The samples are kept as differences from the one before (counters) and
  // XORed bits (sums): what metrics.om.txt prints must be the exact counts
  // and the exact double sums at each scrape, also after thinning re-encodes them.
  constexpr int64_t kSeconds = 300;
  Names names(2);
  for (int64_t budget : {int64_t{100'000}, int64_t{40}}) {
    TelemetryOptions options;
    options.scrape_interval_us = 1'000'000;
    options.scrape_samples_max = budget;
    options.epoch_us = 0;
    MeshTelemetry telemetry(options);
    struct Ended {
      int64_t end_us;
      double ms;
    };
    std::vector<Ended> ended;
    for (int64_t t = 0; t < kSeconds; ++t) {
      if (t % 3 == 2) continue;  // some scrapes see no change
      int64_t start = t * 1'000'000, duration = 1 + (t * 7919) % 400'000;  // 1 us .. 0.4 s: many buckets
      telemetry.record(destination_event(names, 0, start, duration));
      ended.push_back({start + duration, static_cast<double>(duration) / 1000.0});
    }
    std::ostringstream out;
    telemetry.write_openmetrics(out, kSeconds * 1'000'000);
    std::string om = out.str();
    auto sums = om_values(om, "istio_request_duration_milliseconds_sum", names.workload[0]);
    auto counts = om_values(om, "istio_request_duration_milliseconds_count", names.workload[0]);
    ASSERT_GE(sums.size(), budget > 1000 ? static_cast<size_t>(kSeconds) : size_t{10});
    ASSERT_EQ(sums.size(), counts.size());
    for (const auto& [time, text] : sums) {
      double sum = 0;  // added in the order the sidecar reported them, as the series does
      uint64_t n = 0;
      for (const Ended& e : ended)
        if (e.end_us <= static_cast<int64_t>(time * 1e6)) sum += e.ms, ++n;
      EXPECT_EQ(text, fmt::format("{}", sum)) << "at " << time << " s, budget " << budget;
      EXPECT_EQ(counts.at(time), std::to_string(n)) << "at " << time << " s, budget " << budget;
    }
  }
}

}  // namespace
}  // namespace meshsim::reports
