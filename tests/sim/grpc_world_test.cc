// gRPC through the simulated world: retries on a Trailers-Only UNAVAILABLE
// (and none from trailers), the labels and message counters Istio reports,
// GRPCRoute on a Service parent, `meshsim curl --grpc`, and the shipped
// scenarios/grpc-retries.yaml.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "proxy_core/grpc.h"
#include "proxy_core/route_table.h"
#include "reports/curl_output.h"
#include "reports/mesh_telemetry.h"
#include "sim/curl.h"
#include "sim/scenario_runner.h"
#include "sim/world.h"
#include "tests/sim/scenario_fixture.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::sim {
namespace {

constexpr const char* kEcho = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: client}
spec:
  selector: {matchLabels: {app: client}}
  template: {metadata: {labels: {app: client, version: v1}}, spec: {containers: [{name: app, image: client}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  selector: {matchLabels: {app: echo}}
  template: {metadata: {labels: {app: echo, version: v1}}, spec: {containers: [{name: app, image: echo}]}}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec: {selector: {app: echo}, ports: [{name: grpc, port: 7070}, {name: http, port: 80}]}
)";

proxy::Resources load(const std::string& extra) {
  auto loaded = testing::load_or_fail({{"mesh.yaml", std::string(kEcho) + extra}});
  return std::move(loaded.resources);
}

proxy::HttpRequest grpc_call(const std::string& path) {
  proxy::HttpRequest r;
  r.protocol = proxy::WireProtocol::kHttp2;
  r.method = "POST";
  r.target = path;
  r.authority = "echo:7070";
  r.headers.set("content-type", "application/grpc");
  r.headers.set("te", "trailers");
  r.body = proxy::grpc_frame("");
  return r;
}

services::Behavior failing(int first_n, bool trailers_only) {
  services::Behavior b;
  services::GrpcAnswer g;
  g.status = 14;
  g.message = "backend unavailable";
  g.trailers_only = trailers_only;
  g.fail_first_n = first_n;
  b.grpc = g;
  return b;
}

constexpr const char* kRetryUnavailable = R"(
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo}
spec:
  hosts: [echo]
  http: [{retries: {attempts: 3, retryOn: unavailable}, route: [{destination: {host: echo}}]}]
)";

TEST(GrpcWorld, TrailersOnlyUnavailableIsRetriedAndTrailersAreNot) {
  // Envoy retry_state_impl.cc wouldRetryFromHeaders reads grpc-status from
  // the response headers only; router_filter.rst: "gRPC status codes in
  // trailers will not trigger retry logic" (corpus fact 73).
  for (bool trailers_only : {true, false}) {
    World world;
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(load(kRetryUnavailable), &errors));
    world.set_behavior("default", "echo", failing(2, trailers_only));
    auto r = world.call("default", "client", grpc_call("/proto.EchoTestService/Echo"), "echo", 7070);
    ASSERT_TRUE(r && r->outbound.response);
    EXPECT_EQ(r->outbound.response->status, 200);
    EXPECT_EQ(proxy::grpc_status_of(*r->outbound.response), trailers_only ? 0 : 14);
    EXPECT_EQ(r->upstream_attempts, trailers_only ? 3 : 1);
    // The port is named grpc: HTTP/2 reaches the app (conversion.go, cluster_builder.go setH2Options).
    ASSERT_TRUE(r->upstream);
    EXPECT_EQ(r->upstream->request.protocol, proxy::WireProtocol::kHttp2);
    EXPECT_EQ(r->outbound.response->protocol, proxy::WireProtocol::kHttp2);
  }
}

TEST(GrpcWorld, ReportsCarryRequestProtocolGrpcStatusAndMessageCounts) {
  // istio/proxy istio_stats.cc: request_protocol "grpc", grpc_response_status
  // from getGrpcStatus; istio_request/response_messages_total from Envoy's
  // grpc_stats (istio.io reference/config/metrics).
  World world;
  reports::MeshTelemetry telemetry;
  world.set_telemetry(&telemetry);
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(""), &errors));
  world.set_behavior("default", "echo", failing(0, false));
  ASSERT_TRUE(world.call("default", "client", grpc_call("/proto.EchoTestService/Echo"), "echo", 7070));
  proxy::HttpRequest plain;
  plain.authority = "echo";
  ASSERT_TRUE(world.call("default", "client", plain, "echo", 80));
  std::string prom = telemetry.prometheus();
  EXPECT_NE(prom.find("request_protocol=\"grpc\",response_code=\"200\",grpc_response_status=\"14\""), std::string::npos)
      << prom;
  EXPECT_NE(prom.find("request_protocol=\"http\",response_code=\"200\",grpc_response_status=\"\""), std::string::npos);
  EXPECT_NE(prom.find("istio_request_messages_total{reporter=\"destination\""), std::string::npos);
  EXPECT_NE(prom.find("istio_response_messages_total{reporter=\"source\""), std::string::npos);
}

