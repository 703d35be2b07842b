// `meshsim validate` on Gateway API Gateways: the public manifests load with
// no false error, and routes report the conditions Istio's gateway
// controller would set (gateway-api apis/v1/shared_types.go reasons).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/analyzer.h"
#include "config/loader.h"
#include "tests/test_data.h"

namespace meshsim::config {
namespace {

std::vector<Diagnostic> validate(const std::vector<SourceText>& sources) {
  LoadResult loaded = load(sources);
  std::vector<Diagnostic> out = loaded.diagnostics;
  if (!has_errors(out)) {
    auto findings = analyze(loaded.resources);
    out.insert(out.end(), findings.begin(), findings.end());
  }
  return out;
}

std::string errors_of(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics)
    if (d.severity == Severity::kError) out += format_diagnostic(d) + "\n";
  return out;
}

// Every Gateway API file of the public test data (bookinfo's gateway-api
// samples and the Gateway API mesh manifests): no error.
TEST(GatewayApiValidate, PublicManifestsHaveNoFalseError) {
  std::string dir = testing::testdata_dir();
  if (dir.empty()) GTEST_SKIP() << testing::testdata_missing("");
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    std::ifstream in(e.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("gateway.networking.k8s.io") == std::string::npos) continue;
    ++files;
    EXPECT_EQ(errors_of(validate({{e.path().string(), text}})), "") << e.path();
  }
  // bookinfo + its Gateway API Gateway together: the route attaches.
  std::vector<Diagnostic> d;
  auto sources = read_sources({dir + "/istio-bookinfo/platform__kube__bookinfo.yaml",
                               dir + "/istio-bookinfo/gateway-api__bookinfo-gateway.yaml"},
                              d);
  auto all = validate(sources);
  EXPECT_EQ(errors_of(all), "");
  bool accepted = false;
  for (const auto& f : all)
    accepted = accepted || (f.code == "MSH1023" && f.message.find("Accepted=True") != std::string::npos);
  EXPECT_TRUE(accepted);
  EXPECT_GT(files, 0);
}

// Every config of the conformance file gateway-api-gateway.json validates
// without error, the deliberately invalid routes included (Istio accepts
// them and reports ResolvedRefs=False / Accepted=False in their status).
TEST(GatewayApiValidate, ConformanceConfigsHaveNoFalseError) {
  std::string dir = testing::conformance_dir();
  if (dir.empty()) GTEST_SKIP() << "no conformance corpus";
  std::ifstream in(dir + "/cases-next/gateway-api-gateway.json");
  if (!in) GTEST_SKIP() << "no cases-next/gateway-api-gateway.json";
  for (const auto& c : nlohmann::json::parse(in))
    EXPECT_EQ(errors_of(validate({{c.at("id").get<std::string>() + ".yaml", c.at("config").get<std::string>()}})), "")
        << c.at("id");
}

// The conditions, one row per reason (shared_types.go RouteConditionReason;
// each row's configuration after the conformance test named).
TEST(GatewayApiValidate, RouteConditions) {
  const std::string gateway = R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: infra}
spec: {selector: {app: web}, ports: [{port: 8080}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: same-namespace, namespace: infra}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP, hostname: "*.example.com", allowedRoutes: {namespaces: {from: Same}}}]
---
)";
  struct Row {
    const char* source;
    std::string route_ns, hostnames, backend;
    std::string code, text;
  } rows[] = {
      {"HTTPRouteSimpleSameNamespace", "infra", "[a.example.com]", "{name: web, port: 8080}", "MSH1023",
       "Accepted=True (Accepted), ResolvedRefs=True (ResolvedRefs); attached to listener http (port 80, hostnames "
       "a.example.com)"},
      {"HTTPRouteInvalidCrossNamespaceParentRef", "web", "", "{name: web, namespace: infra, port: 8080}", "MSH1024",
       "Accepted=False (NotAllowedByListeners)"},
      {"HTTPRouteHostnameIntersection (no intersecting hostname)", "infra", "[example.net]", "{name: web, port: 8080}",
       "MSH1024", "Accepted=False (NoMatchingListenerHostname)"},
      {"HTTPRouteInvalidNonExistentBackendRef", "infra", "", "{name: nonexistent, port: 8080}", "MSH1025",
       "ResolvedRefs=False (BackendNotFound)"},
      {"HTTPRouteInvalidBackendRefUnknownKind", "infra", "",
       "{group: unknownkind.example.com, kind: NonExistent, name: web, port: 8080}", "MSH1025",
       "ResolvedRefs=False (InvalidKind)"},
      {"HTTPRouteInvalidCrossNamespaceBackendRef", "infra", "", "{name: web2, namespace: other, port: 8080}",
       "MSH1025", "ResolvedRefs=False (RefNotPermitted)"},
  };
  for (const Row& row : rows) {
    std::string route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: " +
                        row.route_ns + "}\nspec:\n  parentRefs: [{name: same-namespace, namespace: infra}]\n" +
                        (row.hostnames.empty() ? "" : "  hostnames: " + row.hostnames + "\n") +
                        "  rules: [{backendRefs: [" + row.backend + "]}]\n";
    auto all = validate({{"t.yaml", gateway + route}});
    EXPECT_EQ(errors_of(all), "") << row.source;
    bool found = false;
    std::string seen;
    for (const auto& d : all) {
      seen += format_diagnostic(d) + "\n";
      found = found || (d.code == row.code && d.message.find(row.text) != std::string::npos);
    }
    EXPECT_TRUE(found) << row.source << ": want [" << row.code << "] " << row.text << "\n" << seen;
  }
}


// Bad Gateway input: an error at file:line:column naming the valid choices
// (gateway_types.go field rules and the CRD's validations).
TEST(GatewayApiValidate, ParseErrorsPointAtTheField) {
  struct Row {
    const char* listeners;
    const char* want;  // a substring of the first error
  } rows[] = {
      {"[{name: http, port: 80, protocol: HTPP}]", "unknown protocol \"HTPP\" (valid: HTTP, HTTPS, TLS, TCP, UDP"},
      {"[{name: http, port: 80}]", "protocol is required"},
      {"[{name: a, port: 80, protocol: HTTP}, {name: a, port: 81, protocol: HTTP}]", "listener name \"a\" is used twice"},
      {"[{name: a, port: 80, protocol: HTTP, hostname: \"*\"}]", "hostname \"*\" is not allowed"},
      {"[{name: a, port: 80, protocol: HTTP, hostname: \"foo.com:80\"}]", "hostname must not carry a port"},
      {"[{name: a, port: 5000, protocol: TCP, hostname: foo.com}]", "hostname must not be set on a TCP listener"},
      {"[{name: a, port: 443, protocol: HTTPS}]", "a HTTPS listener needs tls settings"},
      {"[{name: a, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector}}}]",
       "from: Selector needs a selector"},
      {"[{name: a, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Any}}}]", "All, Same, Selector, None"},
      {"[{name: a, port: 80, protocol: HTTP, hostnmae: foo.com}]", "did you mean \"hostname\""},
  };
  for (const Row& row : rows) {
    std::string yaml = std::string("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\n") +
                       "spec:\n  gatewayClassName: istio\n  listeners: " + row.listeners + "\n";
    auto all = validate({{"gw.yaml", yaml}});
    std::string errors = errors_of(all);
    EXPECT_NE(errors.find(row.want), std::string::npos) << row.listeners << "\n" << errors;
    EXPECT_NE(errors.find("gw.yaml:"), std::string::npos) << errors;
  }
}

}  // namespace
}  // namespace meshsim::config
