// `meshsim proxy` in front of a real HTTP server on 127.0.0.1: rules from -f
// and from the admin API apply to real requests; malformed and oversized
// requests get 400/431 and a closed connection without disturbing others.
#include <sys/socket.h>
#include <sys/time.h>

#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "proxy_core/asio/asio_adapter.h"
#include "tests/app/live_process.h"

namespace meshsim::testing {
namespace {

namespace net = boost::asio;
using net::ip::tcp;

// A real upstream that echoes the method, path and Host it received.
struct Upstream {
  net::io_context io;
  proxy::asio::HttpListener listener{io, {net::ip::make_address("127.0.0.1"), 0},
                                     [](proxy::HttpRequest request, proxy::asio::HttpListener::Respond respond) {
                                       proxy::HttpResponse r;
                                       r.body = request.method + " " + request.target + " host=" + request.authority;
                                       respond(std::move(r));
                                     }};
  std::thread thread{[this] { io.run_for(std::chrono::seconds(60)); }};
  ~Upstream() {
    io.stop();
    thread.join();
  }
};

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

TEST(Proxy, ForwardsAppliesLiveRulesAndSurvivesBadRequests) {
  Upstream upstream;
  LiveProcess proxy({"proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + std::to_string(upstream.listener.port()),
                     "--admin-port", "0"});
  ASSERT_TRUE(proxy.wait_for_stderr("admin http://")) << proxy.stderr_text();
  uint16_t port = proxy.port_after("listening on"), admin = proxy.port_after("admin");

  HttpReply plain = http(port, "GET", "/hello?x=1");
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body, "GET /hello?x=1 host=upstream");  // Host names the service, as nginx's proxy_pass sets it
  EXPECT_EQ(http(port, "GET", "/", "", {{"x-teapot", "yes"}}).status, 200);

  // A rule pushed through the admin API applies to the next request.
  ASSERT_EQ(http(admin, "POST", "/config", kFaultForTeapots).status, 200);
  EXPECT_EQ(http(port, "GET", "/", "", {{"x-teapot", "yes"}}).status, 418);
  EXPECT_EQ(http(port, "GET", "/").status, 200);
  // A rejected push leaves the rule serving.
  EXPECT_EQ(http(admin, "POST", "/config", "kind: VirtualService\nspec: {hosts: 3}\n").status, 400);
  EXPECT_EQ(http(port, "GET", "/", "", {{"x-teapot", "yes"}}).status, 418);
  EXPECT_EQ(http(admin, "DELETE", "/config/VirtualService/default/upstream").status, 200);
  EXPECT_EQ(http(port, "GET", "/", "", {{"x-teapot", "yes"}}).status, 200);

  // The upstream's AuthorizationPolicies apply, as its own sidecar checks them.
  ASSERT_EQ(http(admin, "POST", "/config",
                 "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: no-posts}\n"
                 "spec:\n  selector: {matchLabels: {app: upstream}}\n  action: DENY\n"
                 "  rules: [{to: [{operation: {methods: [POST]}}]}]\n")
                .status,
            200);
  HttpReply denied = http(port, "POST", "/x", "data");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.body, "RBAC: access denied");
  EXPECT_EQ(http(port, "GET", "/x").status, 200);
  EXPECT_EQ(http(admin, "DELETE", "/config/AuthorizationPolicy/default/no-posts").status, 200);
  EXPECT_EQ(http(port, "POST", "/x", "data").status, 200);

