// The istio.io traffic-management and security tasks, replayed with the
// task's own YAML (../shared/testdata, see its READMEs) and checked against the
// outcomes the task pages state.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "sim/world.h"
#include "tests/test_data.h"

namespace meshsim::sim {
namespace {

using std::chrono::milliseconds;

std::string data_path(const std::string& path) { return testing::testdata_dir() + "/" + path; }

// Every task reads the bookinfo sample and the task files; without them the test is skipped.
class IstioTasks : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* folder : {"istio-bookinfo", "istio-tasks"})
      if (testing::testdata_path(folder).empty()) GTEST_SKIP() << testing::testdata_missing(folder);
  }
};

// A world from files applied in order (kubectl apply), plus a `curl` client.
struct Task {
  World world{WorldOptions{3, proxy::Duration(0)}};
  explicit Task(std::vector<std::string> files, proxy::TelemetrySink* telemetry = nullptr) {
    if (telemetry) world.set_telemetry(telemetry);  // the sidecars take it when built
    std::vector<config::Diagnostic> diagnostics;
    for (auto& f : files) f = data_path(f);
    auto sources = config::read_sources(files, diagnostics);
    sources.push_back({"client.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: curl}
spec:
  selector: {matchLabels: {app: curl}}
  template: {metadata: {labels: {app: curl}}, spec: {serviceAccountName: curl, containers: [{name: c, image: c}]}}
)"});
    auto loaded = config::load(sources);
    diagnostics.insert(diagnostics.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
    for (const auto& d : diagnostics)
      if (d.severity == config::Severity::kError) ADD_FAILURE() << config::format_diagnostic(d);
    std::vector<std::string> errors;
    EXPECT_TRUE(world.apply(std::move(loaded.resources), &errors));
  }
  CallResult get(const std::string& from, const std::string& host, uint32_t port, const std::string& path,
                 std::vector<std::pair<std::string, std::string>> headers = {}, const std::string& method = "GET") {
    proxy::HttpRequest r;
    r.method = method;
    r.target = path;
    r.authority = host + ":" + std::to_string(port);
    for (auto& [k, v] : headers) r.headers.add(k, v);
    auto out = world.call("default", from, r, host, port);
    EXPECT_TRUE(out.has_value()) << "no workload " << from;
    return out.value_or(CallResult{});
  }
};

std::string version(const CallResult& r) { return r.outbound.served_by ? r.outbound.served_by->version() : "<none>"; }
int status(const CallResult& r) { return r.outbound.response ? r.outbound.response->status : 0; }

const std::vector<std::string> kBookinfo = {"istio-bookinfo/platform__kube__bookinfo.yaml",
                                            "istio-bookinfo/networking__destination-rule-all.yaml"};

std::vector<std::string> with(std::vector<std::string> base, std::initializer_list<std::string> more) {
  base.insert(base.end(), more);
  return base;
}

TEST_F(IstioTasks, RequestRouting) {
  // istio.io request-routing: "all traffic for the reviews service to reviews:v1";
  // then "all traffic from a user named Jason will be routed to reviews:v2".
  Task all_v1(with(kBookinfo, {"istio-bookinfo/networking__virtual-service-all-v1.yaml"}));
  for (int i = 0; i < 30; ++i) EXPECT_EQ(version(all_v1.get("productpage-v1", "reviews", 9080, "/reviews/0")), "v1");

  Task jason(with(kBookinfo, {"istio-bookinfo/networking__virtual-service-all-v1.yaml",
                              "istio-bookinfo/networking__virtual-service-reviews-test-v2.yaml"}));
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(version(jason.get("productpage-v1", "reviews", 9080, "/reviews/0", {{"end-user", "jason"}})), "v2");
    EXPECT_EQ(version(jason.get("productpage-v1", "reviews", 9080, "/reviews/0", {{"end-user", "maria"}})), "v1");
  }
}

TEST_F(IstioTasks, TrafficShifting) {
  // istio.io traffic-shifting: 50% to v1 and 50% to v3, then 100% to v3.
  Task half(with(kBookinfo, {"istio-bookinfo/networking__virtual-service-all-v1.yaml",
                             "istio-bookinfo/networking__virtual-service-reviews-50-v3.yaml"}));
  int v3 = 0;
  const int n = 1000;
  for (int i = 0; i < n; ++i) v3 += version(half.get("productpage-v1", "reviews", 9080, "/reviews/0")) == "v3";
  EXPECT_NEAR(v3 / double(n), 0.5, 5 * 0.0159);  // 5 standard deviations at n=1000

  Task all_v3(with(kBookinfo, {"istio-bookinfo/networking__virtual-service-all-v1.yaml",
                               "istio-bookinfo/networking__virtual-service-reviews-v3.yaml"}));
  for (int i = 0; i < 30; ++i) EXPECT_EQ(version(all_v3.get("productpage-v1", "reviews", 9080, "/reviews/0")), "v3");
}

TEST_F(IstioTasks, FaultInjection) {
  // istio.io fault-injection: a 7s delay between reviews:v2 and ratings for jason;
  // then an HTTP abort (500) for jason; other users see neither.
  auto base = with(kBookinfo, {"istio-bookinfo/networking__virtual-service-all-v1.yaml",
                               "istio-bookinfo/networking__virtual-service-reviews-test-v2.yaml"});
  Task delay(with(base, {"istio-bookinfo/networking__virtual-service-ratings-test-delay.yaml"}));
  auto slow = delay.get("reviews-v2", "ratings", 9080, "/ratings/0", {{"end-user", "jason"}});
  EXPECT_EQ(status(slow), 200);
  EXPECT_EQ(slow.outbound.duration, milliseconds(7000));
  EXPECT_EQ(slow.outbound.flags, "DI");
  auto fast = delay.get("reviews-v2", "ratings", 9080, "/ratings/0", {{"end-user", "maria"}});
  EXPECT_EQ(fast.outbound.duration, milliseconds(0));

  Task abort(with(base, {"istio-bookinfo/networking__virtual-service-ratings-test-abort.yaml"}));
  auto aborted = abort.get("reviews-v2", "ratings", 9080, "/ratings/0", {{"end-user", "jason"}});
  EXPECT_EQ(status(aborted), 500);
  EXPECT_EQ(aborted.outbound.response->body, "fault filter abort");
  EXPECT_EQ(aborted.upstream_attempts, 0);
  EXPECT_EQ(status(abort.get("reviews-v2", "ratings", 9080, "/ratings/0", {{"end-user", "maria"}})), 200);
}

TEST_F(IstioTasks, RequestTimeouts) {
  // istio.io request-timeouts: ratings delayed 2 s; with a 0.5 s timeout on
  // reviews, "the reviews service call now times out after 0.5 seconds".
  // Until behaviours call other services (issue 4), reviews-v2's app stands
  // in for its ratings call with the 2 s it would wait.
  Task t(with(kBookinfo, {"istio-bookinfo/networking__virtual-service-all-v1.yaml",
                          "istio-tasks/request-timeouts-reviews-v2.yaml",
                          "istio-tasks/request-timeouts-ratings-delay.yaml"}));
  auto ratings = t.get("reviews-v2", "ratings", 9080, "/ratings/0");
  EXPECT_EQ(ratings.outbound.duration, milliseconds(2000));
  t.world.set_behavior("default", "reviews-v2", {.response_delay = milliseconds(2000), .fail_first_n = 0, .fail_status = 503});
  auto no_timeout = t.get("productpage-v1", "reviews", 9080, "/reviews/0");
  EXPECT_EQ(status(no_timeout), 200);  // the default route timeout is disabled
  EXPECT_EQ(no_timeout.outbound.duration, milliseconds(2000));

  Task timed(with(kBookinfo, {"istio-bookinfo/networking__virtual-service-all-v1.yaml",
                              "istio-tasks/request-timeouts-reviews-timeout.yaml"}));
  timed.world.set_behavior("default", "reviews-v2", {.response_delay = milliseconds(2000), .fail_first_n = 0, .fail_status = 503});
  auto cut = timed.get("productpage-v1", "reviews", 9080, "/reviews/0");
  EXPECT_EQ(status(cut), 504);
  EXPECT_EQ(cut.outbound.response->body, "upstream request timeout");
  EXPECT_EQ(cut.outbound.duration, milliseconds(500));
}

// fortio load -c C -qps 0 -n N: C closed loops until N calls; returns 503 count.
int fortio(Task& t, int connections, int calls) {
  int started = 0, overflow = 0;
  std::function<void()> next = [&] {
    if (started >= calls) return;
    ++started;
    proxy::HttpRequest r;
    r.target = "/get";
    r.authority = "httpbin:8000";
    t.world.send("default", "fortio-deploy", std::move(r), "httpbin", 8000, [&](CallResult res) {
      if (status(res) == 503) {
        ++overflow;
        EXPECT_EQ(res.outbound.flags, "UO");
      } else {
        EXPECT_EQ(status(res), 200);
      }
      next();
    });
  };
  for (int c = 0; c < connections; ++c) next();
  t.world.scheduler().run();
  return overflow;
}

TEST_F(IstioTasks, CircuitBreaking) {
  // istio.io circuit-breaking: maxConnections 1, http1MaxPendingRequests 1;
  // with 2 connections some requests get 503 (the page shows 15%), with 3
  // connections a larger share (63%). The exact shares depend on timing in a
  // real cluster; meshsim's closed loop overflows at most once per completion.
  Task t({"istio-tasks/httpbin.yaml", "istio-tasks/fortio-deploy.yaml",
          "istio-tasks/circuit-breaking-destination-rule.yaml"});
  t.world.set_behavior("default", "httpbin", {.response_delay = milliseconds(3), .fail_first_n = 0, .fail_status = 503});
  int tripped_two = fortio(t, 2, 20);
  int tripped_three = fortio(t, 3, 30);
  EXPECT_GT(tripped_two, 0);
  EXPECT_LE(tripped_two, 10);
  EXPECT_GT(tripped_three * 20, tripped_two * 30);  // a larger share at 3 connections
}

TEST_F(IstioTasks, Mirroring) {
  // istio.io mirroring: first all traffic to v1 and none at v2; with the
  // mirror, v2 receives a copy of each request while the client gets v1's answer.
  Task plain({"istio-tasks/mirroring-workloads.yaml", "istio-tasks/mirroring-default-route.yaml"});
  auto r1 = plain.get("sleep", "httpbin", 8000, "/headers");
  EXPECT_EQ(version(r1), "v1");
  EXPECT_TRUE(r1.mirrored_to.empty());
  EXPECT_EQ(r1.upstream->request.headers.get("x-envoy-attempt-count").value_or(""), "1");

  Task mirrored({"istio-tasks/mirroring-workloads.yaml", "istio-tasks/mirroring-default-route.yaml",
                 "istio-tasks/mirroring-mirror-v2.yaml"});
  for (int i = 0; i < 5; ++i) {
    auto r = mirrored.get("sleep", "httpbin", 8000, "/headers");
    EXPECT_EQ(version(r), "v1");
    ASSERT_EQ(r.mirrored_to.size(), 1u);
    EXPECT_EQ(r.mirrored_to[0]->workload, "httpbin-v2");
  }
}

// Which server sidecars traced a request: destination workloads of the
// sampled inbound reports.
struct TracedServers : proxy::TelemetrySink {
  std::vector<std::string> workloads;
  void record(const proxy::TelemetryEvent& e) override {
    if (e.reporter == proxy::TelemetryEvent::Reporter::kDestination && e.sampled)
      workloads.emplace_back(e.destination_workload);
  }
};

TEST_F(IstioTasks, MirroredCopiesAreNotTraced) {
  // Istio sends the shadow unsampled (route.go TranslateRequestMirrorPolicy:
  // TraceSampled false), so a traced request shows v1's span and no v2 span.
  TracedServers traced;
  Task mirrored({"istio-tasks/mirroring-workloads.yaml", "istio-tasks/mirroring-default-route.yaml",
                 "istio-tasks/mirroring-mirror-v2.yaml"},
                &traced);
  auto r = mirrored.get("sleep", "httpbin", 8000, "/headers", {{"x-b3-sampled", "1"}});
  ASSERT_EQ(r.mirrored_to.size(), 1u);
  EXPECT_EQ(traced.workloads, std::vector<std::string>{"httpbin-v1"});
}

TEST_F(IstioTasks, AuthorizationHttp) {
  // istio.io authz-http: allow-nothing denies everything ("RBAC: access denied");
  // productpage-viewer allows GET to productpage; details-viewer allows GET to
  // details from the productpage service account only.
  Task nothing(with(kBookinfo, {"istio-tasks/authz-http-allow-nothing.yaml"}));
  auto denied = nothing.get("curl", "productpage", 9080, "/productpage");
  EXPECT_EQ(status(denied), 403);
  EXPECT_EQ(denied.outbound.response->body, "RBAC: access denied");

  Task viewers(with(kBookinfo, {"istio-tasks/authz-http-allow-nothing.yaml", "istio-tasks/authz-http-productpage-viewer.yaml",
                                "istio-tasks/authz-http-details-viewer.yaml"}));
  EXPECT_EQ(status(viewers.get("curl", "productpage", 9080, "/productpage")), 200);
  EXPECT_EQ(status(viewers.get("curl", "productpage", 9080, "/productpage", {}, "POST")), 403);
  EXPECT_EQ(status(viewers.get("productpage-v1", "details", 9080, "/details/0")), 200);
  EXPECT_EQ(status(viewers.get("reviews-v1", "details", 9080, "/details/0")), 403);
  EXPECT_EQ(status(viewers.get("productpage-v1", "reviews", 9080, "/reviews/0")), 403);  // no reviews-viewer yet
}

}  // namespace
}  // namespace meshsim::sim