// Envoy's router gives the outlier detector a gRPC request's grpc-status
// from the response headers, mapped by grpcToHttpStatus (router.cc
// onUpstreamHeaders; status.cc: UNAVAILABLE -> 503): a Trailers-Only
// UNAVAILABLE is a 5xx, and two eject the only pod (panic threshold 0:
// then 503 UH). A status in trailers is not seen: the pod stays.
TEST(GrpcWorld, TrailersOnlyErrorsCountForOutlierDetection) {
  const std::string rules = R"(
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo}
spec:
  hosts: [echo]
  http: [{retries: {attempts: 0}, route: [{destination: {host: echo}}]}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo}
spec:
  host: echo
  trafficPolicy: {outlierDetection: {consecutive5xxErrors: 2, maxEjectionPercent: 100}}
)";
  for (bool trailers_only : {true, false}) {
    SCOPED_TRACE(trailers_only ? "Trailers-Only" : "status in trailers");
    World world;
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(load(rules), &errors)) << ::testing::PrintToString(errors);
    world.set_behavior("default", "echo", failing(0, trailers_only));
    for (int i = 0; i < 2; ++i) {
      auto out = world.call("default", "client", grpc_call("/proto.EchoTestService/Echo"), "echo", 7070);
      ASSERT_TRUE(out && out->outbound.response);
      EXPECT_EQ(proxy::grpc_status_of(*out->outbound.response), 14);
    }
    auto third = world.call("default", "client", grpc_call("/proto.EchoTestService/Echo"), "echo", 7070);
    ASSERT_TRUE(third && third->outbound.response);
    EXPECT_EQ(third->outbound.flags, trailers_only ? "UH" : "-");
  }
}

TEST(GrpcWorld, GrpcRouteOnAServiceParentRoutesByMethod) {
  // Istio conversion.go createGRPCURIMatch: method-only -> regex /[^/]+/<method>;
  // an unmatched call is UNIMPLEMENTED (404 -> 12, corpus fact 79).
  World world;
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: by-method}
spec:
  parentRefs: [{group: "", kind: Service, name: echo, port: 7070}]
  rules:
  - matches: [{method: {method: Check}}]
    backendRefs: [{name: echo, port: 7070}]
)"),
                          &errors));
  auto hit = world.call("default", "client", grpc_call("/grpc.health.v1.Health/Check"), "echo", 7070);
  ASSERT_TRUE(hit && hit->outbound.response && hit->outbound.route());
  EXPECT_EQ(proxy::grpc_status_of(*hit->outbound.response), 0);
  EXPECT_EQ(hit->outbound.route()->resource, "GRPCRoute default/by-method");
  auto miss = world.call("default", "client", grpc_call("/proto.EchoTestService/Echo"), "echo", 7070);
  ASSERT_TRUE(miss && miss->outbound.response);
  EXPECT_EQ(miss->outbound.response->status, 200);
  EXPECT_EQ(proxy::grpc_status_of(*miss->outbound.response), 12);
  EXPECT_EQ(miss->upstream_attempts, 0);
}

// Istio converts a GRPCRoute match without `method` into one without a URI
// match (conversion.go createGRPCURIMatch returns nil), and sortHTTPRoutes
// ranks that after every path match (getURIRank -1, getURILength 0): a
// headers-only rule does not shadow a method rule, even a regex one
// (method-only: regex /[^/]+/<method>, rank 1). A rule without matches comes
// after both; on a parentRef with a port it has a match on that port
// (augmentPortMatch) and so sorts as a match without a URI, behind those
// with headers.
constexpr const char* kGrpcRulesInAnyOrder = R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: mixed}
spec:
  parentRefs: [{group: "", kind: Service, name: echo, port: 7070}]
  rules:
  - name: everything
    backendRefs: [{name: echo, port: 7070}]
  - name: by-header
    matches: [{headers: [{name: x-user, value: alice}]}]
    backendRefs: [{name: echo, port: 7070}]
  - name: by-method
    matches: [{method: {method: Check}}]
    backendRefs: [{name: echo, port: 7070}]
  - name: by-service
    matches: [{method: {service: proto.EchoTestService}}]
    backendRefs: [{name: echo, port: 7070}]
)";

