// Per-second series of what the destination sidecars reported, per service:
// requests by version, errors, and latency (a 5-bit histogram per bin,
// percentiles within 1/16). Bounded by resolution, not by time: bins are one
// second wide until the services times the seconds covered exceed
// kBinBudget, then twice as wide (neighbours merged), and so on, so the
// memory stays flat however long the run and however large the mesh
// (issue 20); bin_width_s() says the width.
// Each error is told apart by where it started: returned by the service
// itself (its app or its sidecar, e.g. an RBAC 403), or passed on from a
// call it made that failed (the source-side report of that call, same
// x-request-id, came first), so a caller's failure does not hide its cause.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy_core/telemetry.h"
#include "reports/compact_histogram.h"

namespace meshsim::reports {

class TimeSeries final : public proxy::TelemetrySink {
 public:
  TimeSeries() = default;
  TimeSeries(const TimeSeries&) = delete;  // by_name_ points into services_, bins into versions_
  TimeSeries& operator=(const TimeSeries&) = delete;
  // Bins across all services: about 0.3 KB each (a bin with two versions
  // and latencies over one decade: the bin, its versions and its packed
  // histogram), so about 1.2 MB in all; a mesh of more than 512 services
  // keeps kBinsMin per service instead.
  static constexpr int64_t kBinBudget = 4096;
  static constexpr int64_t kBinsMin = 8;
  // Requests per version, in version order (as a std::map<std::string>
  // iterates); the names point into the series' interned names, so a bin
  // holds no string of its own.
  class VersionCounts {
   public:
    using Entry = std::pair<std::string_view, uint64_t>;
    std::vector<Entry>::const_iterator begin() const { return counts_.begin(); }
    std::vector<Entry>::const_iterator end() const { return counts_.end(); }
    std::vector<Entry>::const_iterator find(std::string_view version) const;
    size_t size() const { return counts_.size(); }
    // `version` must outlive the counts (an interned name).
    void add(std::string_view version, uint64_t n);

   private:
    std::vector<Entry> counts_;
  };
  struct Bin {
    uint64_t requests = 0, errors = 0;
    uint64_t errors_passed_on = 0;  // of `errors`: a call this service made had failed
    VersionCounts by_version;
    CompactHistogram latency;  // packed when the series moves on (keep_open)
  };
  void record(const proxy::TelemetryEvent& event) override;
  // service short name -> the first second of a bin -> bin (bin_width_s() seconds)
  const std::map<std::string, std::map<int64_t, Bin>>& services() const { return services_; }
  int64_t bin_width_s() const { return width_s_; }
  // service -> "403" or "503 UH" (status, then Envoy's response flags) -> errors that started
  // at that service, over the whole run.
  const std::map<std::string, std::map<std::string, uint64_t>>& error_origins() const { return error_origins_; }
  // report.json's "time_series": per service, one entry per bin with traffic
  // (t_s its first second; report.json says time_series_bin_width_s when
  // bins are wider than one second).
  nlohmann::ordered_json json() const;
  // Terminal sparklines of requests/s per version and errors/s, one line each,
  // `columns` wide over `seconds` of run.
  std::vector<std::string> sparklines(double seconds, int columns = 60) const;
  // A header and one line per service over the last `window` seconds before
  // `now`: requests/s, share by version, error rate (live dashboards).
  std::vector<std::string> recent_table(double now, int window) const;

 private:
  static constexpr size_t kFailedCallsMax = 4096;  // requests in flight whose calls failed, oldest forgotten first
  bool take_failed_call(const proxy::TelemetryEvent& event);
  // Doubles the bin width until services x bins fits kBinBudget.
  void widen_to_budget();

  int64_t width_s_ = 1;
  int64_t last_second_ = 0;  // the latest second any bin covers

  std::map<std::string, std::map<int64_t, Bin>> services_;
  // A service's bins, and the two whose histograms are open (being written;
  // -1: none): reports arrive in the order requests end, so those that
  // started in the second before the newest still come in for a while.
  // Every other bin is packed (issue 20).
  struct Open {
    std::map<int64_t, Bin>* bins;
    int64_t open_t[2] = {-1, -1};
    // The bin the last report went to: most reports go to the same one, and
    // the tree walk to find it was a cache miss per report. Reset by widening.
    int64_t last_t = -1;
    Bin* last = nullptr;
  };
  // Makes bin `t` one of the two open ones, packing the one it replaces.
  static void keep_open(Open& service, int64_t t);
  std::string_view intern_version(std::string_view version);
  // services_ by name, hashed: every report finds its service, and an
  // ordered lookup grew with the mesh (issue 20). Values point into services_.
  std::unordered_map<std::string, Open> by_name_;
  // The same entries by a report's destination_service_id (telemetry_ids.h),
  // null where not seen yet: no name built and hashed per report (issue 20).
  std::vector<std::pair<const std::string, Open>*> by_service_id_;
  std::pair<const std::string, Open>& open_for(const proxy::TelemetryEvent& e);
  std::set<std::string, std::less<>> versions_;  // every version name seen, once
  std::map<std::string, std::map<std::string, uint64_t>> error_origins_;
  // "x-request-id namespace/workload" of calls that failed, until the
  // calling workload's own inbound report for that request arrives.
  std::set<std::string> failed_calls_;
  std::deque<std::string> failed_calls_order_;
};

}  // namespace meshsim::reports
