// What the app behind a sidecar receives of what Envoy adds. Sources (each
// row names its own):
//  [xfp-out] envoy source/common/http/conn_manager_utility.cc
//            ConnectionManagerUtility::mutateRequestHeaders: without
//            use_remote_address, x-forwarded-proto only when absent, the
//            connection's scheme; istio listener.go
//            buildSidecarOutboundHTTPListenerOpts (features.UseRemoteAddress
//            off by default).
//  [xfp-in]  the same on the inbound listener (listener_inbound.go
//            useRemoteAddress false): kept as the caller's sidecar set it;
//            set when absent, https over Istio mTLS.
//  [orig]    envoy source/common/router/config_impl.cc
//            RouteEntryImplBase::finalizePathHeader: a path rewrite
//            (prefix_rewrite, regex_rewrite) keeps the path it replaces, query
//            included, in x-envoy-original-path unless suppress_envoy_headers;
//            rewritePathByPrefixOrRegex: no rewrite configured, or a regex
//            rewrite leaving an empty path, rewrites nothing; istio route.go
//            applyHTTPRouteDestination (rewrite.uri -> prefix_rewrite,
//            uriRegexRewrite -> regex_rewrite).
#include <gtest/gtest.h>

#include "sim/world.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::sim {
namespace {

std::string rule(const std::string& body) {
  return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n  hosts: [bar]\n"
         "  http:\n" + body;
}

struct Row {
  const char* source;
  std::string rules;
  const char* path;
  std::vector<std::pair<std::string, std::string>> sent;  // what the app sends
  const char* header;                                      // what bar's app receives of it ("-": absent)
  const char* value;
  const char* app_path = nullptr;  // the path bar's app receives, when the row checks it
};

const std::string kSubsetV1 = "    route: [{destination: {host: bar, subset: v1}}]\n";

std::vector<Row> rows() {
  return {
      {"[xfp-out]", "", "/", {}, "x-forwarded-proto", "http"},
      {"[xfp-out] kept as the app sent it", "", "/", {{"x-forwarded-proto", "https"}}, "x-forwarded-proto", "https"},
      {"[xfp-in] removed by the route: the inbound sets its mTLS scheme",
       rule("  - headers: {request: {remove: [x-forwarded-proto]}}\n" + kSubsetV1), "/", {}, "x-forwarded-proto",
       "https"},
      {"[orig] no rewrite, no header", "", "/api/x", {}, "x-envoy-original-path", "-"},
      {"[orig] prefix rewrite", rule("  - match: [{uri: {prefix: /api}}]\n    rewrite: {uri: /}\n" + kSubsetV1),
       "/api/x?q=1", {}, "x-envoy-original-path", "/api/x?q=1", "//x?q=1"},
      {"[orig] exact match rewritten whole", rule("  - match: [{uri: {exact: /ex}}]\n    rewrite: {uri: /new}\n" + kSubsetV1),
       "/ex", {}, "x-envoy-original-path", "/ex", "/new"},
      {"[orig] regex rewrite", rule("  - rewrite: {uriRegexRewrite: {match: \"^/cg/([^/]+)/(.*)$\", rewrite: '/\\2/\\1'}}\n" + kSubsetV1),
       "/cg/a/b", {}, "x-envoy-original-path", "/cg/a/b", "/b/a"},
      {"[orig] a rewrite to the same path still records it", rule("  - rewrite: {uri: /}\n" + kSubsetV1), "/same", {},
       "x-envoy-original-path", "/same", "/same"},
      {"[orig] authority only: no path rewrite", rule("  - rewrite: {authority: other.example}\n" + kSubsetV1), "/a",
       {}, "x-envoy-original-path", "-"},
      {"[orig] an HTTPRoute URLRewrite path is the route's rewrite too (conversion.go createRewriteFilter)",
       "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: bar}\nspec:\n"
       "  parentRefs: [{group: \"\", kind: Service, name: bar, port: 80}]\n  rules:\n"
       "  - matches: [{path: {type: PathPrefix, value: /old}}]\n"
       "    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}}]\n"
       "    backendRefs: [{name: bar, port: 80}]\n",
       "/old/a?b=1", {}, "x-envoy-original-path", "/old/a?b=1", "/new/a?b=1"},
      {"[orig] the app's own value is replaced", rule("  - rewrite: {uri: /v2}\n" + kSubsetV1), "/p",
       {{"x-envoy-original-path", "/forged"}}, "x-envoy-original-path", "/p", "/v2p"},
  };
}

TEST(EnvoyRequestHeaders, WhatTheAppReceives) {
  for (const Row& row : rows()) {
    testing::CurlToBar mesh(row.rules);
    auto out = mesh.get(row.path, "curl", row.sent);
    ASSERT_TRUE(out.upstream) << row.source;
    const auto& received = out.upstream->request;
    EXPECT_EQ(received.headers.get_joined(row.header).value_or("-"), row.value) << row.source;
    if (row.app_path) {
      EXPECT_EQ(received.target, row.app_path) << row.source;
    }
  }
}

}  // namespace
}  // namespace meshsim::sim
