// Loading RequestAuthentication (request_authentication.proto), the
// istio.io/dry-run annotation, and the honest "not simulated" findings for
// kinds meshsim does not model.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/unmodeled_kinds.h"

namespace meshsim::config {
namespace {

LoadResult load_text(const std::string& yaml) { return load({{"in.yaml", yaml}}); }

const Diagnostic* find_code(const LoadResult& r, std::string_view code) {
  for (const auto& d : r.diagnostics)
    if (d.code == code) return &d;
  return nullptr;
}

TEST(RequestAuthenticationLoad, FieldsOfTheProto) {
  auto r = load_text(R"(apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  jwtRules:
  - issuer: issuer-foo
    audiences: [a, b]
    jwks: '{"keys":[{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB"}]}'
    fromHeaders: [{name: x-jwt, prefix: "Token "}]
    fromParams: [tok]
    forwardOriginalToken: true
    outputPayloadToHeader: x-payload
    outputClaimToHeaders: [{header: x-sub, claim: sub}]
)");
  EXPECT_FALSE(has_errors(r.diagnostics));
  ASSERT_EQ(r.resources.request_authentications.size(), 1u);
  const auto& ra = r.resources.request_authentications[0];
  ASSERT_TRUE(ra.selector);
  EXPECT_EQ(ra.selector->at("app"), "httpbin");
  ASSERT_EQ(ra.jwt_rules.size(), 1u);
  const auto& rule = ra.jwt_rules[0];
  EXPECT_EQ(rule.issuer, "issuer-foo");
  EXPECT_EQ(rule.audiences, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(rule.from_headers.at(0).name, "x-jwt");
  EXPECT_EQ(rule.from_headers.at(0).prefix, "Token ");
  EXPECT_EQ(rule.from_params, std::vector<std::string>{"tok"});
  EXPECT_TRUE(rule.forward_original_token);
  EXPECT_EQ(rule.output_payload_to_header, "x-payload");
  EXPECT_EQ(rule.output_claim_to_headers.at(0).claim, "sub");
}

// jwksUri cannot be fetched offline: a Warning naming the consequence
// (istiod's fake JWKS, jwks_resolver.go CreateFakeJwks).
TEST(RequestAuthenticationLoad, JwksUriWithoutInlineKeysIsAFinding) {
  auto r = load_text(R"(apiVersion: security.istio.io/v1beta1
kind: RequestAuthentication
metadata: {name: jwt, namespace: foo}
spec:
  jwtRules:
  - issuer: testing@secure.istio.io
    jwksUri: https://raw.githubusercontent.com/istio/istio/master/security/tools/jwt/samples/jwks.json
)");
  const Diagnostic* d = find_code(r, "MSH0040");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Severity::kWarning);
  EXPECT_NE(d->message.find("cannot fetch"), std::string::npos);
  EXPECT_NE(d->message.find("401"), std::string::npos);
}

TEST(RequestAuthenticationLoad, IssuerIsRequiredAndBadInlineKeysAreErrors) {
  auto r = load_text(R"(apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt}
spec:
  jwtRules:
  - jwks: 'not json'
)");
  int errors = 0;
  for (const auto& d : r.diagnostics) errors += d.severity == Severity::kError;
  EXPECT_EQ(errors, 2);
}

// Annotation istio.io/dry-run, parsed as Go's strconv.ParseBool (builder.go isDryRun).
TEST(AuthorizationPolicyLoad, DryRunAnnotation) {
  auto r = load_text(R"(apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  annotations: {"istio.io/dry-run": "true"}
spec: {action: DENY, rules: [{}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: b
  annotations: {"istio.io/dry-run": "maybe"}
spec: {action: DENY, rules: [{}]}
)");
  ASSERT_EQ(r.resources.authorization_policies.size(), 2u);
  EXPECT_TRUE(r.resources.authorization_policies[0].dry_run);
  EXPECT_FALSE(r.resources.authorization_policies[1].dry_run);
  EXPECT_NE(find_code(r, "MSH0042"), nullptr);
}

// Kinds that change traffic but are not simulated are a Warning; others an
// Info; both say plainly that the effect is not simulated, and the summary
// line `run` prints names each document.
TEST(NotSimulatedKinds, WarningWhenTrafficMayDiffer) {
  auto r = load_text(R"(apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ratelimit, namespace: istio-system}
spec: {}
---
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: auth}
spec: {}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec: {}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
)");
  std::map<std::string, Severity> by_resource;
  for (const auto& d : r.diagnostics)
    if (d.code == kNotSimulatedCode) by_resource[d.resource] = d.severity;
  EXPECT_EQ(by_resource["EnvoyFilter istio-system/ratelimit"], Severity::kWarning);
  EXPECT_EQ(by_resource["WasmPlugin default/auth"], Severity::kWarning);
  EXPECT_EQ(by_resource["Telemetry istio-system/mesh-default"], Severity::kInfo);
  EXPECT_EQ(by_resource["Widget default/w"], Severity::kInfo);
  EXPECT_EQ(not_simulated_summary(r.diagnostics),
            "not simulated (ignored): EnvoyFilter istio-system/ratelimit, WasmPlugin default/auth, "
            "Telemetry istio-system/mesh-default, Widget default/w");
}

// Modelled kinds are never reported, whatever the table holds.
TEST(NotSimulatedKinds, ModelledKindsAreNotListed) {
  auto r = load_text(R"(apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: none}
spec: {}
)");
  EXPECT_EQ(find_code(r, kNotSimulatedCode), nullptr);
}

}  // namespace
}  // namespace meshsim::config
