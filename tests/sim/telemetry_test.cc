// Telemetry events: one per request per reporter, with the attributes of
// Istio's standard metrics (istio_requests_total labels: reporter, source_*,
// destination_*, response_code, response_flags, connection_security_policy)
// and trace context propagated from client span to server span.
#include <gtest/gtest.h>

#include <map>

#include "reports/mesh_telemetry.h"
#include "reports/span_export.h"
#include "sim/request_errors.h"
#include "sim/world.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::sim {
namespace {

struct Recorder : proxy::TelemetrySink {
  std::vector<proxy::StoredTelemetryEvent> events;
  void record(const proxy::TelemetryEvent& e) override { events.emplace_back(e); }
};

TEST(Telemetry, BothSidesReportEachRequest) {
  Recorder sink;
  World world(WorldOptions{1, proxy::Duration(0)});
  world.set_telemetry(&sink);
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(testing::mesh_with(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{route: [{destination: {host: bar, subset: v2}}]}]
)"),
                          &errors));
  proxy::HttpRequest r;
  r.authority = "bar";
  r.target = "/x";
  auto out = world.call("default", "frontend-v1", r, "bar", 80);
  ASSERT_TRUE(out && out->outbound.response);
  ASSERT_EQ(sink.events.size(), 2u);
  const auto& server = sink.events[0];  // the inbound side finishes first
  const auto& client = sink.events[1];
  EXPECT_EQ(client.reporter, proxy::TelemetryEvent::Reporter::kSource);
  EXPECT_EQ(server.reporter, proxy::TelemetryEvent::Reporter::kDestination);
  for (const auto* e : {&client, &server}) {
    EXPECT_EQ(e->source_workload, "frontend-v1");
    EXPECT_EQ(e->source_version, "v1");
    EXPECT_EQ(e->destination_workload, "bar-v2");
    EXPECT_EQ(e->destination_version, "v2");
    EXPECT_EQ(e->response_code, 200);
    EXPECT_EQ(e->response_flags, "-");
    EXPECT_TRUE(e->mtls);  // connection_security_policy="mutual_tls"
    EXPECT_EQ(e->method, "GET");
  }
  EXPECT_EQ(client.destination_service, "bar.default.svc.cluster.local");
  EXPECT_EQ(client.source_principal, "cluster.local/ns/default/sa/frontend");
  EXPECT_EQ(server.source_principal, "cluster.local/ns/default/sa/frontend");
  EXPECT_EQ(client.route, "VirtualService default/bar #0");
  // The server span is the child of the client span: same trace, parent = client span.
  EXPECT_EQ(client.trace_id.size(), 32u);
  EXPECT_EQ(server.trace_id, client.trace_id);
  EXPECT_EQ(server.parent_span_id, client.span_id);
}

TEST(Telemetry, ClientWithoutSidecarLeavesOnlyTheServerRecord) {
  Recorder sink;
  World world(WorldOptions{1, proxy::Duration(0)});
  world.set_telemetry(&sink);
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(testing::mesh_with(""), &errors));
  world.set_sidecar("default", "curl", false);
  proxy::HttpRequest r;
  r.authority = "bar";
  auto out = world.call("default", "curl", r, "bar", 80);
  ASSERT_TRUE(out && out->outbound.response);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].reporter, proxy::TelemetryEvent::Reporter::kDestination);
  EXPECT_FALSE(sink.events[0].mtls);  // connection_security_policy="none"
  EXPECT_EQ(sink.events[0].source_principal, "");
}

