#include "reports/time_series.h"

namespace meshsim::reports {

void TimeSeries::record(const proxy::TelemetryEvent& e) {
  if (e.reporter != proxy::TelemetryEvent::Reporter::kDestination) return;
  int64_t second = e.start.count() / 1'000'000;
  if (second < 0 || second >= kSecondsMax) return;
  std::string service = e.destination_service.substr(0, e.destination_service.find('.'));
  Bin& bin = services_[service][second];
  ++bin.requests;
  if (e.response_code >= 400 || e.response_code == 0) ++bin.errors;
  ++bin.by_version[e.destination_version.empty() ? "-" : e.destination_version];
  bin.latency.record(e.duration.count());
}

}  // namespace meshsim::reports
