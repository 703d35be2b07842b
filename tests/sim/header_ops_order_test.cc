// VirtualService header operations in the order Envoy evaluates Istio's
// translation: route.go processDestination joins a single destination's
// operations to the route's list, after the route's own; a weighted
// destination keeps its own list, evaluated before the route's
// (processWeightedDestination); Envoy's HeaderParser::evaluateHeaders runs a
// list's removes first, then every set ("First overwrite all headers"), then
// every add.
#include <gtest/gtest.h>

#include "sim/world.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::sim {
namespace {

constexpr const char* kRouteOps = R"(
    headers:
      request:
        set: {x-a: route, x-c: route}
        add: {x-b: route, x-e: route}
        remove: [x-d]
      response:
        set: {x-ra: route}
        add: {x-rb: route}
)";
constexpr const char* kDestinationOps = R"(
      headers:
        request:
          set: {x-a: dest, x-d: dest, x-e: dest}
          add: {x-b: dest}
          remove: [x-c]
        response:
          set: {x-ra: dest}
          add: {x-rb: dest}
)";

std::string rule(int destinations) {
  std::string yaml = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n"
                     "  hosts: [bar]\n  http:\n  - route:\n    - destination: {host: bar}\n";
  if (destinations == 2) yaml += "      weight: 100\n";
  yaml += std::string(kDestinationOps).substr(1);
  if (destinations == 2) yaml += "    - destination: {host: bar}\n      weight: 0\n";
  return yaml + std::string(kRouteOps).substr(1);
}

struct Seen {
  std::string upstream, response;
};

Seen call(const std::string& rules) {
  World world{WorldOptions{1, proxy::Duration(0)}};
  std::vector<std::string> errors;
  EXPECT_TRUE(world.apply(testing::mesh_with(rules), &errors));
  proxy::HttpRequest r;
  r.authority = "bar";
  for (const char* name : {"x-b", "x-c", "x-d", "x-e"}) r.headers.add(name, "client");
  auto out = world.call("default", "curl", r, "bar", 80);
  Seen seen;
  if (!out || !out->upstream || !out->outbound.response) {
    ADD_FAILURE() << "no answer";
    return seen;
  }
  for (const char* name : {"x-a", "x-b", "x-c", "x-d", "x-e"})
    seen.upstream += std::string(name) + "=" + out->upstream->request.headers.get_joined(name).value_or("-") + " ";
  for (const char* name : {"x-ra", "x-rb"})
    seen.response += std::string(name) + "=" + out->outbound.response->headers.get_joined(name).value_or("-") + " ";
  return seen;
}

TEST(HeaderOperations, ASingleDestinationsOperationsFollowTheRoutes) {
  // One list: removes (x-d, x-c) first, then the sets (the route's, then the
  // destination's), then the adds: x-a and x-d end as the destination set
  // them, x-c as the route set it after the removes, and the route's add of
  // x-e follows the destination's set of it.
  Seen seen = call(rule(1));
  EXPECT_EQ(seen.upstream, "x-a=dest x-b=client,route,dest x-c=route x-d=dest x-e=dest,route ");
  EXPECT_EQ(seen.response, "x-ra=dest x-rb=route,dest ");
}

TEST(HeaderOperations, AWeightedDestinationsOperationsRunBeforeTheRoutes) {
  // Two lists: the destination's (remove x-c; x-a, x-d, x-b) then the
  // route's (remove x-d; x-a, x-c, x-b): the route's win.
  Seen seen = call(rule(2));
  EXPECT_EQ(seen.upstream, "x-a=route x-b=client,dest,route x-c=route x-d=- x-e=dest,route ");
  EXPECT_EQ(seen.response, "x-ra=route x-rb=dest,route ");
}

TEST(HeaderOperations, TheAuthorityIsARewriteNeverAHeader) {
  // route.go TranslateHeadersOperations: a set or add of Host/:authority is
  // the host rewrite (set's before add's), dropped from the header lists
  // (isInternalHeader), and processDestination keeps the route's rewrite over
  // the destination's.
  const std::string rules =
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n"
      "  hosts: [bar]\n  http:\n  - route:\n    - destination: {host: bar}\n"
      "      headers: {request: {set: {host: dest-authority}}}\n"
      "    headers: {request: {add: {host: route-authority}}}\n";
  World world{WorldOptions{1, proxy::Duration(0)}};
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(testing::mesh_with(rules), &errors));
  proxy::HttpRequest r;
  r.authority = "bar";
  auto out = world.call("default", "curl", r, "bar", 80);
  ASSERT_TRUE(out && out->upstream && out->outbound.response);
  EXPECT_EQ(out->upstream->request.authority, "route-authority");
  EXPECT_FALSE(out->upstream->request.headers.get("host"));
}

}  // namespace
}  // namespace meshsim::sim
