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

// `epoch_us`: simulated time zero in Unix microseconds.
nlohmann::ordered_json zipkin_span(const proxy::StoredTelemetryEvent& span, int64_t epoch_us);

// An ExportTraceServiceRequest: one resourceSpans per service (service.name
// as Zipkin's localEndpoint.serviceName), in the order first seen.
nlohmann::ordered_json otlp_traces(const std::vector<const proxy::StoredTelemetryEvent*>& spans, int64_t epoch_us);

}  // namespace meshsim::reports
