// Egress and registry scoping as Istio does them, one table per rule, each
// row citing its source: outboundTrafficPolicy (MeshConfig and the Sidecar
// resource), ServiceEntry resolution, exportTo on Services, ServiceEntries
// and VirtualServices, Sidecar egress hosts, delegate VirtualServices and
// MeshConfig read from the `istio` ConfigMap.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "proxy_core/delegate.h"
#include "reports/mesh_telemetry.h"
#include "sim/curl.h"
#include "sim/scenario_runner.h"
#include "sim/world.h"
#include "tests/sim/scenario_fixture.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::sim {
namespace {

std::string deployment(const std::string& name, const std::string& ns, const std::string& labels) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec:\n  selector: {matchLabels: {wl: " + name + "}}\n  template:\n    metadata: {labels: {wl: " + name +
         ", " + labels + "}}\n    spec: {serviceAccountName: " + name +
         ", containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}\n---\n";
}

std::string service(const std::string& name, const std::string& ns, const std::string& selector,
                    const std::string& annotations = "") {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns +
         (annotations.empty() ? "" : ", annotations: {" + annotations + "}") + "}\nspec: {selector: {" + selector +
         "}, ports: [{name: http, port: 80, targetPort: 8080}]}\n---\n";
}

std::string mesh_config(const std::string& mesh_yaml) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n" +
         mesh_yaml + "---\n";
}

constexpr const char* kRegistryOnly = "    outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n";

proxy::Resources load(const std::string& yaml, std::vector<proxy::ExternalHost> externals = {}) {
  auto loaded = testing::load_or_fail({{"test.yaml", yaml}});
  loaded.resources.external_hosts = std::move(externals);
  return std::move(loaded.resources);
}

std::optional<CallResult> get(World& world, const std::string& ns, const std::string& from, const std::string& url_host,
                              const std::string& host_header = "") {
  proxy::HttpRequest r;
  r.authority = host_header.empty() ? url_host : host_header;
  r.target = "/";
  return world.call(ns, from, r, url_host, 80);
}

// What a call ended as: "200 <workload>", "502", "503 NC", "DNS" (no address).
std::string outcome(const std::optional<CallResult>& out) {
  if (!out) return "no client";
  if (!out->outbound.response) return out->outbound.error.starts_with("Could not resolve") ? "DNS" : "reset";
  std::string s = std::to_string(out->outbound.response->status);
  if (out->outbound.served_by) s += " " + out->outbound.served_by->workload;
  else if (out->outbound.flags != "-") s += " " + out->outbound.flags;
  return s;
}

const proxy::ExternalHost kHttpbin{"httpbin-org", {"httpbin.org"}, 80};

// ------------------------------------------------ outboundTrafficPolicy
struct PolicyRow {
  const char* name;
  std::string yaml;
  const char* from_ns;
  const char* host;
  const char* expected;
  const char* source;
};

TEST(OutboundTrafficPolicy, UnknownHostsPassThroughOrGet502) {
  const std::string topology = deployment("curl", "default", "app: curl") + deployment("curl", "egress", "app: curl");
  const std::string httpbin_se = R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin-ext, namespace: egress}
spec:
  hosts: [httpbin.org]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  location: MESH_EXTERNAL
)";
  const PolicyRow rows[] = {
      {"ALLOW_ANY by default: PassthroughCluster", topology, "default", "httpbin.org", "200 httpbin-org",
       "istio.io egress-control ('the Istio proxy lets calls to unknown services pass through'); httproute.go allow_any"},
      {"REGISTRY_ONLY: block_all answers 502", topology + mesh_config(kRegistryOnly), "default", "httpbin.org", "502",
       "pilot/pkg/networking/core/httproute.go: block_all DirectResponse 502"},
      {"REGISTRY_ONLY + ServiceEntry: allowed", topology + mesh_config(kRegistryOnly) + "---\n" + httpbin_se, "egress",
       "httpbin.org", "200 httpbin-org", "istio.io egress-control 'Access an external HTTP service'"},
      {"a ServiceEntry is visible everywhere by default", topology + mesh_config(kRegistryOnly) + "---\n" + httpbin_se,
       "default", "httpbin.org", "200 httpbin-org", "service_entry.proto exportTo: 'If no namespaces are specified ... exported to all namespaces'"},
      {"exportTo '.' hides it from other namespaces",
       topology + mesh_config(kRegistryOnly) + "---\n" + httpbin_se + "  exportTo: [\".\"]\n", "default", "httpbin.org",
       "502", "service_entry.proto exportTo '.'; httproute.go block_all"},
      {"defaultServiceExportTo narrows ServiceEntries without exportTo",
       topology + mesh_config(std::string(kRegistryOnly) + "    defaultServiceExportTo: [\".\"]\n") + "---\n" + httpbin_se,
       "default", "httpbin.org", "502", "mesh/v1alpha1/config.proto defaultServiceExportTo"},
      {"Sidecar outboundTrafficPolicy overrides the mesh for its workloads",
       topology + "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s, namespace: default}\n"
                  "spec: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}\n",
       "default", "httpbin.org", "502", "sidecar.proto outboundTrafficPolicy; routing.go TestExternalService"},
      {"a namespace's Sidecar does not apply to another namespace",
       topology + "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s, namespace: default}\n"
                  "spec: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}\n",
       "egress", "httpbin.org", "200 httpbin-org", "sidecar.proto: a Sidecar applies to its namespace"},
      {"a host nothing resolves is a DNS failure, not a 502", topology + mesh_config(kRegistryOnly), "default",
       "nowhere.example", "DNS", "without a ServiceEntry Istio's DNS proxy does not answer; the name does not exist"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " — " + row.source);
    World world(WorldOptions{1, proxy::Duration(0)});
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(load(row.yaml, {kHttpbin}), &errors));
    EXPECT_EQ(outcome(get(world, row.from_ns, "curl", row.host)), row.expected);
  }
}

