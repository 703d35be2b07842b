// A client sidecar keeps what decide_route works out from the host and port
// it connects to (proxy_core/route_memo.h). The memo must never change a
// decision: each sequence of requests is routed with one memo for the whole
// sequence and without a memo, drawing from equal random streams, and the
// decisions must agree request by request.
#include <gtest/gtest.h>

#include "proxy_core/route_memo.h"
#include "proxy_core/router.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::proxy {
namespace {

struct CountingRandom final : Random {
  uint64_t state = 7;
  uint64_t next() override { return state = state * 6364136223846793005ULL + 1442695040888963407ULL; }
};

struct Call {
  std::string url_host;
  uint32_t port;
  std::string authority;  // "" = none (the router fills in the host)
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;
};

// What a decision says, as text, so a mismatch shows both.
std::string summary(const RouteDecision& d, const HttpRequest& request) {
  std::string s = std::to_string(static_cast<int>(d.kind)) + " " + d.flag + " " + std::to_string(d.local_reply ? d.local_reply->status : 200);
  s += " cluster=" + (d.cluster ? d.cluster->name : std::string("-"));
  if (d.route) {
    RouteInfo info = describe(*d.route);
    s += " route=" + info.resource + "/" + info.rule + "/" + info.match;
  }
  s += " retry=" + std::string(d.retry ? "yes" : "no");
  s += " authority=" + request.authority + " target=" + request.target;
  return s;
}

HttpRequest request_of(const Call& c) {
  HttpRequest r;
  r.authority = c.authority;
  r.target = c.path;
  for (const auto& [name, value] : c.headers) r.headers.add(name, value);
  return r;
}

// Routes `calls` as `workload` would, with and without a memo; returns the
// memo's decisions (after checking they agree with the plain ones).
std::vector<std::string> route_both_ways(const std::shared_ptr<const RouteTable>& table, const std::string& workload,
                                         const std::vector<Call>& calls, RouteMemo& memo) {
  const Endpoint* self = table->endpoint_by_workload("default", workload);
  EXPECT_NE(self, nullptr) << workload;
  if (self == nullptr) return {};
  ClientContext client;
  client.endpoint = self;
  client.ns = self->ns;
  client.labels = &self->labels;
  CountingRandom plain_random, memo_random;
  std::vector<std::string> decisions;
  memo.follow(table);
  for (const Call& c : calls) {
    HttpRequest plain_request = request_of(c), memo_request = request_of(c);
    RouteDecision plain = decide_route(*table, client, c.url_host, c.port, plain_request, plain_random);
    RouteDecision memoized = decide_route(*table, client, c.url_host, c.port, memo_request, memo_random, &memo);
    EXPECT_EQ(summary(memoized, memo_request), summary(plain, plain_request))
        << c.url_host << ":" << c.port << " authority " << c.authority << " path " << c.path;
    decisions.push_back(summary(memoized, memo_request));
  }
  return decisions;
}

std::shared_ptr<const RouteTable> table_of(const std::string& rules) {
  std::vector<std::string> errors;
  auto table = RouteTable::create(testing::mesh_with(rules), &errors);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors.front());
  return table;
}

// A VirtualService splitting by weight and matching on headers and path;
// another host's default route (its Service's cluster, kept by the memo
// too), also on a port it does not declare; a host the client cannot resolve; the same
// connection with a Host header naming another Service (Envoy routes HTTP by
// :authority: Istio traffic-routing doc) and in capitals.
constexpr const char* kRules = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match: [{headers: {x-canary: {exact: "true"}}}]
    route: [{destination: {host: bar, subset: v2}}]
  - match: [{uri: {prefix: /missing}}]
    route: [{destination: {host: bar, subset: v3}}]
  - route:
    - {destination: {host: bar, subset: v1}, weight: 70}
    - {destination: {host: bar, subset: v2}, weight: 30}
)";

