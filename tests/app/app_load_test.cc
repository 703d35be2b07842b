// `meshsim app` and `meshsim load` as child processes on real sockets
// (127.0.0.1, ephemeral ports, every wait bounded): the simulator's
// Behavior engine answering real requests and calling real upstreams, and
// the load generator's counts, header mixes and Fortio-shaped JSON
// (fortio periodic.RunnerResults / fhttp.HTTPRunnerResults field names).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "proxy_core/asio/asio_adapter.h"
#include "tests/app/live_process.h"

namespace meshsim::testing {
namespace {

namespace net = boost::asio;
using net::ip::tcp;

// Two versions of bar, a frontend that calls bar then echo, and an echo
// workload without a Behavior (it answers with the headers it received).
constexpr const char* kScenario = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend-v1}
spec:
  selector: {matchLabels: {app: frontend, version: v1}}
  template:
    metadata: {labels: {app: frontend, version: v1}}
    spec: {containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bar-v2}
spec:
  selector: {matchLabels: {app: bar, version: v2}}
  template:
    metadata: {labels: {app: bar, version: v2}}
    spec: {containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec: {containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}
---
apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: frontend}
spec:
  selector: {app: frontend}
  latency: {fixed: 1ms}
  calls:
  - {service: bar, path: /}
  - {service: echo, path: /who}
  propagateHeaders: [user-agent]
  response: {body: "frontend {{version}} -> {{calls.bar.body}} | {{calls.echo.body}}"}
---
apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: bar}
spec:
  selector: {app: bar}
  latency: {uniform: {min: 1ms, max: 2ms}}
  response: {body: "bar {{version}}"}
---
apiVersion: meshsim.dev/v1alpha1
kind: Behavior
metadata: {name: broken}
spec:
  selector: {app: broken}
  errorRate: {percent: 100, status: 503}
---
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: app-test}
spec:
  duration: 10s
  traffic:
  - {name: browser, from: laptop, url: "http://frontend/", rate: 50, headers: {User-Agent: "test-browser/1.0"}}
)";