// The exported Zipkin span names the Service port called, not 80: Istio's
// route decorator is "host:port/*" with the Service port on both sides
// (pilot/pkg/networking/telemetry/telemetry.go TraceOperation, used by
// route.go buildSidecarVirtualHostForService and httproute.go
// buildSidecarInboundHTTPRouteConfig), and the cluster tag is the client's
// "outbound|9080||host" (model/service.go BuildSubsetKey) and the server's
// "inbound|<targetPort>||" (BuildInboundSubsetKey(int(port.TargetPort)),
// listener_inbound.go); as the inbound|8080|| in tests/fixtures/replay.
TEST(Telemetry, ZipkinSpansNameTheServicePortCalled) {
  Recorder sink;
  World world(WorldOptions{1, proxy::Duration(0)});
  world.set_telemetry(&sink);
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(testing::mesh_with(R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: ratings-v1}
spec:
  selector: {matchLabels: {app: ratings, version: v1}}
  template:
    metadata: {labels: {app: ratings, version: v1}}
    spec: {serviceAccountName: ratings, containers: [{name: app, image: ratings, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: ratings}
spec: {selector: {app: ratings}, ports: [{name: http, port: 9080, targetPort: 8080}]}
)"),
                          &errors));
  proxy::HttpRequest r;
  r.authority = "ratings:9080";
  r.target = "/ratings/0";
  auto out = world.call("default", "frontend-v1", r, "ratings", 9080);
  ASSERT_TRUE(out && out->outbound.response);
  ASSERT_EQ(sink.events.size(), 2u);
  const auto& server = sink.events[0];  // the inbound side finishes first
  const auto& client = sink.events[1];
  EXPECT_EQ(client.destination_port, 9080);
  EXPECT_EQ(server.destination_port, 9080);
  EXPECT_EQ(server.destination_target_port, 8080);
  auto client_span = reports::zipkin_span(client, reports::UnixTime{});
  auto server_span = reports::zipkin_span(server, reports::UnixTime{});
  EXPECT_EQ(client_span["name"], "ratings.default.svc.cluster.local:9080/*");
  EXPECT_EQ(server_span["name"], "ratings.default.svc.cluster.local:9080/*");
  EXPECT_EQ(client_span["tags"]["upstream_cluster"], "outbound|9080||ratings.default.svc.cluster.local");
  EXPECT_EQ(server_span["tags"]["upstream_cluster"], "inbound|8080||");
}

// A client that gives up resets the stream, and the server's proxy reports
// that, not the answer its app gave later. Envoy router.cc
// Filter::onResponseTimeout resets the upstream request; the server's
// connection manager ends the stream with no response sent, and
// istio_stats.cc (istio/proxy) reports info.responseCode().value_or(0) with
// the stream's flags.
struct ResetRow {
  const char* source;       // where the expected behaviour is defined
  const char* pool;         // bar's DestinationRule connectionPool.http
  const char* server_flags;
};

const ResetRow kResetRows[] = {
    // HTTP/1.1 has no stream reset: the client closes the connection, and
    // conn_manager_impl.cc onEvent -> resetAllStreams(DownstreamConnectionTermination).
    {"conn_manager_impl.cc onEvent: DC", "{}", "DC"},
    // HTTP/2 (h2UpgradePolicy UPGRADE on the client's cluster) sends
    // RST_STREAM: ActiveStream::onResetStream, RemoteReset -> DownstreamRemoteReset.
    {"conn_manager_impl.cc onResetStream: DR", "{h2UpgradePolicy: UPGRADE}", "DR"},
};

TEST(Telemetry, ServerReportsTheResetWhenTheClientTimesOut) {
  for (const auto& row : kResetRows) {
    SCOPED_TRACE(row.source);
    Recorder sink;
    World world(WorldOptions{1, std::chrono::milliseconds(1)});
    world.set_telemetry(&sink);
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(testing::mesh_with(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec:
  host: bar
  trafficPolicy: {connectionPool: {http: )" + std::string(row.pool) + R"(}}
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{timeout: 1s, route: [{destination: {host: bar, subset: v1}}]}]
)"),
                            &errors));
    world.set_behavior("default", "bar-v1", {.response_delay = std::chrono::seconds(3)});
    proxy::HttpRequest r;
    r.authority = "bar";
    auto out = world.call("default", "frontend-v1", r, "bar", 80);
    world.scheduler().run();  // and the app's late answer
    ASSERT_TRUE(out && out->outbound.response);
    EXPECT_EQ(out->outbound.response->status, 504);
    EXPECT_EQ(out->outbound.flags, "UT");
    ASSERT_EQ(sink.events.size(), 2u);  // the late answer is not reported
    const auto& client = sink.events[0];
    const auto& server = sink.events[1];  // when the reset arrives, a link latency after the timeout
    EXPECT_EQ(client.reporter, proxy::TelemetryEvent::Reporter::kSource);
    EXPECT_EQ(client.response_code, 504);
    EXPECT_EQ(server.reporter, proxy::TelemetryEvent::Reporter::kDestination);
    EXPECT_EQ(server.destination_workload, "bar-v1");
    EXPECT_EQ(server.response_code, 0);
    EXPECT_EQ(server.response_flags, row.server_flags);
    EXPECT_EQ(server.response_bytes, 0u);
    // From the request's arrival to the reset's: both one link latency after the client's.
    EXPECT_EQ(server.duration, std::chrono::seconds(1));
  }
}

