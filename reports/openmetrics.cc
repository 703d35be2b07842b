// metrics.om.txt: the standard metrics over time, as OpenMetrics 1.0 text
// (prometheus/docs docs/specs/om/open_metrics_spec.md): per family its TYPE
// and HELP, then per series (Metric) its samples in time order, never
// interleaved; counters as `<family>_total`; histogram buckets with
// canonical `le` values; timestamps in seconds; `# EOF` last. It is what
// `promtool tsdb create-blocks-from openmetrics` reads (every sample needs
// a timestamp there).
#include <iterator>
#include <ostream>

#include <fmt/format.h>

#include "reports/mesh_telemetry.h"

namespace meshsim::reports {

namespace {

// OpenMetrics "Canonical Numbers": Go's %g with ".0" appended when there is
// no decimal point or exponent (0.5, 1.0, 300000.0, 1.8e+06).
std::string canonical(double v) {
  std::string s = fmt::format("{:g}", v);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// Unix seconds, as an integer when whole (OpenMetrics timestamps).
std::string seconds_text(int64_t unix_us) {
  int64_t whole = unix_us / 1'000'000, micros = unix_us % 1'000'000;
  if (micros == 0) return std::to_string(whole);
  std::string fraction = fmt::format("{:06}", micros);
  fraction.erase(fraction.find_last_not_of('0') + 1);
  return fmt::format("{}.{}", whole, fraction);
}

}  // namespace

void MeshTelemetry::write_openmetrics(std::ostream& out, int64_t end_us) const {
  // The scrape times: k * interval up to the end, and the end itself when it
  // falls between two scrapes (the last values of the run). Without an
  // interval, the end alone.
  struct Point {
    uint32_t scrape;  // which kept sample holds the values (>= scrapes_taken_: the current ones)
    std::string time;
  };
  std::vector<Point> points;
  int64_t interval = options_.scrape_interval_us;
  uint32_t last = 0;
  if (interval > 0) {
    // Only the kept scrapes (every scrape_stride_-th: mesh_telemetry.h).
    int64_t stride = scrape_stride_;
    for (int64_t k = 0; k * interval <= end_us; k += stride) {
      points.push_back({static_cast<uint32_t>(k), seconds_text(unix_time().at(k * interval))});
      last = static_cast<uint32_t>(k);
    }
    if (static_cast<int64_t>(last) * interval < end_us)
      points.push_back({last + static_cast<uint32_t>(stride), seconds_text(unix_time().at(end_us))});  // the next (kept) scrape's values
  } else {
    points.push_back({scrapes_taken_, seconds_text(unix_time().at(end_us))});
  }

  // Calls `emit(counts, time)` for each point of `s` from its first scrape on.
  auto each_point = [&](const Series& s, auto emit) {
    static const Counts zero{};
    MeshTelemetry::SampleLog::Reader next(s.history);  // the next kept sample
    const Counts* current = &zero;
    for (const Point& p : points) {
      if (interval > 0 && p.scrape < s.first_scrape) continue;
      if (p.scrape >= scrapes_taken_) {
        current = &s;
      } else {
        while (!next.done() && next.scrape() <= p.scrape) current = &next.take();
      }
      emit(*current, p.time);
    }
  };

  std::string buf;
  auto flush = [&] {
    out << buf;
    buf.clear();
  };
  auto it = std::back_inserter(buf);
  fmt::format_to(it, "# TYPE istio_requests counter\n# HELP istio_requests Total requests handled by an Istio proxy.\n");
  // Named pair members rather than structured bindings: clang 14 (the fuzz
  // build) cannot capture a binding in a lambda.
  for (const auto& entry : series_) {
    const auto& labels = entry.first;
    each_point(entry.second, [&](const Counts& c, const std::string& t) {
      fmt::format_to(it, "istio_requests_total{{{}}} {} {}\n", labels, c.requests, t);
    });
    flush();
  }
  fmt::format_to(it, "# TYPE istio_build gauge\n# HELP istio_build Istio component build info.\n");
  for (const Point& p : points) fmt::format_to(it, "istio_build{{component=\"proxy\",tag=\"{}\"}} 1 {}\n", kIstioBuildTag, p.time);
  flush();

  const auto& bounds = envoy_default_buckets();
  std::vector<std::string> le;
  for (double b : bounds) le.push_back(canonical(b));
  auto histogram = [&](const char* name, const char* help, auto buckets_of, auto sum_of) {
    fmt::format_to(it, "# TYPE {} histogram\n# HELP {} {}\n", name, name, help);
    for (const auto& entry : series_) {
      const auto& labels = entry.first;
      each_point(entry.second, [&](const Counts& c, const std::string& t) {
        const auto& buckets = buckets_of(c);
        uint64_t cumulative = 0;
        for (size_t i = 0; i < bounds.size(); ++i) {
          cumulative += buckets[i];
          fmt::format_to(it, "{}_bucket{{{},le=\"{}\"}} {} {}\n", name, labels, le[i], cumulative, t);
        }
        fmt::format_to(it, "{}_bucket{{{},le=\"+Inf\"}} {} {}\n", name, labels, cumulative + buckets[bounds.size()], t);
        fmt::format_to(it, "{}_count{{{}}} {} {}\n", name, labels, c.requests, t);
        fmt::format_to(it, "{}_sum{{{}}} {} {}\n", name, labels, sum_of(c), t);
      });
      flush();
    }
  };
  histogram("istio_request_duration_milliseconds", "Duration of requests in milliseconds.",
            [](const Counts& c) -> const auto& { return c.duration_buckets; }, [](const Counts& c) { return c.duration_sum; });
  histogram("istio_request_bytes", "Request sizes in bytes on the wire, headers included.",
            [](const Counts& c) -> const auto& { return c.request_bytes_buckets; }, [](const Counts& c) { return c.request_bytes_sum; });
  histogram("istio_response_bytes", "Response sizes in bytes on the wire, headers included.",
            [](const Counts& c) -> const auto& { return c.response_bytes_buckets; }, [](const Counts& c) { return c.response_bytes_sum; });
  buf += "# EOF\n";
  flush();
}

}  // namespace meshsim::reports
