// `meshsim curl` shows a dry-run AuthorizationPolicy's verdict without
// enforcing it. The keys are Envoy's RBAC dynamic-metadata keys under
// Istio's shadow prefixes (rbac_filter.cc; pilot authz model.go
// RBACShadowRulesDenyStatPrefix), the policy id Istio's (builder.go policyName).
#include <gtest/gtest.h>

#include "reports/curl_output.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim {
namespace {

constexpr const char* kDryRunDeny = R"(apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-get
  annotations: {istio.io/dry-run: "true"}
spec:
  selector: {matchLabels: {app: frontend}}
  action: DENY
  rules:
  - to: [{operation: {methods: ["GET"]}}]
)";

TEST(DryRunCurl, VerdictIsShownNotEnforced) {
  sim::CurlSpec spec;
  spec.url = "http://frontend/";
  auto run = testing::curl(kDryRunDeny, spec);
  ASSERT_TRUE(run.single && run.single->outbound.response);
  EXPECT_EQ(run.single->outbound.response->status, 200);
  std::string text = reports::curl_text(run, spec.url);
  EXPECT_NE(text.find("* dry-run AuthorizationPolicy (DENY): would be denied by ns[default]-policy[deny-get]-rule[0] "
                      "(not enforced)"),
            std::string::npos)
      << text;
  auto json = reports::curl_json(run);
  EXPECT_EQ(json["dry_run"]["istio_dry_run_deny_shadow_engine_result"], "denied");
  EXPECT_EQ(json["dry_run"]["istio_dry_run_deny_shadow_effective_policy_id"], "ns[default]-policy[deny-get]-rule[0]");
}

}  // namespace
}  // namespace meshsim
