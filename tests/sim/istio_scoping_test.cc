// Scoping as Istio does it, one table per rule, each row citing its source:
// which DestinationRule a client sees (push_context.go destinationRule),
// which pods get a sidecar (injection labels), what a pod without a sidecar
// does and is (no client rules, no identity, reset by STRICT servers), and
// which Service a destination report counts a request under (the inbound
// cluster's Services, never the Host header).
#include <gtest/gtest.h>

#include "config/loader.h"
#include "proxy_core/injection.h"
#include "reports/mesh_telemetry.h"
#include "reports/span_export.h"
#include "sim/world.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::sim {
namespace {

struct Recorder : proxy::TelemetrySink {
  std::vector<proxy::StoredTelemetryEvent> events;
  void record(const proxy::TelemetryEvent& e) override { events.emplace_back(e); }
  std::vector<const proxy::StoredTelemetryEvent*> destination() const {
    std::vector<const proxy::StoredTelemetryEvent*> out;
    for (const auto& e : events)
      if (e.reporter == proxy::TelemetryEvent::Reporter::kDestination) out.push_back(&e);
    return out;
  }
};

std::string deployment(const std::string& name, const std::string& ns, const std::string& labels) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec:\n  selector: {matchLabels: {wl: " + name + "}}\n  template:\n    metadata: {labels: {wl: " + name +
         ", " + labels + "}}\n    spec: {serviceAccountName: " + name +
         ", containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}\n---\n";
}

std::string service(const std::string& name, const std::string& ns, const std::string& selector) {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec: {selector: {" +
         selector + "}, ports: [{name: http, port: 80, targetPort: 8080}]}\n---\n";
}

// reviews v1 and v2 in `default`; a curl client in default, ns1, ns2 and istio-system.
std::string reviews_topology() {
  return deployment("reviews-v1", "default", "app: reviews, version: v1") +
         deployment("reviews-v2", "default", "app: reviews, version: v2") + service("reviews", "default", "app: reviews") +
         deployment("curl", "default", "app: curl") + deployment("curl", "ns1", "app: curl") +
         deployment("curl", "ns2", "app: curl") + deployment("curl", "istio-system", "app: curl");
}

proxy::Resources load(const std::string& yaml) {
  auto loaded = testing::load_or_fail({{"test.yaml", yaml}});
  return std::move(loaded.resources);
}

std::optional<CallResult> get(World& world, const std::string& ns, const std::string& from, const std::string& host,
                              const std::string& path = "/") {
  proxy::HttpRequest r;
  r.authority = host;
  r.target = path;
  return world.call(ns, from, r, host, 80);
}

// A DestinationRule `name` in `ns` for `host` whose subset v1 selects `version`.
std::string subset_rule(const std::string& name, const std::string& ns, const std::string& host,
                        const std::string& version, const std::string& export_to = "") {
  return "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec:\n  host: " + host + "\n" + (export_to.empty() ? "" : "  exportTo: " + export_to + "\n") +
         "  subsets: [{name: v1, labels: {version: " + version + "}}]\n---\n";
}

constexpr const char* kAllToV1 = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: v1}}]}]
---
)";

// ------------------------------------------------------- divergence 5
struct LookupRow {
  const char* name;
  std::string rules;
  const char* client_ns;
  const char* served_version;  // "" = 503 NC, no cluster for the subset
  const char* source;
};

