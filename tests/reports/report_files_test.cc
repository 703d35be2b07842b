// The files `meshsim run --out` writes, checked with the tools that read
// them: promtool for metrics.prom, dot for graph.dot, xmllint with the
// common JUnit schema for junit.xml, Zipkin's own v2 schema for traces.json; Istio's metric names and
// labels; byte-identical output for one seed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "reports/junit.h"
#include "reports/mesh_telemetry.h"
#include "reports/run_report.h"
#include "sim/scenario_runner.h"
#include "tests/test_data.h"

namespace meshsim::reports {
namespace {

namespace fs = std::filesystem;

struct Outputs {
  sim::RunResult result;
  std::string prom, zipkin, dot, mermaid, junit, report;
  std::vector<std::string> dependencies;
};

Outputs run_demo() {
  auto loaded = config::load_scenario({std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml"});
  EXPECT_TRUE(loaded.scenario.has_value());
  TelemetryOptions t;
  MeshTelemetry telemetry(t);
  sim::RunOptions options;
  options.sinks.push_back(&telemetry);
  Outputs o;
  o.result = sim::run_scenario(*loaded.scenario, options);
  o.prom = telemetry.prometheus();
  o.zipkin = telemetry.zipkin().dump();
  o.dot = telemetry.dot(190);
  o.mermaid = telemetry.mermaid(190);
  o.junit = junit_xml(o.result);
  o.report = run_json(o.result, "test").dump();
  o.dependencies = telemetry.dependencies("frontend");
  return o;
}

const Outputs& demo() {
  static const Outputs outputs = run_demo();
  return outputs;
}

std::string write_temp(const std::string& name, const std::string& content) {
  fs::path p = fs::temp_directory_path() / ("meshsim-test-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(p) << content;
  return p.string();
}

int run(const std::string& command) {
  int status = std::system(("(" + command + ") >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ReportFiles, MetricsPassPromtool) {
  // promtool parses the exposition (exit 1 on any format error) and lints
  // names (exit 3). Istio's own name istio_request_duration_milliseconds
  // draws the one lint remark allowed here: names are Istio's, not ours.
  std::string path = write_temp("metrics.prom", demo().prom);
  std::string out_path = path + ".out";
  int code = run("promtool check metrics < " + path + " > " + out_path + " 2>&1; exit $?");
  std::ifstream in(out_path);
  std::string line;
  while (std::getline(in, line))
    EXPECT_EQ(line, "istio_request_duration_milliseconds use base unit \"seconds\" instead of \"milliseconds\"");
  EXPECT_TRUE(code == 0 || code == 3) << "promtool exit " << code;
}

TEST(ReportFiles, MetricNamesAndLabelsAreIstios) {
  // istio.io/latest/docs/reference/config/metrics: the four HTTP metrics and
  // their labels; label order as Istio's Prometheus output shows them.
  const std::string& prom = demo().prom;
  for (const char* name : {"istio_requests_total{", "istio_request_duration_milliseconds_bucket{", "istio_request_bytes_bucket{",
                           "istio_response_bytes_bucket{"})
    EXPECT_NE(prom.find(name), std::string::npos) << name;
  std::string first = prom.substr(prom.find("istio_requests_total{"));
  first = first.substr(0, first.find('\n'));
  std::vector<std::string> keys;
  for (size_t at = first.find('{') + 1; at < first.size() && first[at] != '}';) {
    size_t eq = first.find('=', at);
    keys.push_back(first.substr(at, eq - at));
    size_t close = first.find('"', first.find('"', eq) + 1);
    if (eq == std::string::npos || close == std::string::npos) break;
    at = close + 1;
    if (first[at] == ',') ++at;
  }
  const std::vector<std::string> istio = {
      "reporter", "source_workload", "source_canonical_service", "source_canonical_revision", "source_workload_namespace",
      "source_principal", "source_app", "source_version", "source_cluster", "destination_workload",
      "destination_workload_namespace", "destination_principal", "destination_app", "destination_version",
      "destination_service", "destination_canonical_service", "destination_canonical_revision", "destination_service_name",
      "destination_service_namespace", "destination_cluster", "request_protocol", "response_code", "grpc_response_status",
      "response_flags", "connection_security_policy"};
  EXPECT_EQ(keys, istio);
  // Envoy's default buckets: 0.5 ... 3600000 ms.
  EXPECT_NE(prom.find("le=\"0.5\""), std::string::npos);
  EXPECT_NE(prom.find("le=\"3.6e+06\""), std::string::npos);
  EXPECT_NE(prom.find("response_code=\"403\""), std::string::npos);  // the deny step
}

TEST(ReportFiles, GraphRendersWithDot) {
  std::string path = write_temp("graph.dot", demo().dot);
  EXPECT_EQ(run("dot -Tsvg -o /dev/null " + path), 0);
  EXPECT_NE(demo().mermaid.find("graph LR"), std::string::npos);
  // "get the frontend topology": frontend depends on foo and bar, from traffic alone.
  EXPECT_EQ(demo().dependencies, (std::vector<std::string>{"bar", "foo"}));
}

// The schemas are public files read from ../shared/testdata/schemas (its README names their sources).
TEST(ReportFiles, JunitFollowsTheCommonSchemaWithOneCasePerExpectation) {
  size_t cases = 0;
  for (size_t at = 0; (at = demo().junit.find("<testcase ", at)) != std::string::npos; ++at) ++cases;
  EXPECT_EQ(cases, demo().result.expectations.size());
  EXPECT_NE(demo().junit.find("<testsuites "), std::string::npos);
  MESHSIM_TESTDATA_OR_SKIP(xsd, "schemas/jenkins-junit.xsd");
  std::string path = write_temp("junit.xml", demo().junit);
  EXPECT_EQ(run("xmllint --noout --schema " + xsd + " " + path), 0);
}

TEST(ReportFiles, JunitOfAFailedRunFollowsTheSchemaToo) {
  sim::RunResult failed = demo().result;
  failed.expectations.at(0).passed = false;
  failed.event_limit_hit = true;
  std::string xml = junit_xml(failed);
  EXPECT_NE(xml.find("<failure message="), std::string::npos);
  EXPECT_NE(xml.find("hightower-demo.yaml:"), std::string::npos);  // where the expectation is
  MESHSIM_TESTDATA_OR_SKIP(xsd, "schemas/jenkins-junit.xsd");
  EXPECT_EQ(run("xmllint --noout --schema " + xsd + " " + write_temp("failed.xml", xml)), 0);
}

// zipkin-api's own schema: ListOfSpans, what POST /api/v2/spans accepts.
TEST(ReportFiles, ZipkinJsonFollowsTheZipkinV2Schema) {
  MESHSIM_TESTDATA_OR_SKIP(zipkin_api, "schemas/zipkin2-api.yaml");
  std::string path = write_temp("traces.json", demo().zipkin);
  EXPECT_EQ(run("/usr/bin/python3 " + std::string(MESHSIM_SOURCE_DIR) + "/tests/reports/validate_zipkin.py " +
                zipkin_api + " " + path),
            0);
  // And the validator does reject what the schema forbids.
  EXPECT_NE(run("/usr/bin/python3 " + std::string(MESHSIM_SOURCE_DIR) + "/tests/reports/validate_zipkin.py " +
                zipkin_api + " " + write_temp("bad.json", R"([{"traceId": "XYZ", "id": "1"}])")),
            0);
}

TEST(ReportFiles, ZipkinSpansFollowTheV2Model) {
  // zipkin2 api (zipkin-api/zipkin2-api.yaml): traceId 16 or 32 hex, id 16 hex,
  // kind CLIENT|SERVER, timestamp and duration in microseconds, localEndpoint.
  auto spans = nlohmann::json::parse(demo().zipkin);
  ASSERT_TRUE(spans.is_array());
  ASSERT_GT(spans.size(), 100u);
  std::map<std::string, std::set<std::string>> ids_by_trace;
  auto hex = [](const std::string& s, size_t n) {
    return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos;
  };
  for (const auto& s : spans) {
    std::string trace = s.at("traceId");
    EXPECT_TRUE(hex(trace, 32) || hex(trace, 16)) << trace;
    EXPECT_TRUE(hex(s.at("id"), 16));
    EXPECT_TRUE(s.at("kind") == "CLIENT" || s.at("kind") == "SERVER");
    EXPECT_TRUE(s.at("timestamp").is_number_integer());
    EXPECT_GT(s.at("duration").get<int64_t>(), 0);
    EXPECT_FALSE(s.at("localEndpoint").at("serviceName").get<std::string>().empty());
    ids_by_trace[trace].insert(s.at("id").get<std::string>());
  }
  for (const auto& s : spans) {
    if (s.contains("parentId") && s.at("kind") == "CLIENT") {
      EXPECT_TRUE(ids_by_trace[s.at("traceId")].count(s.at("parentId").get<std::string>())) << "dangling parent";
    }
  }
}

TEST(ReportFiles, FrontendCallsBarThenFooSerially) {
  // The talk: "our front-end is talking to bar and then it talks to foo ... in a serial fashion".
  auto spans = nlohmann::json::parse(demo().zipkin);
  std::map<std::string, std::vector<nlohmann::json>> client_spans_of_frontend;
  for (const auto& s : spans)
    if (s.at("kind") == "CLIENT" && s.at("localEndpoint").at("serviceName") == "frontend.default")
      client_spans_of_frontend[s.at("traceId")].push_back(s);
  int checked = 0;
  for (auto& [trace, list] : client_spans_of_frontend) {
    if (list.size() != 2) continue;
    std::sort(list.begin(), list.end(), [](auto& a, auto& b) { return a.at("timestamp") < b.at("timestamp"); });
    EXPECT_NE(list[0].at("name").get<std::string>().find("bar."), std::string::npos);
    EXPECT_NE(list[1].at("name").get<std::string>().find("foo."), std::string::npos);
    // http.url is built from the Host the caller sent (envoy tracer_impl.cc
    // buildUrl), not the Service's FQDN: istio.io's own traces show http://details:9080/...
    EXPECT_EQ(list[0].at("tags").at("http.url"), "http://bar/");
    EXPECT_LE(list[0].at("timestamp").get<int64_t>() + list[0].at("duration").get<int64_t>(),
              list[1].at("timestamp").get<int64_t>());
    ++checked;
  }
  EXPECT_GT(checked, 50);
}

TEST(ReportFiles, ByteIdenticalForOneSeed) {
  Outputs again = run_demo();
  EXPECT_EQ(again.prom, demo().prom);
  EXPECT_EQ(again.zipkin, demo().zipkin);
  EXPECT_EQ(again.dot, demo().dot);
  EXPECT_EQ(again.junit, demo().junit);
  EXPECT_EQ(again.report, demo().report);
}

}  // namespace
}  // namespace meshsim::reports

namespace meshsim::reports {
namespace {

TEST(Traces, ParallelGroupShowsOverlappingChildren) {
  auto loaded = config::load({{"parallel.yaml", std::string(R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: front}
spec:
  selector: {matchLabels: {app: front}}
  template: {metadata: {labels: {app: front}}, spec: {containers: [{name: a, image: a}]}}
---
apiVersion: v1
kind: Service
metadata: {name: front}
spec: {selector: {app: front}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec:
  selector: {matchLabels: {app: a}}
  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: a, image: a}]}}
---
apiVersion: v1
kind: Service
metadata: {name: a}
spec: {selector: {app: a}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b}
spec:
  selector: {matchLabels: {app: b}}
  template: {metadata: {labels: {app: b}}, spec: {containers: [{name: a, image: a}]}}
---
apiVersion: v1
kind: Service
metadata: {name: b}
spec: {selector: {app: b}, ports: [{port: 80}]}
---
apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: front}
spec:
  selector: {app: front}
  calls: [{parallel: [{service: a}, {service: b}]}]
---
apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: leaves}
spec:
  selector: {app: a}
  latency: {fixed: 10ms}
---
apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: leaf-b}
spec:
  selector: {app: b}
  latency: {fixed: 10ms}
---
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: parallel}
spec:
  duration: 2s
  traffic: [{name: t, url: "http://front/", rate: 5}]
)")}});
  ASSERT_FALSE(config::has_errors(loaded.diagnostics));
  ASSERT_EQ(loaded.scenarios.size(), 1u);
  sim::Scenario sc = loaded.scenarios[0];
  sc.resources = loaded.resources;
  sc.behaviors = loaded.behaviors;
  sc.trace_sampling_percent = 100;  // every request traced
  TelemetryOptions t;
  MeshTelemetry telemetry(t);
  sim::RunOptions options;
  options.sinks.push_back(&telemetry);
  sim::run_scenario(sc, options);
  auto spans = telemetry.zipkin();
  std::map<std::string, std::vector<nlohmann::ordered_json>> clients;
  for (const auto& s : spans)
    if (s.at("kind") == "CLIENT" && s.at("localEndpoint").at("serviceName") == "front.default") clients[s.at("traceId")].push_back(s);
  int overlapping = 0;
  for (auto& [trace, list] : clients) {
    ASSERT_EQ(list.size(), 2u);
    int64_t a0 = list[0].at("timestamp"), a1 = a0 + list[0].at("duration").get<int64_t>();
    int64_t b0 = list[1].at("timestamp"), b1 = b0 + list[1].at("duration").get<int64_t>();
    overlapping += a0 < b1 && b0 < a1;
  }
  EXPECT_EQ(overlapping, static_cast<int>(clients.size()));
  EXPECT_GT(overlapping, 5);
}

}  // namespace
}  // namespace meshsim::reports

// report.html in headless Chromium: tests/reports/html_layout_test.cc.