// ------------------------------------------------ ServiceEntry resolution
TEST(ServiceEntry, ResolutionPicksTheEndpoints) {
  const std::string topology = deployment("curl", "default", "app: curl") + deployment("details", "default", "app: details") +
                               mesh_config(kRegistryOnly);
  struct Row {
    const char* name;
    std::string se;
    const char* host;
    const char* header;
    const char* expected;
    const char* source;
  } rows[] = {
      {"DNS with endpoints: the endpoints' addresses",
       "spec: {hosts: [foo.bar.com], resolution: DNS, ports: [{number: 80, name: http, protocol: HTTP}],"
       " endpoints: [{address: us.foo.bar.com, ports: {http: 8080}}]}\n",
       "foo.bar.com", "", "200 us-foo", "service_entry.proto external-svc-dns"},
      {"NONE: the address the client connected to, wildcard hosts allowed",
       "spec: {hosts: ['*.bar.com'], resolution: NONE, ports: [{number: 80, name: http, protocol: HTTP}]}\n",
       "api.bar.com", "", "200 api-bar", "service_entry.proto external-svc-wildcard-example"},
      {"DYNAMIC_DNS: the host the request names, wildcard hosts (Istio 1.31)",
       "spec: {hosts: ['*.bar.com'], resolution: DYNAMIC_DNS, ports: [{number: 80, name: http, protocol: HTTP}]}\n",
       "api.bar.com", "", "200 api-bar", "service_entry.proto Resolution DYNAMIC_DNS; cluster.go: dynamic forward proxy"},
      {"DYNAMIC_DNS resolves the Host header, not the address connected to",
       "spec: {hosts: ['*.bar.com'], resolution: DYNAMIC_DNS, ports: [{number: 80, name: http, protocol: HTTP}]}\n",
       "us.foo.bar.com", "api.bar.com", "200 api-bar",
       "release note allow-any-dynamic-dns: 'resolving hostnames from the Host header at request time'"},
      {"STATIC + workloadSelector: the pods it selects",
       "spec: {hosts: [details.bookinfo.com], location: MESH_INTERNAL, resolution: STATIC,"
       " ports: [{number: 80, name: http, protocol: HTTP, targetPort: 8080}], workloadSelector: {labels: {app: details}}}\n",
       "details.bookinfo.com", "", "200 details", "service_entry.proto details-svc example"},
      {"the Host header picks the ServiceEntry, not the address",
       "spec: {hosts: [fake.external.com], resolution: DNS, ports: [{number: 80, name: http, protocol: HTTP}],"
       " endpoints: [{address: us.foo.bar.com, ports: {http: 8080}}]}\n",
       "api.bar.com", "fake.external.com", "200 us-foo",
       "istio.io traffic-routing: 'routed based on the port and Host header'; routing.go TestExternalService"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " — " + row.source);
    World world(WorldOptions{1, proxy::Duration(0)});
    std::vector<std::string> errors;
    std::string se = "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: se}\n" + row.se;
    ASSERT_TRUE(world.apply(load(topology + se, {{"us-foo", {"us.foo.bar.com"}, 8080}, {"api-bar", {"api.bar.com"}, 80}}),
                            &errors));
    EXPECT_EQ(outcome(get(world, "default", "curl", row.host, row.header)), row.expected);
  }
}

