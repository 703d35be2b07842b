// `meshsim import isotope`: istio/tools isotope's service-graph YAML read
// into a ServiceGraph. Our own graphs in tests/fixtures/isotope/ (written
// from isotope/README.md's schema) load and run.
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <sstream>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/scenario_runner.h"
#include "tests/sim/scenario_fixture.h"
#include "topology/isotope.h"
#include "topology/scenario_yaml.h"

namespace meshsim::topology {
namespace {

std::string read(const std::string& relative) {
  std::ifstream f(std::string(MESHSIM_SOURCE_DIR) + "/" + relative);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

struct SizeRow {
  const char* text;
  std::optional<size_t> bytes;
  const char* source;
};

// docker/go-units size.go RAMInBytes, which isotope's size.FromString calls:
// binary multiples, optional space, optional i and b, case-insensitive.
TEST(IsotopeSizes, AsGoUnitsReadsThem) {
  const SizeRow rows[] = {
      {"1024", 1024, "go-units RAMInBytes: a bare number is bytes"},
      {"1 KB", 1024, "isotope/README.md example requestSize: 1 KB (1024-based)"},
      {"16KiB", 16384, "isotope/README.md converted output: 16KiB"},
      {"10k", 10240, "isotope byte_size.go comment: \"10k\""},
      {"16mb", 16u << 20, "isotope byte_size.go comment: \"16mb\""},
      {"512 B", 512, "go-units: a unit letter is optional"},
      {"1.5k", 1536, "go-units: decimals allowed"},
      {"12 XB", std::nullopt, "go-units: unknown unit is an error"},
      {"k", std::nullopt, "go-units: a number is required"},
  };
  for (const auto& r : rows) EXPECT_EQ(parse_byte_size(r.text), r.bytes) << r.text << " — " << r.source;
}

TEST(Isotope, ReadsDefaultsScriptsAndConcurrency) {
  auto load = read_isotope(read("tests/fixtures/isotope/shop.yaml"), "shop.yaml");
  for (const auto& d : load.diagnostics) ADD_FAILURE() << config::format_diagnostic(d);
  ASSERT_TRUE(load.graph);
  const auto& g = *load.graph;
  ASSERT_EQ(g.services.size(), 5u);
  const auto* web = g.find("web");
  ASSERT_TRUE(web);
  EXPECT_TRUE(web->entrypoint);
  EXPECT_EQ(web->replicas, 2);
  EXPECT_EQ(web->response_bytes, 8192u);                    // "8KB": go-units is 1024-based
  ASSERT_EQ(web->script.size(), 3u);
  EXPECT_EQ(web->script[0].sleep, std::chrono::milliseconds(2));
  ASSERT_EQ(web->script[1].calls.size(), 2u);                // a nested list runs concurrently (README "Script")
  EXPECT_EQ(web->script[1].calls[0].request_bytes, 512u);    // defaults.requestSize
  EXPECT_EQ(web->script[1].calls[1].request_bytes, 1024u);   // call.size overrides it
  EXPECT_EQ(g.find("prices")->response_bytes, 256u);
  EXPECT_EQ(g.find("catalog")->response_bytes, 2048u);      // defaults.responseSize
  EXPECT_EQ(g.find("cart")->replicas, 3);
  EXPECT_TRUE(g.find("visits")->grpc);
  EXPECT_EQ(g.entrypoints().size(), 1u);
}

// README: `default` holds settings for omitted ones, script included.
TEST(Isotope, DefaultScriptAndErrorRateAreInherited) {
  auto load = read_isotope(read("tests/fixtures/isotope/flaky-chain.yaml"), "flaky-chain.yaml");
  ASSERT_TRUE(load.graph);
  const auto& g = *load.graph;
  EXPECT_EQ(g.find("front")->error_per_million, 0u);
  EXPECT_EQ(g.find("back")->error_per_million, 5000u);  // 0.5%
  ASSERT_EQ(g.find("back")->script.size(), 1u);
  EXPECT_EQ(g.find("back")->script[0].sleep, std::chrono::milliseconds(10));
  EXPECT_EQ(g.find("middle")->script.size(), 2u);
}

struct BadRow {
  const char* name;
  const char* yaml;
  const char* message;  // part of the first error
  int line, column;
};

TEST(Isotope, BadInputIsAnErrorWithItsPlace) {
  const BadRow rows[] = {
      {"undefined service (isotope validation.go)", "services:\n- name: a\n  script:\n  - call: b\n",
       "cannot call undefined service \"b\"", 4, 11},
      {"nested concurrency (isotope validation.go)", "services:\n- name: a\n  script:\n  - - - call: a\n",
       "concurrent commands may not be nested", 4, 7},
      {"percentage above 100% (pct.FromFloat64)", "services:\n- name: a\n  errorRate: 150%\n", "outside 0% .. 100%", 3, 14},
      {"unknown field", "services:\n- name: a\n  scirpt: []\n", "did you mean \"script\"", 3, 3},
      {"bad size", "services:\n- name: a\n  responseSize: lots\n", "byte size", 3, 17},
      {"no services", "defaults: {}\n", "missing field \"services\"", 1, 1},
      {"YAML syntax", "services: [\n", "", 2, 1},
      {"a call cycle (isotope does not check; its services would recurse without end)",
       "services:\n- name: a\n  script:\n  - call: b\n- name: b\n  script:\n  - call: a\n", "calls form a cycle (a -> b -> a)", 7, 11},
      {"a service calling itself through the default script",
       "defaults:\n  script:\n  - call: a\nservices:\n- name: a\n", "calls form a cycle (a -> a)", 3, 11},
      {"errorRate under 0.01% (handler.go divides 10000 by uint64(rate*10000), zero)",
       "services:\n- name: a\n  errorRate: 0.005%\n", "below 0.01%", 3, 14},
  };
  for (const auto& r : rows) {
    auto load = read_isotope(r.yaml, "g.yaml");
    EXPECT_FALSE(load.graph) << r.name;
    ASSERT_FALSE(load.diagnostics.empty()) << r.name;
    const auto& d = load.diagnostics.front();
    EXPECT_NE(d.message.find(r.message), std::string::npos) << r.name << ": " << d.message;
    EXPECT_EQ(d.pos.line, r.line) << r.name;
    if (r.message[0]) {
      EXPECT_EQ(d.pos.column, r.column) << r.name;
    }
  }
}

struct ErrorRateRow {
  const char* rate;
  uint32_t per_million;
  const char* source;
};

// isotope's service fails every N-th request per replica, N = 10000 /
// uint64(rate*10000) in integer division (service/pkg/srv/handler.go), so
// the rate it gives is 1/N, kept here and drawn per request.
TEST(Isotope, ErrorRateIsTheRateIsotopesServiceGives) {
  const ErrorRateRow rows[] = {
      {"50%", 500000, "handler.go: 10000/5000 = 2, every 2nd request"},
      {"30%", 333333, "handler.go: 10000/3000 = 3, every 3rd request"},
      {"7%", 71429, "handler.go: 10000/700 = 14, every 14th request"},
      {"0.57", 1000000, "handler.go: 10000/5699 = 1, every request (Go truncates 5699.999...)"},
      {"0.1%", 1000, "handler.go: 10000/10 = 1000, every 1000th request"},
      {"0%", 0, "handler.go: ErrorRate 0 never fails"},
  };
  for (const auto& r : rows) {
    auto load = read_isotope(std::string("services:\n- name: a\n  errorRate: \"") + r.rate + "\"\n", "g.yaml");
    ASSERT_TRUE(load.graph) << r.rate;
    EXPECT_EQ(load.graph->services[0].error_per_million, r.per_million) << r.rate << " — " << r.source;
  }
}

// A cycle through a service with an errorRate ends: isotope's handler fails
// every N-th request before its script (handler.go), so each request goes
// round until one fails. Loaded, with a warning; the same cycle without
// the errorRate is refused (BadInputIsAnErrorWithItsPlace).
TEST(Isotope, ACycleThatErrorsEndIsWarnedOf) {
  auto load = read_isotope("services:\n- name: a\n  isEntrypoint: true\n  errorRate: 50%\n  script:\n  - call: a\n", "g.yaml");
  ASSERT_TRUE(load.graph);
  ASSERT_EQ(load.diagnostics.size(), 1u);
  EXPECT_EQ(load.diagnostics[0].severity, config::Severity::kWarning);
  EXPECT_NE(load.diagnostics[0].message.find("calls form a cycle (a -> a): each request goes round until a service's errorRate fails it"),
            std::string::npos)
      << load.diagnostics[0].message;
}

// isotope reads `defaults` (convert/pkg/graph/unmarshal.go), its README
// writes `default`; Go's JSON decoding ignores fields it does not model, so
// numRbacPolicies and the resource fields under either are accepted.
TEST(Isotope, DefaultsAsIsotopeReadsThem) {
  auto both = read_isotope("defaults: {responseSize: 1KB, numRbacPolicies: 3}\ndefault: {responseSize: 2KB}\n"
                           "services:\n- {name: a, isEntrypoint: true}\n", "g.yaml");
  ASSERT_TRUE(both.graph);
  EXPECT_EQ(both.graph->services[0].response_bytes, 1024u);
  ASSERT_EQ(both.diagnostics.size(), 1u);
  EXPECT_NE(both.diagnostics[0].message.find("default: ignored beside defaults"), std::string::npos);
  auto readme = read_isotope("default: {computeUsage: 10%, memoryUsage: 1%, responseSize: 2KB}\nservices:\n- {name: a, isEntrypoint: true}\n", "g.yaml");
  ASSERT_TRUE(readme.graph);
  EXPECT_TRUE(readme.diagnostics.empty());
  EXPECT_EQ(readme.graph->services[0].response_bytes, 2048u);
  // No entrypoint: the first service takes the traffic, and a warning says so.
  auto none = read_isotope("services:\n- name: a\n- name: b\n", "g.yaml");
  ASSERT_TRUE(none.graph);
  ASSERT_EQ(none.diagnostics.size(), 1u);
  EXPECT_NE(none.diagnostics[0].message.find("no service has isEntrypoint: true; the traffic enters \"a\""), std::string::npos);
}

sim::Scenario load_text(const std::string& yaml, const std::string& name) {
  auto path = std::filesystem::temp_directory_path() / ("meshsim-isotope-" + name + "-" + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << yaml;
  auto loaded = config::load_scenario({path.string()});
  std::filesystem::remove(path);
  for (const auto& d : loaded.diagnostics)
    if (d.severity == config::Severity::kError) ADD_FAILURE() << config::format_diagnostic(d);
  EXPECT_TRUE(loaded.scenario);
  return loaded.scenario.value_or(sim::Scenario{});
}

TEST(Isotope, FixtureGraphsRunWithTheirExpectations) {
  for (const char* file : {"shop", "flaky-chain"}) {
    auto load = read_isotope(read(std::string("tests/fixtures/isotope/") + file + ".yaml"), file);
    ASSERT_TRUE(load.graph) << file;
    ScenarioOptions o;
    o.rate_per_second = 20;
    o.duration = std::chrono::seconds(5);
    auto scenario = load_text(scenario_yaml(*load.graph, o), file);
    auto result = sim::run_scenario(scenario, {});
    EXPECT_TRUE(result.passed()) << file << "\n" << testing::failed_expectations(result);
    EXPECT_GE(result.requests, 90u) << file;
  }
}

// isotope's handler answers an injected 500 before its script runs
// (service/pkg/srv/handler.go): a failed request calls nothing and waits
// for nothing. Half of `front`'s requests fail, so `back` gets about half.
TEST(Isotope, AnInjectedErrorAnswersBeforeTheScript) {
  auto load = read_isotope("services:\n- name: front\n  isEntrypoint: true\n  errorRate: 50%\n  script:\n"
                           "  - sleep: 100ms\n  - call: back\n- name: back\n", "g.yaml");
  ASSERT_TRUE(load.graph);
  ScenarioOptions o;
  o.rate_per_second = 20;
  o.duration = std::chrono::seconds(10);
  std::string yaml = scenario_yaml(*load.graph, o);
  EXPECT_NE(yaml.find("errorRate: {percent: 50, status: 500, beforeCalls: true}"), std::string::npos) << yaml;
  // 200 requests into front; back gets the ~100 that did not fail (all 200
  // when the error was drawn after the script).
  yaml += "  - {name: back gets the requests that did not fail, service: back, requests: {min: 70, max: 130}}\n";
  auto scenario = load_text(yaml, "before-calls");
  auto result = sim::run_scenario(scenario, {});
  EXPECT_TRUE(result.passed()) << testing::failed_expectations(result);
}

}  // namespace
}  // namespace meshsim::topology
