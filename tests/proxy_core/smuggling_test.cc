// Request smuggling and framing, one row per attack (smuggling_rows.h), each
// checked against what Envoy answers to the same bytes.
//
// Every row runs through the codec alone (the path the simulated network
// takes, parse_request -> MessageDecoder, whole and a byte at a time) and
// live, on 127.0.0.1, through the proxy core as `meshsim proxy` runs it:
// the Asio listener, the outbound Sidecar and the upstream pool, to a real
// upstream that records what reaches it. A rejected
// row must get Envoy's status, a closed connection, and nothing upstream (or
// only the legitimate request before the smuggled one). Bounded waits only.
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "proxy_core/asio/asio_adapter.h"
#include "proxy_core/codec.h"
#include "tests/proxy_core/smuggling_rows.h"
#include "tests/proxy_core/socket_reading.h"

namespace meshsim::proxy {
namespace {

using testing::smuggling::Row;
using testing::smuggling::rows;

// --- the codec alone: the simulated network's path -------------------------

struct Decoded {
  std::vector<HttpRequest> requests;
  int error_status = 0;  // 0: no error
};

Decoded decode_all(std::string_view bytes, bool byte_by_byte) {
  Decoded out;
  RequestDecoder decoder;
  std::string pending;
  auto step = [&](std::string_view fresh) {
    pending.append(fresh);
    for (;;) {
      std::string_view view = pending;
      DecodeOutcome o = decoder.feed(view);
      pending.erase(0, pending.size() - view.size());
      if (o.kind == DecodeOutcome::Kind::kError) {
        out.error_status = o.error_status;
        return false;
      }
      if (o.kind != DecodeOutcome::Kind::kMessage) return true;
      out.requests.push_back(decoder.take());
      if (!decoder.keep_alive()) return false;  // Connection: close: nothing after it is read
    }
  };
  if (byte_by_byte) {
    for (char c : bytes)
      if (!step(std::string_view(&c, 1))) break;
  } else {
    step(bytes);
  }
  return out;
}

class Smuggling : public ::testing::TestWithParam<Row> {};

TEST_P(Smuggling, CodecAnswersAsEnvoy) {
  const Row& row = GetParam();
  SCOPED_TRACE(row.source);
  for (bool byte_by_byte : {false, true}) {
    Decoded d = decode_all(row.bytes, byte_by_byte);
    int status = row.expected_status();
    if (byte_by_byte && row.whole_only) {
      EXPECT_TRUE(d.requests.empty());
      continue;
    }
    EXPECT_EQ(d.error_status, status == 200 ? 0 : status) << (byte_by_byte ? "byte by byte" : "whole");
    ASSERT_EQ(static_cast<int>(d.requests.size()), row.expected_forwarded());
    if (!row.upstream_target.empty() && !d.requests.empty()) {
      HttpRequest first = d.requests.front();
      normalize_target(first);  // what every sidecar does next (see the live test)
      EXPECT_EQ(first.target, row.upstream_target);
    }
  }
}

// The one-shot entry the simulated hops use reports the same status.
TEST_P(Smuggling, ParseRequestReportsTheSameStatus) {
  const Row& row = GetParam();
  SCOPED_TRACE(row.source);
  HttpRequest request;
  DecodeOutcome outcome;
  if (row.expected_forwarded() > 0) {  // the first request is legitimate
    ASSERT_TRUE(parse_request(row.bytes, request, &outcome)) << outcome.error;
    normalize_target(request);
    EXPECT_EQ(request.target, row.upstream_target);
    return;
  }
  EXPECT_FALSE(parse_request(row.bytes, request, &outcome));
  EXPECT_EQ(outcome.error_status, row.expected_status());
}

// The decoder's error names the cause, not the Beast error code the codec
// borrows to stop parsing (found by http_request_fuzz: a 431 read "bad
// Transfer-Encoding").
TEST(SmugglingReason, ErrorNamesTheFramingRule) {
  struct Case {
    std::string bytes;
    int status;
    std::string reason;
  } cases[] = {
      {"GET / HTTP/1.1\r\nHost: a\r\n" + [] {
         std::string many;
         for (int i = 0; i < 100; ++i) many += "x-field-" + std::to_string(i) + ": v\r\n";
         return many;
       }() + "\r\n",
       431, "more header fields than the limit"},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400,
       "more than one Content-Length"},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 501,
       "Transfer-Encoding other than chunked"},
  };
  for (const Case& c : cases) {
    HttpRequest request;
    DecodeOutcome outcome;
    EXPECT_FALSE(parse_request(c.bytes, request, &outcome));
    EXPECT_EQ(outcome.error_status, c.status);
    EXPECT_EQ(outcome.error, c.reason);
  }
}

// --- live: client -> listener (as `meshsim proxy`) -> pool -> upstream ------

using asio::net::ip::tcp;
namespace net = asio::net;
const auto kLoopback = net::ip::make_address("127.0.0.1");

