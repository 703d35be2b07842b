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
};

class TelemetrySink {
 public:
  virtual ~TelemetrySink() = default;
  virtual void record(const TelemetryEvent& event) = 0;
};

}  // namespace meshsim::proxy