TEST(DestinationRuleLookup, ClientNamespaceThenServiceNamespaceThenRoot) {
  const std::string fqdn = "reviews.default.svc.cluster.local";
  const LookupRow rows[] = {
      {"rule in the service namespace serves other namespaces", subset_rule("r", "default", "reviews", "v1"), "ns2",
       "v1", "push_context.go destinationRule step 2 (service namespace, exported)"},
      {"the client's own namespace comes first", subset_rule("r", "default", "reviews", "v1") +
       subset_rule("r", "ns1", fqdn, "v2"), "ns1", "v2",
       "push_context.go destinationRule step 1; istio.io traffic-management best practices, cross-namespace configuration"},
      {"a rule in another client's namespace is not seen", subset_rule("r", "default", "reviews", "v1") +
       subset_rule("r", "ns1", fqdn, "v2"), "ns2", "v1", "istio.io best practices: lookup path client, service, root"},
      {"a rule only in a third namespace: no subset, 503 NC", subset_rule("r", "ns1", fqdn, "v2"), "ns2", "",
       "istio.io best practices ('not in any of the namespaces on the lookup path'); Envoy router cluster not found"},
      {"the third namespace's own clients use it", subset_rule("r", "ns1", fqdn, "v2"), "ns1", "v2",
       "push_context.go destinationRule step 1"},
      {"the root namespace serves everyone", subset_rule("r", "istio-system", fqdn, "v2"), "ns2", "v2",
       "push_context.go destinationRule step 3 (root namespace)"},
      {"the service namespace beats the root namespace", subset_rule("r", "istio-system", fqdn, "v2") +
       subset_rule("r", "default", "reviews", "v1"), "ns2", "v1", "push_context.go destinationRule steps 2 before 3"},
      {"a root-namespace client skips the root's public rules first", subset_rule("r", "istio-system", fqdn, "v2") +
       subset_rule("r", "default", "reviews", "v1"), "istio-system", "v1",
       "push_context.go destinationRule: a root-namespace proxy starts with rootNamespaceLocal (private rules)"},
      {"a root-namespace client uses the root's private rule first", subset_rule("r", "istio-system", fqdn, "v2", "[\".\"]") +
       subset_rule("r", "default", "reviews", "v1"), "istio-system", "v2",
       "push_context.go destinationRule: rootNamespaceLocal"},
      {"exportTo '.' keeps a rule private", subset_rule("r", "default", "reviews", "v1", "[\".\"]"), "ns2", "",
       "push_context.go SetDestinationRules: private-only rules are not exported"},
      {"exportTo '.' still serves its own namespace", subset_rule("r", "default", "reviews", "v1", "[\".\"]"),
       "default", "v1", "push_context.go SetDestinationRules: namespace-local index"},
      {"exportTo a namespace serves that namespace", subset_rule("r", "default", "reviews", "v1", "[ns1]"), "ns1", "v1",
       "push_context.go getExportedDestinationRuleFromNamespace: exportTo contains the client namespace"},
      {"exportTo a namespace hides it from others", subset_rule("r", "default", "reviews", "v1", "[ns1]"), "ns2", "",
       "push_context.go getExportedDestinationRuleFromNamespace"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " — " + row.source);
    World world(WorldOptions{1, proxy::Duration(0)});
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(load(reviews_topology() + kAllToV1 + row.rules), &errors));
    auto out = get(world, row.client_ns, "curl", "reviews.default");
    ASSERT_TRUE(out && out->outbound.response);
    if (std::string(row.served_version).empty()) {
      EXPECT_EQ(out->outbound.response->status, 503);
      EXPECT_EQ(out->outbound.flags, "NC");
      EXPECT_EQ(out->upstream_attempts, 0);
    } else {
      EXPECT_EQ(out->outbound.response->status, 200);
      ASSERT_NE(out->outbound.served_by, nullptr);
      EXPECT_EQ(out->outbound.served_by->version(), row.served_version);
    }
  }
}

TEST(DestinationRuleLookup, TrafficPolicyFollowsTheSameScope) {
  // A connection-pool limit in ns1's rule applies to ns1's clients only:
  // the cluster other namespaces get has Envoy's defaults
  // (push_context.go destinationRule; cluster_traffic_policy.go applies the rule found).
  World world(WorldOptions{1, proxy::Duration(0)});
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(reviews_topology() + R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r, namespace: ns1}
spec:
  host: reviews.default.svc.cluster.local
  trafficPolicy: {connectionPool: {tcp: {maxConnections: 1}}}
)"),
                          &errors));
  const auto& table = world.table();
  const auto* svc = table.service("reviews.default.svc.cluster.local");
  ASSERT_NE(svc, nullptr);
  const auto* ns1 = table.cluster(*svc, 80, "", "ns1");
  const auto* ns2 = table.cluster(*svc, 80, "", "ns2");
  ASSERT_TRUE(ns1 && ns2);
  ASSERT_TRUE(ns1->policy.connection_pool);
  EXPECT_EQ(ns1->policy.connection_pool->max_connections, 1);
  EXPECT_FALSE(ns2->policy.connection_pool);
}