  // Envoy's codec answers a malformed request with 400 and closes; oversized headers 431.
  std::string malformed = raw_exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
  EXPECT_EQ(malformed.rfind("HTTP/1.1 400", 0), 0u) << malformed;
  EXPECT_EQ(malformed.find("<still open>"), std::string::npos);
  std::string oversized = raw_exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n");
  EXPECT_EQ(oversized.rfind("HTTP/1.1 431", 0), 0u) << oversized.substr(0, 100);
  // HEAD: the upstream's headers, no body (RFC 9110 9.3.2), and the pooled
  // upstream connection stays usable for the next request.
  std::string head = raw_exchange(port, "HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_NE(head.find("content-length: 21"), std::string::npos) << head;  // the upstream's "HEAD /h host=upstream"
  EXPECT_EQ(head.substr(head.find("\r\n\r\n") + 4), "");
  EXPECT_EQ(http(port, "GET", "/after-head").body, "GET /after-head host=upstream");
  // None of that disturbed the proxy.
  EXPECT_EQ(http(port, "GET", "/after").body, "GET /after host=upstream");

  // Metrics of the traffic that went through, in Istio's names.
  HttpReply metrics = http(admin, "GET", "/metrics");
  EXPECT_NE(metrics.body.find("istio_requests_total{reporter=\"source\""), std::string::npos);
  EXPECT_NE(metrics.body.find("response_code=\"418\""), std::string::npos);
  EXPECT_EQ(proxy.stop(SIGTERM), 0);
}

TEST(Proxy, BadArgumentsAreExplained) {
  LiveProcess proxy({"proxy", "--listen", "127.0.0.1:http", "--upstream", "127.0.0.1:1"});
  EXPECT_EQ(proxy.wait_exit(std::chrono::seconds(10)), 2);
  EXPECT_NE(proxy.stderr_text().find("bad port"), std::string::npos) << proxy.stderr_text();
}

}  // namespace
}  // namespace meshsim::testing

namespace meshsim::testing {
namespace {

namespace net = boost::asio;
using net::ip::tcp;

// A client that holds a connection: one full exchange proves it was accepted.
tcp::socket held_connection(net::io_context& io, uint16_t port) {
  tcp::socket socket(io);
  socket.connect({net::ip::make_address("127.0.0.1"), port});
  net::write(socket, net::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  std::array<char, 4096> buf{};
  socket.read_some(net::buffer(buf));
  return socket;
}

// Robustness of a running live process's client-facing listener, run
// against both `proxy` and `serve`: the connection bound and slow clients.
void check_bounds(const std::vector<std::string>& args, const std::string& port_label) {
  {
    std::vector<std::string> bounded = args;
    bounded.insert(bounded.end(), {"--max-connections", "2"});
    LiveProcess process(bounded);
    ASSERT_TRUE(process.wait_for_stderr("admin http://")) << process.stderr_text();
    uint16_t port = process.port_after(port_label);
    net::io_context io;
    tcp::socket first = held_connection(io, port), second = held_connection(io, port);
    // Beyond the bound: closed at once, nothing answered.
    EXPECT_EQ(raw_exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", std::chrono::seconds(5)), "");
    first.close();  // a slot frees up; the next client is served
    std::string served;
    for (int attempt = 0; attempt < 50 && served.rfind("HTTP/1.1 200", 0) != 0; ++attempt)
      served = raw_exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", std::chrono::seconds(5));
    EXPECT_EQ(served.rfind("HTTP/1.1 200", 0), 0u) << served;
    EXPECT_EQ(process.stop(SIGTERM), 0);
  }
  {
    std::vector<std::string> impatient = args;
    impatient.insert(impatient.end(), {"--request-timeout-ms", "300"});
    LiveProcess process(impatient);
    ASSERT_TRUE(process.wait_for_stderr("admin http://")) << process.stderr_text();
    uint16_t port = process.port_after(port_label);
    net::io_context io;
    tcp::socket slow(io);
    slow.connect({net::ip::make_address("127.0.0.1"), port});
    net::write(slow, net::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n")));  // and never the rest
    // Others are served meanwhile.
    EXPECT_EQ(http(port, "GET", "/").status, 200);
    timeval five_seconds{5, 0};  // bound the wait below
    setsockopt(slow.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);
    std::array<char, 1024> buf{};
    boost::system::error_code ec;
    size_t n = slow.read_some(net::buffer(buf), ec);  // returns when the server closes it (after ~300 ms)
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(ec, net::error::eof) << ec.message();
    EXPECT_EQ(process.stop(SIGTERM), 0);
  }
}

TEST(Proxy, BoundsConnectionsAndClosesSlowClients) {
  Upstream upstream;
  check_bounds({"proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + std::to_string(upstream.listener.port()),
                "--admin-port", "0"},
               "listening on");
}

TEST(Serve, BoundsConnectionsAndClosesSlowClients) {
  check_bounds({"serve", std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml", "--manual", "--port", "0",
                "--admin-port", "0"},
               "ingress");
}

}  // namespace
}  // namespace meshsim::testing