TEST(ServiceEntry, VirtualServiceTimeoutAppliesToTheExternalHost) {
  // istio.io egress-control "Manage traffic to external services": timeout 3s -> 504 after 3 s.
  World world(WorldOptions{1, proxy::Duration(0)});
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(deployment("curl", "default", "app: curl") + mesh_config(kRegistryOnly) + R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin-ext}
spec: {hosts: [httpbin.org], resolution: DNS, ports: [{number: 80, name: http, protocol: HTTP}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin-ext}
spec:
  hosts: [httpbin.org]
  http: [{timeout: 3s, route: [{destination: {host: httpbin.org}}]}]
)", {kHttpbin}), &errors));
  services::Behavior slow;
  slow.response_delay = proxy::Duration(5'000'000);
  world.set_behavior("", "httpbin-org", slow);
  auto out = get(world, "default", "curl", "httpbin.org");
  ASSERT_TRUE(out && out->outbound.response);
  EXPECT_EQ(out->outbound.response->status, 504);
  EXPECT_EQ(out->outbound.flags, "UT");
  EXPECT_EQ(out->outbound.duration, proxy::Duration(3'000'000));
}

// A VirtualService for a ServiceEntry host, like one for a Kubernetes
// Service, is in the route configurations of the ports its ServiceEntry
// declares: route.go buildSidecarVirtualHostsForVirtualService groups a
// VirtualService's registry hosts (Services and ServiceEntries) by their
// HTTP ports, and httproute.go BuildSidecarOutboundVirtualHosts keeps the
// listener port's, dropping on ports other than 80 the VirtualServices
// with no registry host there (selectVirtualServices). On another port the
// host takes the catch-all (allow_any: PassthroughCluster). Port 80 keeps
// every VirtualService's hosts (route.go: serviceByPort[80], "a gross
// HACK"), and a host goes with another host of its VirtualService that
// declares the port.
TEST(ServiceEntry, VirtualServiceAppliesOnThePortsItsServiceEntryDeclares) {
  const std::string yaml = deployment("curl", "default", "app: curl") + deployment("web", "default", "app: web") +
                           service("web", "default", "app: web") + R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: baz}
spec:
  selector: {matchLabels: {app: baz}}
  template: {metadata: {labels: {app: baz}}, spec: {containers: [{name: app, image: x, ports: [{containerPort: 9999}]}]}}
