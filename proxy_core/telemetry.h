// What each sidecar pass leaves behind: one event per request per reporter,
// carrying the attributes of Istio's standard metrics and access log
// (istio_requests_total labels, response flags, sizes, duration, trace).
// Reports aggregate these; the proxy core never formats them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy_core/env.h"

namespace meshsim::proxy {

enum class TelemetryReporter { kSource, kDestination };

// `Text` is std::string_view for the event a sidecar reports (views of its
// endpoints, the request and the call: nothing is copied per report) and
// std::string for a copy a sink keeps (StoredTelemetryEvent).
template <typename Text>
struct BasicTelemetryEvent {
  using Reporter = TelemetryReporter;
  Reporter reporter = Reporter::kSource;
  // The Service port the request was addressed to (the client's cluster
  // port; on the server, the Service port whose targetPort received it) and,
  // on the server, that workload port; 0 when unknown. Spans need them:
  // Envoy names a span after the route's decorator, Istio's "host:port/*"
  // with the Service port (telemetry.go TraceOperation, route.go
  // GetRouteOperation), and tags its cluster, "outbound|port|subset|host" or
  // "inbound|targetPort||" (service.go BuildSubsetKey, BuildInboundSubsetKey).
  // They sit in the padding after `reporter`.
  uint16_t destination_port = 0, destination_target_port = 0;
  // *_app and *_version are the pod's `app` and `version` labels; the
  // canonical service and revision are Istio's (route_table.h
  // canonical_service_of), which Kiali groups by. All are empty for a peer
  // without metadata: the reports write "unknown" for each, "latest" for
  // the canonical revision (istio_stats.cc populatePeerInfo).
  Text source_workload, source_namespace, source_version, source_app, source_principal, source_canonical_service,
      source_canonical_revision;
  Text destination_workload, destination_namespace, destination_version, destination_app, destination_service,
      destination_principal, destination_canonical_service, destination_canonical_revision;
  Text route;  // "VirtualService ns/name #rule"
  Text method, path;
  Text authority;  // the request's Host, as Envoy's tracer builds http.url from it
  // The small fields sit together, in 8-byte groups, so that the four
  // canonical views cost 40 bytes, not 64: the event is 472 bytes
  // (reports/packed_event.cc asserts it).
  int response_code = 0;
  int attempts = 1;
  Text response_flags = "-";
  bool mtls = false;
  bool sampled = false;  // the request's tracing decision: its spans go to the tracer
  // istio_stats.cc: request_protocol is "grpc" for a gRPC request, else
  // "http" (HTTP/2 included); grpc_response_status is Envoy's getGrpcStatus
  // (trailers, headers, mapped HTTP status), -1 for a request that is not
  // gRPC (the label is then empty). Message counts are Envoy grpc_stats'
  // Length-Prefixed-Messages each way (istio_request/response_messages_total).
  bool grpc = false;
  int grpc_response_status = -1;
  uint64_t request_bytes = 0, response_bytes = 0;
  TimePoint start{0};
  Duration duration{0};
  Text trace_id, span_id, parent_span_id;
  Text request_id;  // x-request-id, which applications propagate
  uint64_t request_messages = 0, response_messages = 0;
  std::string_view request_protocol() const { return grpc ? "grpc" : "http"; }
  // Shortcuts for sinks (telemetry_ids.h), 0 when absent: the number of
  // peer_identity_text(source_workload, source_namespace, source_version,
  // source_app, source_principal, source_canonical_service,
  // source_canonical_revision), of the destination's seven fields, and of
  // destination_service. A sink may key on them instead of those fields.
  uint32_t source_peer_id = 0, destination_peer_id = 0, destination_service_id = 0;

  BasicTelemetryEvent() = default;
  template <typename Other>
  explicit BasicTelemetryEvent(const BasicTelemetryEvent<Other>& o)
      : reporter(o.reporter), destination_port(o.destination_port), destination_target_port(o.destination_target_port),
        source_workload(o.source_workload), source_namespace(o.source_namespace),
        source_version(o.source_version), source_app(o.source_app), source_principal(o.source_principal),
        source_canonical_service(o.source_canonical_service), source_canonical_revision(o.source_canonical_revision),
        destination_workload(o.destination_workload), destination_namespace(o.destination_namespace),
        destination_version(o.destination_version), destination_app(o.destination_app),
        destination_service(o.destination_service), destination_principal(o.destination_principal),
        destination_canonical_service(o.destination_canonical_service),
        destination_canonical_revision(o.destination_canonical_revision), route(o.route), method(o.method),
        path(o.path), authority(o.authority), response_code(o.response_code), attempts(o.attempts),
        response_flags(o.response_flags), mtls(o.mtls), sampled(o.sampled), grpc(o.grpc),
        grpc_response_status(o.grpc_response_status), request_bytes(o.request_bytes),
        response_bytes(o.response_bytes), start(o.start), duration(o.duration), trace_id(o.trace_id),
        span_id(o.span_id), parent_span_id(o.parent_span_id), request_id(o.request_id),
        request_messages(o.request_messages), response_messages(o.response_messages),
        source_peer_id(o.source_peer_id), destination_peer_id(o.destination_peer_id),
        destination_service_id(o.destination_service_id) {}
};

using TelemetryEvent = BasicTelemetryEvent<std::string_view>;
using StoredTelemetryEvent = BasicTelemetryEvent<std::string>;

class TelemetrySink {
 public:
  virtual ~TelemetrySink() = default;
  // Synchronous: the event's fields are views that end with the call, so
  // keep a StoredTelemetryEvent, never the event or its fields.
  virtual void record(const TelemetryEvent& event) = 0;
};

}  // namespace meshsim::proxy
