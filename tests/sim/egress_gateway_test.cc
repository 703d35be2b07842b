// The istio.io "Egress Gateways" task (HTTP): a ServiceEntry for the
// external host, a Gateway on the egress gateway, a DestinationRule subset
// for it and a VirtualService bound to `mesh` and the gateway. Sidecars send
// port-80 traffic for the host to the egress gateway, which forwards it out;
// the istio-egressgateway Service's port 80 is named http2, so the first hop
// speaks HTTP/2. The YAML is our own, shaped as the task's (istio/istio.io
// content/en/docs/tasks/traffic-management/egress/egress-gateway/index.md).
// Then what the gateway reports, in istio_requests_total, for what it
// forwards and for a request it refuses.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "reports/mesh_telemetry.h"
#include "sim/world.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::sim {
namespace {

constexpr const char* kMesh = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: curl, namespace: default}
spec:
  selector: {matchLabels: {app: curl}}
  template:
    metadata: {labels: {app: curl}}
    spec: {serviceAccountName: curl, containers: [{name: curl, image: curlimages/curl}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-egressgateway, namespace: istio-system}
spec:
  selector: {matchLabels: {app: istio-egressgateway}}
  template:
    metadata: {labels: {app: istio-egressgateway, istio: egressgateway}}
    spec: {containers: [{name: istio-proxy, image: auto, ports: [{containerPort: 8080}, {containerPort: 8443}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: istio-egressgateway, namespace: istio-system}
spec:
  selector: {app: istio-egressgateway}
  ports:
  - {name: http2, port: 80, targetPort: 8080}
  - {name: https, port: 443, targetPort: 8443}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cnn}
spec:
  hosts: [edition.cnn.com]
  ports:
  - {number: 80, name: http-port, protocol: HTTP}
  - {number: 443, name: https, protocol: HTTPS}
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: istio-egressgateway}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [edition.cnn.com]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-cnn}
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets: [{name: cnn}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: direct-cnn-through-egress-gateway}
spec:
  hosts: [edition.cnn.com]
  gateways: [istio-egressgateway, mesh]
  http:
  - match: [{gateways: [mesh], port: 80}]
    route:
    - destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: cnn, port: {number: 80}}
      weight: 100
  - match: [{gateways: [istio-egressgateway], port: 80}]
    route:
    - destination: {host: edition.cnn.com, port: {number: 80}}
      weight: 100
)";

struct EgressWorld {
  reports::MeshTelemetry metrics;
  World world{WorldOptions{1, proxy::Duration(0)}};
  EgressWorld() {
    auto loaded = testing::load_or_fail({{"egress-gateway.yaml", kMesh}});
    loaded.resources.external_hosts.push_back({"edition-cnn", {"edition.cnn.com"}, 80});
    world.set_telemetry(&metrics);
    std::vector<std::string> errors;
    EXPECT_TRUE(world.apply(std::move(loaded.resources), &errors));
  }
  std::optional<CallResult> get(const std::string& url_host, const std::string& host, const std::string& path) {
    proxy::HttpRequest r;
    r.authority = host;
    r.target = path;
    return world.call("default", "curl", r, url_host, 80);
  }
};

// The series of one reporter line that has all of `labels`.
bool has_series(const std::string& prometheus, const std::vector<std::string>& labels) {
  size_t at = 0;
  while ((at = prometheus.find("istio_requests_total{", at)) != std::string::npos) {
    size_t end = prometheus.find('}', at);
    std::string line = prometheus.substr(at, end - at);
    bool all = true;
    for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
    if (all) return true;
    at = end;
  }
  return false;
}

