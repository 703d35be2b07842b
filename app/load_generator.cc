#include "app/load_generator.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <optional>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "app/build_info.h"
#include "proxy_core/grpc.h"
#include "sim/random.h"
#include "sim/world.h"

namespace meshsim::app {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// Fortio's histogram bucket bounds (fortio stats/stats.go
// histogramBucketValues), in milliseconds at its default resolution of
// 1 ms (-r 0.001): bucket i holds values in ]bound[i-1], bound[i]], the
// first those <= 0, one more those above the last bound.
constexpr int32_t kFortioBucketsMs[] = {0,    1,    2,    3,    4,    5,     6,     7,     8,     9,     10,    11,   12,
                                        14,   16,   18,   20,   25,   30,    35,    40,    45,    50,    60,    70,   80,
                                        90,   100,  120,  140,  160,  180,   200,   250,   300,   350,   400,   450,  500,
                                        600,  700,  800,  900,  1000, 2000,  3000,  4000,  5000,  7500,  10000, 20000, 30000,
                                        40000, 50000, 75000, 100000};
constexpr size_t kFortioBucketCount = std::size(kFortioBucketsMs) + 1;

// Open loop: arrivals waiting for a free connection, at most this many;
// beyond it an arrival is recorded as failed (-1) rather than queued.
constexpr uint64_t kQueuedMax = 100'000;
// Arrivals sent in one timer wake-up (catching up after a stall), at most.
constexpr int kCatchUpMax = 10'000;
// Every run, all requests: a ceiling whatever the flags say.
constexpr uint64_t kRequestsMax = 50'000'000;

size_t bucket_of(double ms) {
  for (size_t i = 0; i < std::size(kFortioBucketsMs); ++i)
    if (ms <= kFortioBucketsMs[i]) return i;
  return kFortioBucketCount - 1;
}

class LoadRun {
 public:
  LoadRun(net::io_context& io, const LoadSpec& spec, const HttpCaller::Options& options, const sim::ParsedUrl& url,
          LoadResult& result)
      : io_(io), spec_(spec), url_(url), result_(result), caller_(io, options), random_(spec.seed), arrivals_(io),
        end_timer_(io), hard_stop_(io), signals_(io, SIGINT, SIGTERM) {
    result_.buckets.assign(kFortioBucketCount, 0);
    authority_ = url.explicit_port ? fmt::format("{}:{}", url.host, url.port) : url.host;
  }

