// libFuzzer target: arbitrary bytes into the proxy core's request path, as
// they would arrive on a connection: decode (possibly several pipelined
// requests), route through the talk's rules, serialize, and run the inbound
// side (authorization) on the same bytes. Any crash or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "config/loader.h"
#include "fuzz/fast_path_differential.h"
#include "proxy_core/authz.h"
#include "proxy_core/codec.h"
#include "proxy_core/router.h"
#include "tests/fixtures/fixture.h"

namespace {

using namespace meshsim;

// On top of tests/fixtures/bar-v1.yaml (Service bar, 80 -> 8080, and bar-v1).
constexpr const char* kRules = R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bar}
spec: {host: bar, subsets: [{name: v1, labels: {version: v1}}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match: [{headers: {user-agent: {regex: ".*Mobile.*"}}, queryParams: {a: {prefix: x}}}]
    redirect: {uri: /m, derivePort: FROM_REQUEST_PORT}
  - match: [{uri: {prefix: /old}, withoutHeaders: {x: {exact: y}}}]
    rewrite: {uri: /new}
    route: [{destination: {host: bar, subset: v1}}]
  - match: [{uri: {regex: "/re/[a-z]+"}}]
    rewrite: {uriRegexRewrite: {match: "^/re/(.*)$", rewrite: "/\\1"}}
    route: [{destination: {host: bar}}]
  - corsPolicy: {allowOrigins: [{exact: "http://a"}], allowMethods: [GET]}
    route: [{destination: {host: bar, subset: v1}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p}
spec:
  rules: [{to: [{operation: {paths: ["/a/{*}/b/{**}", "/x*"], hosts: ["*bar*"]}}], when: [{key: "request.headers[x]", values: ["*"]}]}]
)";

struct FuzzRandom final : proxy::Random {
  uint64_t s = 88172645463325252ull;
  uint64_t next() override {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

const proxy::RouteTable& table() {
  static const std::shared_ptr<const proxy::RouteTable> t = [] {
    auto loaded = config::load({fixtures::source("bar-v1.yaml"), {"rules.yaml", kRules}});
    std::vector<std::string> errors;
    return proxy::RouteTable::create(std::move(loaded.resources), &errors);
  }();
  return *t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  std::string_view view = bytes;
  proxy::CodecLimits limits;
  limits.header_bytes_max = 8 * 1024;
  limits.body_bytes_max = 64 * 1024;
  meshsim::fuzz::check_fast_request(view, limits);
  proxy::RequestDecoder decoder(limits);
  FuzzRandom random;
  proxy::ClientContext client;
  const proxy::RouteTable& t = table();
  for (int i = 0; i < 8 && !view.empty(); ++i) {  // bounded: at most 8 pipelined requests
    proxy::DecodeOutcome outcome = decoder.feed(view);
    if (outcome.kind != proxy::DecodeOutcome::Kind::kMessage) break;
    proxy::HttpRequest request = decoder.take();
    proxy::AuthzRequest a;
    a.method = request.method;
    a.path = proxy::normalize_path(request.path());
    a.host = request.authority;
    a.headers = &request.headers;
    proxy::authorize(t.authorization_policies_for(t.endpoints()[0]), a);
    std::string host(request.authority.empty() ? "bar" : request.authority);
    proxy::RouteDecision d = proxy::decide_route(t, client, host, 80, request, random);
    if (d.route) proxy::describe(*d.route);
    std::string out = proxy::serialize(request);
    // What we write must parse back to the same request. Writing adds a
    // Host and a Content-Length line and a space after each colon, so a
    // request just under the limits may come out just over them: the next
    // hop then answers 431, as Envoy's next hop does to the headers a
    // sidecar adds. That is faithful, not a framing bug; the grammar is
    // checked here with room for what writing adds.
    proxy::CodecLimits roomy = limits;
    roomy.header_bytes_max = 2 * limits.header_bytes_max;
    roomy.header_count_max = limits.header_count_max + 2;
    proxy::RequestDecoder again(roomy);
    std::string_view rest = out;
    proxy::DecodeOutcome reparsed = again.feed(rest);
    if (reparsed.kind != proxy::DecodeOutcome::Kind::kMessage) {
      std::fprintf(stderr, "wrote:\n%s\nwhich does not parse: %s\n", out.c_str(), reparsed.error.c_str());
      __builtin_trap();
    }
    proxy::HttpRequest back = again.take();
    if (back.method != request.method || back.target != request.target || back.authority != request.authority ||
        back.body != request.body || !rest.empty()) {
      std::fprintf(stderr, "wrote:\n%s\nwhich parses back as another request\n", out.c_str());
      __builtin_trap();
    }
  }
  return 0;
}
