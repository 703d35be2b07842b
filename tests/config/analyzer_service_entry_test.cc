// ServiceEntry checks of istioctl analyze (istio/istio
// pkg/config/analysis/analyzers/serviceentry/; codes and texts from
// pkg/config/analysis/msg/messages.yaml). Each row names the case of
// pkg/config/analysis/analyzers/analyzers_test.go it follows (its YAML
// under analyzers/testdata/), as a small ServiceEntry of our own.
#include <gtest/gtest.h>

#include "config/analyzer.h"
#include "config/loader.h"

namespace meshsim::config {
namespace {

std::string se(const std::string& name, const std::string& ns, const std::string& ports, const std::string& extra = "") {
  return "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec:\n  hosts: [example.com]\n  ports: " + ports + "\n  resolution: DNS\n" + extra + "---\n";
}

constexpr const char* kAutoAllocate = R"(apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    defaultConfig:
      proxyMetadata:
        ISTIO_META_DNS_CAPTURE: "true"
        ISTIO_META_DNS_AUTO_ALLOCATE: "true"
---
)";

std::vector<std::string> codes(const std::string& yaml) {
  auto r = load({{"se.yaml", yaml}});
  for (const auto& d : r.diagnostics) ADD_FAILURE() << format_diagnostic(d);
  std::vector<std::string> out;
  for (const auto& d : analyze(r.resources))
    if (d.resource.starts_with("ServiceEntry")) out.push_back(d.code + " " + d.resource);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ServiceEntryAnalyzer, IstioCodes) {
  struct Row {
    const char* source;
    std::string yaml;
    std::vector<std::string> expected;
  } rows[] = {
      {"analyzers_test.go 'missing Addresses and Protocol in Service Entry' (a TCP port, no addresses)",
       se("tcp", "default", "[{number: 9000, name: tcp, protocol: TCP}]"), {"IST0134 ServiceEntry default/tcp"}},
      {"analyzers_test.go 'missing Addresses and Protocol in Service Entry' (no protocol: TCP)",
       se("unset", "default", "[{number: 9000, name: p}]"), {"IST0134 ServiceEntry default/unset"}},
      {"analyzers_test.go 'ServiceEntry Addresses Required Lowercase Protocol' (protocol: tcp)",
       se("lower", "default", "[{number: 9000, name: p, protocol: tcp}]"), {"IST0134 ServiceEntry default/lower"}},
      {"protocoladdresses.go: one message per TCP port",
       se("two", "default", "[{number: 9000, name: a, protocol: TCP}, {number: 9001, name: b}]"),
       {"IST0134 ServiceEntry default/two", "IST0134 ServiceEntry default/two"}},
      {"protocoladdresses.go: HTTP ports need no address", se("http", "default", "[{number: 80, name: http, protocol: HTTP}]"), {}},
      {"protocoladdresses.go: addresses given",
       se("vip", "default", "[{number: 9000, name: tcp, protocol: TCP}]", "  addresses: [240.0.0.1]\n"), {}},
      {"analyzers_test.go '... with ISTIO_META_DNS_AUTO_ALLOCATE enabled' (serviceentry-missing-addresses-protocol-mesh-cfg.yaml)",
       std::string(kAutoAllocate) + se("tcp", "default", "[{number: 9000, name: tcp, protocol: TCP}]"), {}},
      {"analyzers_test.go 'ServiceEntry conflicting protocols on same host and port' (serviceentry-conflicting-protocol.yaml)",
       se("se-https", "default", "[{number: 13835, name: https, protocol: HTTPS}]") +
           se("se-http", "default", "[{number: 13835, name: http, protocol: HTTP}]"),
       {"IST0177 ServiceEntry default/se-http", "IST0177 ServiceEntry default/se-https"}},
      {"analyzers_test.go 'ServiceEntry no conflict same protocol' (serviceentry-no-conflict-protocol.yaml)",
       se("a", "default", "[{number: 443, name: https, protocol: HTTPS}]") +
           se("b", "default", "[{number: 443, name: https, protocol: HTTPS}]"),
       {}},
      {"analyzers_test.go 'ServiceEntry no conflict non-overlapping exportTo scopes' (serviceentry-conflicting-exportto.yaml)",
       se("se-ns1", "ns1", "[{number: 8080, name: http, protocol: HTTP}]", "  exportTo: ['.']\n") +
           se("se-ns2", "ns2", "[{number: 8080, name: https, protocol: HTTPS}]", "  exportTo: ['.']\n"),
       {}},
      {"conflictingserviceentries.go: a namespace scope also sees the '*' scope",
       se("local", "ns1", "[{number: 8080, name: http, protocol: HTTP}]", "  exportTo: ['.']\n") +
           se("everywhere", "ns2", "[{number: 8080, name: https, protocol: HTTPS}]"),
       {"IST0177 ServiceEntry ns1/local", "IST0177 ServiceEntry ns2/everywhere"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.source);
    EXPECT_EQ(codes(row.yaml), row.expected);
  }
}

// messages.yaml's templates, word for word.
TEST(ServiceEntryAnalyzer, IstioMessageTexts) {
  auto r = load({{"se.yaml", se("se-https", "default", "[{number: 13835, name: https, protocol: HTTPS}]") +
                                 se("se-http", "default", "[{number: 13835, name: tcp, protocol: TCP}]")}});
  std::vector<std::string> lines;
  for (const auto& d : analyze(r.resources)) lines.push_back(format_diagnostic(d));
  std::sort(lines.begin(), lines.end());
  ASSERT_EQ(lines.size(), 3u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "Warning [IST0134] (ServiceEntry default/se-http se.yaml:14:33) ServiceEntry addresses are required for this protocol.");
  EXPECT_EQ(lines[1], "Warning [IST0177] (ServiceEntry default/se-http se.yaml:11:18) Multiple ServiceEntries (default/se-http, "
                      "default/se-https) define the same host \"example.com\" and port 13835 with conflicting protocols (HTTPS, TCP).");
}

}  // namespace
}  // namespace meshsim::config