struct Loop {
  // Not kOneThread: the test's thread posts to this loop (run()), and
  // BOOST_ASIO_CONCURRENCY_HINT_UNSAFE drops the scheduler's locks that make
  // post() from another thread safe (a data race under TSan).
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(io);
  std::thread thread{[this] { io.run_for(std::chrono::seconds(60)); }};
  ~Loop() { stop(); }
  void stop() {
    work.reset();
    io.stop();
    if (thread.joinable()) thread.join();
  }
  template <typename F>
  auto run(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    net::post(io, [&task] { task(); });
    return result.get();
  }
};

// Sends `bytes` on a new connection; what came back before the close ("<still open>" if none).
std::string exchange(uint16_t port, const std::string& bytes, std::chrono::seconds limit) {
  net::io_context io;
  tcp::socket socket(io);
  socket.connect({kLoopback, port});
  net::write(socket, net::buffer(bytes));
  return testing::read_until_closed(socket, limit);
}

constexpr const char* kMesh = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: bar}
spec:
  selector: {matchLabels: {app: bar}}
  template:
    metadata: {labels: {app: bar}}
    spec: {containers: [{name: app, image: bar, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: bar}
spec: {selector: {app: bar}, ports: [{port: 80, targetPort: 8080}]}
)";

// The proxy core on real sockets, as `meshsim proxy` runs it: a listener
// whose handler is the outbound Sidecar, the upstream pool, and a real
// upstream server that records every request reaching it. (No second
// sidecar in front of it: that one would count the fields the first adds,
// as a second Envoy does, and the 100-field row is about the first hop.)
// A real server counts no fields (nginx, for one, bounds only their size);
// the sidecar adds its own (trace, request id) to the 100 the client sent.
asio::ListenerLimits server_limits() {
  asio::ListenerLimits limits;
  limits.codec.header_count_max = 1000;
  return limits;
}

struct LiveProxy {
  Loop loop;
  std::shared_ptr<const RouteTable> table;
  SnapshotHolder snapshot;
  asio::AsioClock clock;
  asio::AsioTimers timers{loop.io};
  struct FixedRandom : Random {
    uint64_t next() override { return 0x9E3779B97F4A7C15ull; }
  } random;
  asio::AsioTransport transport{loop.io};
  SidecarEnv env{&clock, &timers, &random, &transport, nullptr, &snapshot};
  std::optional<Sidecar> client_side;
  std::optional<asio::HttpListener> upstream, front;
  std::vector<std::string> upstream_saw;  // targets, on the loop's thread

  LiveProxy() {
    auto loaded = config::load({{"mesh.yaml", kMesh}});
    std::vector<std::string> errors;
    table = RouteTable::create(std::move(loaded.resources), &errors);
    snapshot.set(table);
    loop.run([this] {
      const Endpoint& bar = table->endpoints()[0];
      client_side.emplace(nullptr, "default", Labels{}, env);
      upstream.emplace(loop.io, tcp::endpoint{kLoopback, 0}, [this](HttpRequest req, asio::HttpListener::Respond respond) {
        upstream_saw.push_back(req.target);
        respond(HttpResponse{});
      }, server_limits());
      transport.map(bar.ip, 8080, {kLoopback, upstream->port()});
      front.emplace(loop.io, tcp::endpoint{kLoopback, 0}, [this](HttpRequest req, asio::HttpListener::Respond respond) {
        std::string host = req.authority;
        client_side->outbound(std::move(req), host, 80, [respond](OutboundResult out) {
          HttpResponse r;
          if (out.response) r = *out.response;
          else r.status = 503;
          respond(std::move(r));
        });
      });
      return 0;
    });
  }
  // The loop stops first: nothing runs while the sidecars and sockets go.
  ~LiveProxy() { loop.stop(); }
};

TEST_P(Smuggling, LiveProxyAnswersAsEnvoyAndTheUpstreamSeesNothingSmuggled) {
  const Row& row = GetParam();
  SCOPED_TRACE(row.source);
  LiveProxy live;
  std::string reply = exchange(live.front->port(), row.bytes, std::chrono::seconds(10));
  EXPECT_EQ(reply.find("<still open>"), std::string::npos) << "the connection must close";
  // The last response on the connection carries the verdict.
  size_t last = reply.rfind("HTTP/1.1 ");
  ASSERT_NE(last, std::string::npos) << reply;
  EXPECT_EQ(reply.substr(last, 12), "HTTP/1.1 " + std::to_string(row.expected_status())) << reply;
  auto saw = live.loop.run([&] { return live.upstream_saw; });
  ASSERT_EQ(static_cast<int>(saw.size()), row.expected_forwarded()) << reply;
  if (!row.upstream_target.empty() && !saw.empty()) {
    EXPECT_EQ(saw.front(), row.upstream_target);
  }
  for (const auto& target : saw) EXPECT_EQ(target.find("smuggled"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Envoy, Smuggling, ::testing::ValuesIn(rows()),
                         [](const ::testing::TestParamInfo<Row>& info) { return info.param.name; });

}  // namespace
}  // namespace meshsim::proxy
