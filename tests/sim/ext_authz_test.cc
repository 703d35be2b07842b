// A CUSTOM AuthorizationPolicy whose provider is an envoyExtAuthzHttp
// service: the server sidecar sends an HTTP check to it and does what the
// answer says, as Istio's External Authorization task shows
// (istio.io/latest/docs/tasks/security/authorization/authz-custom/). The
// authorizer here is a Behavior answering as that task's sample server
// (samples/extauthz/cmd/extauthz/main.go ServeHTTP).
// Sources, per row: Istio pilot/pkg/security/authz/builder/extauthz.go
// generateHTTPConfig (what istiod configures), Envoy
// source/extensions/filters/common/ext_authz/ext_authz_http_impl.cc
// (ClientConfig::toRequestMatchers / toClientMatchers, RawHttpClientImpl::check
// and toResponse) and source/extensions/filters/http/ext_authz/ext_authz.cc
// (onComplete: UAEX, status_on_error, failure_mode_allow).
#include <gtest/gtest.h>

#include <tuple>

#include "sim/curl.h"
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
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: app, image: web, ports: [{containerPort: 8080}]}]}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 8000, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: authorizer}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: authorizer}}
  template: {metadata: {labels: {app: authorizer, tier: auth}}, spec: {containers: [{name: app, image: authz, ports: [{containerPort: 8000}]}]}}
---
apiVersion: v1
kind: Service
metadata: {name: authorizer}
spec:
  selector: {app: authorizer}
  ports: [{name: http, port: 8000}]
---
apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: authorizer}
spec:
  selector: {app: authorizer}
  extAuthz: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ask-authorizer}
spec:
  selector: {matchLabels: {app: web}}
  action: CUSTOM
  provider: {name: checker}
  rules:
  - to: [{operation: {paths: ["/headers"]}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    extensionProviders:
    - name: checker
      envoyExtAuthzHttp:
        service: authorizer.default.svc.cluster.local
        port: PORT
PROVIDER)";

struct MeshSetup {
  std::string provider_fields;  // more envoyExtAuthzHttp fields, each "        name: value\n"
  std::string more_yaml;        // more resources
  int replicas = 1;
  std::string port = "8000";
};

std::string mesh(const MeshSetup& s) {
  std::string y = kMesh;
  y.replace(y.find("REPLICAS"), 8, std::to_string(s.replicas));
  y.replace(y.find("PORT"), 4, s.port);
  y.replace(y.find("PROVIDER"), 8, s.provider_fields);
  return y + s.more_yaml;
}

CurlRun curl(const MeshSetup& s, const std::string& path, std::vector<std::pair<std::string, std::string>> headers) {
  auto loaded = testing::load_or_fail({{"mesh.yaml", mesh(s)}});
  CurlSpec spec;
  spec.url = "http://web:8000" + path;
  spec.headers = std::move(headers);
  spec.behaviors = loaded.behaviors;
  std::string error;
  auto run = run_curl(std::move(loaded.resources), spec, &error);
  EXPECT_TRUE(run) << error;
  return run ? std::move(*run) : CurlRun{};
}

const std::string kIncludeCheckHeader = "        includeRequestHeadersInCheck: [x-ext-authz]\n";
const std::string kDeny = "denied by ext_authz for not found header `x-ext-authz: allow` in the request";

struct Row {
  const char* name;  // and its source
  MeshSetup setup;
  const char* path;
  const char* check_header;  // x-ext-authz's value; nullptr: none
  int status;
  const char* body;   // nullptr: not checked
  bool reached_app;   // the request got to web's app
  const char* flags;  // the destination report's response_flags
};

TEST(ExtAuthzHttp, TheProviderDecidesWhatTheCustomRulesMatch) {
  const std::string kDenyHeadersPolicy = R"(
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-headers}
spec:
  selector: {matchLabels: {app: web}}
  action: DENY
  rules:
  - to: [{operation: {paths: ["/headers"]}}]
)";
  const std::string kFailingAuthorizer = R"(