---
apiVersion: v1
kind: Service
metadata: {name: baz}
spec: {selector: {app: baz}, ports: [{name: http-alt, port: 9999}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api}
spec: {hosts: [api.example.com, both.example.com], resolution: DNS, ports: [{number: 8080, name: http, protocol: HTTP}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: other}
spec: {hosts: [other.example.com], resolution: DNS, ports: [{number: 9999, name: http, protocol: HTTP}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api.example.com]
  http: [{directResponse: {status: 418}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: both}
spec:
  hosts: [both.example.com, other.example.com]
  http: [{directResponse: {status: 418}}]
)";
  struct Row {
    const char* host;
    uint32_t port;
    const char* expected;
    const char* source;
  } rows[] = {
      {"api.example.com", 8080, "418", "the ServiceEntry declares 8080: the rule applies"},
      {"api.example.com", 9999, "200 api", "9999 (baz's) is not the ServiceEntry's: allow_any to the host itself"},
      {"api.example.com", 80, "418", "port 80 keeps every VirtualService (route.go serviceByPort[80])"},
      {"both.example.com", 9999, "418", "other.example.com, in the same VirtualService, declares 9999"},
  };
  World world(WorldOptions{1, proxy::Duration(0)});
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(yaml, {{"api", {"api.example.com"}, 9999}}), &errors));
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.host) + ":" + std::to_string(row.port) + " — " + row.source);
    proxy::HttpRequest r;
    r.authority = std::string(row.host) + ":" + std::to_string(row.port);
    r.target = "/";
    auto out = world.call("default", "curl", r, row.host, row.port);
    EXPECT_EQ(outcome(out), row.expected);
    if (std::string(row.expected) != "418" && out) {
      EXPECT_EQ(out->outbound.cluster(), "PassthroughCluster");
    }
  }
}

// ------------------------------------------------ exportTo and Sidecar egress hosts
TEST(RegistryScoping, ExportToAndSidecarEgressHosts) {
  const std::string topology = deployment("svc-a", "ns1", "app: svc-a") + service("svc-a", "ns1", "app: svc-a") +
                               deployment("svc-b", "ns2", "app: svc-b") + deployment("curl", "ns1", "app: curl") +
                               deployment("curl", "ns2", "app: curl");
  const std::string svc_b = service("svc-b", "ns2", "app: svc-b");
  const std::string svc_b_private = service("svc-b", "ns2", "app: svc-b", "networking.istio.io/exportTo: \".\"");
  auto sidecar = [](const std::string& ns, const std::string& hosts) {
    return "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: " + ns +
           "}\nspec: {egress: [{hosts: " + hosts + "}]}\n---\n";
  };
  const std::string registry_only = mesh_config(kRegistryOnly);
  const PolicyRow rows[] = {
      {"Service exportTo '.': unknown elsewhere, 502 under REGISTRY_ONLY", topology + svc_b_private + registry_only, "ns1",
       "svc-b.ns2", "502", "annotations.yaml networking.istio.io/exportTo; best-practices cross-namespace configuration"},
      {"Service exportTo '.': its own namespace still sees it", topology + svc_b_private + registry_only, "ns2", "svc-b.ns2",
       "200 svc-b", "annotations.yaml networking.istio.io/exportTo '.'"},
      {"Service exportTo '.': ALLOW_ANY passes through to the ClusterIP", topology + svc_b_private, "ns1", "svc-b.ns2",
       "200 svc-b", "sidecar.proto: unmatched traffic 'is often still allowed'; httproute.go allow_any"},
      {"Sidecar './*': another namespace's Service is not imported", topology + svc_b + registry_only +
       sidecar("ns1", "[\"./*\"]"), "ns1", "svc-b.ns2", "502", "sidecar.proto egress hosts; httproute.go block_all"},
      {"Sidecar 'ns2/*' imports it", topology + svc_b + registry_only + sidecar("ns1", "[\"ns2/*\"]"), "ns1", "svc-b.ns2",
       "200 svc-b", "sidecar.proto: 'namespace/dnsName'"},
      {"Sidecar '*/svc-b.ns2.svc.cluster.local' imports that host", topology + svc_b + registry_only +
       sidecar("ns1", "[\"*/svc-b.ns2.svc.cluster.local\"]"), "ns1", "svc-b.ns2", "200 svc-b", "sidecar.proto: '*/' any namespace"},
      {"Sidecar '~/*' imports nothing", topology + svc_b + registry_only + sidecar("ns1", "[\"~/*\"]"), "ns1", "svc-a.ns1",
       "502", "sidecar.proto: '~' no namespace"},
      {"root-namespace default: './*' is the workload's namespace", topology + svc_b + registry_only +
       sidecar("istio-system", "[\"./*\"]"), "ns2", "svc-b.ns2", "200 svc-b",
       "sidecar.proto NOTE 2 (root namespace default) and its './*' example"},
      {"root-namespace default hides other namespaces", topology + svc_b + registry_only +
       sidecar("istio-system", "[\"./*\"]"), "ns1", "svc-b.ns2", "502", "sidecar.proto root namespace example"},
      {"a namespace Sidecar beats the root default", topology + svc_b + registry_only + sidecar("istio-system", "[\"./*\"]") +
       sidecar("ns1", "[\"*/*\"]"), "ns1", "svc-b.ns2", "200 svc-b", "sidecar.proto: namespace Sidecar over the root's"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " — " + row.source);
    World world(WorldOptions{1, proxy::Duration(0)});
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(load(row.yaml), &errors));
    EXPECT_EQ(outcome(get(world, row.from_ns, "curl", row.host)), row.expected);
  }
}

