// `serve --zipkin URL` / `--otlp URL`: sampled spans pushed to a tracing
// backend as they finish, in batches, as a tracer's exporter does: Zipkin
// v2 JSON to POST /api/v2/spans (zipkin-api zipkin2-api.yaml) or OTLP/HTTP
// JSON to POST /v1/traces (opentelemetry-proto docs/specification.md,
// "OTLP/HTTP"). A URL without a path gets that default path. Bounded: at
// most kQueueMax spans wait (more are dropped and counted), one POST in
// flight, each with a deadline; a failed POST is counted and its spans
// dropped. Nothing here can stop `serve`.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <utility>  // Boost 1.74 asio/awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>

#include "proxy_core/telemetry.h"
#include "reports/span_export.h"
#include "sim/world.h"

namespace meshsim::app {

class TracePusher final : public proxy::TelemetrySink {
 public:
  enum class Format { kZipkin, kOtlp };
  static constexpr size_t kQueueMax = 2048, kBatchMax = 512;  // OpenTelemetry BatchSpanProcessor's defaults
  struct Stats {
    uint64_t spans_sent = 0, batches_sent = 0, batches_failed = 0, spans_dropped = 0;
    std::string last_error;
  };

  // Nullopt and `error` when the URL is not http://host[:port][/path].
  static std::unique_ptr<TracePusher> create(boost::asio::io_context& io, Format format, const std::string& url,
                                             std::string* error);
  TracePusher(boost::asio::io_context& io, Format format, sim::ParsedUrl url,
              std::vector<boost::asio::ip::tcp::endpoint> addresses);
  ~TracePusher() override;

  void record(const proxy::TelemetryEvent& event) override;  // queues a sampled span
  // Span times: simulated time zero in Unix microseconds (set before the first push).
  void set_epoch_us(int64_t epoch_us) { time_ = reports::UnixTime(epoch_us); }
  // The same with the live run's scale (span_export.h UnixTime).
  void set_unix_time(reports::UnixTime time) { time_ = time; }
  // Pushes every `period` from now on, on the io_context.
  void start(std::chrono::milliseconds period = std::chrono::milliseconds(1000));
  // At shutdown: pushes what waits, on a private io_context, within `limit`.
  void flush(std::chrono::milliseconds limit);
  const Stats& stats() const { return stats_; }
  std::string describe() const;  // "zipkin http://…: N spans in M batches, …"

 private:
  struct Exchange;
  void tick();
  // POSTs up to kBatchMax queued spans; `done` runs on `io` when it ended.
  void post_batch(boost::asio::io_context& io, std::function<void()> done);

  boost::asio::io_context& io_;
  Format format_;
  sim::ParsedUrl url_;
  // Resolved once at start: serve's io_context runs one thread, without
  // the resolver's background thread.
  std::vector<boost::asio::ip::tcp::endpoint> addresses_;
  reports::UnixTime time_;
  std::deque<proxy::StoredTelemetryEvent> queue_;
  bool in_flight_ = false;
  std::chrono::milliseconds period_{1000};
  boost::asio::steady_timer timer_;
  Stats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // handlers check it after the pusher went away
};

}  // namespace meshsim::app