---
apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: authorizer-failing}
spec:
  selector: {app: authorizer, tier: auth}  # more specific than the base Behavior: it wins
  extAuthz: {}
  errorRate: {percent: 100, status: 503}
)";
  const Row rows[] = {
      // Task "Test the authorization": x-ext-authz: allow gets through.
      {"allowed (authz-custom task)", {kIncludeCheckHeader}, "/headers", "allow", 200, nullptr, true, "-"},
      // Task: x-ext-authz: deny gets the sample server's 403 and body; ext_authz.cc onComplete flags UAEX.
      {"denied (authz-custom task)", {kIncludeCheckHeader}, "/headers", "deny", 403, kDeny.c_str(), false, "UAEX"},
      // The CUSTOM rules do not match: no check is made (task: /ip is allowed without the header).
      {"outside the rules", {kIncludeCheckHeader}, "/ip", nullptr, 200, nullptr, true, "-"},
      // toRequestMatchers: without includeRequestHeadersInCheck only Host,
      // Method, Path and Authorization reach the authorizer, which then denies.
      {"check header not included", {}, "/headers", "allow", 403, kDeny.c_str(), false, "UAEX"},
      // toResponse: a 5xx (here the async client's 503 UH, no endpoint) is an
      // error; status_on_error defaults to 403 with no body.
      {"authorizer without endpoints", {kIncludeCheckHeader, "", 0}, "/headers", "allow", 403, "", false, "UAEX"},
      // extauthz.go parseStatusOnError: statusOnError replaces the 403.
      {"statusOnError", {kIncludeCheckHeader + "        statusOnError: \"503\"\n", "", 0}, "/headers", "allow", 503, "", false,
       "UAEX"},
      // failOpen is failure_mode_allow: an error lets the request through.
      {"failOpen", {kIncludeCheckHeader + "        failOpen: true\n", "", 0}, "/headers", "allow", 200, nullptr, true, "-"},
      // LookupCluster names outbound|9999||host, which the sidecar does not
      // have (not a Service port): ext_authz_http_impl.cc check answers an error.
      {"port the Service lacks", {kIncludeCheckHeader, "", 1, "9999"}, "/headers", "allow", 403, "", false, "UAEX"},
      // buildExtAuthzHTTP checkWildcard: a lone "*" makes the provider
      // unusable, and istiod denies what the rules match (getBadCustomDenyRules).
      {"lone wildcard", {"        includeRequestHeadersInCheck: [\"*\"]\n"}, "/headers", "allow", 403,
       "RBAC: access denied", false, "-"},
      // The authorizer's own failure (a Behavior errorRate of 503) is a 5xx: an error.
      {"authorizer failing", {kIncludeCheckHeader, kFailingAuthorizer}, "/headers", "allow", 403, "", false, "UAEX"},
      // authorization_policy.proto: CUSTOM, then DENY, then ALLOW.
      {"DENY after an allowed check", {kIncludeCheckHeader, kDenyHeadersPolicy}, "/headers", "allow", 403,
       "RBAC: access denied", false, "-"},
  };
  for (const Row& row : rows) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (row.check_header) headers.emplace_back("x-ext-authz", row.check_header);
    CurlRun run = curl(row.setup, row.path, headers);
    ASSERT_TRUE(run.single && run.single->outbound.response) << row.name;
    const proxy::HttpResponse& r = *run.single->outbound.response;
    EXPECT_EQ(r.status, row.status) << row.name << ": " << run.single->outbound.authz;
    if (row.body) {
      EXPECT_EQ(r.body, row.body) << row.name;
    }
    EXPECT_EQ(run.single->upstream.has_value(), row.reached_app) << row.name;
    ASSERT_TRUE(run.report) << row.name;
    EXPECT_EQ(run.report->response_flags, row.flags) << row.name;
  }
}

// toClientMatchers: with headersToDownstreamOnDeny unset every header of the
// denial but Host reaches the client; with it set, the listed ones (plus
// Location and WWW-Authenticate). toUpstreamMatchers: headersToUpstreamOnAllow
// names what the app gets of an allowing answer; toClientMatchersOnSuccess:
// headersToDownstreamOnAllow what the client gets with the app's answer.
TEST(ExtAuthzHttp, HeadersOfTheAnswerGoWhereTheProviderSays) {
  {
    CurlRun run = curl({kIncludeCheckHeader}, "/headers", {{"x-ext-authz", "no"}});
    ASSERT_TRUE(run.single && run.single->outbound.response);
    const auto& h = run.single->outbound.response->headers;
    EXPECT_EQ(h.get("x-ext-authz-check-result"), "denied");
    EXPECT_TRUE(h.has("x-ext-authz-additional-header-override"));
    EXPECT_EQ(h.get("content-type"), "text/plain; charset=utf-8");
  }
  {
    MeshSetup s{kIncludeCheckHeader + "        headersToDownstreamOnDeny: [x-ext-authz-check-result]\n"};
    CurlRun run = curl(s, "/headers", {{"x-ext-authz", "no"}});
    ASSERT_TRUE(run.single && run.single->outbound.response);
    const auto& h = run.single->outbound.response->headers;
    EXPECT_EQ(h.get("x-ext-authz-check-result"), "denied");
    EXPECT_FALSE(h.has("x-ext-authz-additional-header-override"));
  }
  {
    // The sample server echoes the override header only if the check carries it.
    MeshSetup s{"        includeRequestHeadersInCheck: [x-ext-authz, x-ext-authz-additional-header-override]\n"
                "        headersToUpstreamOnAllow: [x-ext-authz-check-*]\n"
                "        headersToDownstreamOnAllow: [\"*-override\"]\n"};
    CurlRun run = curl(s, "/headers", {{"x-ext-authz", "allow"}, {"x-ext-authz-additional-header-override", "v"}});
    ASSERT_TRUE(run.single && run.single->outbound.response && run.single->upstream);
    EXPECT_EQ(run.single->upstream->request.headers.get("x-ext-authz-check-result"), "allowed");
    EXPECT_EQ(run.single->outbound.response->status, 200);
    EXPECT_EQ(run.single->outbound.response->headers.get("x-ext-authz-additional-header-override"), "v");
  }
  {
    // Without headersToUpstreamOnAllow nothing of the answer reaches the app.
    CurlRun run = curl({kIncludeCheckHeader}, "/headers", {{"x-ext-authz", "allow"}});
    ASSERT_TRUE(run.single && run.single->upstream);
    EXPECT_FALSE(run.single->upstream->request.headers.has("x-ext-authz-check-result"));
  }
}