// Which reports the service table, the graph and the error series count as
// errors: as Kiali's graph does (kiali graph/protocol.go).
struct ErrorRow {
  const char* source;
  int response_code;
  bool grpc;
  int grpc_response_status;  // -1: none
  bool error;
};

const ErrorRow kErrorRows[] = {
    {"addToMetadataHTTP: 2xx counts in no error rate", 200, false, -1, false},
    {"addToMetadataHTTP: http3xx is not IsErr", 302, false, -1, false},
    {"addToMetadataHTTP: http4xx IsErr", 404, false, -1, true},
    {"addToMetadataHTTP: http5xx IsErr", 503, false, -1, true},
    {"addToMetadataHTTP: httpNoResponse IsErr (response code 0, a client reset: DC, DR)", 0, false, -1, true},
    {"addToMetadataGrpc: IsGRPCErr, a status other than 0 in an HTTP 200", 200, true, 14, true},
    {"addToMetadataGrpc: status 0 is OK", 200, true, 0, false},
    {"addToMetadataGrpc: grpcNoResponse IsErr", 0, true, -1, true},
    {"util.go HandleResponseCode: an HTTP 4xx/5xx code stands for gRPC too", 503, true, 0, true},
};

TEST(Telemetry, ErrorReportsAreWhatKialiCountsAsErrors) {
  for (const auto& row : kErrorRows) {
    SCOPED_TRACE(row.source);
    EXPECT_EQ(is_error_report(row.response_code, row.grpc, row.grpc_response_status), row.error);
  }
}

// The source reporter's peer labels for requests that reach no pod. Istio's
// stats filter (istio/proxy source/extensions/filters/http/istio_stats/
// istio_stats.cc, populatePeerInfo, Reporter::ClientSidecar) takes the
// destination peer from metadata exchange with the upstream host or that
// host's endpoint metadata (extractEndpointMetadata), destination_principal
// from the upstream TLS peer certificate and source_principal from the local
// certificate of that upstream TLS connection. A request with no upstream
// host (404 NR, fault abort FI, 503 UH) has none of them: the destination's
// workload, namespace, principal, app, version, canonical service and
// cluster are "unknown", its canonical revision "latest" (context_.latest_),
// and source_principal is "unknown" too. destination_service and its name
// and namespace come from the route's cluster metadata (services[0]) when
// there is one, else from the Host header (no namespace).
struct PeerLabelsCase {
  const char* name;
  const char* rules;
  const char* host;
  bool server_sidecar = true;
  int status;
  const char* flags;
  std::map<std::string, std::string> expected;  // labels of the reporter="source" series
  proxy::Duration bar_v1_delay{0};              // how long bar-v1's app takes to answer
};