// ------------------------------------------------------- divergence 4
struct InjectionRow {
  const char* name;
  const char* namespace_labels;  // "" = no Namespace document
  const char* pod_label;         // value of the label sidecar.istio.io/inject, nullptr = absent
  const char* pod_annotation;    // value of the annotation sidecar.istio.io/inject, nullptr = absent
  bool default_injected;
  bool injected;
};

// A Deployment `web` in `apps` whose pod template carries the row's label and annotation.
std::string injection_deployment(const InjectionRow& row) {
  std::string labels = "app: web";
  if (row.pod_label) labels += std::string(", sidecar.istio.io/inject: \"") + row.pod_label + "\"";
  std::string annotations;
  if (row.pod_annotation) annotations = std::string(", annotations: {sidecar.istio.io/inject: \"") + row.pod_annotation + "\"}";
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: apps}\nspec:\n"
         "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {" + labels + "}" + annotations +
         "}\n    spec: {containers: [{name: app, image: x}]}\n";
}

TEST(Injection, LabelsAndAnnotationDecideBeforeTheDefault) {
  // istio.io "Installing the Sidecar", controlling the injection policy:
  // "1. If either label is disabled, the pod is not injected 2. If either
  // label is enabled, the pod is injected 3. If neither label is set" the
  // default applies. The pod's value as istio/istio pkg/kube/inject/inject.go
  // injectRequired reads it: objectSelector is the sidecar.istio.io/inject
  // annotation, replaced by the label of the same name whenever the label is
  // present ("The label is the new API; if both are present we prefer the
  // label"); y/yes/true/on inject, "" uses the default, anything else opts out.
  const InjectionRow rows[] = {
      {"pod false in an injected mesh", "", "false", nullptr, true, false},
      {"pod true in a mesh without injection", "", "true", nullptr, false, true},
      {"pod yes reads as true (injectRequired)", "", "yes", nullptr, false, true},
      {"namespace disabled", "istio-injection: disabled", nullptr, nullptr, true, false},
      {"namespace enabled", "istio-injection: enabled", nullptr, nullptr, false, true},
      {"namespace disabled beats pod true", "istio-injection: disabled", "true", nullptr, true, false},
      {"pod false beats namespace enabled", "istio-injection: enabled", "false", nullptr, true, false},
      {"namespace revision label enables", "istio.io/rev: canary", nullptr, nullptr, false, true},
      {"istio-injection takes precedence over istio.io/rev", "istio-injection: disabled, istio.io/rev: canary", nullptr,
       nullptr, true, false},
      {"no labels: the default", "team: a", nullptr, nullptr, false, false},
      // injectRequired: without the label, the annotation is objectSelector.
      {"annotation false, no label, in an injected mesh", "", nullptr, "false", true, false},
      {"annotation true, no label, in a mesh without injection", "", nullptr, "true", false, true},
      {"annotation on reads as true", "", nullptr, "on", false, true},
      {"annotation false beats namespace enabled", "istio-injection: enabled", nullptr, "false", true, false},
      // injectRequired: a present label replaces the annotation, whatever they say.
      {"label true beats annotation false", "", "true", "false", false, true},
      {"label false beats annotation true", "", "false", "true", true, false},
      {"an empty label hides the annotation: the default", "", "", "false", true, true},
      {"an empty annotation: the default", "", nullptr, "", false, false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    std::string yaml;
    if (*row.namespace_labels) yaml = std::string("apiVersion: v1\nkind: Namespace\nmetadata: {name: apps, labels: {") +
                                      row.namespace_labels + "}}\n---\n";
    proxy::Resources r = load(yaml + injection_deployment(row));
    ASSERT_EQ(r.deployments.size(), 1u);
    EXPECT_EQ(proxy::sidecar_injected(r, r.deployments[0], row.default_injected), row.injected);
  }
}

TEST(Injection, NamespaceDocumentIsLoadedAndDeletable) {
  proxy::Resources r = load("apiVersion: v1\nkind: Namespace\nmetadata: {name: legacy, labels: {istio-injection: disabled}}\n");
  ASSERT_EQ(r.namespaces.size(), 1u);
  EXPECT_EQ(r.namespaces[0].header.meta.name, "legacy");
  EXPECT_EQ(r.namespaces[0].header.key(), "Namespace//legacy");
  EXPECT_TRUE(proxy::delete_resource(r, "Namespace//legacy"));
  EXPECT_TRUE(r.namespaces.empty());
}

// A client without a sidecar (pod label false) against the all-v1 rule, a
// DestinationRule with a bad subset policy and telemetry.
TEST(Injection, PodWithoutSidecarAppliesNoClientRules) {
  // VirtualService routing is done by the client's sidecar: a pod without one
  // reaches the Service through kube-proxy, round robin over every endpoint
  // (conformance case scope-no-sidecar-client-bypasses-client-rules;
  // virtual_service.proto HTTPFaultInjection "at the client side").
  World world(WorldOptions{1, proxy::Duration(0)});
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(reviews_topology() + kAllToV1 + subset_rule("r", "default", "reviews", "v1") +
                               deployment("plain", "default", "app: plain, sidecar.istio.io/inject: \"false\"")),
                          &errors));
  std::map<std::string, int> by_version;
  for (int i = 0; i < 10; ++i) {
    auto out = get(world, "default", "plain", "reviews");
    ASSERT_TRUE(out && out->outbound.response && out->outbound.served_by);
    ++by_version[out->outbound.served_by->version()];
  }
  EXPECT_EQ(by_version["v1"], 5);
  EXPECT_EQ(by_version["v2"], 5);
  for (int i = 0; i < 4; ++i) {  // the sidecar client follows the rule
    auto out = get(world, "default", "curl", "reviews");
    ASSERT_TRUE(out && out->outbound.served_by);
    EXPECT_EQ(out->outbound.served_by->version(), "v1");
  }
}