struct ScenarioFile {
  std::string dir = [] {
    std::string pattern = "/tmp/meshsim-app-test-XXXXXX";
    return std::string(mkdtemp(pattern.data()));
  }();
  std::string path = dir + "/scenario.yaml";
  ScenarioFile() { std::ofstream(path) << kScenario; }
  ~ScenarioFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

// A real server on 127.0.0.1 that counts what it received (per header
// value of `header`) and answers 200, or never answers when `silent`.
struct CountingServer {
  explicit CountingServer(std::string header_name = "x-group", bool silent = false)
      : header(std::move(header_name)), never_answer(silent) {}
  std::string header;
  bool never_answer;
  std::mutex mutex;
  size_t requests = 0;
  std::map<std::string, size_t> by_value;
  std::vector<proxy::asio::HttpListener::Respond> held;  // silent mode: answers never sent
  net::io_context io;
  proxy::asio::HttpListener listener{io, {net::ip::make_address("127.0.0.1"), 0},
                                     [this](proxy::HttpRequest request, proxy::asio::HttpListener::Respond respond) {
                                       {
                                         std::lock_guard lock(mutex);
                                         ++requests;
                                         ++by_value[std::string(request.headers.get(header).value_or("-"))];
                                       }
                                       if (never_answer) return held.push_back(std::move(respond));
                                       proxy::HttpResponse r;
                                       r.body = "ok";
                                       respond(std::move(r));
                                     }};
  std::thread thread{[this] { io.run_for(std::chrono::seconds(60)); }};
  ~CountingServer() {
    io.stop();
    thread.join();
    held.clear();  // its sessions own timers of `io`: gone before `io` is
  }
  uint16_t port() const { return listener.port(); }
};

nlohmann::json json_of(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

TEST(App, ServesTheBehaviorAndCallsRealUpstreams) {
  ScenarioFile file;
  LiveProcess bar({"app", "--scenario", file.path, "--workload", "bar-v2", "--listen", "127.0.0.1:0", "--seed", "1"});
  LiveProcess echo({"app", "--scenario", file.path, "--workload", "echo", "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(bar.wait_for_stderr("listening on")) << bar.stderr_text();
  ASSERT_TRUE(echo.wait_for_stderr("listening on")) << echo.stderr_text();
  uint16_t bar_port = bar.port_after("listening on"), echo_port = echo.port_after("listening on");
  EXPECT_NE(bar.stderr_text().find("version v2, behavior bar"), std::string::npos) << bar.stderr_text();

  // The frontend finds bar through --resolve and echo through MESHSIM_RESOLVE (as an export for one host sets them).
  ::setenv("MESHSIM_RESOLVE", ("echo=127.0.0.1:" + std::to_string(echo_port)).c_str(), 1);
  LiveProcess frontend({"app", "--scenario", file.path, "--workload", "frontend-v1", "--listen", "127.0.0.1:0", "--resolve",
                        "bar=127.0.0.1:" + std::to_string(bar_port)});
  ::unsetenv("MESHSIM_RESOLVE");
  ASSERT_TRUE(frontend.wait_for_stderr("listening on")) << frontend.stderr_text();
  uint16_t port = frontend.port_after("listening on");

  HttpReply reply = http(port, "GET", "/", "",
                         {{"user-agent", "test-browser/1.0"}, {"x-request-id", "req-1"}, {"x-b3-traceid", "abc"}, {"x-private", "no"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.headers["x-meshsim-version"], "v1");
  // The body template, bar's answer, and what echo received: the propagated
  // headers (user-agent by the Behavior, trace headers and x-request-id
  // always, as Istio asks applications to) and not the others.
  ASSERT_TRUE(reply.body.starts_with("frontend v1 -> bar v2 | ")) << reply.body;
  auto echoed = json_of(reply.body.substr(reply.body.find(" | ") + 3));
  EXPECT_EQ(echoed["workload"], "echo");
  EXPECT_EQ(echoed["path"], "/who");
  EXPECT_EQ(echoed["host"], "echo");  // the service name as the app wrote it: what a sidecar routes on
  EXPECT_EQ(echoed["headers"]["user-agent"], "test-browser/1.0");
  EXPECT_EQ(echoed["headers"]["x-request-id"], "req-1");
  EXPECT_EQ(echoed["headers"]["x-b3-traceid"], "abc");
  EXPECT_FALSE(echoed["headers"].contains("x-private"));

  // A call that finds nobody fails the request (onCallError: fail, 500).
  bar.stop();
  HttpReply failed = http(port, "GET", "/");
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.body, "upstream call failed");
}

TEST(App, IdentityFromTheDownwardApiEnvironmentAndErrors) {
  ScenarioFile file;
  const std::string behaviors = file.dir + "/behaviors.yaml";
  {
    std::ofstream out(behaviors);
    std::string text = kScenario;
    // Only the Behavior documents.
    out << text.substr(text.find("apiVersion: meshsim.dev/v1alpha1\nkind: Behavior"),
                       text.find("apiVersion: meshsim.dev/v1alpha1\nkind: Scenario") -
                           text.find("apiVersion: meshsim.dev/v1alpha1\nkind: Behavior"));
  }
  // As a Deployment's env[].valueFrom.fieldRef fills them.
  ::setenv("POD_NAME", "broken-7d9f-x2", 1);
  ::setenv("POD_NAMESPACE", "shop", 1);
  ::setenv("POD_APP", "broken", 1);
  ::setenv("POD_VERSION", "v3", 1);
  LiveProcess app({"app", "--behavior", behaviors, "--listen", "127.0.0.1:0"});
  for (const char* name : {"POD_NAME", "POD_NAMESPACE", "POD_APP", "POD_VERSION"}) ::unsetenv(name);
  ASSERT_TRUE(app.wait_for_stderr("listening on")) << app.stderr_text();
  EXPECT_NE(app.stderr_text().find("pod broken-7d9f-x2, namespace shop, version v3, behavior broken"), std::string::npos)
      << app.stderr_text();
  HttpReply reply = http(app.port_after("listening on"), "GET", "/");
  EXPECT_EQ(reply.status, 503);  // errorRate 100%, status 503
  EXPECT_EQ(reply.headers["x-meshsim-version"], "v3");

  // Bad input: exit 2 naming the valid choices.
  LiveProcess unknown({"app", "--scenario", file.path, "--workload", "nope", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(unknown.wait_exit(std::chrono::seconds(20)), 2);
  EXPECT_NE(unknown.stderr_text().find("valid workloads: frontend-v1, bar-v2, echo"), std::string::npos) << unknown.stderr_text();
  LiveProcess both({"app", "--scenario", file.path, "--behavior", behaviors});
  EXPECT_EQ(both.wait_exit(std::chrono::seconds(20)), 2);
}

TEST(Load, ExactCountClosedLoopWithAHeaderMixAndFortioJson) {
  CountingServer server;
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/x";
  LiveProcess load({"load", "-n", "200", "-c", "3", "--qps", "0", "--mix", "25:x-group: a", "--seed", "3", "--json", "-", url});
  ASSERT_EQ(load.wait_exit(std::chrono::seconds(30)), 0) << load.stderr_text();
  auto j = json_of(load.stdout_text());
  // Fortio's field names and types.
  EXPECT_EQ(j["RunType"], "HTTP");
  EXPECT_EQ(j["RequestedQPS"], "max");
  EXPECT_EQ(j["RequestedDuration"], "exactly 200 calls");
  EXPECT_EQ(j["NumThreads"], 3);
  EXPECT_EQ(j["Exactly"], 200);
  EXPECT_EQ(j["URL"], url);
  EXPECT_EQ(j["RetCodes"]["200"], 200);
  EXPECT_TRUE(j["ActualDuration"].is_number_integer());  // nanoseconds, as Go's time.Duration
  EXPECT_GT(j["ActualQPS"].get<double>(), 0);
  const auto& h = j["DurationHistogram"];
  EXPECT_EQ(h["Count"], 200);
  EXPECT_LE(h["Min"].get<double>(), h["Avg"].get<double>());
  EXPECT_LE(h["Avg"].get<double>(), h["Max"].get<double>());
  ASSERT_EQ(h["Percentiles"].size(), 5u);  // -p default 50,75,90,99,99.9
  EXPECT_EQ(h["Percentiles"][3]["Percentile"], 99);
  EXPECT_GT(h["Percentiles"][3]["Value"].get<double>(), 0);
  uint64_t bucketed = 0;
  for (const auto& d : h["Data"]) bucketed += d["Count"].get<uint64_t>();
  EXPECT_EQ(bucketed, 200u);
  EXPECT_DOUBLE_EQ(h["Data"].back()["Percent"].get<double>(), 100.0);
  // At most -c connections, kept alive.
  EXPECT_LE(j["SocketCount"].get<int>(), 3);
  std::lock_guard lock(server.mutex);
  EXPECT_EQ(server.requests, 200u);
  // 25% of 200 carry the header: 50 expected, 4 standard errors (±24) allowed.
  EXPECT_NEAR(static_cast<double>(server.by_value["a"]), 50, 24);
  EXPECT_EQ(server.by_value["a"] + server.by_value["-"], 200u);
}

TEST(Load, ScenarioSourceAtAFixedRateNeverExceedsItsSchedule) {
  ScenarioFile file;
  CountingServer server("user-agent");
  LiveProcess load({"load", "--scenario", file.path, "--source", "browser", "-t", "400ms", "--resolve",
                    "frontend=127.0.0.1:" + std::to_string(server.port()), "--json", "-"});
  ASSERT_EQ(load.wait_exit(std::chrono::seconds(30)), 0) << load.stderr_text();
  auto j = json_of(load.stdout_text());
  EXPECT_EQ(j["RequestedQPS"], "50");  // the source's rate
  EXPECT_EQ(j["URL"], "http://frontend/");
  EXPECT_EQ(j["Labels"], "app-test browser");
  // Arrivals at 0, 20, 40 ... 380 ms: 20 at most, however slow the machine.
  uint64_t sent = j["DurationHistogram"]["Count"].get<uint64_t>();
  EXPECT_GE(sent, 1u);
  EXPECT_LE(sent, 20u);
  std::lock_guard lock(server.mutex);
  EXPECT_EQ(server.by_value["test-browser/1.0"], server.requests);  // the source's headers
}

TEST(Load, NoAnswerIsMinusOneAndBadFlagsExitTwo) {
  CountingServer silent("x", /*silent=*/true);
  LiveProcess timeouts({"load", "-n", "2", "-c", "2", "--qps", "0", "--timeout", "200ms", "--json", "-",
                        "http://127.0.0.1:" + std::to_string(silent.port()) + "/"});
  ASSERT_EQ(timeouts.wait_exit(std::chrono::seconds(30)), 0) << timeouts.stderr_text();
  EXPECT_EQ(json_of(timeouts.stdout_text())["RetCodes"]["-1"], 2);

  LiveProcess bad_arrival({"load", "--arrival", "bursty", "http://127.0.0.1:1/"});
  EXPECT_EQ(bad_arrival.wait_exit(std::chrono::seconds(20)), 2);
  EXPECT_NE(bad_arrival.stderr_text().find("constant, poisson, ramp, closed"), std::string::npos);
  LiveProcess bad_mix({"load", "--mix", "70:a: b", "--mix", "40:c: d", "http://127.0.0.1:1/"});
  EXPECT_EQ(bad_mix.wait_exit(std::chrono::seconds(20)), 2);
  LiveProcess unknown_source({"load", "--scenario", "/nonexistent.yaml", "--source", "x"});
  EXPECT_EQ(unknown_source.wait_exit(std::chrono::seconds(20)), 2);
}

}  // namespace
}  // namespace meshsim::testing
