// `meshsim proxy` with HTTP/2 clients and an h2c upstream, on 127.0.0.1:
// curl --http2-prior-knowledge and h2load (nghttp2-client) as clients; the
// upstream is meshsim's own HttpListener, which answers HTTP/1.1 and h2c
// and says which one it got. Every wait is bounded.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "proxy_core/asio/asio_adapter.h"
#include "tests/app/live_process.h"

namespace meshsim::testing {
namespace {

namespace net = boost::asio;

// Echoes the protocol it was reached over, the method, target, Host and body size.
struct Upstream {
  net::io_context io;
  proxy::asio::HttpListener listener{io, {net::ip::make_address("127.0.0.1"), 0},
                                     [](proxy::HttpRequest request, proxy::asio::HttpListener::Respond respond) {
                                       proxy::HttpResponse r;
                                       r.body = std::string(request.protocol == proxy::WireProtocol::kHttp2 ? "h2" : "h1") +
                                                " " + request.method + " " + request.target + " host=" +
                                                request.authority + " body=" + std::to_string(request.body.size());
                                       respond(std::move(r));
                                     }};
  std::thread thread{[this] { io.run_for(std::chrono::seconds(60)); }};
  ~Upstream() {
    io.stop();
    thread.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(listener.port()); }
};

bool have(const char* tool) { return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0; }

std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(("timeout 30 " + command + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out;
}

std::string curl(uint16_t port, const std::string& flags, const std::string& path) {
  return run("curl -s " + flags + " -w ' %{http_version} %{http_code}' http://127.0.0.1:" + std::to_string(port) + path);
}

constexpr const char* kFaultForTeapots = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: upstream}
spec:
  hosts: [upstream]
  http:
  - match: [{headers: {x-teapot: {exact: "yes"}}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: upstream}}]
  - route: [{destination: {host: upstream}}]
)";

// An HTTP/2 client through the proxy to an HTTP/1.1 upstream (the default):
// the request is the same message either way, and the mesh rules apply to it.
TEST(ProxyH2c, Http2ClientToHttp1Upstream) {
  if (!have("curl")) GTEST_SKIP() << "curl not installed";
  Upstream upstream;
  LiveProcess proxy({"proxy", "--listen", "127.0.0.1:0", "--upstream", upstream.address(), "--admin-port", "0"});
  ASSERT_TRUE(proxy.wait_for_stderr("admin http://")) << proxy.stderr_text();
  uint16_t port = proxy.port_after("listening on"), admin = proxy.port_after("admin");
  EXPECT_EQ(curl(port, "--http2-prior-knowledge", "/hello?x=1"), "h1 GET /hello?x=1 host=upstream body=0 2 200");
  EXPECT_EQ(curl(port, "--http2-prior-knowledge -d abc", "/post"), "h1 POST /post host=upstream body=3 2 200");
  ASSERT_EQ(http(admin, "POST", "/config", kFaultForTeapots).status, 200);
  std::string fault = curl(port, "--http2-prior-knowledge -o /dev/null -H 'x-teapot: yes'", "/");
  EXPECT_EQ(fault, " 2 418");
}

// --upstream-protocol http2: h2c to the upstream, whatever the client spoke.
TEST(ProxyH2c, H2cUpstreamForHttp2AndHttp11Clients) {
  if (!have("curl")) GTEST_SKIP() << "curl not installed";
  Upstream upstream;
  LiveProcess proxy({"proxy", "--listen", "127.0.0.1:0", "--upstream", upstream.address(), "--admin-port", "0",
                     "--upstream-protocol", "http2"});
  ASSERT_TRUE(proxy.wait_for_stderr("admin http://")) << proxy.stderr_text();
  uint16_t port = proxy.port_after("listening on");
  EXPECT_EQ(curl(port, "--http2-prior-knowledge", "/a"), "h2 GET /a host=upstream body=0 2 200");
  EXPECT_EQ(curl(port, "--http1.1 -d hello", "/b"), "h2 POST /b host=upstream body=5 1.1 200");
  if (!have("h2load")) return;
  // Many concurrent streams both ways: 2 client connections x 10 streams.
  std::string load = run("h2load -n 300 -c 2 -m 10 http://127.0.0.1:" + std::to_string(port) + "/load");
  EXPECT_NE(load.find("300 succeeded, 0 failed, 0 errored"), std::string::npos) << load;
}

// `meshsim serve`'s ingress is the same listener: an HTTP/2 client reaches
// the simulated mesh as an HTTP/1.1 one does.
TEST(ServeH2c, IngressAcceptsHttp2WithPriorKnowledge) {
  if (!have("curl")) GTEST_SKIP() << "curl not installed";
  std::string out_dir = "/tmp/meshsim-serve-h2c-test-" + std::to_string(::getpid());
  LiveProcess serve({"serve", std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml", "--manual", "--port", "0",
                     "--admin-port", "0", "--out", out_dir});
  ASSERT_TRUE(serve.wait_for_stderr("admin http://")) << serve.stderr_text();
  uint16_t ingress = serve.port_after("ingress");
  EXPECT_EQ(curl(ingress, "--http2-prior-knowledge", "/"), "frontend -> foo v1, bar v1 2 200");
  EXPECT_EQ(curl(ingress, "--http1.1", "/"), "frontend -> foo v1, bar v1 1.1 200");
  serve.stop();
  std::filesystem::remove_all(out_dir);
}

// An unknown protocol is a usage error.
TEST(ProxyH2c, RejectsAnUnknownUpstreamProtocol) {
  LiveProcess proxy({"proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--upstream-protocol", "spdy"});
  EXPECT_EQ(proxy.wait_exit(std::chrono::seconds(10)), 2);
  EXPECT_NE(proxy.stderr_text().find("--upstream-protocol must be http1 or http2"), std::string::npos);
}

}  // namespace
}  // namespace meshsim::testing
