// RequestAuthentication and JWT-based AuthorizationPolicy through the whole
// simulated mesh: YAML written here, an RS256 key pair and tokens generated
// here (tests/proxy_core/jwt_signer.h). Expectations: Istio's authz-jwt task
// (invalid token -> 401, no token allowed by RequestAuthentication alone,
// requestPrincipals "iss/sub"), Envoy jwt_authn filter.cc (401 body), and
// the dry-run annotation (pilot authz builder.go shadow rules).
#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/world.h"
#include "tests/proxy_core/jwt_signer.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim {
namespace {

using nlohmann::json;

constexpr int64_t kEpochS = proxy::kDefaultUnixEpochUs / 1'000'000;

std::string mesh_yaml(const std::string& jwks, bool dry_run_deny) {
  std::string yaml = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders, version: v1}}
    spec:
      serviceAccountName: orders
      containers: [{name: app, image: orders, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: app, image: web, ports: [{containerPort: 8080}]}]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: orders-jwt, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  jwtRules:
  - issuer: https://login.shop.test
    outputClaimToHeaders:
    - {header: x-user, claim: sub}
    jwks: ')" + jwks + R"('
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: only-carol, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  action: ALLOW
  rules:
  - from:
    - source:
        requestPrincipals: ["https://login.shop.test/carol"]
)";
  if (dry_run_deny)
    yaml += R"(---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: no-posts
  namespace: shop
  annotations: {istio.io/dry-run: "true"}
spec:
  selector: {matchLabels: {app: orders}}
  action: DENY
  rules:
  - to: [{operation: {methods: ["GET"]}}]
)";
  return yaml;
}

class RequestAuthenticationMesh : public ::testing::Test {
 protected:
  void build(bool dry_run_deny = false) {
    auto loaded = testing::load_or_fail({{"mesh.yaml", mesh_yaml(signer_.jwks(), dry_run_deny)}});
    std::vector<std::string> errors;
    ASSERT_TRUE(world_.apply(std::move(loaded.resources), &errors)) << errors.front();
  }
  sim::CallResult get(const std::string& authorization) {
    proxy::HttpRequest req;
    req.method = "GET";
    req.target = "/orders";
    req.authority = "orders.shop";
    if (!authorization.empty()) req.headers.add("authorization", authorization);
    auto result = world_.call("shop", "web", std::move(req), "orders.shop", 80);
    EXPECT_TRUE(result && result->outbound.response);
    return std::move(*result);
  }
  std::string token(const std::string& sub, int64_t exp = kEpochS + 3600) {
    return signer_.sign({{"iss", "https://login.shop.test"}, {"sub", sub}, {"exp", exp}});
  }

  testing::JwtSigner signer_{"shop-key"};
  sim::World world_;
};

TEST_F(RequestAuthenticationMesh, OnlyTheAllowedPrincipalReachesTheApp) {
  build();
  // Valid token of the one allowed principal: 200; the token is not
  // forwarded (forwardOriginalToken default false) and the claim header is.
  auto ok = get("Bearer " + token("carol"));
  EXPECT_EQ(ok.outbound.response->status, 200);
  ASSERT_TRUE(ok.upstream);
  EXPECT_FALSE(ok.upstream->request.headers.has("authorization"));
  EXPECT_EQ(ok.upstream->request.headers.get("x-user").value_or(""), "carol");

  // Another valid principal: authenticated, then denied by the ALLOW policy.
  auto other = get("Bearer " + token("dave"));
  EXPECT_EQ(other.outbound.response->status, 403);
  EXPECT_EQ(other.outbound.response->body, "RBAC: access denied");

  // No token: RequestAuthentication lets it through, the policy denies it (authz-jwt task).
  auto none = get("");
  EXPECT_EQ(none.outbound.response->status, 403);

  // A bad token never reaches authorization: 401 with jwt_verify_lib's text.
  auto bad = get("Bearer not-a-jwt");
  EXPECT_EQ(bad.outbound.response->status, 401);
  EXPECT_EQ(bad.outbound.response->body, "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections");
  EXPECT_EQ(bad.upstream_attempts, 0);

  // A token signed by another key: "Jwt verification fails".
  testing::JwtSigner stranger("shop-key");  // same kid, different key
  auto forged = get("Bearer " + stranger.sign({{"iss", "https://login.shop.test"}, {"sub", "carol"}, {"exp", kEpochS + 60}}));
  EXPECT_EQ(forged.outbound.response->status, 401);
  EXPECT_EQ(forged.outbound.response->body, "Jwt verification fails");
}

// Token lifetimes are read against the simulated clock in Unix time
// (WorldOptions::unix_epoch_us), with jwt_verify_lib's 60 s skew.
TEST_F(RequestAuthenticationMesh, ExpiryUsesTheSimulatedClock) {
  build();
  auto expired = get("Bearer " + token("carol", kEpochS - 3600));
  EXPECT_EQ(expired.outbound.response->status, 401);
  EXPECT_EQ(expired.outbound.response->body, "Jwt is expired");
  EXPECT_EQ(get("Bearer " + token("carol", kEpochS - 30)).outbound.response->status, 200);
}

// A dry-run DENY policy is evaluated and reported, never enforced.
TEST_F(RequestAuthenticationMesh, DryRunDenyIsShownNotEnforced) {
  build(/*dry_run_deny=*/true);
  auto r = get("Bearer " + token("carol"));
  EXPECT_EQ(r.outbound.response->status, 200);
  ASSERT_EQ(r.outbound.dry_run.size(), 1u);  // only the DENY filter has shadow rules
  EXPECT_EQ(r.outbound.dry_run[0].prefix, "istio_dry_run_deny_");
  EXPECT_FALSE(r.outbound.dry_run[0].allowed);
  EXPECT_EQ(r.outbound.dry_run[0].policy_id, "ns[shop]-policy[no-posts]-rule[0]");
}

}  // namespace
}  // namespace meshsim
