// The smuggling table (tests/proxy_core/smuggling_rows.h) against a running
// `meshsim proxy` in front of a real upstream on 127.0.0.1 that records every
// request reaching it: each row gets Envoy's status and a closed connection,
// and the upstream sees nothing but the legitimate request. Bounded waits.
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "proxy_core/asio/asio_adapter.h"
#include "tests/app/live_process.h"
#include "tests/proxy_core/smuggling_rows.h"

namespace meshsim::testing {
namespace {

namespace net = boost::asio;

// A real server that records the target of every request it receives. It
// bounds the header size only, as nginx does: the proxy adds its own fields
// to the 100 of the at-the-limit row.
struct RecordingUpstream {
  net::io_context io;
  std::mutex mutex;
  std::vector<std::string> targets;
  static proxy::asio::ListenerLimits limits() {
    proxy::asio::ListenerLimits l;
    l.codec.header_count_max = 1000;
    return l;
  }
  proxy::asio::HttpListener listener{io,
                                     {net::ip::make_address("127.0.0.1"), 0},
                                     [this](proxy::HttpRequest request, proxy::asio::HttpListener::Respond respond) {
                                       {
                                         std::lock_guard lock(mutex);
                                         targets.push_back(request.target);
                                       }
                                       respond(proxy::HttpResponse{});
                                     },
                                     limits()};
  std::thread thread{[this] { io.run_for(std::chrono::seconds(120)); }};
  ~RecordingUpstream() {
    io.stop();
    thread.join();
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex);
    return targets;
  }
};

TEST(ProxySmuggling, EveryRowGetsEnvoysAnswerAndNothingSmuggledReachesTheUpstream) {
  RecordingUpstream upstream;
  LiveProcess proxy({"proxy", "--listen", "127.0.0.1:0", "--upstream",
                     "127.0.0.1:" + std::to_string(upstream.listener.port()), "--admin-port", "0"});
  ASSERT_TRUE(proxy.wait_for_stderr("admin http://")) << proxy.stderr_text();
  uint16_t port = proxy.port_after("listening on");
  for (const smuggling::Row& row : smuggling::rows()) {
    SCOPED_TRACE(row.name + ": " + row.source);
    size_t before = upstream.seen().size();
    std::string reply = raw_exchange(port, row.bytes, std::chrono::seconds(10));
    EXPECT_EQ(reply.find("<still open>"), std::string::npos) << "the connection must close";
    size_t last = reply.rfind("HTTP/1.1 ");
    ASSERT_NE(last, std::string::npos) << reply;
    EXPECT_EQ(reply.substr(last, 12), "HTTP/1.1 " + std::to_string(row.expected_status())) << reply;
    std::vector<std::string> seen = upstream.seen();
    std::vector<std::string> fresh(seen.begin() + static_cast<std::ptrdiff_t>(before), seen.end());
    EXPECT_EQ(static_cast<int>(fresh.size()), row.expected_forwarded()) << reply;
    if (!row.upstream_target.empty() && !fresh.empty()) {
      EXPECT_EQ(fresh.front(), row.upstream_target);
    }
    for (const auto& target : fresh) EXPECT_EQ(target.find("smuggled"), std::string::npos);
  }
  EXPECT_EQ(proxy.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace meshsim::testing