TEST(RegistryScoping, VirtualServiceExportToAndDefault) {
  const std::string topology = deployment("svc-b", "ns2", "app: svc-b") + service("svc-b", "ns2", "app: svc-b") +
                               deployment("curl", "ns1", "app: curl") + deployment("curl", "ns2", "app: curl");
  auto vs = [](const std::string& export_to) {
    return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: svc-b, namespace: ns2}\nspec:\n"
           "  hosts: [svc-b]\n" + export_to +
           "  http: [{route: [{destination: {host: svc-b}}], headers: {request: {set: {x-routed-by: vs}}}}]\n---\n";
  };
  struct Row {
    const char* name;
    std::string yaml;
    const char* from_ns;
    bool routed;
    const char* source;
  } rows[] = {
      {"no exportTo: every namespace", topology + vs(""), "ns1", true, "virtual_service.proto exportTo default"},
      {"exportTo '.': only its namespace", topology + vs("  exportTo: [\".\"]\n"), "ns1", false,
       "virtual_service.proto exportTo '.'; best-practices cross-namespace configuration"},
      {"exportTo '.': its namespace gets it", topology + vs("  exportTo: [\".\"]\n"), "ns2", true, "virtual_service.proto"},
      {"defaultVirtualServiceExportTo '.'", topology + vs("") + mesh_config("    defaultVirtualServiceExportTo: [\".\"]\n"),
       "ns1", false, "mesh/v1alpha1/config.proto defaultVirtualServiceExportTo"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " — " + row.source);
    World world(WorldOptions{1, proxy::Duration(0)});
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(load(row.yaml), &errors));
    auto out = get(world, row.from_ns, "curl", "svc-b.ns2");
    ASSERT_TRUE(out && out->upstream);
    EXPECT_EQ(out->upstream->request.headers.has("x-routed-by"), row.routed);
  }
}

