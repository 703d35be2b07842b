// The live dashboard of `meshsim serve` moves as the run goes: GET
// /report.json (what the dashboard's script polls) shows requests growing,
// phases passing and each expectation pending until its window closes, then
// judged; the page itself renders the header with those numbers, in
// headless Chromium too, where its script has polled. And a serve stopped
// early (the demo at 60 s simulated) reports the later phases as not
// reached, fails nothing and exits 0 (issue 14).
// Every wait polls with a deadline; --speed makes simulated time run fast.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/app/live_process.h"
#include "tests/reports/headless_chromium.h"

namespace meshsim::testing {
namespace {

namespace fs = std::filesystem;

// One service behind a sidecar, a steady source, two steps and three
// expectations: one over early, one in the middle, one at the very end.
constexpr const char* kScenario = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web-v1}
spec:
  replicas: 1
  selector: {matchLabels: {app: web, version: v1}}
  template:
    metadata: {labels: {app: web, version: v1}}
    spec:
      containers: [{name: web, image: web}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: live-dashboard}
spec:
  duration: 60s
  sidecars: injected
  traffic:
  - {name: browser, from: laptop, sidecar: false, url: "http://web/", rate: 20}
  timeline:
  - {at: 5s, caption: first step}
  - {at: 30s, caption: second step}
  expectations:
  - {name: early traffic, window: {from: 0s, to: 4s}, service: web, requests: {min: 1}}
  - {name: middle traffic, window: {from: 20s, to: 30s}, service: web, requests: {min: 1}}
  - {name: late traffic, window: {from: 50s, to: 60s}, service: web, requests: {min: 1}}
)";

// Polls `probe` until it returns true, for `limit` at most.
bool poll_until(const std::function<bool()>& probe, std::chrono::seconds limit = std::chrono::seconds(30)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline)
    if (probe()) return true;
  return false;
}

nlohmann::json report_json(uint16_t admin) {
  HttpReply r = http(admin, "GET", "/report.json");
  if (r.status != 200) return nullptr;
  return nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
}

double seconds_run(const nlohmann::json& j) { return j.is_object() ? j["run"]["duration_s"].get<double>() : -1; }

struct Counted {
  size_t passed = 0, pending = 0, failed = 0;
};
Counted count(const nlohmann::json& j) {
  Counted c;
  for (const auto& e : j["expectations"]) {
    if (e["passed"]) ++c.passed;
    else if (!e["reached"]) ++c.pending;
    else ++c.failed;
  }
  return c;
}

TEST(LiveDashboard, HeaderTimelineAndExpectationsMoveAsTheRunGoes) {
  std::string scenario = (fs::temp_directory_path() / ("meshsim-live-dashboard-" + std::to_string(::getpid()) + ".yaml")).string();
  std::ofstream(scenario) << kScenario;
  LiveProcess serve({"serve", scenario, "--speed", "4", "--port", "0", "--admin-port", "0"});
  ASSERT_TRUE(serve.wait_for_stderr("admin http://")) << serve.stderr_text();
  uint16_t admin = serve.port_after("admin");

  // Early: traffic flows, nothing judged yet.
  nlohmann::json early;
  ASSERT_TRUE(poll_until([&] {
    early = report_json(admin);
    return early.is_object() && early["run"]["requests"].get<uint64_t>() > 0 && seconds_run(early) < 4;
  })) << early.dump();
  EXPECT_EQ(early["phases"].size(), 3u);  // every phase from the start; the later ones empty
  EXPECT_EQ(count(early).pending, 3u) << early.dump(2);
  EXPECT_EQ(count(early).failed, 0u);
  EXPECT_NE(early["expectations"][2]["observed"].get<std::string>().find("not reached yet"), std::string::npos);
  // The dashboard's header says so, not "0 requests · 0 of 0 held" in green.
  HttpReply page = http(admin, "GET", "/");
  EXPECT_EQ(page.status, 200);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page.body, m, std::regex("<span id=\"requests\">(\\d+)</span>"))) << page.body.substr(0, 3000);
  EXPECT_GT(std::stoull(m[1]), 0u);
  EXPECT_NE(page.body.find("class=\"pending\">0 of 3 held · "), std::string::npos);
  EXPECT_NE(page.body.find("<li class=\"now\"><b>0 s</b>"), std::string::npos);
  EXPECT_NE(page.body.find("<li class=\"later\"><b>30 s</b>"), std::string::npos);
  EXPECT_NE(page.body.find("<td class=\"pending\">pending</td>"), std::string::npos);

  // Later: more requests, the early window judged, the last still pending.
  nlohmann::json later;
  ASSERT_TRUE(poll_until([&] {
    later = report_json(admin);
    return seconds_run(later) > 32;
  })) << later.dump();
  EXPECT_GT(later["run"]["requests"].get<uint64_t>(), early["run"]["requests"].get<uint64_t>());
  Counted c = count(later);
  EXPECT_EQ(c.passed, 2u) << later.dump(2);
  EXPECT_EQ(c.pending, 1u);
  EXPECT_EQ(c.failed, 0u);
  EXPECT_GT(later["phases"][1]["services"]["web"]["requests"].get<uint64_t>(), 0u);

  // In Chromium: the header shows non-zero numbers once the page's script has
  // polled /report.json (its status line says when it last did).
  if (chromium_available()) {
    std::string why;
    auto dom = chromium_dom("http://127.0.0.1:" + std::to_string(admin) + "/", 1000, 4000, &why);
    ASSERT_TRUE(dom) << why;
    ASSERT_TRUE(std::regex_search(*dom, m, std::regex("<span id=\"requests\">(\\d+)</span>")));
    EXPECT_GT(std::stoull(m[1]), 0u);
    EXPECT_NE(dom->find("live, updated"), std::string::npos) << dom->substr(0, 2000);
    EXPECT_NE(dom->find("<td class=\"pass\">PASS</td>"), std::string::npos);
  }
  EXPECT_EQ(serve.stop(SIGTERM), 0) << serve.stderr_text();
  fs::remove(scenario);
}