// The deprecated pod annotation opts a pod out when no label says otherwise
// (istio/istio pkg/kube/inject/inject.go injectRequired: the annotation is
// read unless the sidecar.istio.io/inject label is present, which wins).
TEST(Injection, PodAnnotationFalseMeansNoSidecarUnlessTheLabelSays) {
  constexpr const char* kOptOut = "    metadata: {labels: {";
  auto annotated = [&](const std::string& name, const std::string& labels) {
    std::string d = deployment(name, "default", labels);
    // The pod template's metadata gets the annotation next to its labels.
    d.replace(d.find(kOptOut), std::string(kOptOut).size(),
              "    metadata: {annotations: {sidecar.istio.io/inject: \"false\"}, labels: {");
    return d;
  };
  World world(WorldOptions{1, proxy::Duration(0)});
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(reviews_topology() + kAllToV1 + subset_rule("r", "default", "reviews", "v1") +
                               annotated("plain", "app: plain") +
                               annotated("relabelled", "app: relabelled, sidecar.istio.io/inject: \"true\"")),
                          &errors));
  EXPECT_FALSE(world.has_sidecar("default", "plain"));
  EXPECT_TRUE(world.has_sidecar("default", "relabelled"));
  // Without a sidecar the all-v1 rule does not apply: kube-proxy's round robin.
  std::map<std::string, int> by_version;
  for (int i = 0; i < 10; ++i) {
    auto out = get(world, "default", "plain", "reviews");
    ASSERT_TRUE(out && out->outbound.response && out->outbound.served_by);
    ++by_version[out->outbound.served_by->version()];
  }
  EXPECT_EQ(by_version["v1"], 5);
  EXPECT_EQ(by_version["v2"], 5);
  for (int i = 0; i < 4; ++i) {  // the label wins over the annotation: a sidecar, which follows the rule
    auto out = get(world, "default", "relabelled", "reviews");
    ASSERT_TRUE(out && out->outbound.served_by);
    EXPECT_EQ(out->outbound.served_by->version(), "v1");
  }
}