// ------------------------------------------------ MeshConfig from the istio ConfigMap
TEST(MeshConfigMap, RootNamespaceAndTrustDomain) {
  // pkg/config/mesh/kubemesh: ConfigMap `istio`, key `mesh`; config.proto rootNamespace, trustDomain.
  auto r = load(mesh_config("    rootNamespace: istio-config\n    trustDomain: example.org\n"
                            "    defaultConfig: {tracing: {sampling: 25}}\n") +
                deployment("curl", "default", "app: curl"));
  const auto& mesh = proxy::mesh_config(r);
  EXPECT_EQ(mesh.root_namespace, "istio-config");
  EXPECT_EQ(mesh.trust_domain, "example.org");
  EXPECT_EQ(mesh.outbound_traffic_policy, "ALLOW_ANY");
  ASSERT_TRUE(mesh.tracing_sampling);
  EXPECT_EQ(*mesh.tracing_sampling, 25);
  std::vector<std::string> errors;
  auto table = proxy::RouteTable::create(r, &errors);
  ASSERT_TRUE(table);
  EXPECT_EQ(table->endpoints().front().principal(), "example.org/ns/default/sa/curl");
}

TEST(MeshConfigMap, OnlyTheIstioConfigMapInIstioSystemIsRead) {
  auto loaded = config::load({{"cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: istio-system}\n"
                                          "data: {mesh: 'rootNamespace: x'}\n"}});
  EXPECT_TRUE(loaded.resources.mesh_configs.empty());
  EXPECT_EQ(proxy::mesh_config(loaded.resources).root_namespace, "istio-system");
}

TEST(MeshConfigMap, RootNamespaceMovesTheMeshWideDestinationRule) {
  // push_context.go destinationRule step 3 reads meshConfig.rootNamespace.
  std::string yaml = mesh_config("    rootNamespace: istio-config\n") + deployment("r1", "default", "app: reviews, version: v1") +
                     deployment("r2", "default", "app: reviews, version: v2") + service("reviews", "default", "app: reviews") +
                     deployment("curl", "ns2", "app: curl") + R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec: {hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: v1}}]}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r, namespace: istio-config}
spec: {host: reviews.default.svc.cluster.local, subsets: [{name: v1, labels: {version: v2}}]}
)";
  World world(WorldOptions{1, proxy::Duration(0)});
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(yaml), &errors));
  EXPECT_EQ(outcome(get(world, "ns2", "curl", "reviews.default")), "200 r2");
}

// ------------------------------------------------ delegate VirtualServices
TEST(DelegateVirtualService, MergeRules) {
  // pilot/pkg/model/virtualservice.go mergeHTTPRoutes / mergeHTTPRoute /
  // mergeHTTPMatchRequests / hasConflict / stringMatchConflict.
  auto loaded = config::load({{"vs.yaml", R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: default}
spec:
  hosts: [bookinfo.com]
  http:
  - name: pp
    match: [{uri: {prefix: /productpage}}]
    timeout: 2s
    delegate: {name: productpage, namespace: nsa}
  - match: [{uri: {prefix: /reviews}}]
    delegate: {name: reviews, namespace: nsb}
  - match: [{uri: {prefix: /missing}}]
    delegate: {name: missing, namespace: nsb}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: productpage, namespace: nsa}
spec:
  http:
  - name: v1
    match: [{uri: {prefix: /productpage/v1/}}]
    route: [{destination: {host: productpage-v1}}]
  - match: [{uri: {prefix: /other}}]
    route: [{destination: {host: other}}]
  - route: [{destination: {host: productpage}}]
    timeout: 5s
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: nsb}
spec:
  exportTo: [nsb]
  http: [{route: [{destination: {host: reviews}}]}]
)"}});
  for (const auto& d : loaded.diagnostics) EXPECT_NE(d.severity, config::Severity::kError) << config::format_diagnostic(d);
  proxy::Resources r = loaded.resources;
  proxy::merge_delegate_virtual_services(r);
  const auto& root = r.virtual_services[0].http;
  // /other conflicts with /productpage (not a sub-prefix): dropped; reviews
  // is not exported to the root's namespace: no routes; missing: none.
  ASSERT_EQ(root.size(), 2u);
  EXPECT_EQ(root[0].name, "pp-v1");  // root name + "-" + delegate name
  ASSERT_EQ(root[0].match.size(), 1u);
  EXPECT_EQ(root[0].match[0].uri->value, "/productpage/v1/");
  EXPECT_EQ(root[0].route[0].destination.host, "productpage-v1.nsa.svc.cluster.local");  // delegate's namespace
  EXPECT_EQ(root[0].timeout, proxy::Duration(2'000'000));  // the root's timeout where the delegate has none
  EXPECT_EQ(root[1].name, "pp");
  EXPECT_EQ(root[1].match[0].uri->value, "/productpage");  // a match-less delegate route takes the root's matches
  EXPECT_EQ(root[1].timeout, proxy::Duration(5'000'000));  // the delegate's own timeout wins
  EXPECT_FALSE(root[1].delegate);
}

