// Settings meshsim reads but does not simulate are warnings, never silence:
// a rehearsal that runs as if they were unset must say so.
#include <gtest/gtest.h>

#include "config/loader.h"

namespace meshsim::config {
namespace {

std::vector<Diagnostic> warnings_of(const std::string& yaml, const std::string& code) {
  auto r = load({{"mesh.yaml", yaml}});
  std::vector<Diagnostic> found;
  for (const auto& d : r.diagnostics) {
    EXPECT_NE(d.severity, Severity::kError) << format_diagnostic(d);
    if (d.code == code) found.push_back(d);
  }
  return found;
}

std::string mesh_config(const std::string& fields) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n" + fields;
}

// MeshConfig (istio.io docs/reference/config/istio.mesh.v1alpha1): each row a
// field that changes traffic or telemetry, and whether meshsim must warn.
struct MeshFieldCase {
  const char* fields;
  bool warned;
};

TEST(UnsimulatedSettings, MeshConfigFieldsThatChangeTrafficAreWarnedOf) {
  const MeshFieldCase cases[] = {
      // "defaultHttpRetryPolicy: Configures the default retry policy for all HTTP routes"
      {"    defaultHttpRetryPolicy: {attempts: 3, retryOn: 5xx}\n", true},
      // "connectTimeout: Connection timeout used by Envoy": simulated, the
      // PassthroughCluster's (a connect nothing answers waits that long).
      {"    connectTimeout: 1s\n", false},
      // enableAutoMtls defaults to true: false changes which hops use mTLS, true changes nothing.
      {"    enableAutoMtls: false\n", true},
      {"    enableAutoMtls: true\n", false},
      // enableTracing defaults to true.
      {"    enableTracing: false\n", true},
      // Fields meshsim models (outboundTrafficPolicy) or that change nothing it simulates (accessLogFile).
      {"    outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n    accessLogFile: /dev/stdout\n", false},
      // What Istio's install writes (istio-discovery chart): the metrics meshsim reports; another provider is not.
      {"    defaultProviders: {metrics: [prometheus]}\n", false},
      {"    defaultProviders: {tracing: [zipkin]}\n", true},
  };
  for (const auto& c : cases) {
    auto found = warnings_of(mesh_config(c.fields), "MSH0045");
    EXPECT_EQ(found.size(), c.warned ? 1u : 0u) << c.fields;
    if (c.warned && !found.empty()) {
      std::string field(c.fields + 4, std::string_view(c.fields + 4).find(':'));
      EXPECT_NE(found[0].message.find(field + " is not simulated"), std::string::npos) << found[0].message;
      EXPECT_EQ(found[0].pos.line, 6);  // the field, inside the ConfigMap's `mesh: |` block
    }
  }
}

// ALLOW_ANY_DYNAMIC_DNS (Istio 1.31, release note allow-any-dynamic-dns):
// plaintext HTTP to unknown hosts through the dynamic forward proxy. meshsim
// routes it as ALLOW_ANY, and says so at the mode.
TEST(UnsimulatedSettings, AllowAnyDynamicDnsRunsAsAllowAnyAndSaysSo) {
  const std::string yaml = mesh_config("    outboundTrafficPolicy: {mode: ALLOW_ANY_DYNAMIC_DNS}\n");
  auto found = warnings_of(yaml, "MSH0045");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("ALLOW_ANY_DYNAMIC_DNS is not simulated"), std::string::npos) << found[0].message;
  EXPECT_NE(found[0].message.find("runs as ALLOW_ANY"), std::string::npos) << found[0].message;
  EXPECT_EQ(found[0].pos.line, 6);
  EXPECT_EQ(proxy::mesh_config(load({{"mesh.yaml", yaml}}).resources).outbound_traffic_policy, "ALLOW_ANY");
}

// DestinationRule ClientTLSSettings: DISABLE and ISTIO_MUTUAL are simulated
// (plaintext or Istio mTLS); SIMPLE and MUTUAL originate TLS, which is not.
TEST(UnsimulatedSettings, DestinationRuleTlsOriginationIsWarnedOf) {
  auto rule = [](const std::string& mode) {
    return "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: x}\nspec:\n  host: x\n"
           "  trafficPolicy: {tls: {mode: " + mode + "}}\n";
  };
  EXPECT_EQ(warnings_of(rule("SIMPLE"), "MSH0044").size(), 1u);
  EXPECT_EQ(warnings_of(rule("MUTUAL"), "MSH0044").size(), 1u);
  EXPECT_TRUE(warnings_of(rule("DISABLE"), "MSH0044").empty());
  EXPECT_TRUE(warnings_of(rule("ISTIO_MUTUAL"), "MSH0044").empty());
}

// A fault Istio accepts but that does nothing: a delay without fixedDelay
// (validateHTTPFaultInjectionDelay has no default case; translateFault drops
// it) and an abort without an error type (validateHTTPFaultInjectionAbort:
// "abort configured, but error type not set", a warning). Warned, not refused.
TEST(UnsimulatedSettings, FaultsThatDoNothingAreWarnedOfNotRefused) {
  auto rule = [](const std::string& fault) {
    return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec:\n  hosts: [x]\n"
           "  http:\n  - fault: " + fault + "\n    route: [{destination: {host: x}}]\n";
  };
  EXPECT_EQ(warnings_of(rule("{delay: {percentage: {value: 50}}}"), "MSH0046").size(), 1u);
  EXPECT_EQ(warnings_of(rule("{abort: {percentage: {value: 50}}}"), "MSH0046").size(), 1u);
  EXPECT_TRUE(warnings_of(rule("{abort: {httpStatus: 503}}"), "MSH0046").empty());
}

// A redirectCode Istio's webhook accepts (validateHTTPRedirect: 300-399) but
// that route.go ApplyRedirect does not translate ("Redirect Code 304 is not
// yet supported"): the route goes to Envoy without an action, which Envoy's
// route_components.proto requires, so the proxy rejects the route
// configuration. Warned at the code, not refused; 0 means 301.
TEST(UnsimulatedSettings, RedirectCodesIstioCannotTranslateAreWarnedOf) {
  auto rule = [](const std::string& code) {
    return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec:\n  hosts: [x]\n"
           "  http:\n  - redirect: {uri: /y, redirectCode: " + code + "}\n";
  };
  for (const char* code : {"300", "304", "305", "306", "399"}) {
    auto found = warnings_of(rule(code), "MSH0047");
    ASSERT_EQ(found.size(), 1u) << code;
    EXPECT_NE(found[0].message.find("redirectCode " + std::string(code) + ": Istio accepts it, but istiod builds no redirect"),
              std::string::npos) << found[0].message;
    EXPECT_EQ(found[0].pos.line, 7);
    EXPECT_EQ(found[0].pos.column, 39);
  }
  for (const char* code : {"0", "301", "302", "303", "307", "308"}) EXPECT_TRUE(warnings_of(rule(code), "MSH0047").empty()) << code;
}

}  // namespace
}  // namespace meshsim::config