// The verdict names the CUSTOM policy, the provider's answer and what the
// RBAC filters after it decided (curl --explain shows it).
TEST(ExtAuthzHttp, TheVerdictSaysWhoDecided) {
  CurlRun run = curl({kIncludeCheckHeader}, "/headers", {{"x-ext-authz", "allow"}});
  ASSERT_TRUE(run.single && run.single->outbound.response);
  EXPECT_NE(run.single->outbound.authz.find("checked by CUSTOM policy default/ask-authorizer rule 0: ext_authz provider "
                                             "checker allowed"),
            std::string::npos)
      << run.single->outbound.authz;
}

// A CUSTOM policy selecting an ingress gateway: the gateway's listener runs
// the same filters (Istio applies AuthorizationPolicy to gateway workloads by
// selector) and asks the provider before it routes.
TEST(ExtAuthzHttp, AGatewayAsksBeforeItRoutes) {
  const std::string kGateway = R"(
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: edge, namespace: istio-system}
spec:
  selector: {matchLabels: {app: edge}}
  template:
    metadata: {labels: {app: edge, istio: edge}, annotations: {inject.istio.io/templates: gateway}}
    spec: {containers: [{name: istio-proxy, image: auto, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: edge, namespace: istio-system}
spec:
  selector: {app: edge}
  ports: [{name: http2, port: 80, targetPort: 8080}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  selector: {istio: edge}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["web.example.com", "other.example.com"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: ["web.example.com"]
  gateways: [edge]
  http: [{route: [{destination: {host: web, port: {number: 8000}}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ask-at-the-edge, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: edge}}
  action: CUSTOM
  provider: {name: checker}
  rules: [{to: [{operation: {paths: ["/private/*"]}}]}]
)";
  for (const auto& [path, value, status] : std::vector<std::tuple<std::string, std::string, int>>{
           {"/private/a", "allow", 200}, {"/private/a", "deny", 403}, {"/public", "deny", 200},
           // ext_authz.cc decodeHeaders: no route, no check; the router's 404 NR.
           {"/private/a", "deny", 404}}) {
    auto loaded = testing::load_or_fail({{"mesh.yaml", mesh({kIncludeCheckHeader, kGateway})}});
    CurlSpec spec;
    spec.from = kOutsideClient;
    spec.url = "http://edge.istio-system" + path;
    // The last row asks for a host the Gateway serves but no VirtualService routes.
    std::string host = status == 404 ? "other.example.com" : "web.example.com";
    spec.headers = {{"Host", host}, {"x-ext-authz", value}};
    spec.behaviors = loaded.behaviors;
    std::string error;
    auto run = run_curl(std::move(loaded.resources), spec, &error);
    ASSERT_TRUE(run && run->single && run->single->outbound.response) << error;
    EXPECT_EQ(run->single->outbound.response->status, status) << path << " " << value << ": " << run->single->outbound.authz;
    if (status == 403) {
      EXPECT_EQ(run->single->outbound.response->body, kDeny);
    }
  }
}

// A gRPC provider is not simulated: meshsim denies what the rules match
// rather than allow it, and says so (README fidelity table, MSH1005).
TEST(ExtAuthzGrpc, IsNotSimulatedAndDenies) {
  std::string y = mesh({kIncludeCheckHeader});
  y.replace(y.find("envoyExtAuthzHttp"), 17, "envoyExtAuthzGrpc");
  auto loaded = testing::load_or_fail({{"mesh.yaml", y}});
  CurlSpec spec;
  spec.url = "http://web:8000/headers";
  spec.headers = {{"x-ext-authz", "allow"}};
  spec.behaviors = loaded.behaviors;
  std::string error;
  auto run = run_curl(std::move(loaded.resources), spec, &error);
  ASSERT_TRUE(run && run->single && run->single->outbound.response) << error;
  EXPECT_EQ(run->single->outbound.response->status, 403);
  EXPECT_NE(run->single->outbound.authz.find("ext_authz over gRPC is not simulated (MSH1005)"), std::string::npos)
      << run->single->outbound.authz;
}

}  // namespace
}  // namespace meshsim::sim
