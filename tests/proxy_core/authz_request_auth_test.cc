// AuthorizationPolicy fields that read the verified JWT (requestPrincipals,
// notRequestPrincipals, request.auth.* conditions) and dry-run policies.
// Each row cites the reference or code that fixes it.
#include <gtest/gtest.h>

#include "proxy_core/authz.h"

namespace meshsim::proxy {
namespace {

using nlohmann::json;

RequestAuth alice() {
  RequestAuth a;
  a.principal = "issuer@example.test/alice";
  a.audiences = {"bookstore", "web"};
  a.presenter = "frontend";
  a.claims = {{"iss", "issuer@example.test"}, {"sub", "alice"}, {"groups", {"group1", "group2"}},
              {"org", {{"team", "payments"}}}, {"level", 3}};
  return a;
}

AuthorizationPolicy allow_if(AuthzRule rule, std::string name = "p") {
  AuthorizationPolicy p;
  p.header.meta = {name, "foo", {}, {}};
  p.action = AuthorizationPolicy::Action::kAllow;
  p.rules.push_back(std::move(rule));
  p.rules_present = true;
  return p;
}

AuthzRule when(std::string key, std::vector<std::string> values, std::vector<std::string> not_values = {}) {
  AuthzRule r;
  r.when.push_back({std::move(key), std::move(values), std::move(not_values)});
  return r;
}

AuthzRule from_request_principals(std::vector<std::string> in, std::vector<std::string> not_in = {}) {
  AuthzRule r;
  AuthzSource s;
  s.request_principals = std::move(in);
  s.not_request_principals = std::move(not_in);
  r.from.push_back(s);
  return r;
}

struct Row {
  const char* name;
  const char* source;
  AuthzRule rule;
  bool with_token;
  bool allowed;
};

class RequestAuthRules : public ::testing::TestWithParam<Row> {};

TEST_P(RequestAuthRules, Decide) {
  const Row& row = GetParam();
  AuthorizationPolicy p = allow_if(row.rule);
  RequestAuth auth = alice();
  AuthzRequest r;
  r.method = "GET";
  r.path = "/headers";
  r.auth = row.with_token ? &auth : nullptr;
  EXPECT_EQ(authorize({&p}, r).allowed, row.allowed) << row.source;
}

const Row kRows[] = {
    {"principal_exact", "authz-jwt task: requestPrincipals iss/sub", from_request_principals({"issuer@example.test/alice"}),
     true, true},
    {"principal_other", "authz-jwt task: another principal does not match", from_request_principals({"issuer@example.test/bob"}),
     true, false},
    {"principal_any_needs_token", "request_authentication.proto example: requestPrincipals [\"*\"] requires a JWT",
     from_request_principals({"*"}), false, false},
    {"principal_any_with_token", "request_authentication.proto example", from_request_principals({"*"}), true, true},
    {"principal_prefix", "authorization_policy.proto: prefix match \"abc*\"", from_request_principals({"issuer@example.test/*"}),
     true, true},
    {"not_principal_any_tokenless", "authn-policy task: notRequestPrincipals [\"*\"] matches requests without a JWT",
     from_request_principals({}, {"*"}), false, true},
    {"not_principal_any_with_token", "authn-policy task", from_request_principals({}, {"*"}), true, false},
    {"list_claim_element", "authz-jwt task: request.auth.claims[groups] values [group1] matches a list claim",
     when("request.auth.claims[groups]", {"group1"}), true, true},
    {"list_claim_missing_value", "authz-jwt task", when("request.auth.claims[groups]", {"group3"}), true, false},
    {"claim_absent_without_token", "authz-jwt task: a request without the claim is rejected",
     when("request.auth.claims[groups]", {"group1"}), false, false},
    {"nested_claim", "conditions reference: request.auth.claims[nested1][nested2]",
     when("request.auth.claims[org][team]", {"payments"}), true, true},
    {"number_claim_never_matches", "conditions reference: string or list-of-string claims only",
     when("request.auth.claims[level]", {"3"}), true, false},
    {"not_values_claim", "authorization_policy.proto Condition.notValues", when("request.auth.claims[groups]", {}, {"group2"}),
     true, false},
    {"principal_condition", "conditions reference: request.auth.principal", when("request.auth.principal", {"*/alice"}), true,
     true},
    {"audiences_condition", "conditions reference: request.auth.audiences", when("request.auth.audiences", {"web"}), true, true},
    {"presenter_condition", "conditions reference: request.auth.presenter (azp)", when("request.auth.presenter", {"frontend"}),
     true, true},
};

INSTANTIATE_TEST_SUITE_P(Istio, RequestAuthRules, ::testing::ValuesIn(kRows),
                         [](const auto& info) { return std::string(info.param.name); });

// Condition keys Istio's ValidateAttribute accepts beside those above
// (security.go): source.serviceAccount, "namespace/name" of the peer's mTLS
// identity, and request.experimental.inline.headers[NAME], the request's headers.
TEST(Conditions, ServiceAccountAndInlineHeaders) {
  AuthorizationPolicy by_account = allow_if(when("source.serviceAccount", {"foo/bar"}));
  AuthzRequest r;
  r.method = "GET";
  r.path = "/";
  r.principal = "cluster.local/ns/foo/sa/bar";
  EXPECT_TRUE(authorize({&by_account}, r).allowed);
  r.principal = "cluster.local/ns/foo/sa/baz";
  EXPECT_FALSE(authorize({&by_account}, r).allowed);
  r.principal.clear();  // plaintext: no identity to match
  EXPECT_FALSE(authorize({&by_account}, r).allowed);

  AuthorizationPolicy by_header = allow_if(when("request.experimental.inline.headers[x-debug]", {"1"}));
  HeaderMap headers;
  headers.add("x-debug", "1");
  r.headers = &headers;
  EXPECT_TRUE(authorize({&by_header}, r).allowed);
  HeaderMap other;
  other.add("x-debug", "0");
  r.headers = &other;
  EXPECT_FALSE(authorize({&by_header}, r).allowed);
}

// Dry run (annotation istio.io/dry-run): Istio puts the policy in the RBAC
// filter's shadow_rules (builder.go build: isDryRun -> shadowRules) under
// shadow_rules_stat_prefix istio_dry_run_allow_/istio_dry_run_deny_
// (authz model.go); Envoy evaluates them and records the verdict but never
// acts on it (rbac_filter.cc decodeHeaders).
TEST(DryRun, DenyIsComputedButNotEnforced) {
  AuthorizationPolicy deny = allow_if(from_request_principals({}, {"*"}), "deny-anonymous");
  deny.action = AuthorizationPolicy::Action::kDeny;
  deny.dry_run = true;
  AuthzRequest r;
  r.method = "GET";
  r.path = "/";
  AuthzDecision d = authorize({&deny}, r);
  EXPECT_TRUE(d.allowed);
  ASSERT_EQ(d.shadow.size(), 1u);
  EXPECT_EQ(d.shadow[0].prefix, "istio_dry_run_deny_");
  EXPECT_FALSE(d.shadow[0].allowed);
  EXPECT_EQ(d.shadow[0].policy_id, "ns[foo]-policy[deny-anonymous]-rule[0]");  // builder.go policyName
}

// A dry-run ALLOW policy does not make the workload deny-by-default (the
// enforced rules of that filter are empty: builder.go enforceRules = nil).
TEST(DryRun, AllowDoesNotTurnOnDefaultDeny) {
  AuthorizationPolicy allow = allow_if(from_request_principals({"*"}), "require-jwt");
  allow.dry_run = true;
  AuthzRequest r;
  r.method = "GET";
  r.path = "/";
  AuthzDecision d = authorize({&allow}, r);
  EXPECT_TRUE(d.allowed);
  ASSERT_EQ(d.shadow.size(), 1u);
  EXPECT_EQ(d.shadow[0].prefix, "istio_dry_run_allow_");
  EXPECT_FALSE(d.shadow[0].allowed);
  EXPECT_EQ(d.shadow[0].policy_id, "");  // rbac_filter.cc: no effective policy id when none matched
  RequestAuth auth = alice();
  r.auth = &auth;
  d = authorize({&allow}, r);
  EXPECT_TRUE(d.shadow[0].allowed);
  EXPECT_EQ(d.shadow[0].policy_id, "ns[foo]-policy[require-jwt]-rule[0]");
}

// The DENY filter runs before the ALLOW filter: an enforced DENY ends the
// request before the ALLOW filter's shadow rules are evaluated.
TEST(DryRun, EnforcedDenyStopsBeforeAllowShadow) {
  AuthorizationPolicy deny = allow_if(AuthzRule{}, "deny-all");
  deny.action = AuthorizationPolicy::Action::kDeny;
  AuthorizationPolicy allow = allow_if(AuthzRule{}, "allow-all");
  allow.dry_run = true;
  AuthzRequest r;
  r.method = "GET";
  r.path = "/";
  AuthzDecision d = authorize({&deny, &allow}, r);
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(d.shadow.empty());
}

}  // namespace
}  // namespace meshsim::proxy