  void start() {
    result_.start_time = std::chrono::system_clock::now();
    start_ = Clock::now();
    signals_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      result_.interrupted = true;
      stop_issuing();
    });
    end_timer_.expires_at(start_ + std::min<Clock::duration>(spec_.duration, kLoadDurationMax));
    end_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) stop_issuing();
    });
    if (closed_loop()) {
      for (int i = 0; i < std::max(1, spec_.connections) && issuing_; ++i) issue();
    } else {
      next_due_ = start_;
      on_arrival_timer();
    }
    maybe_finish();
  }

 private:
  bool closed_loop() const {
    return spec_.kind == LoadSpec::Kind::kClosedLoop || (spec_.kind == LoadSpec::Kind::kConstant && spec_.qps <= 0);
  }

  double rate_now(Clock::time_point now) const {
    if (spec_.kind != LoadSpec::Kind::kRamp) return spec_.qps;
    double f = std::clamp(std::chrono::duration<double>(now - start_).count() /
                              std::max(1e-9, std::chrono::duration<double>(spec_.duration).count()),
                          0.0, 1.0);
    return spec_.qps + (spec_.qps_end - spec_.qps) * f;
  }

  void on_arrival_timer() {
    auto now = Clock::now();
    for (int n = 0; issuing_ && next_due_ <= now && n < kCatchUpMax; ++n) {
      arrival();
      double gap_s = 1.0 / std::max(rate_now(next_due_), 1e-3);
      if (spec_.kind == LoadSpec::Kind::kPoisson) {
        double u = (static_cast<double>(random_.next() >> 11) + 0.5) * 0x1.0p-53;
        gap_s *= -std::log(u);
      }
      next_due_ += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap_s));
    }
    if (!issuing_) return;
    arrivals_.expires_at(next_due_);
    arrivals_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) on_arrival_timer();
    });
  }

  void arrival() {
    if (in_flight_ < static_cast<uint64_t>(std::max(1, spec_.connections))) return issue();
    if (!count_one()) return;
    if (queued_ >= kQueuedMax) record(Clock::now(), std::nullopt);
    else ++queued_, ++result_.late_starts;
    stop_at_limit();
  }

  // Counts one more request against -n and the ceiling; false when none is left.
  bool count_one() {
    if (!issuing_) return false;
    ++issued_;
    return true;
  }
  // After the request counted last is sent or queued: with nothing in flight
  // before it, stopping first would end the run without it (-c 1 -n N sent N-1).
  void stop_at_limit() {
    uint64_t limit = spec_.exactly ? std::min(spec_.exactly, kRequestsMax) : kRequestsMax;
    if (issued_ >= limit) stop_issuing(/*drop_queued=*/false);
  }

  void issue() {
    if (!count_one()) return;
    send();
    stop_at_limit();
  }

  void send() {
    proxy::HttpRequest request;
    request.method = spec_.method;
    request.target = url_.target;
    request.authority = authority_;
    for (const auto& [k, v] : spec_.headers) {
      if (proxy::iequals(k, "host")) request.authority = v;
      else request.headers.add(k, v);
    }
    if (!spec_.mix.empty()) {
      uint64_t draw = random_.below(1'000'000), edge = 0;
      for (const auto& m : spec_.mix) {
        edge += m.per_million;
        if (draw < edge) {
          for (const auto& [k, v] : m.headers) request.headers.set(k, v);
          break;
        }
      }
    }
    if (spec_.grpc) {
      request.protocol = proxy::WireProtocol::kHttp2;
      request.method = "POST";
      request.headers.set("content-type", "application/grpc");
      request.headers.set("te", "trailers");
      request.body = proxy::grpc_frame(spec_.body);
    } else if (!spec_.body.empty()) {
      request.body = spec_.body;
    }
    ++in_flight_;
    auto sent_at = Clock::now();
    caller_.send(std::move(request), url_.host, url_.port, [this, sent_at](std::optional<proxy::HttpResponse>&& response) {
      --in_flight_;
      record(sent_at, response ? std::optional<int>(response->status) : std::nullopt);
      if (spec_.grpc && response) ++result_.grpc_codes[proxy::grpc_status_of(*response)];
      if (queued_ > 0) {
        --queued_;
        send();
      } else if (closed_loop() && issuing_) {
        issue();
      }
      maybe_finish();
    });
  }

  void record(Clock::time_point sent_at, std::optional<int> status) {
    double s = std::chrono::duration<double>(Clock::now() - sent_at).count();
    ++result_.requests;
    ++result_.ret_codes[status.value_or(-1)];
    result_.latency_us.record(static_cast<int64_t>(std::llround(s * 1e6)));
    if (result_.requests == 1 || s < result_.min_s) result_.min_s = s;
    result_.max_s = std::max(result_.max_s, s);
    result_.sum_s += s;
    result_.sum_squares_s += s * s;
    ++result_.buckets[bucket_of(s * 1000)];
  }

  void stop_issuing(bool drop_queued = true) {
    if (!issuing_) {
      if (drop_queued) queued_ = 0;
      return maybe_finish();
    }
    issuing_ = false;
    if (drop_queued) queued_ = 0;  // the duration is over: arrivals still waiting are not sent
    arrivals_.cancel();
    // Requests in flight get the timeout to answer, then the run ends regardless.
    hard_stop_.expires_after(spec_.timeout + std::chrono::seconds(1));
    hard_stop_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) finish();
    });
    maybe_finish();
  }

  void maybe_finish() {
    if (!issuing_ && in_flight_ == 0 && queued_ == 0) finish();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    result_.actual_duration = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_);
    result_.sockets = caller_.connections_opened();
    io_.stop();
  }

  net::io_context& io_;
  const LoadSpec& spec_;
  sim::ParsedUrl url_;
  LoadResult& result_;
  HttpCaller caller_;
  sim::SplitMix64 random_;
  std::string authority_;
  net::steady_timer arrivals_, end_timer_, hard_stop_;
  net::signal_set signals_;
  Clock::time_point start_, next_due_;
  bool issuing_ = true, finished_ = false;
  uint64_t issued_ = 0, in_flight_ = 0, queued_ = 0;
};

std::string seconds_text(std::chrono::microseconds d) {
  double s = static_cast<double>(d.count()) / 1e6;
  return fmt::format("{:g}s", s);
}

}  // namespace

bool run_load(const LoadSpec& spec, const HttpCaller::Options& caller_options, LoadResult& result, std::string* error) {
  auto url = sim::parse_url(spec.url, error);
  if (!url) return false;
  net::io_context io(1);
  HttpCaller::Options options = caller_options;
  options.timeout = spec.timeout;
  options.idle_connections_per_address_max = static_cast<size_t>(std::max(1, spec.connections));
  LoadRun run(io, spec, options, *url, result);
  run.start();
  io.run();
  return true;
}