struct PeerAuthRow {
  const char* name;
  const char* mode;
  bool client_sidecar;
  bool reset;  // the client sees a connection reset, no HTTP response
  const char* source;
};

TEST(Injection, StrictServerResetsPlainTextClients) {
  const PeerAuthRow rows[] = {
      {"STRICT, no client sidecar", "STRICT", false, true,
       "istio.io authn-policy task: sleep.legacy to httpbin.foo fails, curl exit 56 (connection reset by peer)"},
      {"STRICT, sidecar client", "STRICT", true, false, "istio.io authn-policy task: sleep.foo to httpbin.foo 200"},
      {"PERMISSIVE, no client sidecar", "PERMISSIVE", false, false,
       "istio.io authn-policy task: plain text accepted in PERMISSIVE mode"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " — " + row.source);
    World world(WorldOptions{1, proxy::Duration(0)});
    std::vector<std::string> errors;
    std::string client_labels = std::string("app: sleep, sidecar.istio.io/inject: \"") + (row.client_sidecar ? "true" : "false") + "\"";
    ASSERT_TRUE(world.apply(load(reviews_topology() + deployment("sleep", "default", client_labels) +
                                 "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, "
                                 "namespace: default}\nspec: {mtls: {mode: " +
                                 row.mode + "}}\n"),
                            &errors));
    auto out = get(world, "default", "sleep", "reviews");
    ASSERT_TRUE(out);
    if (row.reset) {
      EXPECT_FALSE(out->outbound.response);
      EXPECT_EQ(out->outbound.error, "Recv failure: Connection reset by peer");
      EXPECT_EQ(out->upstream_attempts, 0);
    } else {
      ASSERT_TRUE(out->outbound.response);
      EXPECT_EQ(out->outbound.response->status, 200);
    }
  }
}

TEST(Injection, ServerWithoutSidecarEnforcesNothingAndReportsNothing) {
  // AuthorizationPolicy is enforced by the server's sidecar; without one an
  // allow-nothing policy has no effect, and no destination report is made
  // (conformance case scope-no-sidecar-server-no-authz; istio.io injection page).
  Recorder sink;
  World world(WorldOptions{1, proxy::Duration(0)});
  world.set_telemetry(&sink);
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load("apiVersion: v1\nkind: Namespace\nmetadata: {name: legacy, labels: {istio-injection: "
                               "disabled}}\n---\n" +
                               deployment("httpbin", "legacy", "app: httpbin") + service("httpbin", "legacy", "app: httpbin") +
                               deployment("curl", "default", "app: curl") +
                               "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: "
                               "allow-nothing, namespace: legacy}\nspec: {}\n"),
                          &errors));
  auto out = get(world, "default", "curl", "httpbin.legacy");
  ASSERT_TRUE(out && out->outbound.response);
  EXPECT_EQ(out->outbound.response->status, 200);
  EXPECT_TRUE(sink.destination().empty());
  ASSERT_EQ(sink.events.size(), 1u);  // the client sidecar's own report
  EXPECT_EQ(sink.events[0].destination_service, "httpbin.legacy.svc.cluster.local");
  EXPECT_EQ(sink.events[0].destination_workload, "httpbin");  // from endpoint metadata (istio_stats.cc client fallback)
  EXPECT_EQ(sink.events[0].destination_principal, "");       // no peer certificate: "unknown"
  EXPECT_FALSE(sink.events[0].mtls);
}

