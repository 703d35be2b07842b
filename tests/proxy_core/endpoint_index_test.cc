// RouteTable::endpoint_by_workload answers from an index built with the
// snapshot (every client request of a simulation asks). Its rule: the first
// endpoint, in endpoint order, whose workload or pod has the name. The index
// must give the scan's answer for every name, also when one Deployment's
// pod is named like another Deployment.
#include <gtest/gtest.h>

#include "proxy_core/route_table.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::proxy {
namespace {

const Endpoint* first_by_scan(const RouteTable& table, std::string_view ns, std::string_view name) {
  for (const Endpoint& e : table.endpoints())
    if (e.ns == ns && (e.workload == name || e.pod == name)) return &e;
  return nullptr;
}

// `api` has two replicas (pods api-0 and api-1); a Deployment is named api-1.
constexpr const char* kCollidingNames = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api, version: v1}}
    spec: {containers: [{name: app, image: api, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api-1}
spec:
  selector: {matchLabels: {app: other}}
  template:
    metadata: {labels: {app: other, version: v1}}
    spec: {containers: [{name: app, image: other, ports: [{containerPort: 8080}]}]}
)";

TEST(EndpointIndex, GivesTheFirstEndpointByWorkloadOrPod) {
  std::vector<std::string> errors;
  auto table = RouteTable::create(testing::mesh_with(kCollidingNames), &errors);
  ASSERT_TRUE(table) << (errors.empty() ? "" : errors.front());
  std::vector<std::pair<std::string, std::string>> asked = {{"default", "nobody"}, {"elsewhere", "api"}, {"", "api"}};
  for (const Endpoint& e : table->endpoints()) {
    asked.emplace_back(e.ns, e.workload);
    asked.emplace_back(e.ns, e.pod);
  }
  ASSERT_GT(asked.size(), 10u);
  for (const auto& [ns, name] : asked)
    EXPECT_EQ(table->endpoint_by_workload(ns, name), first_by_scan(*table, ns, name)) << ns << "/" << name;
  // The colliding name resolves to one of them: whichever comes first.
  const Endpoint* api_1 = table->endpoint_by_workload("default", "api-1");
  ASSERT_NE(api_1, nullptr);
  EXPECT_TRUE(api_1->pod == "api-1" || api_1->workload == "api-1");
}

}  // namespace
}  // namespace meshsim::proxy
