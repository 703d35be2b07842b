// What each sidecar pass leaves behind: one event per request per reporter,
// carrying the attributes of Istio's standard metrics and access log
// (istio_requests_total labels, response flags, sizes, duration, trace).
// Reports aggregate these; the proxy core never formats them.
#pragma once

#include <cstdint>
#include <string>

#include "proxy_core/env.h"

namespace meshsim::proxy {

struct TelemetryEvent {
  enum class Reporter { kSource, kDestination };
  Reporter reporter = Reporter::kSource;
  std::string source_workload, source_namespace, source_version, source_app, source_principal;
  std::string destination_workload, destination_namespace, destination_version, destination_app,
      destination_service, destination_principal;
  std::string route;  // "VirtualService ns/name #rule"
  std::string method, path;
  int response_code = 0;
  std::string response_flags = "-";
  bool mtls = false;
  uint64_t request_bytes = 0, response_bytes = 0;
  TimePoint start{0};
  Duration duration{0};
  int attempts = 1;
  std::string trace_id, span_id, parent_span_id;
  std::string request_id;  // x-request-id, which applications propagate

  // Back to a fresh event, keeping the strings' capacity: a sidecar reuses
  // one event for every report, so reporting allocates nothing once warm.
  void reset() {
    for (std::string* s : {&source_workload, &source_namespace, &source_version, &source_app, &source_principal,
                           &destination_workload, &destination_namespace, &destination_version, &destination_app,
                           &destination_service, &destination_principal, &route, &method, &path, &trace_id, &span_id,
                           &parent_span_id, &request_id})
      s->clear();
    reporter = Reporter::kSource;
    response_code = 0;
    response_flags.assign("-");
    mtls = false;
    request_bytes = response_bytes = 0;
    start = TimePoint{0};
    duration = Duration{0};
    attempts = 1;
  }
};

class TelemetrySink {
 public:
  virtual ~TelemetrySink() = default;
  // Synchronous; the event is reused after the call, so keep copies, not references.
  virtual void record(const TelemetryEvent& event) = 0;
};

}  // namespace meshsim::proxy
