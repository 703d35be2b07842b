// A sidecar derives its inbound answers (Service, protocol, JWT providers,
// AuthorizationPolicies) once per snapshot, as Envoy builds its inbound
// listener from the config it was pushed (issue 20); a push must replace
// them for the sidecars a push keeps, and the world's per-snapshot indexes
// (instances by endpoint, clients by workload) must follow it too.
#include <gtest/gtest.h>

#include "config/loader.h"
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
metadata: {name: bar}
spec:
  selector: {matchLabels: {app: bar}}
  template: {metadata: {labels: {app: bar}}, spec: {containers: [{name: app, image: bar, ports: [{containerPort: 8080}]}]}}
---
apiVersion: v1
kind: Service
metadata: {name: bar}
spec:
  selector: {app: bar}
  ports: [{name: http, port: 80, targetPort: 8080}]
)";

// istio.io "Authorization on HTTP traffic": a DENY policy selecting the
// workload answers 403 "RBAC: access denied" once it is pushed.
const char* kDenyBar = R"(
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-bar}
spec:
  selector: {matchLabels: {app: bar}}
  action: DENY
  rules: [{}]
)";

void push(World& world, const std::string& yaml) {
  auto loaded = testing::load_or_fail({{"mesh.yaml", yaml}});
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(std::move(loaded.resources), &errors));
}

int status_of_call(World& world) {
  proxy::HttpRequest request;
  request.authority = "bar";
  auto r = world.call("default", "curl", request, "bar", 80);
  if (!r || !r->outbound.response) return 0;
  return r->outbound.response->status;
}

TEST(InboundAnswersPush, APolicyPushedLaterAppliesToTheKeptSidecar) {
  World world{WorldOptions{1, proxy::Duration(0)}};
  push(world, kMesh);
  EXPECT_EQ(status_of_call(world), 200);
  push(world, std::string(kMesh) + kDenyBar);
  EXPECT_EQ(world.replaced_instances(), 0u);  // rules only: the pods and their sidecars stay
  EXPECT_EQ(status_of_call(world), 403);
  push(world, kMesh);
  EXPECT_EQ(status_of_call(world), 200);
}

}  // namespace
}  // namespace meshsim::sim