std::vector<Call> mixed_calls() {
  std::vector<Call> calls;
  for (int i = 0; i < 40; ++i) {
    calls.push_back({"bar", 80, "", "/", {}});
    if (i % 3 == 0) calls.push_back({"bar", 80, "", "/", {{"x-canary", "true"}}});
    if (i % 5 == 0) calls.push_back({"bar", 80, "", "/missing", {}});  // subset v3 does not exist: 503 NC
    if (i % 4 == 0) calls.push_back({"foo", 80, "", "/", {}});
    if (i % 7 == 0) calls.push_back({"bar", 80, "foo", "/", {}});      // Host names foo: foo's virtual host
    if (i % 6 == 0) calls.push_back({"foo", 80, "BAR", "/", {}});      // capitals: bar's virtual host
    if (i % 9 == 0) calls.push_back({"nowhere", 80, "", "/", {}});     // Could not resolve host
    if (i % 8 == 0) calls.push_back({"bar.default.svc.cluster.local", 80, "", "/", {}});
    if (i % 5 == 1) calls.push_back({"foo", 9080, "", "/", {}});      // a port foo does not declare
  }
  return calls;
}

TEST(RouteMemo, DecisionsEqualThoseWithoutMemo) {
  auto table = table_of(kRules);
  ASSERT_TRUE(table);
  RouteMemo memo;
  std::vector<Call> calls = mixed_calls();
  auto decisions = route_both_ways(table, "frontend-v1", calls, memo);
  ASSERT_EQ(decisions.size(), calls.size());
  // The Host header, not the connection, picks the virtual host: what the
  // memo keeps for the host connected to must not answer for another. (foo
  // has no VirtualService: the request goes where it connected, bar, but
  // not by bar's rules.)
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].authority == "foo") {
      EXPECT_NE(decisions[i].find("cluster=outbound|80||bar."), std::string::npos) << decisions[i];
      EXPECT_EQ(decisions[i].find("route="), std::string::npos) << decisions[i];
    }
    if (calls[i].authority == "BAR") {
      EXPECT_NE(decisions[i].find("VirtualService default/bar"), std::string::npos) << decisions[i];
    }
  }
  // The sequence exercised every kind of answer (so the comparison is not vacuous).
  auto seen = [&](const std::string& part) {
    return std::any_of(decisions.begin(), decisions.end(), [&](const std::string& d) { return d.find(part) != std::string::npos; });
  };
  EXPECT_TRUE(seen("cluster=outbound|80|v1|bar.default.svc.cluster.local"));
  EXPECT_TRUE(seen("cluster=outbound|80|v2|bar.default.svc.cluster.local"));
  EXPECT_TRUE(seen("NC 503"));
  EXPECT_TRUE(seen("cluster=outbound|80||foo.default.svc.cluster.local"));
  EXPECT_TRUE(seen("authority=foo target=/") && seen("authority=BAR target=/"));
  std::string unresolvable = std::to_string(static_cast<int>(RouteDecision::Kind::kUnresolvable)) + " ";
  EXPECT_TRUE(std::any_of(decisions.begin(), decisions.end(),
                          [&](const std::string& d) { return d.starts_with(unresolvable); }));
}

// A push gives a new snapshot: the memo forgets what it knew, so a client
// follows the new rules at once (and holds no pointer into the old table).
TEST(RouteMemo, FollowsANewSnapshot) {
  RouteMemo memo;
  std::vector<Call> calls(20, Call{"bar", 80, "", "/", {}});
  auto before = route_both_ways(table_of(kRules), "frontend-v1", calls, memo);
  constexpr const char* kAllToV2 = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - route: [{destination: {host: bar, subset: v2}}]
)";
  auto after = route_both_ways(table_of(kAllToV2), "frontend-v1", calls, memo);
  ASSERT_EQ(after.size(), calls.size());
  for (const std::string& d : after) EXPECT_NE(d.find("cluster=outbound|80|v2|"), std::string::npos) << d;
  EXPECT_TRUE(std::any_of(before.begin(), before.end(),
                          [](const std::string& d) { return d.find("|v1|") != std::string::npos; }));
}

}  // namespace
}  // namespace meshsim::proxy
