// The traffic policy each cluster gets from a DestinationRule, as istiod
// merges the host, port and subset levels (pilot/pkg/networking/util/util.go
// GetPortLevelTrafficPolicy, MergeSubsetTrafficPolicy; pilot/pkg/model/
// destination_rule.go MergeTrafficPolicy). Each row names the rule it checks.
#include <gtest/gtest.h>

#include "proxy_core/route_table.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::proxy {
namespace {

struct PolicyRow {
  const char* source;
  const char* traffic_policy;         // the DestinationRule's, at host level
  const char* v1_traffic_policy;      // subset v1's own, "" for none
  const char* subset;                 // the cluster asked for
  const char* load_balancer;          // its simple kind, "" when unset
  bool outlier_detection;             // set or not
  bool connection_pool;
};

std::string bar_rule(const PolicyRow& row) {
  std::string v1 = *row.v1_traffic_policy ? std::string(", trafficPolicy: ") + row.v1_traffic_policy : "";
  return std::string(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec:
  host: bar
  trafficPolicy: )") + row.traffic_policy + R"(
  subsets:
  - {name: v1, labels: {version: v1})" + v1 + R"(}
  - {name: v2, labels: {version: v2}}
)";
}

constexpr const char* kHostOutlierWithPortLb =
    "{outlierDetection: {consecutive5xxErrors: 2}, loadBalancer: {simple: RANDOM},"
    " portLevelSettings: [{port: {number: 80}, loadBalancer: {simple: ROUND_ROBIN}}]}";

TEST(DestinationPolicy, PortLevelSettingsReplaceAndSubsetsOverride) {
  const PolicyRow rows[] = {
      // GetPortLevelTrafficPolicy: "Traffic settings specified at the
      // destination-level will not be inherited when overridden by
      // port-level settings": port 80's entry sets only the load balancer,
      // so the host's outlier detection is gone.
      {"util.go GetPortLevelTrafficPolicy", kHostOutlierWithPortLb, "", "", "ROUND_ROBIN", false, false},
      // A subset without a policy of its own takes the port-level result.
      {"util.go MergeSubsetTrafficPolicy, subset without a policy", kHostOutlierWithPortLb, "", "v2", "ROUND_ROBIN",
       false, false},
      // A subset's own policy overrides only what it sets
      // (MergeTrafficPolicy, hasPortLevel false).
      {"destination_rule.go MergeTrafficPolicy", kHostOutlierWithPortLb, "{connectionPool: {tcp: {maxConnections: 1}}}",
       "v1", "ROUND_ROBIN", false, true},
      {"destination_rule.go MergeTrafficPolicy, host level kept",
       "{outlierDetection: {consecutive5xxErrors: 2}, loadBalancer: {simple: RANDOM}}",
       "{connectionPool: {tcp: {maxConnections: 1}}}", "v1", "RANDOM", true, true},
      // A subset's port-level entry replaces all four settings
      // (MergeTrafficPolicy, hasPortLevel true).
      {"destination_rule.go MergeTrafficPolicy, subset port level",
       "{outlierDetection: {consecutive5xxErrors: 2}, loadBalancer: {simple: RANDOM}}",
       "{portLevelSettings: [{port: {number: 80}, connectionPool: {tcp: {maxConnections: 1}}}]}", "v1", "", false, true},
      // An entry for another port changes nothing on this one.
      {"util.go GetPortLevelTrafficPolicy, another port",
       "{outlierDetection: {consecutive5xxErrors: 2}, portLevelSettings: [{port: {number: 9080}, loadBalancer: {simple: "
       "ROUND_ROBIN}}]}",
       "", "", "", true, false},
  };
  for (const PolicyRow& row : rows) {
    SCOPED_TRACE(row.source);
    std::vector<std::string> errors;
    auto table = RouteTable::create(testing::mesh_with(bar_rule(row)), &errors);
    ASSERT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
    const ServiceInfo* bar = table->service("bar.default.svc.cluster.local");
    ASSERT_NE(bar, nullptr);
    const Cluster* c = table->cluster(*bar, 80, row.subset, "default");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->policy.load_balancer ? c->policy.load_balancer->simple : "", row.load_balancer);
    EXPECT_EQ(c->policy.outlier_detection.has_value(), row.outlier_detection);
    EXPECT_EQ(c->policy.connection_pool.has_value(), row.connection_pool);
  }
}

}  // namespace
}  // namespace meshsim::proxy
