// What the app behind a sidecar receives of what Envoy adds, and the header
// values of a route as Envoy formats them. Sources (each row names its own):
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
//  [fmt]     envoy source/common/router/header_parser.cc
//            parseHttpHeaderFormatter -> source/common/formatter/
//            substitution_formatter.cc SubstitutionFormatParser::parse (%% is
//            a %, %COMMAND(ARG):LENGTH%); http_specific_formatter.cc
//            HeaderFormatter (REQ/RESP: the first value, the alternative after
//            `?`, cut to LENGTH); stream_info_formatter.cc (UPSTREAM_CLUSTER:
//            observabilityName, PROTOCOL, HOSTNAME,
//            DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT).
//  [empty]   header_parser.cc HeaderParser::evaluateHeaders: a value that
//            formats to nothing is not written (Istio sets no keep_empty_value).
//  [cluster] router.cc Filter::decodeHeaders: the upstream cluster is known
//            before route_entry_->finalizeRequestHeaders.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "proxy_core/header_format.h"
#include "sim/world.h"
#include "tests/fixtures/fixture.h"
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
      {"[fmt] %% is a %", rule("  - headers: {request: {set: {x-pct: \"100%%\"}}}\n" + kSubsetV1), "/", {}, "x-pct",
       "100%"},
      {"[fmt] REQ", rule("  - headers: {request: {set: {x-ua: \"ua=%REQ(User-Agent)%\"}}}\n" + kSubsetV1), "/",
       {{"user-agent", "meshsim-test"}}, "x-ua", "ua=meshsim-test"},
      // The ":length" suffix is refused by Istio's webhook on a VirtualService
      // (header_value_validator.go: "Expecting '%' or whitespace after"), so
      // only the alternative is exercised through the world.
      {"[fmt] REQ alternative",
       rule("  - headers: {request: {set: {x-alt: \"%REQ(x-none?x-other)%\"}}}\n" + kSubsetV1), "/",
       {{"x-other", "abcdef"}}, "x-alt", "abcdef"},
      {"[fmt] REQ(:path)", rule("  - headers: {request: {add: {x-path: \"%REQ(:PATH)%\"}}}\n" + kSubsetV1), "/p?x=1",
       {}, "x-path", "/p?x=1"},
      {"[empty] REQ of a header the request lacks adds nothing",
       rule("  - headers: {request: {set: {x-none: \"%REQ(x-missing)%\"}}}\n" + kSubsetV1), "/", {}, "x-none", "-"},
      {"[fmt][cluster] UPSTREAM_CLUSTER", rule("  - headers: {request: {set: {x-up: \"%UPSTREAM_CLUSTER%\"}}}\n" + kSubsetV1),
       "/", {}, "x-up", "outbound|80|v1|bar.default.svc.cluster.local"},
      {"[fmt] PROTOCOL", rule("  - headers: {request: {set: {x-proto: \"%PROTOCOL%\"}}}\n" + kSubsetV1), "/", {},
       "x-proto", "HTTP/1.1"},
      {"[fmt] HOSTNAME: the client's pod", rule("  - headers: {request: {set: {x-host: \"on %HOSTNAME%\"}}}\n" + kSubsetV1),
       "/", {}, "x-host", "on curl"},
      {"[fmt] a destination's operations are formats too",
       rule("  - route:\n    - destination: {host: bar, subset: v1}\n      headers: {request: {set: {x-d: \"%REQ(x-in)%!\"}}}\n"),
       "/", {{"x-in", "d"}}, "x-d", "d!"},
      {"[empty] a literal empty value is not written either",
       rule("  - headers: {request: {set: {x-empty: \"\"}}}\n" + kSubsetV1), "/", {{"x-empty", "app"}}, "x-empty", "app"},
      {"[fmt] a plain value is sent as written", rule("  - headers: {request: {set: {x-plain: plain}}}\n" + kSubsetV1),
       "/", {}, "x-plain", "plain"},
      {"[fmt] an unsupported command is sent as written (MSH0048)",
       rule("  - headers: {request: {set: {x-rid: \"%DOWNSTREAM_REMOTE_ADDRESS%\"}}}\n" + kSubsetV1), "/", {}, "x-rid",
       "%DOWNSTREAM_REMOTE_ADDRESS%"},
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

// [fmt] every command substitutes from the stream the sidecar saw: the app's
// pod address is the downstream remote address on the outbound listener.
TEST(EnvoyRequestHeaders, DownstreamRemoteAddressIsTheCallersPod) {
  testing::CurlToBar mesh(
      rule("  - headers: {request: {set: {x-from: \"%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%\"}}}\n" + kSubsetV1));
  auto out = mesh.get("/");
  ASSERT_TRUE(out.upstream);
  const proxy::Endpoint* curl = nullptr;
  for (const auto& e : mesh.world.table().endpoints())
    if (e.workload == "curl") curl = &e;
  ASSERT_NE(curl, nullptr);
  EXPECT_EQ(out.upstream->request.headers.get("x-from").value_or("-"), curl->ip);
}

