// The Sidecar resource's egress listeners by port and bind address, and its
// own outboundTrafficPolicy for the workloads it selects: what a client can
// reach. Sources per row: istio/api networking/v1alpha3/sidecar.proto
// (IstioEgressListener port, bind; OutboundTrafficPolicy) and istio/istio
// pilot (listener.go buildSidecarOutboundListeners, sidecar.go
// GetEgressListenerForRDS, httproute.go BuildSidecarOutboundVirtualHosts).
#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/world.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::sim {
namespace {

std::string deployment(const std::string& name, const std::string& ns) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec:\n  selector: {matchLabels: {wl: " + name + "}}\n  template:\n    metadata: {labels: {wl: " + name +
         ", app: " + name + "}}\n    spec: {containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}\n---\n";
}

// Two HTTP ports, 80 and 9080, both to the pod's 8080.
std::string service(const std::string& name, const std::string& ns) {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec: {selector: {wl: " +
         name + "}, ports: [{name: http, port: 80, targetPort: 8080}, {name: http-alt, port: 9080, targetPort: 8080}]}\n---\n";
}

std::string sidecar(const std::string& spec, const std::string& name = "default") {
  return "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: " + name + ", namespace: ns1}\nspec:\n" + spec +
         "---\n";
}

constexpr const char* kRegistryOnly =
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n"
    "    outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n---\n";

// "200 <workload> <cluster>", "502", "DNS".
std::string call(const std::string& yaml, const std::string& from, const std::string& url_host, uint32_t port,
                 const std::string& host_header = "") {
  auto loaded = testing::load_or_fail({{"test.yaml", yaml}});
  loaded.resources.external_hosts.push_back({"httpbin-org", {"httpbin.org"}, 80});
  World world(WorldOptions{1, proxy::Duration(0)});
  std::vector<std::string> errors;
  if (!world.apply(std::move(loaded.resources), &errors)) return "rejected";
  proxy::HttpRequest r;
  r.authority = host_header.empty() ? url_host + ":" + std::to_string(port) : host_header;
  r.target = "/";
  auto out = world.call("ns1", from, r, url_host, port);
  if (!out) return "no client";
  if (!out->outbound.response) return out->outbound.error.starts_with("Could not resolve") ? "DNS" : "reset";
  std::string s = std::to_string(out->outbound.response->status);
  if (out->outbound.served_by) s += " " + out->outbound.served_by->workload;
  if (!out->outbound.cluster().empty()) s.append(" ").append(out->outbound.cluster());
  return s;
}

struct Row {
  const char* name;
  std::string yaml;
  const char* from;
  const char* url_host;
  uint32_t port;
  const char* host_header;
  const char* expected;
  const char* source;
};

TEST(SidecarEgress, PortAndBindDecideWhatIsReachable) {
  const std::string topology = deployment("curl", "ns1") + deployment("other", "ns1") + deployment("svc-a", "ns1") +
                               service("svc-a", "ns1") + deployment("svc-b", "ns2") + service("svc-b", "ns2");
  const std::string registry_only = topology + kRegistryOnly;
  const Row rows[] = {
      {"a listener on the port imports ns2 there", registry_only + sidecar("  egress:\n  - {port: {number: 80, protocol: HTTP, name: http}, hosts: [ns2/*]}\n  - {hosts: [./*]}\n"),
       "curl", "svc-b.ns2", 80, "", "200 svc-b outbound|80||svc-b.ns2.svc.cluster.local",
       "sidecar.go GetEgressListenerForRDS: the first egress listener with the port"},
      {"another port falls to the catch-all, which does not import ns2",
       registry_only + sidecar("  egress:\n  - {port: {number: 9080, protocol: HTTP, name: http}, hosts: [ns2/*]}\n  - {hosts: [./*]}\n"),
       "curl", "svc-b.ns2", 80, "", "502",
       "sidecar.go GetEgressListenerForRDS: else the catch-all; httproute.go block_all (REGISTRY_ONLY)"},
      {"the catch-all still serves its own namespace on that port",
       registry_only + sidecar("  egress:\n  - {port: {number: 9080, protocol: HTTP, name: http}, hosts: [ns2/*]}\n  - {hosts: [./*]}\n"),
       "curl", "svc-a.ns1", 80, "", "200 svc-a outbound|80||svc-a.ns1.svc.cluster.local",
       "sidecar.proto: the listener without a port catches the rest"},
      {"only ported listeners: another port has no listener (REGISTRY_ONLY: 502)",
       registry_only + sidecar("  egress:\n  - {port: {number: 9080, protocol: HTTP, name: http}, hosts: [ns2/*]}\n"),
       "curl", "svc-b.ns2", 80, "", "502",
       "listener.go buildSidecarOutboundListeners: one listener per egress port; the virtual outbound listener's block_all"},
      {"only ported listeners: another port passes through under ALLOW_ANY",
       topology + sidecar("  egress:\n  - {port: {number: 9080, protocol: HTTP, name: http}, hosts: [ns2/*]}\n"), "curl",
       "svc-b.ns2", 80, "", "200 svc-b PassthroughCluster",
       "listener.go: no listener for the port -> virtual outbound listener; httproute.go allow_any -> PassthroughCluster"},
      {"only ported listeners: their own port is routed", registry_only + sidecar("  egress:\n  - {port: {number: 9080, protocol: HTTP, name: http}, hosts: [ns2/*]}\n"),
       "curl", "svc-b.ns2", 9080, "", "200 svc-b outbound|9080||svc-b.ns2.svc.cluster.local",
       "httproute.go BuildSidecarOutboundVirtualHosts: services with the listener's port"},
      {"bind 127.0.0.1: the app reaches the imported hosts through that address",
       registry_only + sidecar("  egress:\n  - {port: {number: 9080, protocol: HTTP, name: http}, bind: 127.0.0.1, hosts: [ns2/*]}\n  - {hosts: [./*]}\n"),
       "curl", "127.0.0.1", 9080, "svc-b.ns2", "200 svc-b outbound|9080||svc-b.ns2.svc.cluster.local",
       "sidecar.proto IstioEgressListener.bind ('the IP ... to which the listener should be bound'); the Host picks the virtual host"},
      {"bind 127.0.0.1: the Service address on that port is not that listener's",
       registry_only + sidecar("  egress:\n  - {port: {number: 9080, protocol: HTTP, name: http}, bind: 127.0.0.1, hosts: [ns2/*]}\n  - {hosts: [./*]}\n"),
       "curl", "svc-b.ns2", 9080, "", "502",
       "sidecar.proto bind: the listener takes connections to its address only; the rest is the catch-all's (./*)"},
      {"a Sidecar's outboundTrafficPolicy applies to the workloads it selects",
       topology + sidecar("  workloadSelector: {labels: {app: curl}}\n  outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n") +
           sidecar("  egress: [{hosts: ['./*']}]\n", "namespace-wide"),
       "curl", "httpbin.org", 80, "", "502",
       "sidecar.proto outboundTrafficPolicy ('Configuration for the outbound traffic policy ... of the workloads selected'); block_all"},
      {"... and not to the other workloads of the namespace",
       topology + sidecar("  workloadSelector: {labels: {app: curl}}\n  outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n") +
           sidecar("  egress: [{hosts: ['./*']}]\n", "namespace-wide"),
       "other", "httpbin.org", 80, "", "200 httpbin-org PassthroughCluster",
       "sidecar.proto workloadSelector: the namespace's selector-less Sidecar (./*) for the rest; ALLOW_ANY passthrough"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " — " + row.source);
    EXPECT_EQ(call(row.yaml, row.from, row.url_host, row.port, row.host_header), row.expected);
  }
}

// istio/istio pkg/config/validation/validation.go ValidateSidecar, word for word.
TEST(SidecarEgress, ListenerRulesAsIstioValidatesThem) {
  struct Row {
    const char* egress;
    const char* error;  // "" when valid
  } rows[] = {
      {"  - {port: {number: 80, name: http, protocol: HTTP}, hosts: [./*]}\n  - {hosts: [./*]}\n", ""},
      {"  - {hosts: [./*]}\n  - {port: {number: 80, name: http, protocol: HTTP}, hosts: [./*]}\n",
       "the egress listener with empty port should be the last listener in the list"},
      {"  - {port: {number: 80, name: http, protocol: HTTP}, hosts: [./*]}\n"
       "  - {port: {number: 80, name: http2, protocol: HTTP}, hosts: [ns2/*]}\n",
       "ports on IP bound listeners must be unique"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.egress);
    auto loaded = config::load({{"s.yaml", sidecar(std::string("  egress:\n") + row.egress)}});
    std::string errors;
    for (const auto& d : loaded.diagnostics)
      if (d.severity == config::Severity::kError) errors += d.message;
    if (*row.error == 0) EXPECT_EQ(errors, "");
    else EXPECT_NE(errors.find(row.error), std::string::npos) << errors;
  }
}

}  // namespace
}  // namespace meshsim::sim
