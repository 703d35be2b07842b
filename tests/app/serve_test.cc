// `meshsim serve` on the demo scenario, over real sockets: requests through
// the ingress port, rules applied and deleted through the admin API, and the
// routing outcomes the virtual run of the same scenario asserts in its
// expectations (scenarios/hightower-demo.yaml, checked by ShippedScenario).
// --manual holds the timeline so each state is reached only when the test says.
// Every hop between pods travels over real sockets (each pod listens on 127.0.0.1).
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/app/live_process.h"

namespace meshsim::testing {
namespace {

constexpr const char* kBarPinnedToV1 = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - route: [{destination: {host: bar, subset: v1}}]
)";

// The distinct bodies of n requests through the ingress.
std::set<std::string> bodies(uint16_t port, int n, const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  std::set<std::string> seen;
  for (int i = 0; i < n; ++i) {
    HttpReply r = http(port, "GET", "/", "", headers);
    seen.insert(std::to_string(r.status) + " " + r.body);
  }
  return seen;
}

TEST(Serve, DemoOverRealSocketsMatchesTheVirtualRun) {
  std::string out_dir = "/tmp/meshsim-serve-test-" + std::to_string(::getpid());
  LiveProcess serve({"serve", std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml", "--manual", "--port", "0",
                     "--admin-port", "0", "--out", out_dir});
  ASSERT_TRUE(serve.wait_for_stderr("admin http://")) << serve.stderr_text();
  uint16_t ingress = serve.port_after("ingress"), admin = serve.port_after("admin");
  ASSERT_NE(ingress, 0);
  ASSERT_NE(admin, 0);

  // v1 only, no sidecars.
  EXPECT_EQ(bodies(ingress, 5), std::set<std::string>{"200 frontend -> foo v1, bar v1"});
  // The ingress gateway's Envoy answers as Istio configures it: server_name
  // "istio-envoy" on gateways (proxy_headers.go), Date from the HTTP
  // connection manager, the router's upstream service time.
  HttpReply front = http(ingress, "GET", "/");
  EXPECT_EQ(front.headers["server"], "istio-envoy");
  EXPECT_TRUE(front.headers.count("date"));
  EXPECT_TRUE(front.headers.count("x-envoy-upstream-service-time"));
  // Steps 1-2: sidecars injected, v2 deployed: Kubernetes spreads over both.
  ASSERT_EQ(http(admin, "POST", "/step").status, 200);
  ASSERT_EQ(http(admin, "POST", "/step").status, 200);
  auto spread = bodies(ingress, 60);
  EXPECT_TRUE(spread.count("200 frontend -> foo v1, bar v2") || spread.count("200 frontend -> foo v2, bar v2")) << spread.size();
  EXPECT_TRUE(spread.count("200 frontend -> foo v1, bar v1") || spread.count("200 frontend -> foo v2, bar v1"));
  // Step 3: the route rules pin v1.
  ASSERT_EQ(http(admin, "POST", "/step").status, 200);
  EXPECT_EQ(bodies(ingress, 30), std::set<std::string>{"200 frontend -> foo v1, bar v1"});
  // Deleted through the admin API: bar v2 is back, foo stays pinned.
  HttpReply deleted = http(admin, "DELETE", "/config/VirtualService/default/bar");
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  auto unpinned = bodies(ingress, 60);
  EXPECT_TRUE(unpinned.count("200 frontend -> foo v1, bar v2"));
  EXPECT_FALSE(unpinned.count("200 frontend -> foo v2, bar v2"));
  // A bad push is refused whole with file:line:column, and changes nothing.
  HttpReply bad = http(admin, "POST", "/config", std::string(kBarPinnedToV1) + "  htttp: []\n");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("<POST /config>:8:3"), std::string::npos) << bad.body;
  EXPECT_TRUE(bodies(ingress, 60).count("200 frontend -> foo v1, bar v2"));
  // Restored through the admin API.
  EXPECT_EQ(http(admin, "POST", "/config", kBarPinnedToV1).status, 200);
  EXPECT_EQ(bodies(ingress, 30), std::set<std::string>{"200 frontend -> foo v1, bar v1"});
  // Deny, as the talk said it; frontend's page fails while bar refuses it.
  HttpReply deny = http(admin, "POST", "/say", "deny access to the bar service");
  EXPECT_EQ(deny.status, 200) << deny.body;
  EXPECT_NE(deny.body.find("kind: AuthorizationPolicy"), std::string::npos);
  for (const auto& b : bodies(ingress, 10)) EXPECT_NE(b.substr(0, 3), "200") << b;
  EXPECT_EQ(http(admin, "POST", "/say", "allow access to the bar service").status, 200);
  EXPECT_EQ(bodies(ingress, 10), std::set<std::string>{"200 frontend -> foo v1, bar v1"});
  // Mobile traffic to bar v2; browsers stay on v1.
  EXPECT_EQ(http(admin, "POST", "/say", "route mobile traffic to bar v2").status, 200);
  EXPECT_EQ(bodies(ingress, 10, {{"User-Agent", "mobile"}}), std::set<std::string>{"200 frontend -> foo v1, bar v2"});
  EXPECT_EQ(bodies(ingress, 10, {{"User-Agent", "Mozilla/5.0"}}), std::set<std::string>{"200 frontend -> foo v1, bar v1"});
  // Not understood: the closest phrasings, and nothing changes.
  HttpReply unknown = http(admin, "POST", "/say", "make bar faster please");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("closest phrasings"), std::string::npos);

  // Every pod is a real listener on 127.0.0.1, and the hops between
  // sidecars went over them: mTLS between sidecars, as the mesh reports it.
  auto pods = nlohmann::json::parse(http(admin, "GET", "/pods").body);
  std::map<std::string, uint16_t> pod_ports;
  for (const auto& p : pods) {
    std::string url = p.at("url");
    pod_ports[p.at("pod")] = static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  }
  ASSERT_TRUE(pod_ports.count("default/bar-v1") && pod_ports.count("default/foo-v1") && pod_ports.count("default/frontend-v1"))
      << pods.dump();
  HttpReply direct = http(pod_ports["default/bar-v1"], "GET", "/");  // from outside: plaintext, through bar's sidecar
  EXPECT_EQ(direct.status, 200);
  EXPECT_EQ(direct.headers["x-meshsim-version"], "v1");

  // What the admin API shows.
  HttpReply metrics = http(admin, "GET", "/metrics");
  EXPECT_NE(metrics.body.find("destination_workload=\"bar-v1\"") , std::string::npos);
  EXPECT_NE(metrics.body.find("connection_security_policy=\"mutual_tls\""), std::string::npos);
  EXPECT_NE(metrics.body.find("source_workload=\"istio-ingressgateway\""), std::string::npos);
  // istio_build for the mesh dashboard's version panel (istio_stats.cc recordVersion),
  // and Envoy's admin path serving the same text.
  EXPECT_NE(metrics.body.find("\nistio_build{component=\"proxy\",tag=\""), std::string::npos);
  HttpReply envoy_stats = http(admin, "GET", "/stats/prometheus");
  EXPECT_EQ(envoy_stats.status, 200);
  EXPECT_EQ(envoy_stats.headers["content-type"], metrics.headers["content-type"]);
  // Counts move between the two scrapes; the exposition is the same one.
  EXPECT_EQ(envoy_stats.body.substr(0, envoy_stats.body.find('\n')), metrics.body.substr(0, metrics.body.find('\n')));
  EXPECT_NE(envoy_stats.body.find("\nistio_build{component=\"proxy\",tag=\""), std::string::npos);
  // Envoy's /memory fields (admin.v3.Memory), each a uint64 as proto3 JSON
  // writes one: a decimal string.
  HttpReply memory = http(admin, "GET", "/memory");
  EXPECT_EQ(memory.status, 200);
  auto figures = nlohmann::json::parse(memory.body);
  for (const char* field : {"allocated", "heap_size", "pageheap_unmapped", "pageheap_free", "total_thread_cache", "total_physical_bytes"}) {
    ASSERT_TRUE(figures.contains(field) && figures[field].is_string()) << field << ": " << memory.body;
    std::string value = figures[field];
    EXPECT_TRUE(!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) << field << ": " << value;
  }
  EXPECT_LE(std::stoull(figures["allocated"].get<std::string>()), std::stoull(figures["heap_size"].get<std::string>()));
  auto topology = nlohmann::json::parse(http(admin, "GET", "/topology?service=frontend").body);
  EXPECT_EQ(topology["calls"], nlohmann::json::array({"bar", "foo"}));
  EXPECT_EQ(http(admin, "GET", "/graph").body.rfind("digraph", 0), 0u);
  EXPECT_NE(http(admin, "GET", "/").body.find("<svg"), std::string::npos);
  EXPECT_EQ(http(admin, "GET", "/nope").status, 404);
  EXPECT_EQ(http(admin, "PUT", "/config").status, 405);

  EXPECT_EQ(serve.stop(SIGINT), 0) << serve.stderr_text();
  for (const char* file : {"report.json", "junit.xml", "metrics.prom", "traces.json", "graph.dot", "report.html"})
    EXPECT_TRUE(std::ifstream(out_dir + "/" + file).good()) << file;
  std::filesystem::remove_all(out_dir);
}

