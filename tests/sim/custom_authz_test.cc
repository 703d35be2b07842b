// AuthorizationPolicy action CUSTOM through the world: the server sidecar
// denies what a CUSTOM policy matches when istiod cannot build an ext_authz
// filter for its provider. Istio: pilot/pkg/security/authz/builder/builder.go
// buildHTTP ("failed to process CUSTOM action ... will generate deny
// configs"), getBadCustomDenyRules (a DENY RBAC over the CUSTOM rules, before
// the DENY and ALLOW filters); extauthz.go getExtAuthz (undefined provider:
// "available providers are [...] but found ...") and
// processExtensionProvider (a provider that is not envoyExtAuthzHttp/Grpc is
// skipped, so undefined for CUSTOM; a wrong port makes it invalid).
#include <gtest/gtest.h>

#include "sim/world.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::sim {
namespace {

const char* kMesh = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: curl}
spec:
  selector: {matchLabels: {app: curl}}
  template: {metadata: {labels: {app: curl}}, spec: {containers: [{name: curl, image: curl}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: foo}
spec:
  selector: {matchLabels: {app: foo}}
  template: {metadata: {labels: {app: foo}}, spec: {containers: [{name: app, image: foo, ports: [{containerPort: 8080}]}]}}
---
apiVersion: v1
kind: Service
metadata: {name: foo}
spec:
  selector: {app: foo}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ext-authz}
spec:
  selector: {matchLabels: {app: ext-authz}}
  template: {metadata: {labels: {app: ext-authz}}, spec: {containers: [{name: app, image: authz, ports: [{containerPort: 8000}]}]}}
---
apiVersion: v1
kind: Service
metadata: {name: ext-authz}
spec:
  selector: {app: ext-authz}
  ports: [{name: http, port: 8000}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz}
spec:
  selector: {matchLabels: {app: foo}}
  action: CUSTOM
  provider: {name: my-ext-authz}
  rules:
  - to: [{operation: {paths: ["/admin/*"]}}]
)";

// The `istio` ConfigMap with `providers` as its extensionProviders.
std::string mesh_config(const std::string& providers) {
  return R"(
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    extensionProviders:
)" + providers;
}

struct Reply {
  int status = 0;
  std::string body;
};

Reply get(const std::string& yaml, const std::string& path) {
  World world{WorldOptions{1, proxy::Duration(0)}};
  auto loaded = testing::load_or_fail({{"mesh.yaml", yaml}});
  std::vector<std::string> errors;
  EXPECT_TRUE(world.apply(std::move(loaded.resources), &errors));
  proxy::HttpRequest request;
  request.target = path;
  request.authority = "foo";
  auto r = world.call("default", "curl", request, "foo", 80);
  if (!r || !r->outbound.response) return {};
  return {r->outbound.response->status, r->outbound.response->body};
}

struct Row {
  const char* name;
  std::string yaml;
  const char* path;
  int status;
  const char* body;  // nullptr: not checked
};

TEST(CustomAuthorization, ProvidersIstiodCannotUseDenyWhatTheRulesMatch) {
  const std::string kAllowAll = R"(
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-all}
spec:
  selector: {matchLabels: {app: foo}}
  rules: [{}]
)";
  const std::string kDryRun = R"(
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz, annotations: {istio.io/dry-run: "true"}}
spec:
  selector: {matchLabels: {app: foo}}
  action: CUSTOM
  provider: {name: my-ext-authz}
  rules:
  - to: [{operation: {paths: ["/admin/*"]}}]
)";
  const Row rows[] = {
      // getExtAuthz: no extensionProviders at all -> deny rules.
      {"no mesh config", kMesh, "/admin/x", 403, "RBAC: access denied"},
      // The deny rules are the CUSTOM policy's rules: other paths go on.
      {"path outside the rules", kMesh, "/public", 200, nullptr},
      // getExtAuthz: "available providers are [other] but found my-ext-authz".
      {"other provider defined",
       std::string(kMesh) + mesh_config("    - name: other\n      envoyExtAuthzHttp: {service: ext-authz.default.svc.cluster.local, port: 8000}\n"),
       "/admin/x", 403, "RBAC: access denied"},
      // processExtensionProvider skips non-ext_authz kinds: undefined for CUSTOM.
      {"telemetry provider",
       std::string(kMesh) + mesh_config("    - name: my-ext-authz\n      zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}\n"),
       "/admin/x", 403, "RBAC: access denied"},
      // buildExtAuthzHTTP parsePort: port 0 -> the provider carries an error.
      {"provider without a port",
       std::string(kMesh) + mesh_config("    - name: my-ext-authz\n      envoyExtAuthzHttp: {service: ext-authz.default.svc.cluster.local}\n"),
       "/admin/x", 403, "RBAC: access denied"},
      // The CUSTOM filter comes before ALLOW (authorization_policy.proto: CUSTOM, DENY, ALLOW).
      {"an ALLOW policy does not rescue", std::string(kMesh) + kAllowAll, "/admin/x", 403, "RBAC: access denied"},
      // getBadCustomDenyRules covers the enforced (providerRules) policies only.
      {"dry-run CUSTOM policy", std::string(kMesh).substr(0, std::string(kMesh).find("---\napiVersion: security")) + kDryRun,
       "/admin/x", 200, nullptr},
  };
  for (const Row& row : rows) {
    Reply r = get(row.yaml, row.path);
    EXPECT_EQ(r.status, row.status) << row.name;
    if (row.body) {
      EXPECT_EQ(r.body, row.body) << row.name;
    }
  }
}