TEST(GrpcWorld, GrpcRouteHeaderMatchesComeAfterMethodMatches) {
  struct Row {
    const char* path;
    const char* user;  // the x-user header, "" for none
    const char* rule;  // the rule that routes the call
    const char* source;
  } rows[] = {
      {"/grpc.health.v1.Health/Check", "alice", "by-method", "getURIRank: regex 1 > no URI -1"},
      {"/grpc.health.v1.Health/Check", "", "by-method", "sortHTTPRoutes: the port-only match of `everything` ranks -1"},
      {"/proto.EchoTestService/Echo", "alice", "by-service", "getURIRank: prefix 2 > no URI -1"},
      {"/grpc.health.v1.Health/Watch", "alice", "by-header", "no method rule matches; one header before none"},
      {"/grpc.health.v1.Health/Watch", "", "everything", "the last rule catches the rest"},
  };
  World world;
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(kGrpcRulesInAnyOrder), &errors));
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.path) + " x-user=" + row.user + " (" + row.source + ")");
    proxy::HttpRequest call = grpc_call(row.path);
    if (*row.user) call.headers.set("x-user", row.user);
    auto out = world.call("default", "client", call, "echo", 7070);
    ASSERT_TRUE(out && out->outbound.response && out->outbound.route());
    EXPECT_EQ(out->outbound.route()->rule, row.rule);
  }
}

// A RegularExpression service match without a method is the regex
// /<service>/.+ (conversion.go createGRPCURIMatch), and regex matches rank
// by the regex's length (sortHTTPRoutes getURILength): /proto\..*/.+ (13
// characters) comes after the method-only /[^/]+/Echo\w* (14); as
// /proto\..*/[^/]+ (16) it came first.
TEST(GrpcWorld, GrpcRouteRegexServiceWithoutMethodRanksByItsIstioRegex) {
  World world;
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: regexes}
spec:
  parentRefs: [{group: "", kind: Service, name: echo, port: 7070}]
  rules:
  - name: any-proto-service
    matches: [{method: {type: RegularExpression, service: "proto\\..*"}}]
    backendRefs: [{name: echo, port: 7070}]
  - name: echo-methods
    matches: [{method: {type: RegularExpression, method: "Echo\\w*"}}]
    backendRefs: [{name: echo, port: 7070}]
)"),
                          &errors))
      << ::testing::PrintToString(errors);
  auto both = world.call("default", "client", grpc_call("/proto.EchoTestService/Echo"), "echo", 7070);
  ASSERT_TRUE(both && both->outbound.route());
  EXPECT_EQ(both->outbound.route()->rule, "echo-methods");
  auto service_only = world.call("default", "client", grpc_call("/proto.EchoTestService/ForwardEcho"), "echo", 7070);
  ASSERT_TRUE(service_only && service_only->outbound.route());
  EXPECT_EQ(service_only->outbound.route()->rule, "any-proto-service");
}

// The same order as the router sees it, and a rule without matches on a
// parent without a port: Istio keeps it without matches, and sortHTTPRoutes
// puts such a route after all others (`len(routes[i].Match) == 0`), even a
// match with neither method nor headers.
TEST(GrpcWorld, GrpcRouteRuleWithoutMatchesSortsLast) {
  proxy::Resources resources = load(R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: bare}
spec:
  parentRefs: [{group: "", kind: Service, name: echo}]
  rules:
  - name: no-matches
    backendRefs: [{name: echo, port: 7070}]
  - name: empty-match
    matches: [{}]
    backendRefs: [{name: echo, port: 7070}]
  - name: by-header
    matches: [{headers: [{name: x-user, value: alice}]}]
    backendRefs: [{name: echo, port: 7070}]
)");
  const proxy::GwHTTPRoute* route = nullptr;
  for (const auto& r : resources.http_routes)
    if (r.header.meta.name == "bare") route = &r;
  ASSERT_NE(route, nullptr);
  ASSERT_EQ(route->rules.size(), 3u);
  auto no_matches = proxy::compile_gw_match(*route, 0, nullptr, 0, nullptr);
  auto empty_match = proxy::compile_gw_match(*route, 1, &route->rules[1].matches[0], 0, nullptr);
  auto by_header = proxy::compile_gw_match(*route, 2, &route->rules[2].matches[0], 0, nullptr);
  EXPECT_TRUE(proxy::gateway_api_precedes(empty_match, no_matches));
  EXPECT_FALSE(proxy::gateway_api_precedes(no_matches, empty_match));
  EXPECT_TRUE(proxy::gateway_api_precedes(by_header, empty_match));
  EXPECT_TRUE(proxy::gateway_api_precedes(by_header, no_matches));
}