TEST(Serve, AdminApiListensOnLoopbackOnly) {
  LiveProcess serve({"serve", std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml", "--manual", "--port", "0",
                     "--admin-port", "0"});
  auto banner = serve.wait_for_stderr("admin http://");
  ASSERT_TRUE(banner) << serve.stderr_text();
  EXPECT_NE(banner->find("admin http://127.0.0.1:"), std::string::npos) << *banner;
  EXPECT_EQ(serve.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace meshsim::testing

namespace meshsim::testing {
namespace {

struct CtlRun {
  int exit_code;
  std::string out, err;
};

CtlRun ctl(uint16_t admin, std::vector<std::string> args) {
  args.insert(args.begin(), {"ctl", "--admin", "127.0.0.1:" + std::to_string(admin)});
  LiveProcess p(args);
  int code = p.wait_exit(std::chrono::seconds(10));
  return {code, p.stdout_text(), p.stderr_text()};
}

TEST(Ctl, TalksToARunningServe) {
  LiveProcess serve({"serve", std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml", "--manual", "--port", "0",
                     "--admin-port", "0"});
  ASSERT_TRUE(serve.wait_for_stderr("admin http://")) << serve.stderr_text();
  uint16_t ingress = serve.port_after("ingress"), admin = serve.port_after("admin");
  std::string rule = "/tmp/meshsim-ctl-test-" + std::to_string(::getpid()) + ".yaml";
  // Subsets need their DestinationRule (without it Istio answers 503 NR).
  std::ofstream(rule) << "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: bar}\n"
                         "spec: {host: bar, subsets: [{name: v1, labels: {version: v1}}]}\n---\n"
                      << kBarPinnedToV1;

  EXPECT_EQ(ctl(admin, {"step"}).exit_code, 0);  // sidecars
  EXPECT_EQ(ctl(admin, {"step"}).exit_code, 0);  // v2 deployed
  CtlRun applied = ctl(admin, {"apply", "-f", rule});
  EXPECT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(applied.out, "DestinationRule/default/bar configured\nVirtualService/default/bar configured\n");
  EXPECT_EQ(ctl(admin, {"apply", "-f", rule}).exit_code, 0);  // idempotent, as kubectl apply
  for (const auto& b : bodies(ingress, 20)) EXPECT_NE(b.find("bar v1"), std::string::npos) << b;
  CtlRun config = ctl(admin, {"get", "config"});
  EXPECT_NE(config.out.find("\"kind\": \"VirtualService\""), std::string::npos);
  EXPECT_EQ(ctl(admin, {"delete", "VirtualService", "bar"}).exit_code, 0);
  CtlRun missing = ctl(admin, {"delete", "VirtualService", "bar"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("VirtualService/default/bar not found"), std::string::npos) << missing.err;
  CtlRun topology = ctl(admin, {"get", "topology", "bar"});
  EXPECT_EQ(nlohmann::json::parse(topology.out)["versions"].size(), 2u) << topology.out;
  CtlRun said = ctl(admin, {"say", "route", "mobile", "traffic", "to", "bar", "v2"});
  EXPECT_EQ(said.exit_code, 0) << said.err;
  for (const auto& b : bodies(ingress, 10, {{"User-Agent", "mobile"}})) EXPECT_NE(b.find("bar v2"), std::string::npos) << b;
  EXPECT_EQ(ctl(admin, {"get", "nonsense"}).exit_code, 2);
  EXPECT_EQ(serve.stop(SIGTERM), 0);
  EXPECT_EQ(ctl(admin, {"get", "config"}).exit_code, 1);  // nobody listening any more
  std::remove(rule.c_str());
}

}  // namespace
}  // namespace meshsim::testing
