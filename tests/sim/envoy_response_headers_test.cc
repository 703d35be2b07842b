// The response headers Envoy adds in an Istio mesh, listener by listener.
// Sources (each row below names its own):
//  [hcm]    envoy source/common/http/conn_manager_impl.cc
//           ActiveStream::encodeHeaders: Date set when the response has none;
//           Server set to server_name under OVERWRITE (also on local replies).
//  [istio]  istio pilot/pkg/networking/util/proxy_headers.go
//           GetProxyHeadersFromProxyConfig: server_name "istio-envoy" and
//           server_header_transformation OVERWRITE, except the sidecar
//           outbound class, which leaves server_name unset (Envoy's default
//           "envoy"); SuppressDebugHeaders false by default.
//  [router] envoy source/common/router/router.cc Filter::onUpstreamHeaders:
//           x-envoy-upstream-service-time on responses from upstream unless
//           suppress_envoy_headers; a local reply never passes there.
#include <cctype>

#include <gtest/gtest.h>

#include "proxy_core/http.h"
#include "sim/world.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::sim {
namespace {

constexpr const char* kAbortBar = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{fault: {abort: {httpStatus: 418, percentage: {value: 100}}}, route: [{destination: {host: bar}}]}]
)";

constexpr const char* kDenyBar = R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-bar}
spec:
  selector: {matchLabels: {app: bar}}
  action: DENY
  rules: [{}]
)";

constexpr const char* kGateway = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway}
spec:
  selector: {matchLabels: {app: istio-ingressgateway, istio: ingressgateway}}
  template:
    metadata: {labels: {app: istio-ingressgateway, istio: ingressgateway}}
    spec: {containers: [{name: istio-proxy, image: proxyv2}]}
)";

struct Case {
  const char* name;
  const char* rules;
  const char* from;      // calling workload
  bool from_sidecar;     // the caller has a sidecar
  bool app_sets_server;  // bar's app answers with its own Server and Date
  // What the caller sees:
  const char* server;
  bool upstream_service_time;
};

const Case kCases[] = {
    // [istio] outbound leaves server_name unset; [hcm] OVERWRITE replaces the
    // inbound's "istio-envoy"; [router] the outbound router got bar's answer.
    {"sidecar to sidecar", "", "frontend-v1", true, false, "envoy", true},
    // [hcm]+[istio] the inbound listener overwrites the app's Server.
    {"no sidecar to sidecar, app names itself", "", "curl", false, true, "istio-envoy", true},
    {"sidecar to sidecar, app names itself", "", "frontend-v1", true, true, "envoy", true},
    // [router] a fault abort is a local reply of the outbound side: no service time.
    {"fault abort on the client side", kAbortBar, "frontend-v1", true, false, "envoy", false},
    // [hcm] the inbound's RBAC denial is a local reply: Server and Date, no service time...
    {"RBAC denial seen without a sidecar", kDenyBar, "curl", false, false, "istio-envoy", false},
    // ...but to the caller's outbound router it is a response from upstream.
    {"RBAC denial seen through a sidecar", kDenyBar, "frontend-v1", true, false, "envoy", true},
    // [istio] gateways are not the sidecar outbound class: "istio-envoy".
    {"ingress gateway", kGateway, "istio-ingressgateway", true, false, "istio-envoy", true},
};

class EnvoyResponseHeaders : public ::testing::TestWithParam<Case> {};

TEST_P(EnvoyResponseHeaders, AsEnvoyAddsThem) {
  const Case& c = GetParam();
  World world(WorldOptions{1, proxy::Duration(0)});
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(testing::mesh_with(c.rules), &errors));
  world.set_sidecar("default", c.from, c.from_sidecar);
  services::Behavior bar;
  if (c.app_sets_server) bar.response_headers = {{"server", "nginx"}, {"date", "Mon, 01 Jan 2018 00:00:00 GMT"}};
  world.set_behavior("default", "bar-v1", bar);
  world.set_behavior("default", "bar-v2", bar);
  proxy::HttpRequest r;
  r.authority = "bar";
  auto out = world.call("default", c.from, r, "bar", 80);
  ASSERT_TRUE(out && out->outbound.response) << c.name;
  const proxy::HeaderMap& h = out->outbound.response->headers;
  EXPECT_EQ(h.get("server"), c.server) << c.name;
  EXPECT_EQ(h.has("x-envoy-upstream-service-time"), c.upstream_service_time) << c.name;
  // [hcm] Date only when missing: the app's own Date passes through.
  if (c.app_sets_server) EXPECT_EQ(h.get("date"), "Mon, 01 Jan 2018 00:00:00 GMT") << c.name;
  else EXPECT_EQ(h.get("date"), "Thu, 03 May 2018 00:00:00 GMT") << c.name;  // virtual time zero, no link latency
}

// Each row is named after its case ("sidecar to sidecar" -> sidecar_to_sidecar),
// never after its bytes: ctest lists the tests by these names.
std::string row_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.name;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Listeners, EnvoyResponseHeaders, ::testing::ValuesIn(kCases), row_name);

TEST(EnvoyResponseHeaders, UpstreamServiceTimeIsWholeMillisecondsSinceTheRequest) {
  World world(WorldOptions{1, proxy::Duration(0)});
  std::vector<std::string> errors;
  ASSERT_TRUE(world.apply(testing::mesh_with(""), &errors));
  services::Behavior slow;
  slow.response_delay = proxy::Duration(12'700);
  world.set_behavior("default", "bar-v1", slow);
  world.set_behavior("default", "bar-v2", slow);
  proxy::HttpRequest r;
  r.authority = "bar";
  auto out = world.call("default", "frontend-v1", r, "bar", 80);
  ASSERT_TRUE(out && out->outbound.response);
  EXPECT_EQ(out->outbound.response->headers.get("x-envoy-upstream-service-time"), "12");  // truncated, as duration_cast
}

TEST(HttpDate, ImfFixdate) {
  EXPECT_EQ(proxy::http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(proxy::http_date(1525305600), "Thu, 03 May 2018 00:00:00 GMT");
  EXPECT_EQ(proxy::http_date(951782400 + 86399), "Tue, 29 Feb 2000 23:59:59 GMT");
  EXPECT_EQ(proxy::http_date(4102444800), "Fri, 01 Jan 2100 00:00:00 GMT");
}

}  // namespace
}  // namespace meshsim::sim
