// The Istio Gateway kind: what Istio's validation rejects
// (pkg/config/validation/validation.go validateServer, validateServerPort),
// reported at file:line:column, and the analyzer checks for gateways with
// Istio's codes (pkg/config/analysis/msg/messages.yaml;
// analyzers/virtualservice/gateways.go, analyzers/gateway/gateway.go).
#include <gtest/gtest.h>

#include "config/analyzer.h"
#include "config/loader.h"

namespace meshsim::config {
namespace {

LoadResult load_text(const std::string& yaml) { return load({{"gw.yaml", yaml}}); }

std::vector<std::string> messages(const std::vector<Diagnostic>& all, Severity severity) {
  std::vector<std::string> out;
  for (const auto& d : all)
    if (d.severity == severity) out.push_back(format_diagnostic(d));
  return out;
}

TEST(GatewayKind, ParsesServersInEveryVersion) {
  for (const char* version : {"v1", "v1beta1", "v1alpha3"}) {
    auto r = load_text(std::string("apiVersion: networking.istio.io/") + version + R"(
kind: Gateway
metadata: {name: gw, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: http}
    hosts: ["ns1/*", "*.example.com"]
    tls: {httpsRedirect: true}
)");
    EXPECT_TRUE(messages(r.diagnostics, Severity::kError).empty()) << version;
    ASSERT_EQ(r.resources.gateways.size(), 1u);
    const auto& server = r.resources.gateways[0].servers.at(0);
    EXPECT_EQ(server.port.number, 80u);
    EXPECT_EQ(server.port.protocol, "HTTP");  // protocol.Parse is case-insensitive
    EXPECT_EQ(server.hosts, (std::vector<std::string>{"ns1/*", "*.example.com"}));
    EXPECT_TRUE(server.tls && server.tls->https_redirect);
    EXPECT_EQ(r.resources.gateways[0].selector.at("istio"), "ingressgateway");
  }
}

// A Gateway API Gateway is another kind: not read as an Istio one.
TEST(GatewayKind, GatewayApiGatewayIsNotIstios) {
  auto r = load_text(R"(apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec: {gatewayClassName: istio, listeners: [{name: http, port: 80, protocol: HTTP}]}
)");
  EXPECT_TRUE(r.resources.gateways.empty());
  EXPECT_TRUE(messages(r.diagnostics, Severity::kError).empty());
}

TEST(GatewayKind, ValidationErrorsPointAtTheField) {
  struct Row {
    const char* servers;
    const char* want;  // a substring of the one error
  } rows[] = {
      {"[]", "gw.yaml:5:3) spec: gateway must have at least one server"},
      {"[{port: {number: 80, name: http, protocol: HTTP}}]", "server config must contain at least one host"},
      {"[{port: {number: 80, protocol: HTTP}, hosts: ['*']}]", "port name must be set"},
      {"[{port: {number: 80, name: x, protocol: SPDY}, hosts: ['*']}]", "invalid protocol \"SPDY\""},
      {"[{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*']}]", "server must have TLS settings for HTTPS/TLS protocols"},
      {"[{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*'], tls: {mode: SIMPLE, serverCertificate: /c}}]",
       "server cannot have TLS settings for plain text HTTP ports"},
      {"[{port: {number: 80, name: http, protocol: HTTP}, hosts: ['foo.*.com']}]", "invalid wildcard host"},
      {"[{port: {number: 80, name: http, protocol: HTTP, targetPort: 8080}, hosts: ['*']}]", "targetPort has no impact on Gateways"},
      {"[{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*'], bogus: 1}]", "bogus"},
  };
  for (const Row& row : rows) {
    auto r = load_text(std::string(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers: )") + row.servers + "\n");
    auto errors = messages(r.diagnostics, Severity::kError);
    ASSERT_EQ(errors.size(), 1u) << row.servers << ": " << (errors.empty() ? "" : errors.back());
    EXPECT_NE(errors[0].find(row.want), std::string::npos) << errors[0];
  }
}

// validateServerPort refuses protocol.Parse(name) == Unsupported; Parse
// (pkg/config/protocol/instance.go) lower-cases the name and knows every
// protocol.Instance but HBONE. A TLS block with only httpsRedirect is allowed
// where Parse(name).IsHTTP() (validateServer), HTTP_PROXY included.
TEST(GatewayKind, ServerProtocolsAsIstioParsesThem) {
  struct Row {
    const char* protocol;
    const char* tls;  // the server's tls block, or ""
    const char* stored;  // nullptr: refused
    const char* source;
  } rows[] = {
      {"HTTP_PROXY", "", "HTTP_PROXY", "instance.go Parse: case \"http_proxy\""},
      {"http_proxy", "{httpsRedirect: true}", "HTTP_PROXY", "validation.go validateServer: p.IsHTTP() allows a redirect"},
      {"GRPC-Web", "", "GRPC-WEB", "instance.go GRPCWeb = \"GRPC-Web\""},
      {"grpc-web", "{httpsRedirect: true}", "GRPC-WEB", "instance.go Parse: case \"grpc-web\"; IsHTTP"},
      {"Mongo", "", "MONGO", "instance.go Parse: case \"mongo\""},
      {"udp", "", "UDP", "instance.go Parse: case \"udp\""},
      {"\"\"", "", nullptr, "instance.go Parse(\"\") is Unsupported; validateServerPort refuses it"},
      {"HBONE", "", nullptr, "instance.go Parse has no case for hbone"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.protocol) + ": " + row.source);
    auto r = load_text(std::string(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 8080, name: p, protocol: )") + row.protocol + "}\n    hosts: ['*']\n" +
                       (*row.tls ? std::string("    tls: ") + row.tls + "\n" : ""));
    auto errors = messages(r.diagnostics, Severity::kError);
    if (row.stored == nullptr) {
      ASSERT_EQ(errors.size(), 1u);
      EXPECT_NE(errors[0].find("supported protocols are HTTP, HTTPS, HTTP2, GRPC, GRPC-Web, HTTP_PROXY"), std::string::npos)
          << errors[0];
      continue;
    }
    EXPECT_TRUE(errors.empty()) << errors.front();
    ASSERT_EQ(r.resources.gateways.size(), 1u);
    EXPECT_EQ(r.resources.gateways[0].servers.at(0).port.protocol, row.stored);
  }
}

constexpr const char* kMesh = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template: {metadata: {labels: {istio: ingressgateway}}, spec: {containers: [{name: p, image: x}]}}
---
apiVersion: v1
kind: Service
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec: {selector: {istio: ingressgateway}, ports: [{name: http2, port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: p, image: x}]}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 80, name: http, protocol: HTTP}, hosts: ["web.example.com"]}
  - {port: {number: 8080, name: http-direct, protocol: HTTP}, hosts: ["web.example.com"]}
  - {port: {number: 9090, name: http-other, protocol: HTTP}, hosts: ["web.example.com"]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: lonely}
