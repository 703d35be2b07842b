// Scenario-language additions (issue 17): expectations on an exact status
// code and on Envoy response flags, latency lower bounds, and unknown names
// in expectations as errors with the nearest valid name. Scenarios are ours,
// on the talk's mesh (tests/fixtures/talk-mesh.yaml).
#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/scenario_runner.h"
#include "tests/sim/scenario_fixture.h"

namespace meshsim::sim {
namespace {

config::ScenarioLoad load_text(const std::string& name, const std::string& yaml) {
  std::string path = ::testing::TempDir() + name + ".yaml";
  {
    std::ofstream out(path);
    out << yaml;
  }
  auto loaded = config::load_scenario({std::string(MESHSIM_SOURCE_DIR) + "/tests/fixtures/talk-mesh.yaml", path});
  std::remove(path.c_str());
  return loaded;
}

std::string errors_of(const config::ScenarioLoad& l) {
  std::string out;
  for (const auto& d : l.diagnostics)
    if (d.severity == config::Severity::kError) out += config::format_diagnostic(d) + "\n";
  return out;
}

const ExpectationResult* result(const RunResult& r, const std::string& name) {
  for (const auto& e : r.expectations)
    if (e.name == name) return &e;
  return nullptr;
}

// Istio fault-injection task: an abort with httpStatus answers that status
// with flag FI (Envoy fault filter); the slow bar shows the latency bounds.
constexpr const char* kScenario = R"(apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: slow-foo}
spec:
  selector: {app: foo}
  latency: {fixed: 10ms}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
    route:
    - destination: {host: bar, subset: v1}
---
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: language}
spec:
  duration: 2s
  traffic:
  - {name: to-bar, from: curl, url: http://bar/, rate: 10}
  - {name: to-foo, from: curl, url: http://foo/, rate: 10}
  expectations:
  - {name: exact 503, source: to-bar, status: {code: 503, min: 1}}
  - {name: no 200 from bar, source: to-bar, status: {code: 200, max: 0}}
  - {name: every bar answer is FI, source: to-bar, responseFlag: {flag: FI, min: 1}}
  - {name: no UH, source: to-bar, responseFlag: {flag: UH, max: 0}}
  - {name: foo p50 between, source: to-foo, latency: {p50: {min: 9ms, max: 13ms}}}
  - {name: foo p50 at least 20ms, source: to-foo, latency: {p50: {min: 20ms}}}
)";

TEST(ScenarioLanguage, StatusCodesFlagsAndLatencyLowerBounds) {
  auto loaded = load_text("language", kScenario);
  ASSERT_TRUE(loaded.scenario) << errors_of(loaded);
  RunResult r = run_scenario(*loaded.scenario, {});
  for (const char* name : {"exact 503", "no 200 from bar", "every bar answer is FI", "no UH", "foo p50 between"}) {
    const auto* e = result(r, name);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_TRUE(e->passed) << name << ": " << e->observed;
  }
  const auto* low = result(r, "foo p50 at least 20ms");
  ASSERT_NE(low, nullptr);
  EXPECT_FALSE(low->passed) << low->observed;
  EXPECT_NE(low->observed.find("want at least 20.0 ms"), std::string::npos) << low->observed;
  EXPECT_NE(result(r, "exact 503")->observed.find("share of status 503 = 1.000"), std::string::npos)
      << result(r, "exact 503")->observed;
}

struct NameRow {
  const char* name;
  const char* expectation;
  const char* error_has;
};

TEST(ScenarioLanguage, UnknownNamesAreErrorsWithTheNearestName) {
  const NameRow rows[] = {
      {"service", "{name: e, service: barr, requests: {max: 0}}", "no service \"barr\"; did you mean \"bar\"?"},
      {"source", "{name: e, source: to-bra, requests: {max: 0}}", "no traffic source \"to-bra\"; did you mean \"to-bar\"?"},
      {"version", "{name: e, service: bar, version: v3, requests: {max: 0}}", "no version \"v3\""},
      {"caller", "{name: e, from: frontnd, requests: {max: 0}}", "no calling workload or app \"frontnd\"; did you mean \"frontend\"?"},
      {"share version", "{name: e, service: bar, share: {version: V2, equals: 0.5}}", "did you mean \"v2\"?"},
      {"flag", "{name: e, source: to-bar, responseFlag: {flag: XX, max: 0}}", "UH"},
      {"status class and code", "{name: e, source: to-bar, status: {class: 5xx, code: 503, min: 1}}",
       "give class or code, not both"},
      {"latency without bounds", "{name: e, source: to-bar, latency: {p50: {}}}", "give min or max"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    std::string yaml = std::string(R"(apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: names}
spec:
  duration: 1s
  traffic:
  - {name: to-bar, from: curl, url: http://bar/, rate: 1}
  expectations:
  - )") + row.expectation + "\n";
    auto loaded = load_text("names", yaml);
    EXPECT_FALSE(loaded.scenario);
    std::string errors = errors_of(loaded);
    EXPECT_NE(errors.find(row.error_has), std::string::npos) << errors;
  }
}

TEST(ScenarioLanguage, KnownNamesStillLoad) {
  auto loaded = load_text("known", R"(apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: known}
spec:
  duration: 1s
  traffic:
  - {name: to-bar, from: curl, url: http://bar/, rate: 1}
  expectations:
  - {name: a, source: to-bar, service: bar.default.svc.cluster.local, version: v2, from: curl, requests: {min: 0}}
  - {name: b, service: bar, from: frontend, share: {version: v1, equals: 0.5}}
)");
  EXPECT_TRUE(loaded.scenario) << errors_of(loaded);
}

}  // namespace
}  // namespace meshsim::sim