// The demo stopped at 60 s simulated (at --speed 10, 6 s of wall time): the
// phases from 60 s on are not reached, their expectations skipped (never
// failed), and serve exits 0. Whether the earlier windows held depends on
// the machine keeping up with 10x the demo's traffic over real sockets, so
// they are not asserted here (the virtual run checks them: PartialRun).
// SIGINT can land a second or more after the poll saw 60 s on a loaded
// machine, and a sanitizer build runs several times slower: at 20x that
// overran 80 s (86 and 102 s under TSan in scripts/tsan.sh, 81.6 s under
// clang ASan with builds beside it). At 10x a delay under 2 s, at 5x
// (sanitizers) under 4 s, still stops before the 80 s window ends.
constexpr const char* kStopAt60Speed = kSanitizedBuild ? "5" : "10";

TEST(LiveDashboard, ServeStoppedAt60SecondsReportsLaterPhasesAsNotReached) {
  std::string out_dir = (fs::temp_directory_path() / ("meshsim-stopped-at-60-" + std::to_string(::getpid()))).string();
  LiveProcess serve({"serve", std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml", "--speed", kStopAt60Speed, "--port", "0",
                     "--admin-port", "0", "--out", out_dir});
  ASSERT_TRUE(serve.wait_for_stderr("admin http://")) << serve.stderr_text();
  uint16_t admin = serve.port_after("admin");
  ASSERT_TRUE(poll_until([&] { return seconds_run(report_json(admin)) >= 60; }));
  EXPECT_EQ(serve.stop(SIGINT), 0) << serve.stderr_text();

  std::ifstream in(out_dir + "/report.json");
  nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(report.is_object());
  double ran = report["run"]["duration_s"];
  EXPECT_GE(ran, 60);
  EXPECT_LT(ran, 80);  // what ran, not the planned 190 s
  // Every window that ends after the stop is not reached; every one that
  // ended before it was judged.
  size_t not_reached = 0;
  for (const auto& e : report["expectations"]) {
    std::string observed = e["observed"];
    bool window_open = observed.rfind("not reached: the run stopped at", 0) == 0;
    EXPECT_EQ(e["reached"].get<bool>(), !window_open) << e.dump();
    if (!e["reached"]) {
      ++not_reached;
      EXPECT_FALSE(e["passed"].get<bool>()) << e.dump();
    }
  }
  EXPECT_EQ(not_reached, 11u);  // the 10 windows from 61 s on, and the mobile loop's 0-160 s
  std::ifstream junit_in(out_dir + "/junit.xml");
  std::string junit((std::istreambuf_iterator<char>(junit_in)), {});
  EXPECT_NE(junit.find("skipped=\"11\""), std::string::npos) << junit;
  EXPECT_NE(serve.stdout_text().find("NOT REACHED"), std::string::npos);
  std::ifstream html_in(out_dir + "/report.html");
  std::string html((std::istreambuf_iterator<char>(html_in)), {});
  EXPECT_NE(html.find("<li class=\"later\"><b>120 s</b>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"pending\">not reached</td>"), std::string::npos);
  EXPECT_NE(html.find(" · 11 not reached"), std::string::npos);
  fs::remove_all(out_dir);
}

}  // namespace
}  // namespace meshsim::testing
