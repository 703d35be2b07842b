#include "app/trace_push.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "reports/span_export.h"

namespace meshsim::app {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {
constexpr auto kPostTimeout = std::chrono::seconds(5);
}

struct TracePusher::Exchange {
  explicit Exchange(net::io_context& io) : stream(io) {}
  beast::tcp_stream stream;
  http::request<http::string_body> request;
  http::response<http::string_body> response;
  beast::flat_buffer buffer;
  size_t spans = 0;
};

std::unique_ptr<TracePusher> TracePusher::create(net::io_context& io, Format format, const std::string& url, std::string* error) {
  if (!url.starts_with("http://")) {
    *error = "only http:// URLs can be pushed to, got " + url;
    return nullptr;
  }
  auto parsed = sim::parse_url(url, error);
  if (!parsed) return nullptr;
  if (parsed->target.empty() || parsed->target == "/") parsed->target = format == Format::kOtlp ? "/v1/traces" : "/api/v2/spans";
  net::io_context lookup;
  net::ip::tcp::resolver resolver(lookup);
  boost::system::error_code ec;
  std::vector<net::ip::tcp::endpoint> addresses;
  for (const auto& entry : resolver.resolve(parsed->host, std::to_string(parsed->port), ec)) addresses.push_back(entry.endpoint());
  if (ec || addresses.empty()) {
    *error = fmt::format("cannot resolve {}: {}", parsed->host, ec ? ec.message() : "no address");
    return nullptr;
  }
  return std::make_unique<TracePusher>(io, format, *parsed, std::move(addresses));
}

TracePusher::TracePusher(net::io_context& io, Format format, sim::ParsedUrl url, std::vector<net::ip::tcp::endpoint> addresses)
    : io_(io), format_(format), url_(std::move(url)), addresses_(std::move(addresses)), timer_(io) {}

TracePusher::~TracePusher() {
  *alive_ = false;
  timer_.cancel();
}

void TracePusher::record(const proxy::TelemetryEvent& event) {
  if (!event.sampled || event.trace_id.empty()) return;
  if (queue_.size() >= kQueueMax) {
    ++stats_.spans_dropped;
    return;
  }
  queue_.emplace_back(event);
}

void TracePusher::start(std::chrono::milliseconds period) {
  period_ = period;
  timer_.expires_after(period_);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!ec && *alive) tick();
  });
}

void TracePusher::tick() {
  if (!in_flight_ && !queue_.empty()) {
    in_flight_ = true;
    post_batch(io_, [this, alive = alive_] {
      if (*alive) in_flight_ = false;
    });
  }
  start(period_);
}

void TracePusher::post_batch(net::io_context& io, std::function<void()> done) {
  auto x = std::make_shared<Exchange>(io);
  std::vector<proxy::StoredTelemetryEvent> batch;
  while (!queue_.empty() && batch.size() < kBatchMax) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  x->spans = batch.size();
  nlohmann::ordered_json body;
  if (format_ == Format::kZipkin) {
    body = nlohmann::ordered_json::array();
    for (const auto& span : batch) body.push_back(reports::zipkin_span(span, time_));
  } else {
    std::vector<const proxy::StoredTelemetryEvent*> spans;
    for (const auto& span : batch) spans.push_back(&span);
    body = reports::otlp_traces(spans, time_);
  }
  x->request = {http::verb::post, url_.target, 11};
  x->request.set(http::field::host, url_.explicit_port ? fmt::format("{}:{}", url_.host, url_.port) : url_.host);
  x->request.set(http::field::content_type, "application/json");
  x->request.set(http::field::user_agent, "meshsim");
  x->request.body() = body.dump();
  x->request.prepare_payload();

  // Every step ends here: counts the outcome, never throws.
  auto finish = [this, x, done, alive = alive_](const boost::system::error_code& ec) {
    if (*alive) {
      int status = static_cast<int>(x->response.result_int());
      if (!ec && status >= 200 && status < 300) {
        ++stats_.batches_sent;
        stats_.spans_sent += x->spans;
      } else {
        ++stats_.batches_failed;
        stats_.spans_dropped += x->spans;
        std::string why = ec ? ec.message() : fmt::format("HTTP {}", status);
        if (stats_.last_error.empty())
          fmt::print(stderr, "meshsim serve: pushing spans to http://{}:{}{} failed: {} (counted; serve goes on)\n", url_.host,
                     url_.port, url_.target, why);
        stats_.last_error = why;
      }
    }
    beast::error_code ignored;
    x->stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    done();
  };
  x->stream.expires_after(kPostTimeout);
  x->stream.async_connect(addresses_, [x, finish](const boost::system::error_code& ec, const auto&) {
    if (ec) return finish(ec);
    http::async_write(x->stream, x->request, [x, finish](const boost::system::error_code& ec, size_t) {
      if (ec) return finish(ec);
      http::async_read(x->stream, x->buffer, x->response,
                       [x, finish](const boost::system::error_code& ec, size_t) { finish(ec); });
    });
  });
}

void TracePusher::flush(std::chrono::milliseconds limit) {
  net::io_context io;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!queue_.empty() && std::chrono::steady_clock::now() < deadline) {
    post_batch(io, [] {});
    io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    io.restart();
  }
  stats_.spans_dropped += queue_.size();
  queue_.clear();
}

std::string TracePusher::describe() const {
  return fmt::format("{} http://{}:{}{}: {} spans in {} batches pushed, {} batches failed, {} spans dropped{}",
                     format_ == Format::kZipkin ? "zipkin" : "otlp", url_.host, url_.port, url_.target, stats_.spans_sent,
                     stats_.batches_sent, stats_.batches_failed, stats_.spans_dropped,
                     stats_.last_error.empty() ? "" : " (last error: " + stats_.last_error + ")");
}

}  // namespace meshsim::app