// ------------------------------------------- issue 14: sidecar-less callers
TEST(PeerLabels, PlainTextCallerIsUnknownInEverySourceLabel) {
  // istio/proxy istio_stats.cc populatePeerInfo (server side): no peer
  // metadata and no peer certificate -> source_workload, _namespace,
  // _principal, _app, _version, _canonical_service "unknown",
  // source_canonical_revision "latest"; no local certificate on a plain-text
  // connection -> destination_principal "unknown", connection_security_policy "none".
  Recorder sink;
  reports::MeshTelemetry metrics;
  struct Both : proxy::TelemetrySink {
    proxy::TelemetrySink *a, *b;
    void record(const proxy::TelemetryEvent& e) override { a->record(e), b->record(e); }
  } both;
  both.a = &sink;
  both.b = &metrics;
  World world(WorldOptions{1, proxy::Duration(0)});
  world.set_telemetry(&both);
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(reviews_topology() +
                               deployment("laptop", "default", "app: laptop, version: v9, sidecar.istio.io/inject: \"false\"")),
                          &errors));
  auto out = get(world, "default", "laptop", "reviews");
  ASSERT_TRUE(out && out->outbound.response);
  auto dest = sink.destination();
  ASSERT_EQ(sink.events.size(), 1u);
  ASSERT_EQ(dest.size(), 1u);
  EXPECT_EQ(dest[0]->source_workload, "");
  EXPECT_EQ(dest[0]->source_namespace, "");
  EXPECT_EQ(dest[0]->source_app, "");
  EXPECT_EQ(dest[0]->source_version, "");
  EXPECT_EQ(dest[0]->source_principal, "");
  EXPECT_EQ(dest[0]->destination_principal, "");
  EXPECT_FALSE(dest[0]->mtls);
  std::string text = metrics.prometheus();
  for (const char* label :
       {"source_workload=\"unknown\"", "source_canonical_service=\"unknown\"", "source_canonical_revision=\"latest\"",
        "source_workload_namespace=\"unknown\"", "source_principal=\"unknown\"", "source_app=\"unknown\"",
        "source_version=\"unknown\"", "destination_principal=\"unknown\"", "connection_security_policy=\"none\""})
    EXPECT_NE(text.find(label), std::string::npos) << label;
  EXPECT_EQ(text.find("laptop"), std::string::npos);
}

TEST(PeerLabels, SidecarCallerKeepsItsLabelsAndPrincipals) {
  Recorder sink;
  World world(WorldOptions{1, proxy::Duration(0)});
  world.set_telemetry(&sink);
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(reviews_topology()), &errors));
  ASSERT_TRUE(get(world, "default", "curl", "reviews"));
  auto dest = sink.destination();
  ASSERT_EQ(dest.size(), 1u);
  EXPECT_EQ(dest[0]->source_workload, "curl");
  EXPECT_EQ(dest[0]->source_namespace, "default");
  EXPECT_EQ(dest[0]->source_principal, "cluster.local/ns/default/sa/curl");
  EXPECT_TRUE(dest[0]->destination_principal.starts_with("cluster.local/ns/default/sa/reviews-v"));
  EXPECT_TRUE(dest[0]->mtls);
}

// ------------------------------------------------------- divergence 3
std::string orders_topology() {
  return deployment("orders", "default", "app: orders") + service("orders", "default", "app: orders") +
         deployment("orders-next", "default", "app: orders-next") + service("orders-next", "default", "app: orders-next") +
         deployment("curl", "default", "app: curl");
}

struct ServiceRow {
  const char* name;
  std::string rules;
  const char* host;                 // where the client sends, and its Host header
  const char* source_service;       // client sidecar's report (outbound cluster metadata)
  const char* destination_service;  // serving sidecar's report (inbound cluster metadata)
  const char* source;
};

TEST(DestinationService, CountedUnderTheServingPodsService) {
  const std::string to_next = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders}