// getURILength counts the path as Istio translates it: createURIMatch drops
// an HTTPRoute PathPrefix's trailing '/', createGRPCURIMatch keeps the "/"
// after a GRPCRoute's service, so on a parent both attach to, the service
// match is the longer prefix of the two below and goes first.
TEST(GrpcWorld, GrpcRouteServicePrefixKeepsItsSlashInLength) {
  proxy::Resources resources = load(R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: by-path}
spec:
  parentRefs: [{group: "", kind: Service, name: echo, port: 7070}]
  rules: [{matches: [{path: {type: PathPrefix, value: /proto.EchoTestService/}}], backendRefs: [{name: echo, port: 7070}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: by-service}
spec:
  parentRefs: [{group: "", kind: Service, name: echo, port: 7070}]
  rules: [{matches: [{method: {service: proto.EchoTestService}}], backendRefs: [{name: echo, port: 7070}]}]
)");
  const proxy::GwHTTPRoute *http = nullptr, *grpc = nullptr;
  for (const auto& r : resources.http_routes) (r.header.meta.name == "by-path" ? http : grpc) = &r;
  ASSERT_TRUE(http && grpc);
  auto path = proxy::compile_gw_match(*http, 0, &http->rules[0].matches[0], 0, nullptr);
  auto service = proxy::compile_gw_match(*grpc, 0, &grpc->rules[0].matches[0], 0, nullptr);
  // 23 characters against 22; the older route would win a tie.
  EXPECT_TRUE(proxy::gateway_api_precedes(service, path));
  EXPECT_FALSE(proxy::gateway_api_precedes(path, service));
}

TEST(GrpcWorld, CurlGrpcJsonShowsProtocolsStatusTrailersAndLabels) {
  // The issue's `meshsim curl --grpc` output keys; labels are the destination
  // reporter's when a server-side proxy saw the request.
  CurlSpec spec;
  spec.from = "client";
  spec.url = "http://echo:7070/proto.EchoTestService/Echo";
  spec.grpc = true;
  std::string error;
  auto run = run_curl(load(""), spec, &error);
  ASSERT_TRUE(run) << error;
  auto j = reports::curl_json(*run);
  EXPECT_EQ(j["protocol"], "http2");
  EXPECT_EQ(j["upstream"]["protocol"], "http2");
  EXPECT_EQ(j["grpc_status"], 0);
  EXPECT_EQ(j["trailers"]["grpc-status"], "0");
  EXPECT_EQ(j["labels"]["reporter"], "destination");
  EXPECT_EQ(j["labels"]["request_protocol"], "grpc");
  EXPECT_EQ(j["labels"]["grpc_response_status"], "0");

  CurlSpec h2 = spec;  // --http2 to the http port: HTTP/1.1 reaches the app, the label says http (facts 75, 78)
  h2.grpc = false;
  h2.protocol = proxy::WireProtocol::kHttp2;
  h2.url = "http://echo/";
  auto run2 = run_curl(load(""), h2, &error);
  ASSERT_TRUE(run2) << error;
  auto j2 = reports::curl_json(*run2);
  EXPECT_EQ(j2["protocol"], "http2");
  EXPECT_EQ(j2["upstream"]["protocol"], "http1");
  EXPECT_EQ(j2["labels"]["request_protocol"], "http");
  EXPECT_FALSE(j2.contains("grpc_status"));
}

TEST(GrpcWorld, ShippedGrpcRetriesScenarioMeetsItsExpectations) {
  Scenario scenario = testing::load_scenario_file("scenarios/grpc-retries.yaml");
  RunResult r = run_scenario(scenario);
  EXPECT_EQ(testing::failed_expectations(r), "");
  EXPECT_FALSE(r.expectations.empty());
}

}  // namespace
}  // namespace meshsim::sim
