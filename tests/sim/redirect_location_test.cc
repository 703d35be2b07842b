// The Location of a VirtualService redirect (issue 13, divergence 6).
// Istio route.go ApplyRedirect fills Envoy's RedirectAction: host_redirect =
// authority; port_redirect only for `port` or derivePort FROM_REQUEST_PORT
// (the listener port), and never an explicit :80 for http or :443 for https.
// Envoy http/utility.cc Utility::newUri then builds
// scheme://host[:port_redirect]path: a host_redirect replaces the request's
// host and port; without one the request's host keeps its port unless a
// port_redirect replaces it or the scheme changes and the port is the old
// scheme's default (processRequestHost). A path_redirect without a query
// keeps the request's query.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/world.h"
#include "tests/fixtures/load_or_fail.h"

namespace meshsim::sim {
namespace {

constexpr const char* kTopology = R"(
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
  template: {metadata: {labels: {app: bar}}, spec: {containers: [{name: app, image: bar, ports: [{containerPort: 9080}]}]}}
---
apiVersion: v1
kind: Service
metadata: {name: bar}
spec: {selector: {app: bar}, ports: [{name: http, port: 9080}, {name: http-web, port: 80, targetPort: 9080}]}
)";

struct RedirectRow {
  const char* source;
  const char* redirect;   // the VirtualService's `redirect:`
  const char* authority;  // Host the client sends; it connects to bar on this port
  uint32_t port;
  const char* location;
};

const RedirectRow kRows[] = {
    // The issue's case: host_redirect only, no port_redirect -> no port.
    {"route.go ApplyRedirect + newUri host_redirect", "{uri: /new, authority: reports.ops.svc.cluster.local}",
     "bar:9080", 9080, "http://reports.ops.svc.cluster.local/new?x=1"},
    {"route.go HTTPRedirect_Port", "{uri: /new, authority: reports.ops.svc.cluster.local, port: 8443}", "bar:9080",
     9080, "http://reports.ops.svc.cluster.local:8443/new?x=1"},
    {"route.go FROM_REQUEST_PORT = listener port",
     "{uri: /new, authority: reports.ops.svc.cluster.local, derivePort: FROM_REQUEST_PORT}", "bar:9080", 9080,
     "http://reports.ops.svc.cluster.local:9080/new?x=1"},
    {"route.go FROM_PROTOCOL_DEFAULT sets no port",
     "{uri: /new, authority: reports.ops.svc.cluster.local, derivePort: FROM_PROTOCOL_DEFAULT}", "bar:9080", 9080,
     "http://reports.ops.svc.cluster.local/new?x=1"},
    {"route.go: no explicit :80 for http", "{uri: /new, authority: reports.ops.svc.cluster.local, port: 80}",
     "bar:9080", 9080, "http://reports.ops.svc.cluster.local/new?x=1"},
    {"route.go: no explicit :443 for https",
     "{uri: /new, authority: reports.ops.svc.cluster.local, scheme: https, port: 443}", "bar:9080", 9080,
     "https://reports.ops.svc.cluster.local/new?x=1"},
    {"route.go: FROM_REQUEST_PORT on port 80 is dropped",
     "{uri: /new, authority: reports.ops.svc.cluster.local, derivePort: FROM_REQUEST_PORT}", "bar", 80,
     "http://reports.ops.svc.cluster.local/new?x=1"},
    // No host_redirect: processRequestHost keeps the request's host and port.
    {"newUri processRequestHost keeps the port", "{uri: /new}", "bar:9080", 9080, "http://bar:9080/new?x=1"},
    {"processRequestHost: port_redirect replaces it", "{uri: /new, port: 8080}", "bar:9080", 9080,
     "http://bar:8080/new?x=1"},
    {"processRequestHost: a scheme change keeps a non-default port", "{uri: /new, scheme: https}", "bar:9080", 9080,
     "https://bar:9080/new?x=1"},
    {"processRequestHost: a scheme change drops :80", "{uri: /new, scheme: https}", "bar:80", 80,
     "https://bar/new?x=1"},
    {"newUri: a path_redirect with a query replaces the request's", "{uri: \"/new?y=2\"}", "bar:9080", 9080,
     "http://bar:9080/new?y=2"},
};

TEST(RedirectLocation, FollowsIstioTranslationAndEnvoyNewUri) {
  for (const RedirectRow& row : kRows) {
    SCOPED_TRACE(std::string(row.source) + ": " + row.redirect);
    std::string rules = std::string(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http: [{redirect: )") + row.redirect + "}]\n";
    auto loaded = testing::load_or_fail({{"topology.yaml", kTopology}, {"rules.yaml", rules}});
    World world{WorldOptions{1, proxy::Duration(0)}};
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(std::move(loaded.resources), &errors));
    proxy::HttpRequest request;
    request.target = "/old?x=1";
    request.authority = row.authority;
    auto r = world.call("default", "curl", request, "bar", row.port);
    ASSERT_TRUE(r && r->outbound.response);
    EXPECT_EQ(r->outbound.response->status, 301);  // route.go: redirectCode 0 -> MOVED_PERMANENTLY
    EXPECT_EQ(r->outbound.response->headers.get("location").value_or(""), row.location);
  }
}

}  // namespace
}  // namespace meshsim::sim
