// One sampled span as the tracers meshsim's users run read it: Zipkin v2
// JSON (zipkin-api zipkin2-api.yaml, `Span`) and OTLP/HTTP JSON
// (opentelemetry-proto ExportTraceServiceRequest, docs/specification.md
// "JSON Protobuf Encoding"). Used for the report files and for the live
// push (`serve --zipkin URL`, `--otlp URL`).
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy_core/telemetry.h"

namespace meshsim::reports {

// Simulated time as Unix time: `epoch_us` is simulated time zero; a live run
// plays simulated time at --speed, so one simulated microsecond is
// `wall_per_sim` (1/speed) of wall time there and timestamps follow the
// wall clock. Durations are never scaled (they are simulated service time).
struct UnixTime {
  int64_t epoch_us = 0;
  double wall_per_sim = 1.0;
  UnixTime(int64_t epoch = 0, double scale = 1.0) : epoch_us(epoch), wall_per_sim(scale) {}  // NOLINT: an epoch alone converts
  int64_t at(int64_t sim_us) const {
    if (wall_per_sim == 1.0) return epoch_us + sim_us;  // `run`: exact, byte-identical per seed
    return epoch_us + static_cast<int64_t>(static_cast<double>(sim_us) * wall_per_sim);
  }
};

nlohmann::ordered_json zipkin_span(const proxy::StoredTelemetryEvent& span, UnixTime time);

// An ExportTraceServiceRequest: one resourceSpans per service (service.name
// as Zipkin's localEndpoint.serviceName), in the order first seen.
nlohmann::ordered_json otlp_traces(const std::vector<const proxy::StoredTelemetryEvent*>& spans, UnixTime time);

}  // namespace meshsim::reports