// "The output should be the same as in the step 2": the request reaches
// edition.cnn.com through the egress gateway (the task's log check: the
// gateway's access log shows the request to edition.cnn.com).
TEST(EgressGateway, SidecarToGatewayToExternalHost) {
  EgressWorld w;
  auto out = w.get("edition.cnn.com", "edition.cnn.com", "/politics");
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(out->outbound.response) << out->outbound.error;
  EXPECT_EQ(out->outbound.response->status, 200);
  // The sidecar's cluster is the gateway's subset (VirtualService match gateways: [mesh]).
  EXPECT_EQ(out->outbound.cluster(), "outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local");
  ASSERT_TRUE(out->upstream);
  EXPECT_EQ(out->upstream->endpoint->workload, "edition-cnn");
  EXPECT_EQ(out->upstream->request.authority, "edition.cnn.com");
  EXPECT_EQ(out->upstream->request.target, "/politics");
  ASSERT_TRUE(out->outbound.served_by);
  EXPECT_EQ(out->outbound.served_by->workload, "edition-cnn");
  // Two client-side reports (a gateway reports as reporter="source", istio.io
  // "Istio Standard Metrics"): the sidecar's to the gateway Service, and the
  // gateway's to the ServiceEntry host.
  std::string text = w.metrics.prometheus();
  EXPECT_TRUE(has_series(text, {"reporter=\"source\"", "source_workload=\"curl\"", "destination_workload=\"istio-egressgateway\"",
                                "destination_service=\"istio-egressgateway.istio-system.svc.cluster.local\"", "response_code=\"200\""}))
      << text;
  EXPECT_TRUE(has_series(text, {"reporter=\"source\"", "source_workload=\"istio-egressgateway\"",
                                "source_workload_namespace=\"istio-system\"", "destination_service=\"edition.cnn.com\"",
                                "response_code=\"200\""}))
      << text;
}

// A host the gateway's servers do not cover: Envoy's 404 with flag NR
// (istio/istio pull 27746 "Add NR response flag for Gateway 404s"). The
// gateway reports it with no destination: Istio disables the Host header
// fallback on gateway listeners (pilot/pkg/model/telemetry.go
// disableHostHeaderFallback: ListenerClassGateway), so destination_service
// is "unknown" (istio/proxy testdata/metric/client_disable_host_header_fallback.yaml.tmpl).
TEST(EgressGateway, UncoveredHostIs404NRReportedWithUnknownDestination) {
  EgressWorld w;
  auto out = w.get("istio-egressgateway.istio-system", "www.example.org", "/");
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(out->outbound.response) << out->outbound.error;
  EXPECT_EQ(out->outbound.response->status, 404);
  EXPECT_EQ(out->upstream_attempts, 0);
  std::string text = w.metrics.prometheus();
  EXPECT_TRUE(has_series(text, {"reporter=\"source\"", "source_workload=\"istio-egressgateway\"",
                                "destination_workload=\"unknown\"", "destination_service=\"unknown\"",
                                "destination_service_name=\"unknown\"", "destination_service_namespace=\"unknown\"",
                                "response_code=\"404\"", "response_flags=\"NR\""}))
      << text;
  // The sidecar in front saw the gateway answer 404 (no flag of its own).
  EXPECT_TRUE(has_series(text, {"reporter=\"source\"", "source_workload=\"curl\"", "destination_workload=\"istio-egressgateway\"",
                                "response_code=\"404\"", "response_flags=\"-\""}))
      << text;
}

// The sidecar's own refusal under REGISTRY_ONLY for a host with no
// ServiceEntry: 502 counted against BlackHoleCluster (istio.io blog
// "Monitoring blocked and passthrough external service traffic").
TEST(EgressGateway, BlockedHostIsCountedAgainstBlackHoleCluster) {
  reports::MeshTelemetry metrics;
  World world{WorldOptions{1, proxy::Duration(0)}};
  auto loaded = config::load({{"egress-gateway.yaml", std::string(kMesh) + "---\n" +
                                                        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\n"
                                                        "data:\n  mesh: |\n    outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n"}},
                             {});
  loaded.resources.external_hosts.push_back({"example-org", {"www.example.org"}, 80});
  world.set_telemetry(&metrics);
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(std::move(loaded.resources), &errors));
  proxy::HttpRequest r;
  r.authority = "www.example.org";
  r.target = "/";
  auto out = world.call("default", "curl", r, "www.example.org", 80);
  ASSERT_TRUE(out && out->outbound.response);
  EXPECT_EQ(out->outbound.response->status, 502);
  EXPECT_TRUE(has_series(metrics.prometheus(), {"reporter=\"source\"", "source_workload=\"curl\"",
                                                "destination_service=\"BlackHoleCluster\"",
                                                "destination_service_name=\"BlackHoleCluster\"", "response_code=\"502\""}))
      << metrics.prometheus();
}

}  // namespace
}  // namespace meshsim::sim
