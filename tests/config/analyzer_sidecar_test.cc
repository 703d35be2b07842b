// Sidecar checks of istioctl analyze (pkg/config/analysis/analyzers/sidecar/
// selector.go; codes from pkg/config/analysis/msg/messages.yaml), and the
// ServiceEntry/Sidecar/MeshConfig parsers' validation.
#include <gtest/gtest.h>

#include "config/analyzer.h"
#include "config/loader.h"

namespace meshsim::config {
namespace {

constexpr const char* kPods = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: ns}
spec:
  selector: {matchLabels: {app: a}}
  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: i}]}}
---
)";

std::string sidecar(const std::string& name, const std::string& selector) {
  return "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: " + name + ", namespace: ns}\nspec:\n" +
         (selector.empty() ? "  egress: [{hosts: ['./*']}]\n" : "  workloadSelector: {labels: {" + selector + "}}\n") +
         "---\n";
}

std::vector<std::string> codes(const std::string& yaml) {
  auto r = load({{"s.yaml", yaml}});
  for (const auto& d : r.diagnostics) ADD_FAILURE() << format_diagnostic(d);
  std::vector<std::string> out;
  for (const auto& d : analyze(r.resources))
    if (d.resource.starts_with("Sidecar")) out.push_back(d.code + " " + d.resource);
  return out;
}

TEST(SidecarAnalyzer, IstioCodes) {
  struct Row {
    const char* name;
    std::string yaml;
    std::vector<std::string> expected;
  } rows[] = {
      {"one namespace default and one selector: fine", std::string(kPods) + sidecar("d", "") + sidecar("s", "app: a"), {}},
      {"IST0111 MultipleSidecarsWithoutWorkloadSelectors", std::string(kPods) + sidecar("d1", "") + sidecar("d2", ""),
       {"IST0111 Sidecar ns/d1", "IST0111 Sidecar ns/d2"}},
      {"IST0110 ConflictingSidecarWorkloadSelectors", std::string(kPods) + sidecar("s1", "app: a") + sidecar("s2", "app: a"),
       {"IST0110 Sidecar ns/s1", "IST0110 Sidecar ns/s2"}},
      {"IST0101 a selector that selects no pod", std::string(kPods) + sidecar("s", "app: nope"), {"IST0101 Sidecar ns/s"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(codes(row.yaml), row.expected);
  }
}

TEST(ServiceEntryParser, ValidationAsIstioDoes) {
  // istio validation.go ValidateServiceEntry: endpoints with NONE, endpoints with workloadSelector.
  auto r = load({{"se.yaml", R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: a}
spec:
  hosts: [a.example.com]
  resolution: NONE
  endpoints: [{address: 1.2.3.4}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: b}
spec:
  hosts: [b.example.com]
  resolution: STATIC
  workloadSelector: {labels: {app: b}}
  endpoints: [{address: 1.2.3.4}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ok}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
  location: MESH_EXTERNAL
  exportTo: ["."]
)"}});
  int errors = 0;
  for (const auto& d : r.diagnostics) errors += d.severity == Severity::kError ? 1 : 0;
  EXPECT_EQ(errors, 2);
  ASSERT_EQ(r.resources.service_entries.size(), 3u);
  const auto& ok = r.resources.service_entries[2];
  EXPECT_EQ(ok.resolution, "DNS");
  EXPECT_EQ(ok.ports.at(0).number, 443u);
  EXPECT_EQ(ok.export_to, std::vector<std::string>{"."});
}

TEST(SidecarParser, EgressHostsNeedANamespace) {
  // sidecar.proto IstioEgressListener.hosts: "namespace/dnsName".
  auto r = load({{"s.yaml", "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s}\n"
                            "spec: {egress: [{hosts: [reviews.default.svc.cluster.local]}]}\n"}});
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kError);
}

}  // namespace
}  // namespace meshsim::config