spec:
  hosts: [orders]
  http: [{route: [{destination: {host: orders-next}}]}]
)";
  const ServiceRow rows[] = {
      {"no rule", "", "orders", "orders.default.svc.cluster.local", "orders.default.svc.cluster.local",
       "istio_stats.cc populatePeerInfo: services[0] of the cluster metadata"},
      {"VirtualService on orders routes to orders-next", to_next, "orders", "orders-next.default.svc.cluster.local",
       "orders-next.default.svc.cluster.local",
       "cluster_builder.go addTelemetryMetadata (outbound: the cluster's Service; inbound: Services selecting the pod); "
       "telemetry.go: no Host-header fallback for inbound sidecars"},
      {"Host header names another service", "", "orders", "orders.default.svc.cluster.local",
       "orders.default.svc.cluster.local", "Host header is never read by the destination reporter (telemetry.go)"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " — " + row.source);
    Recorder sink;
    World world(WorldOptions{1, proxy::Duration(0)});
    world.set_telemetry(&sink);
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(load(orders_topology() + row.rules), &errors));
    proxy::HttpRequest r;
    r.authority = std::string(row.name).starts_with("Host") ? "invoices.example.com" : row.host;
    auto out = world.call("default", "curl", r, row.host, 80);
    ASSERT_TRUE(out && out->outbound.response);
    ASSERT_EQ(sink.events.size(), 2u);
    for (const auto& e : sink.events) {
      bool destination = e.reporter == proxy::TelemetryEvent::Reporter::kDestination;
      EXPECT_EQ(e.destination_service, destination ? row.destination_service : row.source_service)
          << (destination ? "destination" : "source") << " reporter";
    }
  }
}

TEST(DestinationService, MirroredCopiesCountUnderTheMirrorsService) {
  // The shadow request reaches orders-next's sidecar; its inbound cluster
  // belongs to orders-next (cluster_builder.go addTelemetryMetadata), so the
  // copy is orders-next traffic, not orders (nor "orders-shadow").
  Recorder sink;
  World world(WorldOptions{1, proxy::Duration(0)});
  world.set_telemetry(&sink);
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(orders_topology() + R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders}
spec:
  hosts: [orders]
  http: [{route: [{destination: {host: orders}}], mirror: {host: orders-next}}]
)"),
                          &errors));
  auto out = get(world, "default", "curl", "orders");
  ASSERT_TRUE(out && out->outbound.response);
  std::map<std::string, int> by_service;
  for (const auto* e : sink.destination()) ++by_service[e->destination_service];
  EXPECT_EQ(by_service["orders.default.svc.cluster.local"], 1);
  EXPECT_EQ(by_service["orders-next.default.svc.cluster.local"], 1);
  EXPECT_EQ(by_service.size(), 2u);
}

TEST(DestinationService, FirstByHostNameWhenSeveralSelectThePod) {
  // model.Proxy.SetServiceTargets orders a proxy's Services by creation time,
  // then host name; meshsim treats a snapshot's Services as created together.
  // A port no Service targets falls back to the workload's canonical service.
  World world(WorldOptions{1, proxy::Duration(0)});
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(load(deployment("reviews-v1", "default", "app: reviews, version: v1") +
                               service("reviews", "default", "app: reviews") +
                               service("reviews-v1", "default", "app: reviews, version: v1")),
                          &errors));
  const auto& table = world.table();
  const proxy::Endpoint* pod = table.endpoint_by_workload("default", "reviews-v1");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(table.inbound_service(*pod, 8080), "reviews-v1.default.svc.cluster.local");
  EXPECT_EQ(table.inbound_service(*pod, 9999), "");
}

}  // namespace
}  // namespace meshsim::sim

