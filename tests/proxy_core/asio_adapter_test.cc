// The sans-IO core proven against real sockets: a client on 127.0.0.1 sends
// HTTP/1.1 to a listener whose handler is the outbound Sidecar; the sidecar
// routes by a VirtualService and forwards over TCP to a real upstream
// listener whose handler is the inbound Sidecar in front of an echo app.
// Bounded: every wait has a deadline, no sleeps.
#include <thread>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "proxy_core/asio/asio_adapter.h"
#include "tests/fixtures/fixture.h"

namespace meshsim::proxy::asio {
namespace {

using net::ip::tcp;

// On top of tests/fixtures/bar-v1.yaml (Service bar, 80 -> 8080, and bar-v1).
constexpr const char* kRules = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - match: [{uri: {prefix: /denied}}]
    directResponse: {status: 403, body: {string: "nope"}}
  - headers: {request: {set: {x-routed-by: meshsim}}}
    route: [{destination: {host: bar}}]
)";

std::string exchange(uint16_t port, const std::string& request) {
  net::io_context io;
  tcp::socket socket(io);
  socket.connect({net::ip::make_address("127.0.0.1"), port});
  net::write(socket, net::buffer(request));
  std::string response;
  std::array<char, 4096> buf{};
  boost::system::error_code ec;
  // Reads until the server closes (requests below ask for Connection: close).
  while (true) {
    size_t n = socket.read_some(net::buffer(buf), ec);
    response.append(buf.data(), n);
    if (ec) break;
  }
  return response;
}

TEST(AsioAdapter, ForwardsRealRequestsThroughTheCore) {
  auto loaded = config::load({fixtures::source("bar-v1.yaml"), {"rules.yaml", kRules}});
  ASSERT_FALSE(config::has_errors(loaded.diagnostics));
  std::vector<std::string> errors;
  auto table = RouteTable::create(std::move(loaded.resources), &errors);
  ASSERT_TRUE(table);
  SnapshotHolder snapshot;
  snapshot.set(table);

  net::io_context io;
  AsioClock clock;
  AsioTimers timers(io);
  struct FixedRandom : Random {
    uint64_t next() override { return 0x9E3779B97F4A7C15ull; }
  } random;
  AsioTransport transport(io);
  SidecarEnv env{&clock, &timers, &random, &transport, nullptr, &snapshot};

  const Endpoint& bar = table->endpoints()[0];
  Sidecar server_side(&bar, bar.ns, bar.labels, env);
  Sidecar client_side(nullptr, "default", {}, env);

  // Upstream: the inbound sidecar in front of an app that echoes what it got.
  HttpListener upstream(io, {net::ip::make_address("127.0.0.1"), 0}, [&](HttpRequest req, HttpListener::Respond respond) {
    PeerInfo peer;  // plaintext over this test's sockets; PERMISSIVE accepts it
    AppHandler app = [](HttpRequest got, const PeerInfo&, std::function<void(HttpResponse&&)> reply) {
      HttpResponse r;
      r.body = got.method + " " + got.target + " x-routed-by=" +
               std::string(got.headers.get("x-routed-by").value_or("")) + " attempt=" +
               std::string(got.headers.get("x-envoy-attempt-count").value_or(""));
      reply(std::move(r));
    };
    server_side.inbound(serialize(req), peer, 8080, app, [respond](TransportResult tr) {
      HttpResponse r;
      if (!tr.connected || !parse_response(tr.response_bytes, r)) r.status = 502;
      respond(std::move(r));
    });
  });
  transport.map(bar.ip, 8080, {net::ip::make_address("127.0.0.1"), upstream.port()});

  // Front: the outbound sidecar, as an app's localhost proxy.
  HttpListener front(io, {net::ip::make_address("127.0.0.1"), 0}, [&](HttpRequest req, HttpListener::Respond respond) {
    std::string host = req.authority;
    client_side.outbound(std::move(req), host, 80, [respond](OutboundResult out) {
      HttpResponse r;
      if (out.response) r = *out.response;
      else r.status = 503;
      respond(std::move(r));
    });
  });

  std::thread loop([&] { io.run_for(std::chrono::seconds(20)); });
  std::string routed = exchange(front.port(), "GET /hello HTTP/1.1\r\nHost: bar\r\nConnection: close\r\n\r\n");
  std::string direct = exchange(front.port(), "GET /denied HTTP/1.1\r\nHost: bar\r\nConnection: close\r\n\r\n");
  std::string malformed = exchange(front.port(), "GARBAGE\r\n\r\n");
  std::string oversized = exchange(front.port(), "GET / HTTP/1.1\r\nHost: bar\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n");
  io.stop();
  loop.join();

  EXPECT_NE(routed.find("HTTP/1.1 200 OK"), std::string::npos) << "[" << routed << "]";
  EXPECT_NE(routed.find("GET /hello x-routed-by=meshsim attempt=1"), std::string::npos) << routed;
  EXPECT_NE(direct.find("HTTP/1.1 403"), std::string::npos) << direct;
  EXPECT_NE(direct.find("nope"), std::string::npos) << direct;
  EXPECT_NE(malformed.find("HTTP/1.1 400"), std::string::npos) << malformed;
  EXPECT_NE(oversized.find("HTTP/1.1 431"), std::string::npos) << oversized;
}

}  // namespace
}  // namespace meshsim::proxy::asio