// [fmt] response header values: RESP reads the app's response, REQ the
// request as routed, UPSTREAM_CLUSTER the route's cluster (hunt24 hdrfmt.yaml).
TEST(EnvoyRequestHeaders, ResponseValuesAreFormatsToo) {
  testing::CurlToBar mesh(rule(
      "  - headers:\n      request: {set: {x-pct: \"100%%\", x-ua: \"%REQ(user-agent)%\", x-proto: \"%PROTOCOL%\"}}\n"
      "      response: {set: {x-up: \"%UPSTREAM_CLUSTER%\", x-ct: \"[%RESP(content-type)%]\", x-none: \"%RESP(x-absent)%\"}}\n" +
      kSubsetV1));
  auto out = mesh.get("/", "curl", {{"user-agent", "ua1"}});
  ASSERT_TRUE(out.upstream);
  ASSERT_TRUE(out.outbound.response);
  EXPECT_EQ(out.upstream->request.headers.get("x-pct").value_or("-"), "100%");
  EXPECT_EQ(out.upstream->request.headers.get("x-ua").value_or("-"), "ua1");
  EXPECT_EQ(out.upstream->request.headers.get("x-proto").value_or("-"), "HTTP/1.1");
  const auto& response = out.outbound.response->headers;
  EXPECT_EQ(response.get("x-up").value_or("-"), "outbound|80|v1|bar.default.svc.cluster.local");
  EXPECT_EQ(response.get("x-ct").value_or("-"), "[" + std::string(response.get("content-type").value_or("")) + "]");
  EXPECT_FALSE(response.has("x-none"));  // [empty]
}

// [fmt] what validate says of a command meshsim does not substitute, and of
// those it does: MSH0048 at the value, naming the supported commands.
TEST(EnvoyRequestHeaders, UnsupportedCommandsAreWarnedAtValidate) {
  struct Case {
    const char* value;
    size_t warnings;
  };
  for (const Case& c : std::initializer_list<Case>{{"%REQ(x-a)% %PROTOCOL% 100%%", 0},
                                                  {"%UPSTREAM_CLUSTER%/%HOSTNAME%", 0},
                                                  {"%DOWNSTREAM_REMOTE_ADDRESS%", 1},
                                                  {"%START_TIME(%s)% %FILTER_STATE(x)%", 2},
                                                  {"plain", 0}}) {
    auto loaded = config::load({fixtures::source("talk-mesh.yaml"),
                                {"rules.yaml", rule(std::string("  - headers: {response: {add: {x-v: \"") + c.value +
                                                    "\"}}}\n" + kSubsetV1)}});
    size_t found = 0;
    for (const auto& d : loaded.diagnostics)
      if (d.code == "MSH0048") {
        ++found;
        EXPECT_NE(d.message.find("REQ(header"), std::string::npos) << d.message;
      }
    EXPECT_EQ(found, c.warnings) << c.value;
  }
}

// [fmt] the parser itself, row by row.
TEST(HeaderFormat, ParsesAsEnvoysSubstitutionFormatParser) {
  struct Case {
    const char* value;
    const char* formatted;  // with REQ(x-a) = "A", no response, cluster "c", HTTP/1.1, host "h", ip "1.2.3.4"; "!" = invalid
  };
  proxy::HttpRequest request;
  request.headers.add("x-a", "A");
  proxy::FormatContext context;
  context.request = &request;
  context.cluster = "c";
  context.hostname = "h";
  context.downstream_ip = "1.2.3.4";
  context.start_unix_us = 1'700'000'000'123'456;
  for (const Case& c : std::initializer_list<Case>{
           {"%%", "%"},                                  // escape '%%'
           {"a%%b%%", "a%b%"},                           // escape '%%' anywhere
           {"%REQ(X-A)%", "A"},                          // header names are lower-cased (LowerCaseString)
           {"%REQ(x-b?x-a)%", "A"},                      // the alternative after '?'
           {"%REQ(x-a):0%", ""},                         // LENGTH truncates
           {"%RESP(x-a)%", ""},                          // no response while routing
           {"%UPSTREAM_CLUSTER%-%UPSTREAM_CLUSTER_RAW%", "c-c"},
           {"%HOSTNAME%@%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", "h@1.2.3.4"},
           {"%PROTOCOL%", "HTTP/1.1"},
           {"%START_TIME%", "2023-11-14T22:13:20.123Z"},  // AccessLogDateTimeFormatter: %Y-%m-%dT%H:%M:%E3SZ
           {"%NOT_KNOWN%", "%NOT_KNOWN%"},                // unsupported: as written
           {"50%", "!"},                                  // "Couldn't find valid command"
           {"%REQ%", "!"},                                // REQ requires parameters
           {"%REQ(a?b?c)%", "!"},                         // more than 1 alternative header
           {"%PROTOCOL:3%", "!"},                         // no length for PROTOCOL
           {"%lower%", "!"},                              // COMMAND is [A-Z0-9_]+
       }) {
    auto parsed = proxy::parse_header_format(c.value);
    if (std::string_view(c.formatted) == "!") {
      EXPECT_EQ(parsed.format, nullptr) << c.value;
      EXPECT_FALSE(parsed.error.empty()) << c.value;
      continue;
    }
    ASSERT_NE(parsed.format, nullptr) << c.value << ": " << parsed.error;
    EXPECT_EQ(proxy::format_header_value(*parsed.format, context), c.formatted) << c.value;
  }
}

}  // namespace
}  // namespace meshsim::sim