nlohmann::ordered_json fortio_json(const LoadSpec& spec, const LoadResult& r) {
  nlohmann::ordered_json j;
  j["RunType"] = "HTTP";
  j["Labels"] = spec.labels;
  auto start_us = std::chrono::duration_cast<std::chrono::microseconds>(r.start_time.time_since_epoch()).count();
  j["StartTime"] = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z", fmt::gmtime(static_cast<std::time_t>(start_us / 1000000)),
                               start_us % 1000000);
  bool max_speed = spec.kind == LoadSpec::Kind::kClosedLoop || (spec.kind == LoadSpec::Kind::kConstant && spec.qps <= 0);
  j["RequestedQPS"] = max_speed ? std::string("max") : fmt::format("{:g}", spec.qps);
  j["RequestedDuration"] = spec.exactly ? fmt::format("exactly {} calls", spec.exactly) : seconds_text(spec.duration);
  double seconds = std::chrono::duration<double>(r.actual_duration).count();
  j["ActualQPS"] = seconds > 0 ? static_cast<double>(r.requests) / seconds : 0.0;
  j["ActualDuration"] = r.actual_duration.count();
  j["NumThreads"] = spec.connections;
  j["Version"] = std::string(version_line());
  nlohmann::ordered_json h;
  double n = static_cast<double>(r.requests);
  double avg = n > 0 ? r.sum_s / n : 0;
  h["Count"] = r.requests;
  h["Min"] = r.min_s;
  h["Max"] = r.max_s;
  h["Sum"] = r.sum_s;
  h["Avg"] = avg;
  h["StdDev"] = n > 0 ? std::sqrt(std::max(0.0, r.sum_squares_s / n - avg * avg)) : 0.0;
  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < r.buckets.size(); ++i) {
    if (r.buckets[i] == 0) continue;
    cumulative += r.buckets[i];
    // Bounds in seconds; the first and last buckets end at the observed min and max, as Fortio's do.
    double start = i == 0 ? r.min_s : kFortioBucketsMs[i - 1] / 1000.0;
    double end = i + 1 == r.buckets.size() ? r.max_s : kFortioBucketsMs[i] / 1000.0;
    start = std::max(start, r.min_s);
    end = std::min(end, r.max_s);
    data.push_back({{"Start", start}, {"End", end}, {"Percent", 100.0 * static_cast<double>(cumulative) / n},
                    {"Count", r.buckets[i]}});
  }
  h["Data"] = data;
  nlohmann::ordered_json percentiles = nlohmann::ordered_json::array();
  for (double p : spec.percentiles)
    percentiles.push_back({{"Percentile", p}, {"Value", static_cast<double>(r.latency_us.percentile(p)) / 1e6}});
  h["Percentiles"] = percentiles;
  j["DurationHistogram"] = h;
  j["Exactly"] = spec.exactly;
  j["Jitter"] = false;
  j["Uniform"] = false;
  j["NoCatchUp"] = false;
  j["RunID"] = 0;
  nlohmann::ordered_json codes = nlohmann::ordered_json::object();
  for (const auto& [code, count] : r.ret_codes) codes[std::to_string(code)] = count;
  j["RetCodes"] = codes;
  if (spec.grpc) {  // meshsim's: the HTTP status of a gRPC call is 200 whatever its outcome
    nlohmann::ordered_json grpc = nlohmann::ordered_json::object();
    for (const auto& [code, count] : r.grpc_codes) grpc[std::to_string(code)] = count;
    j["GrpcCodes"] = grpc;
  }
  j["URL"] = spec.url;
  j["SocketCount"] = r.sockets;
  // meshsim's own, which Fortio has no field for.
  const char* arrival = spec.kind == LoadSpec::Kind::kPoisson ? "poisson"
                        : spec.kind == LoadSpec::Kind::kRamp  ? "ramp"
                        : max_speed                            ? "closed-loop"
                                                               : "constant";
  j["Meshsim"] = {{"Arrival", arrival}, {"LateStarts", r.late_starts}, {"Interrupted", r.interrupted}};
  return j;
}

std::string load_text(const LoadSpec& spec, const LoadResult& r) {
  std::string out;
  for (double p : spec.percentiles)
    out += fmt::format("# target {:g}% {:.6g}\n", p, static_cast<double>(r.latency_us.percentile(p)) / 1e6);
  out += fmt::format("Sockets used: {}\n", r.sockets);
  double n = static_cast<double>(r.requests);
  for (const auto& [code, count] : r.ret_codes)
    out += fmt::format("Code {} : {} ({:.1f} %)\n", code, count, n > 0 ? 100.0 * static_cast<double>(count) / n : 0.0);
  for (const auto& [code, count] : r.grpc_codes)
    out += fmt::format("gRPC status {} : {} ({:.1f} %)\n", code, count, n > 0 ? 100.0 * static_cast<double>(count) / n : 0.0);
  double seconds = std::chrono::duration<double>(r.actual_duration).count();
  out += fmt::format("All done {} calls {:.3f} ms avg, {:.1f} qps{}\n", r.requests, n > 0 ? 1000 * r.sum_s / n : 0.0,
                     seconds > 0 ? n / seconds : 0.0, r.interrupted ? " (interrupted)" : "");
  return out;
}

}  // namespace meshsim::app
