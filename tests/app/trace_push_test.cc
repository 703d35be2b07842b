// `serve --otlp URL` and `--zipkin URL`: a receiver on 127.0.0.1 (an
// in-test Asio/Beast HTTP server) takes what serve pushes. Checked against
// OTLP/HTTP (opentelemetry-proto docs/specification.md: POST /v1/traces,
// Content-Type application/json, ExportTraceServiceRequest in the JSON
// mapping: hex ids, integer enums, 64-bit nanos as strings) and Zipkin's
// API (zipkin-api zipkin2-api.yaml: POST /api/v2/spans, a ListOfSpans).
// A backend that fails is counted and reported; serve keeps serving and
// exits 0. Every wait has a deadline.
#include <atomic>
#include <mutex>
#include <regex>
#include <thread>

#include <utility>  // Boost 1.74 asio/awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/app/live_process.h"

namespace meshsim::testing {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using net::ip::tcp;

const std::string kScenario = std::string(MESHSIM_SOURCE_DIR) + "/tests/reports/prometheus-phases.yaml";

// Answers every request with `status` and keeps what arrived.
class Receiver {
 public:
  struct Post {
    std::string target, content_type, body;
  };
  explicit Receiver(int status) : status_(status), acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Receiver() {
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<Post> posts() {
    std::lock_guard lock(mutex_);
    return posts_;
  }
  // Waits (15 s at most) until a POST arrived.
  bool wait_for_post() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!posts().empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling the receiver thread, not timing the test
    }
    return false;
  }

 private:
  struct Connection {
    explicit Connection(net::io_context& io) : socket(io) {}
    tcp::socket socket;
    boost::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> request;
    bhttp::response<bhttp::string_body> response;
  };
  void accept() {
    auto c = std::make_shared<Connection>(io_);
    acceptor_.async_accept(c->socket, [this, c](boost::system::error_code ec) {
      if (ec) return;
      read(c);
      accept();
    });
  }
  void read(std::shared_ptr<Connection> c) {
    bhttp::async_read(c->socket, c->buffer, c->request, [this, c](boost::system::error_code ec, size_t) {
      if (ec) return;
      {
        std::lock_guard lock(mutex_);
        posts_.push_back({std::string(c->request.target()), std::string(c->request[bhttp::field::content_type]), c->request.body()});
      }
      c->response = {static_cast<bhttp::status>(status_), 11};
      c->response.keep_alive(false);
      c->response.prepare_payload();
      bhttp::async_write(c->socket, c->response, [c](boost::system::error_code, size_t) {});
    });
  }
  int status_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Post> posts_;
};

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(TracePush, OtlpAndZipkinReceiversGetTheSampledSpans) {
  Receiver otlp(200), zipkin(202);
  LiveProcess serve({"serve", kScenario, "--speed", "1", "--port", "0", "--admin-port", "0", "--trace-sampling", "100",
                     "--otlp", fmt::format("http://127.0.0.1:{}", otlp.port()),
                     "--zipkin", fmt::format("http://127.0.0.1:{}/api/v2/spans", zipkin.port())});
  ASSERT_TRUE(serve.wait_for_stderr("admin http://")) << serve.stderr_text();
  double started = now_seconds();
  ASSERT_TRUE(otlp.wait_for_post()) << serve.stderr_text();
  ASSERT_TRUE(zipkin.wait_for_post()) << serve.stderr_text();
  EXPECT_EQ(serve.stop(SIGINT), 0);
  EXPECT_NE(serve.stderr_text().find(fmt::format("otlp http://127.0.0.1:{}/v1/traces: ", otlp.port())), std::string::npos)
      << serve.stderr_text();
  EXPECT_NE(serve.stderr_text().find("0 batches failed, 0 spans dropped"), std::string::npos) << serve.stderr_text();

  const std::regex hex32("[0-9a-f]{32}"), hex16("[0-9a-f]{16}");
  size_t otlp_spans = 0;
  for (const auto& post : otlp.posts()) {
    EXPECT_EQ(post.target, "/v1/traces");
    EXPECT_EQ(post.content_type, "application/json");
    auto request = nlohmann::json::parse(post.body);
    for (const auto& rs : request.at("resourceSpans")) {
      const auto& attribute = rs.at("resource").at("attributes").at(0);
      EXPECT_EQ(attribute.at("key"), "service.name");
      EXPECT_TRUE(attribute.at("value").at("stringValue").get<std::string>().ends_with(".default"));
      for (const auto& span : rs.at("scopeSpans").at(0).at("spans")) {
        ++otlp_spans;
        EXPECT_TRUE(std::regex_match(span.at("traceId").get<std::string>(), hex32));
        EXPECT_TRUE(std::regex_match(span.at("spanId").get<std::string>(), hex16));
        EXPECT_TRUE(span.at("kind") == 2 || span.at("kind") == 3);
        // Wall-clock time, as nanoseconds in a string.
        double start = std::stod(span.at("startTimeUnixNano").get<std::string>()) / 1e9;
        EXPECT_NEAR(start, started, 60);
        EXPECT_LE(std::stoll(span.at("startTimeUnixNano").get<std::string>()),
                  std::stoll(span.at("endTimeUnixNano").get<std::string>()));
        EXPECT_FALSE(span.at("attributes").empty());
      }
    }
  }
  EXPECT_GT(otlp_spans, 0u);
  size_t zipkin_spans = 0;
  for (const auto& post : zipkin.posts()) {
    EXPECT_EQ(post.target, "/api/v2/spans");
    EXPECT_EQ(post.content_type, "application/json");
    auto spans = nlohmann::json::parse(post.body);
    ASSERT_TRUE(spans.is_array());
    for (const auto& span : spans) {
      ++zipkin_spans;
      EXPECT_TRUE(std::regex_match(span.at("traceId").get<std::string>(), hex32));
      EXPECT_NEAR(span.at("timestamp").get<double>() / 1e6, started, 60);
    }
  }
  EXPECT_GT(zipkin_spans, 0u);
}

TEST(TracePush, AFailingBackendIsCountedAndServeGoesOn) {
  Receiver failing(503);
  // A port bound but never listened on refuses every connection, and no other process can take it while this
  // socket holds it (a port merely closed again could be handed to a concurrent test's listener, which may answer 200).
  net::io_context io;
  tcp::socket refusing(io);
  refusing.open(tcp::v4());
  refusing.bind({net::ip::make_address("127.0.0.1"), 0});
  uint16_t refusing_port = refusing.local_endpoint().port();
  LiveProcess serve({"serve", kScenario, "--speed", "1", "--port", "0", "--admin-port", "0", "--trace-sampling", "100",
                     "--otlp", fmt::format("http://127.0.0.1:{}", failing.port()),
                     "--zipkin", fmt::format("http://127.0.0.1:{}", refusing_port)});
  ASSERT_TRUE(serve.wait_for_stderr("admin http://")) << serve.stderr_text();
  ASSERT_TRUE(failing.wait_for_post());
  ASSERT_TRUE(serve.wait_for_stderr(fmt::format("http://127.0.0.1:{}/api/v2/spans failed", refusing_port))) << serve.stderr_text();
  uint16_t admin = serve.port_after("admin");
  EXPECT_EQ(http(admin, "GET", "/stats/prometheus").status, 200) << "serve still answers";
  EXPECT_EQ(serve.stop(SIGINT), 0);
  std::string err = serve.stderr_text();
  EXPECT_NE(err.find("HTTP 503"), std::string::npos) << err;
  EXPECT_EQ(err.find(" 0 batches failed"), std::string::npos) << err;
}

}  // namespace
}  // namespace meshsim::testing