namespace meshsim::sim {
namespace {

// ------------------------------------------- canonical service and revision
// istio/istio pkg/kube/labels/labels.go CanonicalService (1.31): the name is
// the first label present of nameLabels (service.istio.io/canonical-name,
// app.kubernetes.io/name, app), else the workload name; the revision the
// first of revisionLabels (service.istio.io/canonical-revision,
// app.kubernetes.io/version, version), else "latest". The injector writes
// both onto the pod and the stats plugin reports them as
// *_canonical_service / *_canonical_revision. *_app and *_version are
// app.kubernetes.io/name and app.kubernetes.io/version, else the plain `app`
// and `version` labels (istio/proxy extensions/common/metadata_object.cc
// convertStructToWorkloadMetadata, AppNameQualifiedLabel, release-1.29 on).
struct CanonicalRow {
  const char* name;
  std::string labels;  // on both the client and the server pod
  const char* service;  // nullptr: the workload name (client / server)
  std::string revision, app, version;  // app and version as reported ("unknown" when absent)
};

TEST(CanonicalService, LabelPrecedenceAsIstioInjects) {
  const CanonicalRow rows[] = {
      // labels.go nameLabels[0]: service.istio.io/canonical-name wins over both others.
      {"canonical-name first", "service.istio.io/canonical-name: cn, app.kubernetes.io/name: kn, app: a", "cn",
       "latest", "kn", "unknown"},
      // nameLabels[1]: app.kubernetes.io/name wins over app (and AppNameQualifiedLabel over AppNameLabel).
      {"k8s name over app", "app.kubernetes.io/name: kn, app: a", "kn", "latest", "kn", "unknown"},
      // nameLabels[2]: app alone.
      {"app alone", "app: a, version: v", "a", "v", "a", "v"},
      // canonicalServiceName: none of nameLabels -> the workload name.
      {"workload name", "tier: x", nullptr, "latest", "unknown", "unknown"},
      // revisionLabels[0]: service.istio.io/canonical-revision wins over both others.
      {"canonical-revision first", "app: a, service.istio.io/canonical-revision: cr, app.kubernetes.io/version: kv, version: v",
       "a", "cr", "a", "kv"},
      // revisionLabels[1]: app.kubernetes.io/version wins over version (AppVersionQualifiedLabel too).
      {"k8s version over version", "app: a, app.kubernetes.io/version: kv, version: v", "a", "kv", "a", "kv"},
      // canonicalServiceRevision: none of revisionLabels -> "latest".
      {"latest", "app.kubernetes.io/name: kn", "kn", "latest", "kn", "unknown"},
  };
  for (const CanonicalRow& row : rows) {
    SCOPED_TRACE(row.name);
    Recorder sink;
    reports::MeshTelemetry metrics;
    struct Both : proxy::TelemetrySink {
      proxy::TelemetrySink *a, *b;
      void record(const proxy::TelemetryEvent& e) override { a->record(e), b->record(e); }
    } both;
    both.a = &sink;
    both.b = &metrics;
    World world(WorldOptions{1, proxy::Duration(0)});
    world.set_telemetry(&both);
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(load(deployment("server", "default", row.labels) + service("server", "default", "wl: server") +
                                 deployment("client", "default", row.labels)),
                            &errors));
    auto out = get(world, "default", "client", "server");
    ASSERT_TRUE(out && out->outbound.response);
    ASSERT_EQ(out->outbound.response->status, 200);
    ASSERT_EQ(sink.events.size(), 2u);
    std::string source = row.service ? row.service : "client", destination = row.service ? row.service : "server";
    for (const auto& e : sink.events) {
      EXPECT_EQ(e.source_canonical_service, source);
      EXPECT_EQ(e.source_canonical_revision, row.revision);
      EXPECT_EQ(e.destination_canonical_service, destination);
      EXPECT_EQ(e.destination_canonical_revision, row.revision);
    }
    std::string text = metrics.prometheus();
    for (const char* reporter : {"source", "destination"}) {
      std::string labels = std::string("reporter=\"") + reporter + "\",source_workload=\"client\",source_canonical_service=\"" +
                           source + "\",source_canonical_revision=\"" + row.revision + "\"";
      EXPECT_NE(text.find(labels), std::string::npos) << labels << "\n" << text;
    }
    for (std::string label :
         {"destination_service=\"server.default.svc.cluster.local\",destination_canonical_service=\"" + destination +
              "\",destination_canonical_revision=\"" + row.revision + "\"",
          "source_app=\"" + row.app + "\",source_version=\"" + row.version + "\"",
          "destination_app=\"" + row.app + "\",destination_version=\"" + row.version + "\""})
      EXPECT_NE(text.find(label), std::string::npos) << label << "\n" << text;
    // The server span's istio.canonical_service tag is the same name (pilot
    // tracing.go buildServiceTags: the node's service.istio.io/canonical-name
    // label, which the injector wrote).
    const auto& server = sink.events[0].reporter == proxy::TelemetryReporter::kDestination ? sink.events[0] : sink.events[1];
    EXPECT_EQ(reports::zipkin_span(server, reports::UnixTime{})["tags"]["istio.canonical_service"], destination);
  }
}

}  // namespace
}  // namespace meshsim::sim
