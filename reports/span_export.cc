#include "reports/span_export.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace meshsim::reports {

using nlohmann::ordered_json;

namespace {

// Envoy names a sidecar span after its route's decorator. Istio sets it to
// "host:port/*" with the Service port called (telemetry.go TraceOperation,
// for the default outbound route and the inbound route alike); the server
// side of a port no Service declares is the passthrough chain, whose
// decorator is ":0/*" (listener_inbound.go buildInboundPassthroughChains).
std::string span_name(const proxy::StoredTelemetryEvent& e) {
  bool server = e.reporter == proxy::TelemetryEvent::Reporter::kDestination;
  if (server && e.destination_port == 0) return ":0/*";
  return fmt::format("{}:{}/*", e.destination_service.empty() ? "unknown" : e.destination_service, e.destination_port);
}

// The cluster the span's request went to: "outbound|port||host" on the
// client (service.go BuildSubsetKey; the subset is not in the event),
// "inbound|targetPort||" on the server (BuildInboundSubsetKey), and the
// clusters that name themselves (PassthroughCluster, BlackHoleCluster,
// InboundPassthroughCluster).
std::string upstream_cluster(const proxy::StoredTelemetryEvent& e) {
  if (e.reporter == proxy::TelemetryEvent::Reporter::kDestination)
    return e.destination_port == 0 ? std::string("InboundPassthroughCluster")
                                   : fmt::format("inbound|{}||", e.destination_target_port);
  if (e.destination_service == "PassthroughCluster" || e.destination_service == "BlackHoleCluster")
    return e.destination_service;
  return fmt::format("outbound|{}||{}", e.destination_port, e.destination_service);
}

}  // namespace

ordered_json zipkin_span(const proxy::StoredTelemetryEvent& e, UnixTime time) {
  bool server = e.reporter == proxy::TelemetryEvent::Reporter::kDestination;
  std::string local = server ? e.destination_app + "." + e.destination_namespace : e.source_app + "." + e.source_namespace;
  const std::string& canonical = server ? e.destination_canonical_service : e.source_canonical_service;
  ordered_json j;
  j["traceId"] = e.trace_id;
  if (!e.parent_span_id.empty()) j["parentId"] = e.parent_span_id;
  j["id"] = e.span_id;
  j["kind"] = server ? "SERVER" : "CLIENT";
  j["name"] = span_name(e);
  j["timestamp"] = time.at(e.start.count());
  j["duration"] = std::max<int64_t>(1, e.duration.count());
  j["localEndpoint"] = {{"serviceName", local}};
  j["tags"] = {{"component", "proxy"},
               {"guid:x-request-id", e.request_id},
               {"http.method", e.method},
               // Envoy's tracer: scheme "://" Host path (tracer_impl.cc buildUrl), the Host as the client sent it.
               {"http.url", "http://" + (e.authority.empty() ? e.destination_service : e.authority) + e.path},
               {"http.protocol", "HTTP/1.1"},
               {"http.status_code", std::to_string(e.response_code)},
               {"response_flags", e.response_flags.empty() ? "-" : e.response_flags},
               {"upstream_cluster", upstream_cluster(e)},
               // pilot tracing.go buildServiceTags: the node's canonical name ("unknown" without one).
               {"istio.canonical_service", canonical.empty() ? "unknown" : canonical},
               {"istio.namespace", server ? e.destination_namespace : e.source_namespace},
               {"node_id", fmt::format("sidecar~{}~{}.{}", "10.0.0.1", server ? e.destination_workload : e.source_workload,
                                       server ? e.destination_namespace : e.source_namespace)}};
  if (e.response_code >= 500 || e.response_code == 0) j["tags"]["error"] = "true";
  return j;
}

namespace {

// OTLP trace ids are 16 bytes, span ids 8, as hex in JSON; a 64-bit B3 trace
// id is padded on the left, as Zipkin's own 128-bit upgrade reads it.
std::string otlp_trace_id(const std::string& id) {
  return id.size() >= 32 ? id : std::string(32 - id.size(), '0') + id;
}

ordered_json string_attribute(const std::string& key, const std::string& value) {
  return {{"key", key}, {"value", {{"stringValue", value}}}};
}

}  // namespace

ordered_json otlp_traces(const std::vector<const proxy::StoredTelemetryEvent*>& spans, UnixTime time) {
  // opentelemetry-proto trace/v1/trace.proto, encoded as its JSON mapping
  // (docs/specification.md): lowerCamelCase names, ids as hex, enums as
  // integers, 64-bit integers as strings.
  ordered_json resource_spans = ordered_json::array();
  std::map<std::string, size_t> index_of_service;
  for (const proxy::StoredTelemetryEvent* e : spans) {
    ordered_json z = zipkin_span(*e, time);  // the same span, names and tags
    std::string service = z["localEndpoint"]["serviceName"];
    auto [at, added] = index_of_service.emplace(service, resource_spans.size());
    if (added)
      resource_spans.push_back(
          {{"resource", {{"attributes", ordered_json::array({string_attribute("service.name", service)})}}},
           {"scopeSpans", ordered_json::array({{{"scope", {{"name", "meshsim"}}},
                                                {"spans", ordered_json::array()}}})}});
    ordered_json span;
    span["traceId"] = otlp_trace_id(e->trace_id);
    span["spanId"] = e->span_id;
    if (!e->parent_span_id.empty()) span["parentSpanId"] = e->parent_span_id;
    span["name"] = z["name"];
    // SpanKind: SPAN_KIND_SERVER = 2, SPAN_KIND_CLIENT = 3.
    span["kind"] = z["kind"] == "SERVER" ? 2 : 3;
    int64_t start_us = z["timestamp"].get<int64_t>(), duration_us = z["duration"].get<int64_t>();
    span["startTimeUnixNano"] = std::to_string(start_us * 1000);
    span["endTimeUnixNano"] = std::to_string((start_us + duration_us) * 1000);
    ordered_json attributes = ordered_json::array();
    for (const auto& [key, value] : z["tags"].items())
      if (key != "error") attributes.push_back(string_attribute(key, value.get<std::string>()));
    span["attributes"] = std::move(attributes);
    // Envoy marks a span failed when there was no response or a 5xx
    // (HttpTracerUtility::finalizeDownstreamSpan sets the error tag; its
    // OpenTelemetry tracer maps that tag to STATUS_CODE_ERROR = 2).
    span["status"] = z["tags"].contains("error") ? ordered_json{{"code", 2}} : ordered_json::object();
    resource_spans[at->second]["scopeSpans"][0]["spans"].push_back(std::move(span));
  }
  return {{"resourceSpans", resource_spans}};
}

}  // namespace meshsim::reports