// A usable envoyExtAuthzHttp provider is asked (tests/sim/ext_authz_test.cc):
// here the provider's app is meshsim's default echo app, whose 200 allows.
// A provider named "ns/host" whose namespace has no such Service fails
// model.LookupCluster, and istiod denies as for an unusable provider.
TEST(CustomAuthorization, ExtAuthzHttpProviderIsAskedOrDeniesWhenItsServiceIsMissing) {
  for (const auto& [service, status] : std::vector<std::pair<std::string, int>>{
           {"ext-authz.default.svc.cluster.local", 200}, {"other/ext-authz.default.svc.cluster.local", 403}}) {
    std::string yaml = std::string(kMesh) + mesh_config("    - name: my-ext-authz\n      envoyExtAuthzHttp: {service: " + service +
                                                         ", port: 8000}\n");
    World world{WorldOptions{1, proxy::Duration(0)}};
    auto loaded = testing::load_or_fail({{"mesh.yaml", yaml}});
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(std::move(loaded.resources), &errors));
    proxy::HttpRequest request;
    request.target = "/admin/x";
    request.authority = "foo";
    auto r = world.call("default", "curl", request, "foo", 80);
    ASSERT_TRUE(r && r->outbound.response);
    EXPECT_EQ(r->outbound.response->status, status) << service << ": " << r->outbound.authz;
    if (status == 403) {
      EXPECT_EQ(r->outbound.response->body, "RBAC: access denied");
      EXPECT_NE(r->outbound.authz.find("no Service " + service), std::string::npos) << r->outbound.authz;
    }
  }
}

// Two CUSTOM providers on one workload: builder.go buildHTTP (without
// PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS) builds the deny rules for
// both, even though each provider alone is usable. The status is the same
// 403 meshsim gives a usable provider; the verdict names the reason.
TEST(CustomAuthorization, TwoProvidersOnOneWorkloadDenyAsUnusable) {
  std::string yaml = std::string(kMesh) + R"(
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz-2}
spec:
  selector: {matchLabels: {app: foo}}
  action: CUSTOM
  provider: {name: other}
  rules:
  - to: [{operation: {paths: ["/other/*"]}}]
)" + mesh_config("    - name: my-ext-authz\n      envoyExtAuthzHttp: {service: ext-authz.default.svc.cluster.local, port: 8000}\n"
                 "    - name: other\n      envoyExtAuthzGrpc: {service: ext-authz.default.svc.cluster.local, port: 8000}\n");
  World world{WorldOptions{1, proxy::Duration(0)}};
  auto loaded = testing::load_or_fail({{"mesh.yaml", yaml}});
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(std::move(loaded.resources), &errors));
  proxy::HttpRequest request;
  request.target = "/other/x";
  request.authority = "foo";
  auto r = world.call("default", "curl", request, "foo", 80);
  ASSERT_TRUE(r && r->outbound.response);
  EXPECT_EQ(r->outbound.response->status, 403);
  EXPECT_NE(r->outbound.authz.find("more than one provider (my-ext-authz, other)"), std::string::npos) << r->outbound.authz;
  request.target = "/public";
  auto other = world.call("default", "curl", request, "foo", 80);
  ASSERT_TRUE(other && other->outbound.response);
  EXPECT_EQ(other->outbound.response->status, 200);
}

}  // namespace
}  // namespace meshsim::sim
