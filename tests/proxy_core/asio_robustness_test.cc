// The Asio adapter's connection handling on real 127.0.0.1 sockets: the
// upstream keep-alive pool and the listener's bounds (slow clients, the
// connection limit). Every wait is bounded by a deadline; no sleeps.
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "proxy_core/asio/asio_adapter.h"
#include "tests/proxy_core/socket_reading.h"

namespace meshsim::proxy::asio {
namespace {

using net::ip::tcp;
const auto kLoopback = net::ip::make_address("127.0.0.1");

// Runs an io_context on its own thread for the test's lifetime.
struct Loop {
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(io);
  std::thread thread{[this] { io.run_for(std::chrono::seconds(20)); }};
  ~Loop() {
    work.reset();
    io.stop();
    thread.join();
  }
  template <typename F>
  auto run(F f) {  // runs f on the loop's thread and waits for its result
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    net::post(io, [&task] { task(); });
    return result.get();
  }
};

Endpoint upstream_endpoint() {
  Endpoint e;
  e.ip = "10.0.0.1";
  return e;
}

TransportResult send_and_wait(Loop& loop, AsioTransport& transport, const Endpoint& to) {
  std::promise<TransportResult> promise;
  net::post(loop.io, [&] {
    transport.send(to, 80, {}, "GET / HTTP/1.1\r\nHost: up\r\n\r\n", [&](TransportResult r) { promise.set_value(std::move(r)); });
  });
  auto future = promise.get_future();
  EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  return future.get();
}

// What nginx's `keepalive` upstream pool does: sequential requests share one connection.
TEST(AsioTransportPool, ReusesKeepAliveConnections) {
  Loop loop;
  HttpListener upstream(loop.io, {kLoopback, 0}, [](HttpRequest, HttpListener::Respond respond) {
    HttpResponse r;
    r.body = "ok";
    respond(std::move(r));
  });
  AsioTransport transport(loop.io);
  Endpoint up = upstream_endpoint();
  transport.map(up.ip, 80, {kLoopback, upstream.port()});
  for (int i = 0; i < 5; ++i) {
    TransportResult r = send_and_wait(loop, transport, up);
    ASSERT_TRUE(r.connected) << r.failure;
    ASSERT_TRUE(r.decoded);
    EXPECT_EQ(r.decoded->body, "ok");
  }
  EXPECT_EQ(loop.run([&] { return transport.connections_opened(); }), 1u);
}

// A server may close an idle keep-alive connection at any time; the request
// that finds it closed never reached the server and goes out on a new one.
TEST(AsioTransportPool, RetriesOnAFreshConnectionWhenAnIdleOneWasClosed) {
  Loop loop;
  tcp::acceptor acceptor(loop.io, {kLoopback, 0});
  std::thread server([&] {
    for (int i = 0; i < 2; ++i) {
      tcp::socket s(loop.io);
      acceptor.accept(s);
      std::array<char, 4096> buf{};
      s.read_some(net::buffer(buf));
      net::write(s, net::buffer(std::string("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")));
      // Keep-alive was promised; close anyway, as an idle timeout would.
    }
  });
  AsioTransport transport(loop.io);
  Endpoint up = upstream_endpoint();
  transport.map(up.ip, 80, {kLoopback, acceptor.local_endpoint().port()});
  EXPECT_TRUE(send_and_wait(loop, transport, up).connected);
  TransportResult second = send_and_wait(loop, transport, up);
  server.join();
  EXPECT_TRUE(second.connected) << second.failure;
  EXPECT_EQ(loop.run([&] { return transport.connections_opened(); }), 2u);
}

using testing::read_until_closed;

// nginx's client_header_timeout: a request must arrive whole in time, however
// slowly it trickles in; others are not disturbed meanwhile.
TEST(HttpListenerBounds, ClosesASlowClientAndKeepsServingOthers) {
  Loop loop;
  ListenerLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(300);
  HttpListener listener(
      loop.io, {kLoopback, 0}, [](HttpRequest, HttpListener::Respond respond) { respond(HttpResponse{}); }, limits);
  net::io_context client_io;
  tcp::socket slow(client_io);
  slow.connect({kLoopback, listener.port()});
  net::write(slow, net::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n")));  // never finishes
  tcp::socket other(client_io);
  other.connect({kLoopback, listener.port()});
  net::write(other, net::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  EXPECT_NE(read_until_closed(other, std::chrono::seconds(5)).find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(read_until_closed(slow, std::chrono::seconds(5)), "");  // closed, not left hanging
}

TEST(HttpListenerBounds, RefusesConnectionsBeyondTheLimit) {
  Loop loop;
  ListenerLimits limits;
  limits.connections_max = 2;
  HttpListener listener(
      loop.io, {kLoopback, 0}, [](HttpRequest, HttpListener::Respond respond) { respond(HttpResponse{}); }, limits);
  net::io_context client_io;
  std::vector<tcp::socket> held;
  for (int i = 0; i < 2; ++i) {
    held.emplace_back(client_io);
    held.back().connect({kLoopback, listener.port()});
    // A full exchange proves the listener has accepted this one.
    net::write(held.back(), net::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
    std::array<char, 1024> buf{};
    held.back().read_some(net::buffer(buf));
  }
  tcp::socket third(client_io);
  third.connect({kLoopback, listener.port()});  // the kernel accepts; the listener then closes it
  EXPECT_EQ(read_until_closed(third, std::chrono::seconds(5)), "");
  // The held connections still work.
  net::write(held[0], net::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  EXPECT_NE(read_until_closed(held[0], std::chrono::seconds(5)).find("HTTP/1.1 200"), std::string::npos);
}

}  // namespace
}  // namespace meshsim::proxy::asio