spec:
  selector: {istio: nothing-here}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web.example.com, other.example.com]
  gateways: [web-gateway, mesh, missing-gateway, default/web-gateway]
  http: [{route: [{destination: {host: web}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: stray}
spec:
  hosts: [stray.example.com]
  gateways: [web-gateway]
  http: [{route: [{destination: {host: web}}]}]
)";

TEST(GatewayAnalyzer, IstioCodes) {
  auto r = load_text(kMesh);
  ASSERT_TRUE(messages(r.diagnostics, Severity::kError).empty());
  auto found = analyze(r.resources);
  std::vector<std::string> got;
  for (const auto& d : found)
    if (d.code == "IST0101" || d.code == "IST0132" || d.code == "IST0162") got.push_back(format_diagnostic(d));
  // IST0101: the gateway reference that resolves to nothing; the Gateway whose selector selects no pod.
  // IST0132: stray's host is not among web-gateway's hosts; and next to
  // IST0101, the missing gateway serves no host (analyzers_test.go
  // virtualServiceGateways: httpbin-bogus has both).
  // IST0162: 9090 is neither a Service port nor a targetPort of the gateway's Service (80 and 8080 are).
  ASSERT_EQ(got.size(), 5u) << testing::PrintToString(got);
  auto has = [&](const std::string& part) {
    return std::any_of(got.begin(), got.end(), [&](const std::string& g) { return g.find(part) != std::string::npos; });
  };
  EXPECT_TRUE(has("[IST0101] (VirtualService default/web gw.yaml:47:33)")) << testing::PrintToString(got);
  EXPECT_TRUE(has("Referenced gateway not found: \"missing-gateway\""));
  EXPECT_TRUE(has("[IST0101] (Gateway default/lonely gw.yaml:39:13)") && has("Referenced selector not found: \"istio=nothing-here\""));
  EXPECT_TRUE(has("[IST0132] (VirtualService default/stray") &&
              has("one or more host [stray.example.com] defined in VirtualService default/stray not found in Gateway default/web-gateway."));
  EXPECT_TRUE(has("Warning [IST0132] (VirtualService default/web gw.yaml:47:33) one or more host [web.example.com "
                  "other.example.com] defined in VirtualService default/web not found in Gateway default/missing-gateway."))
      << testing::PrintToString(got);
  EXPECT_TRUE(has("[IST0162] (Gateway default/web-gateway") && has("(port 9090)"));
}

// A VirtualService bound to a Kubernetes Gateway (gateway.networking.k8s.io):
// the gateway exists (no IST0101) and its listener hostnames are the hosts
// IST0132 compares with, a listener without hostname serving every host
// (gateways.go vsHostInKubernetesGateway; analyzers_test.go
// virtualServiceKubernetesGateways and its testdata file).
TEST(GatewayAnalyzer, VirtualServiceOnAKubernetesGateway) {
  struct Row {
    const char* name;
    const char* listener_hostname;  // "" leaves it out
    const char* vs_host;
    const char* want;  // the IST0101/IST0132 findings, one per line
  } rows[] = {
      {"my-vs: listener example.com, host example.com", "example.com", "example.com", ""},
      {"my-vs-host-mismatch", "example.com", "wrong.example.com",
       "Warning [IST0132] (VirtualService default/vs gw.yaml:22:5) one or more host [wrong.example.com] defined in "
       "VirtualService default/vs not found in Gateway default/my-gateway.\n"},
      {"wildcard listener", "\"*.example.com\"", "a.example.com", ""},
      {"listener without hostname serves every host", "", "anything.example.org", ""},
  };
  for (const Row& row : rows) {
    std::string hostname = *row.listener_hostname ? std::string(", hostname: ") + row.listener_hostname : "";
    auto r = load_text(R"(apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: my-gateway, namespace: default}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP)" + hostname + R"(}]
---
apiVersion: v1
kind: Service
metadata: {name: my-service}
spec: {selector: {app: my-service}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [)" + row.vs_host + R"(]
  http:
  - route:
    - destination: {host: my-service, port: {number: 80}}
  gateways:
  - default/my-gateway
)");
    ASSERT_TRUE(messages(r.diagnostics, Severity::kError).empty()) << row.name;
    std::string got;
    for (const auto& d : analyze(r.resources))
      if (d.code == "IST0101" || d.code == "IST0132") got += format_diagnostic(d) + "\n";
    EXPECT_EQ(got, row.want) << row.name;
  }
}

}  // namespace
}  // namespace meshsim::config
