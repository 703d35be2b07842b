// Istio ingress gateways in the world: tests/fidelity/gateway-ingress.yaml
// (our own mesh) run as a scenario, and single requests from outside the
// cluster (`meshsim curl --from @outside`). Sources per test.
#include <gtest/gtest.h>

#include "reports/mesh_telemetry.h"
#include "sim/curl.h"
#include "sim/scenario_runner.h"
#include "tests/sim/scenario_fixture.h"

namespace meshsim::sim {
namespace {

constexpr const char* kFile = "tests/fidelity/gateway-ingress.yaml";

CurlRun outside(const std::string& url, const std::string& host) {
  auto loaded = config::load_scenario({std::string(MESHSIM_SOURCE_DIR) + "/" + kFile});
  EXPECT_TRUE(loaded.scenario.has_value());
  CurlSpec spec;
  spec.from = kOutsideClient;
  spec.url = url;
  if (!host.empty()) spec.headers.emplace_back("Host", host);
  std::string error;
  auto run = run_curl(loaded.scenario ? loaded.scenario->resources : proxy::Resources{}, spec, &error);
  EXPECT_TRUE(run.has_value()) << error;
  return run ? std::move(*run) : CurlRun{};
}

int status_of(const CurlRun& run) {
  return run.single && run.single->outbound.response ? run.single->outbound.response->status : 0;
}

// The whole scenario: gateway-bound rules serve outside clients only,
// mesh rules sidecars only, until a rule lists both (virtual_service.proto
// `gateways`; istio.io network-issues "Route rules have no effect on
// ingress gateway requests").
TEST(GatewayIngress, ScenarioKeepsGatewayAndMeshRulesApart) {
  reports::MeshTelemetry metrics;
  RunOptions options;
  options.sinks.push_back(&metrics);
  RunResult r = run_scenario(testing::load_scenario_file(kFile), options);
  EXPECT_TRUE(r.passed()) << testing::failed_expectations(r);
  // A gateway reports what it sends as reporter="source" (istio.io reference
  // "Istio Standard Metrics": reporter is source for a client proxy or a
  // gateway); it runs no app, so no destination report names it.
  std::string text = metrics.prometheus();
  EXPECT_NE(text.find("istio_requests_total{reporter=\"source\",source_workload=\"edge-gateway\""), std::string::npos);
  EXPECT_EQ(text.find("reporter=\"destination\",source_workload=\"unknown\",source_canonical_service=\"unknown\","
                      "source_canonical_revision=\"unknown\",source_workload_namespace=\"unknown\",source_principal=\"unknown\","
                      "source_app=\"unknown\",source_version=\"unknown\",source_cluster=\"unknown\",destination_workload=\"edge-gateway\""),
            std::string::npos);
}

// Envoy picks the virtual host by Host with its port ignored (gateway.go
// IgnorePortInHostMatching; routing.go "wildcard hostname"); the route's
// destination is reached through the Service port 80 -> container 8080
// listener (gateway.go resolvePorts).
TEST(GatewayIngress, OutsideClientIsRoutedByHost) {
  CurlRun run = outside("http://edge-gateway.istio-system/", "a.shop.example.com:31380");
  ASSERT_TRUE(run.single && run.single->outbound.served_by);
  EXPECT_EQ(status_of(run), 200);
  EXPECT_EQ(run.single->outbound.served_by->version(), "v2");
  // The gateway's Envoy names itself istio-envoy (proxy_headers.go) and adds
  // the downstream address to x-forwarded-for (use_remote_address).
  EXPECT_EQ(run.single->outbound.response->headers.get("server"), "istio-envoy");
  ASSERT_TRUE(run.single->upstream);
  EXPECT_TRUE(run.single->upstream->request.headers.get("x-forwarded-for").has_value());
  CurlRun catalog = outside("http://edge-gateway.istio-system/catalog/7", "store.example.com");
  ASSERT_TRUE(catalog.single && catalog.single->outbound.served_by);
  EXPECT_EQ(catalog.single->outbound.served_by->workload, "catalog");
}

// No virtual host for the Host: Envoy's 404 with flag NR (routing.go gatewayCases "404").
TEST(GatewayIngress, UnknownHostIs404NR) {
  CurlRun run = outside("http://edge-gateway.istio-system/", "example.com");
  EXPECT_EQ(status_of(run), 404);
  EXPECT_EQ(run.single->outbound.flags, "NR");
  EXPECT_EQ(run.single->upstream_attempts, 0);
}

// tls.httpsRedirect: every plain-HTTP request gets 301 to https://<Host><path>
// (gateway.proto ServerTLSSettings.httpsRedirect; Envoy require_tls ALL).
TEST(GatewayIngress, HttpsRedirectServerAnswers301) {
  CurlRun run = outside("http://edge-gateway.istio-system/cart?x=1", "old.example.com");
  EXPECT_EQ(status_of(run), 301);
  EXPECT_EQ(run.single->outbound.response->headers.get("location"), "https://old.example.com/cart?x=1");
}

// A Service port behind which no Gateway server listens: nothing accepts the connection.
TEST(GatewayIngress, PortWithoutServerRefusesTheConnection) {
  CurlRun run = outside("http://edge-gateway.istio-system:9000/", "store.example.com");
  ASSERT_TRUE(run.single);
  EXPECT_FALSE(run.single->outbound.response.has_value());
  EXPECT_NE(run.single->outbound.error.find("connection refused"), std::string::npos) << run.single->outbound.error;
}

// `meshsim serve` enters through the scenario's own ingress gateway.
TEST(GatewayIngress, LiveIngressEntersThroughTheScenarioGateway) {
  Scenario scenario = testing::load_scenario_file(kFile);  // the session keeps a reference: it must outlive it
  ScenarioSession session(scenario, {}, SessionOptions{false, /*ingress=*/true});
  auto gateway = session.ingress_gateway();
  ASSERT_TRUE(gateway);
  EXPECT_EQ(gateway->host, "edge-gateway.istio-system");
  EXPECT_EQ(gateway->port, 80u);
  proxy::HttpRequest request;
  request.method = "GET";
  request.target = "/catalog";
  request.authority = "store.example.com";
  std::optional<CallResult> out;
  session.send_ingress(std::move(request), "ignored", 80, [&](CallResult&& r) { out = std::move(r); });
  session.world().scheduler().run();
  ASSERT_TRUE(out && out->outbound.served_by);
  EXPECT_EQ(out->outbound.served_by->workload, "catalog");
}

}  // namespace
}  // namespace meshsim::sim