TEST(Telemetry, SourceReportsOfRequestsThatReachNoPodHaveNoDestinationPeer) {
  const std::map<std::string, std::string> no_peer = {
      {"source_principal", "unknown"},          {"destination_workload", "unknown"},
      {"destination_workload_namespace", "unknown"}, {"destination_principal", "unknown"},
      {"destination_app", "unknown"},           {"destination_version", "unknown"},
      {"destination_canonical_service", "unknown"}, {"destination_canonical_revision", "latest"},
      {"destination_cluster", "unknown"},       {"source_workload", "curl"}};
  auto with = [](std::map<std::string, std::string> labels, std::map<std::string, std::string> more) {
    for (auto& [k, v] : more) labels[k] = v;
    return labels;
  };
  const std::map<std::string, std::string> endpoint_labels_plaintext = {
      {"source_principal", "unknown"},         {"destination_workload", "bar-v1"},
      {"destination_workload_namespace", "default"}, {"destination_principal", "unknown"},
      {"destination_app", "unknown"},          {"destination_version", "unknown"},
      {"destination_canonical_service", "bar"}, {"destination_canonical_revision", "v1"},
      {"destination_cluster", "Kubernetes"}};
  const PeerLabelsCase cases[] = {
      // No route: no cluster, so the Host header names the service
      // (istio_stats.cc: service_host and service_host_name from Host,
      // service_namespace empty; testdata/metric/host_header_fallback.yaml.tmpl).
      {"no route (NR)",
       "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n  hosts: [bar]\n"
       "  http: [{match: [{headers: {x-user: {exact: alice}}}], route: [{destination: {host: bar}}]}]\n",
       "bar", true, 404, "NR",
       with(no_peer, {{"destination_service", "bar"}, {"destination_service_name", "bar"},
                      {"destination_service_namespace", "unknown"}})},
      // A fault abort: the route chose a cluster (its metadata names the
      // service) but the router never picked a host. The namespace is the
      // cluster metadata's services[0].namespace, not "unknown": Envoy sets
      // upstreamClusterInfo when the route is chosen (conn_manager_impl.cc
      // ActiveStream::setRoute, before the fault filter runs), and
      // istio/proxy#5617 (the fix for istio/istio#49842) made the
      // ClientSidecar reporter prefer that namespace over the peer's.
      {"fault abort (FI)",
       "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n  hosts: [bar]\n"
       "  http: [{fault: {abort: {httpStatus: 503, percentage: {value: 100}}}, route: [{destination: {host: bar}}]}]\n",
       "bar", true, 503, "FI",
       with(no_peer, {{"destination_service", "bar.default.svc.cluster.local"}, {"destination_service_name", "bar"},
                      {"destination_service_namespace", "default"}})},
      // A Service without pods: the load balancer finds no host (router.cc
      // sendNoHealthyUpstreamResponse).
      {"no healthy upstream (UH)",
       "apiVersion: v1\nkind: Service\nmetadata: {name: baz}\nspec: {selector: {app: baz}, ports: [{name: http, port: 80}]}\n",
       "baz", true, 503, "UH",
       with(no_peer, {{"destination_service", "baz.default.svc.cluster.local"}, {"destination_service_name", "baz"},
                      {"destination_service_namespace", "default"}})},
      // A server without a sidecar answers: no metadata exchange, so the
      // peer is the host's endpoint metadata (workload, namespace, canonical
      // service and revision; no app or version), and the upstream
      // connection is plaintext, so neither side has a certificate: both
      // principals are "unknown" (istio/proxy TestStatsEndpointLabels,
      // testdata/metric/client_request_total_endpoint_labels.yaml.tmpl).
      {"server without a sidecar",
       "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n  hosts: [bar]\n"
       "  http: [{route: [{destination: {host: bar, subset: v1}}]}]\n",
       "bar", false, 200, "-", endpoint_labels_plaintext},
      // Plain text to a sidecar (DestinationRule tls DISABLE): metadata
      // exchange still rides the HTTP headers, so app and version are known;
      // no TLS connection, so no principals.
      {"plain text to a sidecar",
       "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: bar}\nspec:\n  host: bar\n"
       "  trafficPolicy: {tls: {mode: DISABLE}}\n  subsets: [{name: v1, labels: {version: v1}}]\n---\n"
       "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n  hosts: [bar]\n"
       "  http: [{route: [{destination: {host: bar, subset: v1}}]}]\n",
       "bar", true, 200, "-",
       with(endpoint_labels_plaintext, {{"destination_app", "bar"}, {"destination_version", "v1"}})},
      // A route timeout: the router resets the attempt, no response came, so
      // no metadata exchange either: the endpoint metadata again, but the
      // upstream mTLS connection was up, so both principals are known
      // (istio_stats.cc: peer_san/local_san from upstreamSslConnection).
      {"route timeout (UT) to a sidecar",
       "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n  hosts: [bar]\n"
       "  http: [{timeout: 1s, route: [{destination: {host: bar, subset: v1}}]}]\n",
       "bar", true, 504, "UT",
       with(endpoint_labels_plaintext, {{"source_principal", "spiffe://cluster.local/ns/default/sa/curl"},
                                        {"destination_principal", "spiffe://cluster.local/ns/default/sa/bar"}}),
       std::chrono::seconds(3)},
      // The same timeout toward a pod without a sidecar: plain text, no certificates.
      {"route timeout (UT) to a pod without a sidecar",
       "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n  hosts: [bar]\n"
       "  http: [{timeout: 1s, route: [{destination: {host: bar, subset: v1}}]}]\n",
       "bar", false, 504, "UT", endpoint_labels_plaintext, std::chrono::seconds(3)},
      // A reset before the response: the router chose the host (router.cc
      // UpstreamRequest::onPoolReady / onPoolFailure -> onUpstreamHostSelected),
      // so its endpoint metadata names the peer; no TLS connection, no
      // principals. Plain text into a STRICT server: the TCP connection is
      // up, then the server's listener closes it (no filter chain for plain
      // text), a connection termination (codec_client.cc onEvent): UC.
      {"connection terminated (UC)",
       "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: bar}\nspec:\n  host: bar\n"
       "  trafficPolicy: {tls: {mode: DISABLE}}\n  subsets: [{name: v1, labels: {version: v1}}]\n---\n"
       "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: strict}\nspec:\n"
       "  mtls: {mode: STRICT}\n---\n"
       "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n  hosts: [bar]\n"
       "  http: [{retries: {attempts: 0}, route: [{destination: {host: bar, subset: v1}}]}]\n",
       "bar", true, 503, "UC", endpoint_labels_plaintext},
      // A failed TLS handshake (a DestinationRule's ISTIO_MUTUAL to a pod
      // without a sidecar) is a connect failure before the connection is
      // up: UF, the same peer labels.
      {"connect failure (UF)",
       "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: bar}\nspec:\n  host: bar\n"
       "  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n  subsets: [{name: v1, labels: {version: v1}}]\n---\n"
       "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n  hosts: [bar]\n"
       "  http: [{retries: {attempts: 0}, route: [{destination: {host: bar, subset: v1}}]}]\n",
       "bar", false, 503, "UF", endpoint_labels_plaintext},
      // Sidecar to sidecar over mTLS: both certificates, the peer's cluster.
      {"mTLS to a sidecar",
       "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n  hosts: [bar]\n"
       "  http: [{route: [{destination: {host: bar, subset: v1}}]}]\n",
       "bar", true, 200, "-",
       {{"source_principal", "spiffe://cluster.local/ns/default/sa/curl"}, {"destination_workload", "bar-v1"},
        {"destination_principal", "spiffe://cluster.local/ns/default/sa/bar"}, {"destination_cluster", "Kubernetes"},
        {"destination_canonical_revision", "v1"}, {"destination_app", "bar"}, {"destination_version", "v1"}}},
  };
  for (const PeerLabelsCase& c : cases) {
    SCOPED_TRACE(c.name);
    Recorder sink;
    World world(WorldOptions{1, proxy::Duration(0)});
    world.set_telemetry(&sink);
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(testing::mesh_with(c.rules), &errors)) << ::testing::PrintToString(errors);
    if (!c.server_sidecar) world.set_sidecar("default", "bar-v1", false);
    if (c.bar_v1_delay > proxy::Duration(0)) world.set_behavior("default", "bar-v1", {.response_delay = c.bar_v1_delay});
    proxy::HttpRequest r;
    r.authority = c.host;
    r.target = "/";
    auto out = world.call("default", "curl", r, c.host, 80);
    ASSERT_TRUE(out && out->outbound.response);
    EXPECT_EQ(out->outbound.response->status, c.status);
    EXPECT_EQ(out->outbound.flags, c.flags);
    const proxy::StoredTelemetryEvent* source = nullptr;
    for (const auto& e : sink.events)
      if (e.reporter == proxy::TelemetryEvent::Reporter::kSource) source = &e;
    ASSERT_NE(source, nullptr);
    std::map<std::string, std::string> labels;
    for (auto& [k, v] : reports::istio_request_labels(proxy::TelemetryEvent(*source))) labels[k] = v;
    for (const auto& [k, v] : c.expected) EXPECT_EQ(labels[k], v) << k;
  }
}

}  // namespace
}  // namespace meshsim::sim