TEST(DelegateVirtualService, RoutesThroughTheMesh) {
  std::string yaml = deployment("productpage-v1", "nsa", "app: productpage") + service("productpage-v1", "nsa", "app: productpage") +
                     deployment("reviews", "nsb", "app: reviews") + service("reviews", "nsb", "app: reviews") +
                     deployment("curl", "default", "app: curl") + R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo}
spec:
  hosts: [productpage-v1.nsa.svc.cluster.local]
  http:
  - match: [{uri: {prefix: /productpage}}]
    delegate: {name: productpage, namespace: nsa}
  - match: [{uri: {prefix: /reviews}}]
    delegate: {name: reviews, namespace: nsb}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: productpage, namespace: nsa}
spec:
  http: [{route: [{destination: {host: productpage-v1}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: nsb}
spec:
  http: [{route: [{destination: {host: reviews}}]}]
)";
  World world(WorldOptions{1, proxy::Duration(0)});
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(yaml), &errors));
  auto call = [&](const std::string& path) {
    proxy::HttpRequest r;
    r.authority = "productpage-v1.nsa";
    r.target = path;
    return outcome(world.call("default", "curl", r, "productpage-v1.nsa", 80));
  };
  EXPECT_EQ(call("/productpage/x"), "200 productpage-v1");
  EXPECT_EQ(call("/reviews/0"), "200 reviews");
  EXPECT_EQ(call("/ratings/0"), "404 NR");  // no root match: fact 3
}

// ------------------------------------------------ the world: a scenario we wrote
TEST(EgressScenario, RegistryOnlyBlocksUntilAServiceEntryRegistersTheHost) {
  reports::MeshTelemetry metrics;
  RunOptions options;
  options.sinks.push_back(&metrics);
  RunResult r = run_scenario(testing::load_scenario_file("tests/fidelity/registry-only-egress.yaml"), options);
  EXPECT_FALSE(r.expectations.empty());
  EXPECT_TRUE(r.passed()) << testing::failed_expectations(r);
  std::string text = metrics.prometheus();
  // Blocked calls are counted against BlackHoleCluster with 502 (istio.io
  // blog "Monitoring blocked and passthrough external service traffic").
  EXPECT_NE(text.find("destination_service_name=\"BlackHoleCluster\""), std::string::npos);
  EXPECT_NE(text.find("response_code=\"502\""), std::string::npos);
}

TEST(EgressScenario, CurlHonoursABehaviorSelectingAnExternalHost) {
  auto loaded = config::load({{"f.yaml", R"(apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: api}
spec:
  selector: {host: api.example.com}
  errorRate: {percent: 100, status: 503}
)"}});
  ASSERT_EQ(loaded.behaviors.size(), 1u);
  EXPECT_EQ(loaded.behaviors[0].external_host, "api.example.com");
  CurlSpec spec;
  spec.url = "http://api.example.com/x";
  spec.behaviors = loaded.behaviors;
  std::string error;
  auto run = run_curl(loaded.resources, spec, &error);
  ASSERT_TRUE(run) << error;
  ASSERT_TRUE(run->single && run->single->outbound.response);
  EXPECT_EQ(run->single->outbound.response->status, 503);
  EXPECT_EQ(run->single->outbound.cluster(), "PassthroughCluster");
}

}  // namespace
}  // namespace meshsim::sim
