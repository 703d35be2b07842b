// A request from a meshed client to a Service's name on a port the Service
// does not declare (http://bar:9999/ when bar declares 80). Sources per row:
// istio/istio pilot/pkg/networking/core (listener_builder.go
// buildOutboundCatchAllNetworkFiltersOnly: the virtual outbound listener's
// catch-all tcp_proxy to PassthroughCluster, or BlackHoleCluster under
// REGISTRY_ONLY; listener.go buildSidecarOutboundListeners: an HTTP
// listener 0.0.0.0:port only for a port some imported Service declares;
// httproute.go allow_any / block_all; cluster_builder.go
// buildDefaultPassthroughCluster: connect_timeout = MeshConfig
// connectTimeout, 10 s by default), envoyproxy/envoy
// source/common/tcp_proxy/tcp_proxy.cc (onInitFailure closes the downstream
// connection; UF, URX; establishUpstreamConnection: UH with no host), and
// kube-proxy, which has no rule for a cluster IP on an undeclared port
// (iptables mode drops the SYN, nftables mode rejects it).
#include <gtest/gtest.h>

#include "sim/world.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::sim {
namespace {

struct Recorder : proxy::TelemetrySink {
  std::vector<proxy::StoredTelemetryEvent> events;
  void record(const proxy::TelemetryEvent& e) override { events.emplace_back(e); }
};

std::string deployment(const std::string& name, const std::string& ns = "default") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec:\n  selector: {matchLabels: {app: " + name + "}}\n  template:\n    metadata: {labels: {app: " + name +
         "}}\n    spec: {containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}\n---\n";
}

std::string service(const std::string& name, const std::string& port_name, uint32_t port,
                    const std::string& ns = "default") {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec: {selector: {app: " +
         name + "}, ports: [{name: " + port_name + ", port: " + std::to_string(port) + ", targetPort: 8080}]}\n---\n";
}

std::string mesh_config(const std::string& fields) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n" + fields +
         "---\n";
}

// curl in default calls bar, whose Service declares port 80 only.
const std::string kTopology = deployment("curl") + deployment("bar") + service("bar", "http", 80);
// Another Service that declares 9999 with an HTTP protocol: the client's
// sidecar then has an HTTP listener 0.0.0.0:9999.
const std::string kHttp9999 = deployment("baz") + service("baz", "http-alt", 9999);
const std::string kRegistryOnly = mesh_config("    outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n");

struct Outcome {
  CallResult call;
  std::vector<proxy::StoredTelemetryEvent> telemetry;
};

Outcome call_bar(const std::string& yaml, uint32_t port, KubeProxyMode mode = KubeProxyMode::kIptables) {
  Recorder sink;
  WorldOptions options{1, proxy::Duration(0)};
  options.kube_proxy_mode = mode;
  World world(options);
  world.set_telemetry(&sink);
  std::vector<std::string> errors;
  EXPECT_TRUE(world.apply(testing::load_or_fail({{"test.yaml", yaml}}).resources, &errors));
  proxy::HttpRequest r;
  r.authority = "bar:" + std::to_string(port);
  r.target = "/";
  auto out = world.call("default", "curl", r, "bar", port);
  EXPECT_TRUE(out.has_value());
  return {out ? std::move(*out) : CallResult{}, std::move(sink.events)};
}

std::chrono::milliseconds ms(proxy::Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); }

TEST(UndeclaredPort, DeclaredPortIsServedAsBefore) {
  // Control row: the port bar declares is bar's own route.
  auto o = call_bar(kTopology, 80);
  ASSERT_TRUE(o.call.outbound.response);
  EXPECT_EQ(o.call.outbound.response->status, 200);
  EXPECT_EQ(o.call.outbound.cluster(), "outbound|80||bar.default.svc.cluster.local");
}

TEST(UndeclaredPort, NoListenerOnThePortIsTcpPassthroughThatNeverConnects) {
  // listener_builder.go buildOutboundCatchAllNetworkFiltersOnly: tcp_proxy
  // to PassthroughCluster (ALLOW_ANY); kube-proxy iptables mode drops the
  // SYN to ClusterIP:9999, so the connect lasts the cluster's
  // connect_timeout, MeshConfig connectTimeout (default 10 s, mesh.go
  // DefaultMeshConfig); tcp_proxy.cc onInitFailure then closes the app's
  // connection: no HTTP response at all (curl: Connection reset by peer).
  auto o = call_bar(kTopology, 9999);
  const auto& out = o.call.outbound;
  EXPECT_FALSE(out.response);
  EXPECT_EQ(out.error, "Recv failure: Connection reset by peer");
  EXPECT_EQ(out.flags, "UF,URX");  // tcp_proxy.cc: connect failure, its one attempt used up
  EXPECT_EQ(ms(out.duration), std::chrono::seconds(10));
  EXPECT_FALSE(o.call.upstream) << "bar's app must not answer a port its Service does not declare";
  // istio.io blog "Monitoring Blocked and Passthrough External Service
  // Traffic": such traffic shows as TCP metrics of PassthroughCluster, never
  // as istio_requests_total (meshsim does not model the TCP metrics).
  EXPECT_TRUE(o.telemetry.empty());
}

TEST(UndeclaredPort, ConnectTimeoutComesFromMeshConfig) {
  // cluster_builder.go buildDefaultPassthroughCluster: ConnectTimeout = mesh.ConnectTimeout.
  auto o = call_bar(kTopology + mesh_config("    connectTimeout: 2s\n"), 9999);
  EXPECT_FALSE(o.call.outbound.response);
  EXPECT_EQ(ms(o.call.outbound.duration), std::chrono::seconds(2));
}

TEST(UndeclaredPort, NftablesRejectsAtOnce) {
  // kube-proxy nftables mode rejects a cluster IP's unknown port: the
  // connect fails at once, the app still sees its connection closed.
  auto o = call_bar(kTopology, 9999, KubeProxyMode::kNftables);
  const auto& out = o.call.outbound;
  EXPECT_FALSE(out.response);
  EXPECT_EQ(out.error, "Recv failure: Connection reset by peer");
  EXPECT_EQ(out.flags, "UF,URX");
  EXPECT_EQ(out.duration.count(), 0);
  EXPECT_FALSE(o.call.upstream);
}

TEST(UndeclaredPort, RegistryOnlyClosesTheConnectionAtOnce) {
  // REGISTRY_ONLY: the catch-all filter chain's tcp_proxy goes to
  // BlackHoleCluster, which has no host: tcp_proxy.cc
  // establishUpstreamConnection sets UH and closes at once.
  auto o = call_bar(kTopology + kRegistryOnly, 9999);
  const auto& out = o.call.outbound;
  EXPECT_FALSE(out.response);
  EXPECT_EQ(out.error, "Recv failure: Connection reset by peer");
  EXPECT_EQ(out.flags, "UH");
  EXPECT_EQ(out.duration.count(), 0);
  EXPECT_TRUE(o.telemetry.empty());
}

TEST(UndeclaredPort, AnotherServiceDeclaringThePortAsHttpMakesIt503UF) {
  // listener.go: baz's http port 9999 gives the sidecar an HTTP listener
  // 0.0.0.0:9999; its route configuration has no virtual host for bar
  // (httproute.go BuildSidecarOutboundVirtualHosts: Services with the
  // port), so allow_any sends it to PassthroughCluster as HTTP; the connect
  // times out and Envoy's router answers 503 UF (router.cc onUpstreamReset,
  // reset reason connection timeout).
  auto o = call_bar(kTopology + kHttp9999, 9999);
  const auto& out = o.call.outbound;
  ASSERT_TRUE(out.response);
  EXPECT_EQ(out.response->status, 503);
  EXPECT_EQ(out.response->body,
            "upstream connect error or disconnect/reset before headers. reset reason: connection timeout");
  EXPECT_EQ(out.flags, "UF");
  EXPECT_EQ(out.cluster(), "PassthroughCluster");
  EXPECT_EQ(ms(out.duration), std::chrono::seconds(10));
  EXPECT_FALSE(o.call.upstream);
  // The HTTP connection manager reports it: istio_requests_total with
  // destination_service PassthroughCluster (istio.io blog above).
  ASSERT_EQ(o.telemetry.size(), 1u);
  EXPECT_EQ(o.telemetry[0].reporter, proxy::TelemetryEvent::Reporter::kSource);
  EXPECT_EQ(o.telemetry[0].destination_service, "PassthroughCluster");
  EXPECT_EQ(o.telemetry[0].response_code, 503);
  EXPECT_EQ(o.telemetry[0].response_flags, "UF");
}

TEST(UndeclaredPort, BarsVirtualServiceIsNotOnAPortBarDoesNotDeclare) {
  // route.go buildSidecarVirtualHostsForVirtualService groups a
  // VirtualService's Services by the ports they declare, and httproute.go
  // BuildSidecarOutboundVirtualHosts keeps the listener port's: route 9999
  // has no virtual host for bar, VirtualService or not, so bar:9999 takes
  // allow_any as above (503 UF), never the rule's destination.
  const std::string vs =
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar, namespace: default}\n"
      "spec: {hosts: [bar], http: [{route: [{destination: {host: baz, port: {number: 9999}}}]}]}\n---\n";
  auto o = call_bar(kTopology + kHttp9999 + vs, 9999);
  ASSERT_TRUE(o.call.outbound.response);
  EXPECT_EQ(o.call.outbound.response->status, 503);
  EXPECT_EQ(o.call.outbound.flags, "UF");
  EXPECT_EQ(o.call.outbound.cluster(), "PassthroughCluster");
  EXPECT_FALSE(o.call.upstream);
  // On the port bar declares, the rule applies (baz answers).
  auto declared = call_bar(kTopology + kHttp9999 + vs, 80);
  ASSERT_TRUE(declared.call.outbound.response);
  EXPECT_EQ(declared.call.outbound.response->status, 200);
  EXPECT_EQ(declared.call.outbound.cluster(), "outbound|9999||baz.default.svc.cluster.local");
}

TEST(UndeclaredPort, HttpListenerAndNftablesIs503UFAtOnce) {
  // The refused connect is a connection failure, not a timeout (Envoy's
  // reset reason, utility.cc resetReasonToString), with the socket's error
  // (connection_impl.cc "delayed connect error: " + strerror).
  auto o = call_bar(kTopology + kHttp9999, 9999, KubeProxyMode::kNftables);
  ASSERT_TRUE(o.call.outbound.response);
  EXPECT_EQ(o.call.outbound.response->status, 503);
  EXPECT_EQ(o.call.outbound.response->body,
            "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, "
            "transport failure reason: delayed connect error: Connection refused");
  EXPECT_EQ(o.call.outbound.flags, "UF");
  EXPECT_EQ(o.call.outbound.duration.count(), 0);
}

TEST(UndeclaredPort, HttpListenerUnderRegistryOnlyIsBlockAll502) {
  // httproute.go block_all: DirectResponse 502 on the HTTP listener.
  auto o = call_bar(kTopology + kHttp9999 + kRegistryOnly, 9999);
  ASSERT_TRUE(o.call.outbound.response);
  EXPECT_EQ(o.call.outbound.response->status, 502);
  EXPECT_FALSE(o.call.upstream);
}

TEST(UndeclaredPort, ATcpPortElsewhereMakesNoHttpListener) {
  // listener.go buildSidecarOutboundListenerOpts: a TCP Service port's
  // listener is bound to that Service's own address, so a connection to
  // bar's address on 9999 still reaches the virtual outbound listener.
  auto o = call_bar(kTopology + deployment("db") + service("db", "tcp-db", 9999), 9999);
  EXPECT_FALSE(o.call.outbound.response);
  EXPECT_EQ(o.call.outbound.flags, "UF,URX");
}

TEST(UndeclaredPort, AServiceTheSidecarDoesNotImportMakesNoListener) {
  // sidecar.proto egress hosts: baz in ns2 is not imported, so neither is
  // its port 9999 (listener.go builds listeners from what is imported).
  const std::string yaml = kTopology + deployment("baz", "ns2") + service("baz", "http-alt", 9999, "ns2") +
                           "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: "
                           "default}\nspec:\n  egress: [{hosts: ['./*']}]\n---\n";
  auto o = call_bar(yaml, 9999);
  EXPECT_FALSE(o.call.outbound.response);
  EXPECT_EQ(o.call.outbound.flags, "UF,URX");
}

}  // namespace
}  // namespace meshsim::sim

namespace meshsim::sim {
namespace {

TEST(UndeclaredPort, AHeadlessServiceNameReachesThePodsOnAnyPort) {
  // Kubernetes: a Service with clusterIP: None has no cluster IP; its DNS name
  // resolves to the pods' own addresses, so kube-proxy is not in the way and
  // the sidecar's passthrough reaches a pod on whatever port was called
  // (kubernetes.io "Headless Services"). Not the 10 s reset of a cluster IP.
  const std::string headless_bar =
      "apiVersion: v1\nkind: Service\nmetadata: {name: bar, namespace: default}\n"
      "spec: {clusterIP: None, selector: {app: bar}, ports: [{name: http, port: 80, targetPort: 8080}]}\n---\n";
  auto o = call_bar(deployment("curl") + deployment("bar") + headless_bar, 9999);
  ASSERT_TRUE(o.call.outbound.response) << o.call.outbound.error;
  EXPECT_TRUE(o.call.upstream);
}

}  // namespace
}  // namespace meshsim::sim
