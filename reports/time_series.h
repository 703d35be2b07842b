// Per-second series of what the destination sidecars reported, per service:
// requests by version, errors, and latency (a 5-bit histogram per second,
// percentiles within 1/16). Bounded to the first hour of simulated time.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy_core/telemetry.h"
#include "sim/histogram.h"

namespace meshsim::reports {

class TimeSeries final : public proxy::TelemetrySink {
 public:
  static constexpr int64_t kSecondsMax = 3600;
  struct Bin {
    uint64_t requests = 0, errors = 0;
    std::map<std::string, uint64_t> by_version;
    sim::LatencyHistogram latency{5};
  };
  void record(const proxy::TelemetryEvent& event) override;
  // service short name -> second -> bin
  const std::map<std::string, std::map<int64_t, Bin>>& services() const { return services_; }
  // report.json's "time_series": per service, one entry per second with traffic.
  nlohmann::ordered_json json() const;
  // Terminal sparklines of requests/s per version and errors/s, one line each,
  // `columns` wide over `seconds` of run.
  std::vector<std::string> sparklines(double seconds, int columns = 60) const;
  // A header and one line per service over the last `window` seconds before
  // `now`: requests/s, share by version, error rate (live dashboards).
  std::vector<std::string> recent_table(double now, int window) const;

 private:
  std::map<std::string, std::map<int64_t, Bin>> services_;
};

}  // namespace meshsim::reports
