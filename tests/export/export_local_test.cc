// `meshsim export local` runs: the exported run.sh starts real processes on
// 127.0.0.1 (meshsim app per workload, meshsim proxy sidecars, meshsim load),
// Debian's real Prometheus scrapes the sidecars through the exported
// prometheus.yml, the timeline is pushed through the admin APIs, and
// `meshsim check --prometheus` (run by run.sh at the end) gives the same
// verdict as `meshsim run` for every expectation, a failing one included.
// Scenario: tests/export/local-canary.yaml, a 10-second 90/10 then 50/50
// canary written for this test (the Hightower demo lasts 190 s; README says
// how a run of it by hand went).
// Skips without /usr/bin/prometheus or curl. Bounded: about 25 s, 100 s at most.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/reports/local_prometheus.h"

namespace meshsim::testing {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Verdict {
  bool passed = false, reached = false;
  uint64_t samples = 0;
  std::string observed;
};

std::map<std::string, Verdict> verdicts(const std::string& report_path) {
  std::map<std::string, Verdict> out;
  auto j = nlohmann::json::parse(read_all(report_path), nullptr, false);
  if (j.is_discarded()) return out;
  for (const auto& e : j["expectations"])
    out[e["name"].get<std::string>()] = {e["passed"].get<bool>(), e.value("reached", true), e.value("samples", uint64_t{0}),
                                         e.value("observed", "")};
  return out;
}

// Every shipped scenario exports to a run.sh that /bin/sh parses, the same
// bytes twice; the Hightower demo's timeline becomes pushes at its offsets,
// its sidecar injection included (none at first, every workload at 20 s).
TEST(ExportLocal, EveryScenarioGivesAScriptAndTheDemoItsTimeline) {
  TempDir dir;
  int scenarios = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(MESHSIM_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    ++scenarios;
    const std::string name = entry.path().stem().string();
    // Twice for the demo: the same bytes (once for the others keeps the test short).
    for (const char* copy : {"a", "b"}) {
      if (name != "hightower-demo" && copy[0] == 'b') break;
      LiveProcess exported({"export", "local", entry.path().string(), "-o", dir.path() + "/" + name + "-" + copy});
      ASSERT_EQ(exported.wait_exit(std::chrono::seconds(30)), 0) << name << "\n" << exported.stderr_text();
    }
    const std::string script = dir.path() + "/" + name + "-a/run.sh";
    if (name == "hightower-demo") {
      EXPECT_EQ(read_all(script), read_all(dir.path() + "/" + name + "-b/run.sh"));
    }
    LiveProcess parsed("/bin/sh", {"-n", script});
    EXPECT_EQ(parsed.wait_exit(std::chrono::seconds(10)), 0) << name << "\n" << parsed.stderr_text();
  }
  EXPECT_GE(scenarios, 9);
  std::string demo = read_all(dir.path() + "/hightower-demo-a/run.sh");
  for (const char* line : {"inject_all 'bar-v1=off\nbar-v2=off\nfoo-v1=off\nfoo-v2=off\nfrontend-v1=off'",  // sidecars: none
                           "at 20000 'inject the sidecars without touching the apps'",
                           "inject_all 'bar-v1=on\nbar-v2=on\nfoo-v1=on\nfoo-v2=on\nfrontend-v1=on'",
                           "apply_all timeline/01-at-40s.yaml", "delete_all VirtualService bar default",
                           "--qps 20 -c 1 --duration 30s --seed 2018 -H 'User-Agent: mobile' http://frontend/",
                           " proxy --listen 127.0.0.1:0 --admin-port 0 -f mesh.yaml -f created/bar-v2.yaml --pod bar-v2"})
    EXPECT_NE(demo.find(line), std::string::npos) << line << "\nnot in:\n" << demo;
}

// The lines of Istio's metrics text that the destination side reported.
std::string destination_lines(const std::string& metrics) {
  std::string out;
  for (size_t start = 0; start < metrics.size();) {
    size_t end = std::min(metrics.find('\n', start), metrics.size());
    std::string line = metrics.substr(start, end - start);
    if (line.find("reporter=\"destination\"") != std::string::npos) out += line + "\n";
    start = end + 1;
  }
  return out;
}

// What run.sh relies on, one proxy at a time: `meshsim proxy --pod W
// --endpoint WORKLOAD=ADDR` fronts bar-v1 and bar-v2 as two real servers;
// each answer comes through the destination pod's own inbound sidecar, which
// reports reporter="destination" with frontend-v1 as the mTLS source; a pod
// without a sidecar (POST /injection) reports nothing, and a caller without
// one still reaches the service (kube-proxy's way).
TEST(ExportLocal, ProxyFrontsSeveralWorkloadsThroughTheirInboundSidecars) {
  TempDir dir;
  const std::string out = dir.path() + "/local";
  LiveProcess exported({"export", "local", std::string(MESHSIM_SOURCE_DIR) + "/tests/export/local-canary.yaml", "-o", out});
  ASSERT_EQ(exported.wait_exit(std::chrono::seconds(30)), 0) << exported.stderr_text();
  LiveProcess v1({"app", "--behavior", out + "/behaviors/bar-v1.yaml", "--listen", "127.0.0.1:0", "--workload", "bar-v1", "--app",
                  "bar", "--version", "v1"});
  LiveProcess v2({"app", "--behavior", out + "/behaviors/bar-v2.yaml", "--listen", "127.0.0.1:0", "--workload", "bar-v2", "--app",
                  "bar", "--version", "v2"});
  ASSERT_TRUE(v1.wait_for_stderr("listening on")) << v1.stderr_text();
  ASSERT_TRUE(v2.wait_for_stderr("listening on")) << v2.stderr_text();
  LiveProcess proxy({"proxy", "--listen", "127.0.0.1:0", "--admin-port", "0", "-f", out + "/mesh.yaml", "--pod", "frontend-v1",
                     "--service", "bar", "--endpoint", fmt::format("bar-v1=127.0.0.1:{}", v1.port_after("listening on")),
                     "--endpoint", fmt::format("bar-v2=127.0.0.1:{}", v2.port_after("listening on"))});
  ASSERT_TRUE(proxy.wait_for_stderr("admin http://")) << proxy.stderr_text();
  uint16_t port = proxy.port_after("listening on"), admin = proxy.port_after("admin");

  // Without the 90/10 VirtualService both versions answer (the load balancer's choice).
  ASSERT_EQ(http(admin, "DELETE", "/config/VirtualService/default/bar").status, 200);
  std::map<std::string, int> bodies;
  for (int i = 0; i < 40; ++i) {
    HttpReply r = http(port, "GET", "/");
    ASSERT_EQ(r.status, 200) << r.body;
    ++bodies[r.body];
  }
  EXPECT_GT(bodies["bar v1"], 0);
  EXPECT_GT(bodies["bar v2"], 0);
  std::string reported = destination_lines(http(admin, "GET", "/stats/prometheus").body);
  for (const char* label : {"source_workload=\"frontend-v1\"", "destination_workload=\"bar-v2\"", "destination_version=\"v1\"",
                            "connection_security_policy=\"mutual_tls\""})
    EXPECT_NE(reported.find(label), std::string::npos) << label << " not in:\n" << reported;

  // bar without sidecars: still answering, nothing more reported there.
  EXPECT_EQ(http(admin, "POST", "/injection", "bar-v1=off\nbar-v2=off\n").status, 200);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(http(port, "GET", "/").status, 200);
  EXPECT_EQ(destination_lines(http(admin, "GET", "/stats/prometheus").body), reported);
  // frontend without one either: kube-proxy's way, still answered.
  EXPECT_EQ(http(admin, "POST", "/injection", "*=off").status, 200);
  EXPECT_EQ(http(port, "GET", "/").status, 200);
  EXPECT_EQ(http(admin, "POST", "/injection", "bar-v1=maybe").status, 400);
  EXPECT_EQ(http(admin, "POST", "/endpoints", "bar-v1").status, 400);
}

TEST(ExportLocal, RealProcessesAndPrometheusGiveTheVerdictsOfRun) {
  if (access(kPrometheusBinary, X_OK) != 0) GTEST_SKIP() << "no " << kPrometheusBinary << " (apt-get install prometheus)";
  if (access("/usr/bin/curl", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/curl (run.sh posts with it)";
  const std::string scenario = std::string(MESHSIM_SOURCE_DIR) + "/tests/export/local-canary.yaml";
  const std::string meshsim = std::string(MESHSIM_BINARY_DIR) + "/app/meshsim";
  TempDir dir;
  const std::string out = dir.path() + "/local";

  LiveProcess run({"run", scenario, "-q", "--out", dir.path() + "/run"});
  int run_exit = run.wait_exit(std::chrono::seconds(60));
  ASSERT_EQ(run_exit, 1) << "one expectation fails on purpose\n" << run.stderr_text();

  LiveProcess exported({"export", "local", scenario, "-o", out});
  ASSERT_EQ(exported.wait_exit(std::chrono::seconds(30)), 0) << exported.stderr_text();
  for (const char* file : {"run.sh", "prometheus.yml", "mesh.yaml", "behaviors/bar-v2.yaml", "timeline/01-at-5s.yaml"})
    EXPECT_TRUE(std::filesystem::exists(out + "/" + file)) << file;

  // Prometheus reads the export's own prometheus.yml (its targets come from
  // run/targets.json, which run.sh writes once the ports are known).
  PrometheusOptions options;
  options.config_file = out + "/prometheus.yml";
  LocalPrometheus prometheus(options);
  ASSERT_TRUE(prometheus.ready()) << prometheus.log();
  LiveProcess script("/bin/sh", {"-c", fmt::format("MESHSIM='{}' PROMETHEUS_URL='http://127.0.0.1:{}' exec '{}/run.sh'", meshsim,
                                                   prometheus.port(), out)});
  int script_exit = script.wait_exit(std::chrono::seconds(100));
  std::string said = script.stdout_text() + script.stderr_text();
  ASSERT_NE(script_exit, -1) << "run.sh did not finish in 100 s:\n" << said;
  EXPECT_EQ(script_exit, run_exit) << said;
  EXPECT_NE(said.find("applied timeline/01-at-5s.yaml"), std::string::npos) << said;

  auto expected = verdicts(dir.path() + "/run/report.json");
  auto checked = verdicts(out + "/run/check/report.json");
  ASSERT_EQ(expected.size(), 6u);
  ASSERT_EQ(checked.size(), expected.size()) << said;
  for (const auto& [name, v] : expected) {
    const Verdict& c = checked[name];
    EXPECT_EQ(c.reached, v.reached) << name << "\n  run:   " << v.observed << "\n  check: " << c.observed;
    EXPECT_EQ(c.passed, v.passed) << name << "\n  run:   " << v.observed << "\n  check: " << c.observed;
    // The real traffic is the scenario's: at least half of what the
    // simulation counted shows up in Prometheus (increase() misses the
    // first scrape of a new series; the rest is the schedule's own).
    EXPECT_GE(c.samples * 2, v.samples) << name << "\n  run:   " << v.observed << "\n  check: " << c.observed;
  }
}

}  // namespace
}  // namespace meshsim::testing
