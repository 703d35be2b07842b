// `meshsim load`'s engine: a scenario traffic source (constant, Poisson,
// ramp, closed loop) as real requests over keep-alive connections
// (HttpCaller), and the result shaped like Fortio's JSON
// (fortio periodic.RunnerResults + fhttp.HTTPRunnerResults: RunType,
// RequestedQPS, ActualQPS, ActualDuration in ns, NumThreads,
// DurationHistogram {Count, Min, Max, Sum, Avg, StdDev, Data, Percentiles}
// in seconds, RetCodes with -1 for no response, SocketCount), so tools that
// read Fortio's files read ours. Bounded: a run ends at its duration or
// count, whichever comes first, and never runs longer than kLoadDurationMax.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/http_caller.h"
#include "sim/histogram.h"

namespace meshsim::app {

inline constexpr std::chrono::hours kLoadDurationMax{24};

struct LoadSpec {
  std::string url;  // http://host[:port]/path
  std::string method = "GET";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A header set that this share of requests adds (a header mix: "10% of
  // users send end-user: jason"); the shares together at most 100%, the
  // rest send only `headers`. Drawn per request from the seeded stream.
  struct MixEntry {
    uint32_t per_million = 0;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::vector<MixEntry> mix;
  enum class Kind { kConstant, kPoisson, kRamp, kClosedLoop };
  Kind kind = Kind::kConstant;
  double qps = 8;      // Fortio's default; the ramp's start. 0 with kConstant = as fast as possible (closed loop)
  double qps_end = 8;  // the ramp's end
  int connections = 4;  // Fortio's -c default: the most requests in flight
  std::chrono::microseconds duration{5'000'000};  // Fortio's -t default
  uint64_t exactly = 0;  // -n: this many requests, then stop (0: until the duration)
  std::chrono::milliseconds timeout{3'000};  // Fortio's -timeout default
  uint64_t seed = 1;
  std::string labels;
  std::vector<double> percentiles = {50, 75, 90, 99, 99.9};  // Fortio's -p default
  // Unary gRPC calls: POST over h2c (prior knowledge), content-type
  // application/grpc, te: trailers, `body` as one Length-Prefixed-Message;
  // the URL path is /package.Service/Method.
  bool grpc = false;
};

struct LoadResult {
  std::chrono::system_clock::time_point start_time;
  std::chrono::nanoseconds actual_duration{0};
  uint64_t requests = 0;
  std::map<int, uint64_t> ret_codes;  // -1: no response (refused, reset, timed out)
  std::map<int, uint64_t> grpc_codes;  // with LoadSpec::grpc: grpc-status of each answered call
  sim::LatencyHistogram latency_us;
  double sum_s = 0, sum_squares_s = 0, min_s = 0, max_s = 0;
  std::vector<uint64_t> buckets;  // Fortio's bucket layout (load_generator.cc)
  size_t sockets = 0;
  uint64_t late_starts = 0;  // open loop: arrivals that waited for a free connection
  bool interrupted = false;  // SIGINT/SIGTERM ended it early
};

// Runs `spec` to its end on a fresh io_context (SIGINT/SIGTERM end it
// early). False with `error` for a bad URL.
bool run_load(const LoadSpec& spec, const HttpCaller::Options& caller_options, LoadResult& result, std::string* error);

// The Fortio-shaped JSON of a run.
nlohmann::ordered_json fortio_json(const LoadSpec& spec, const LoadResult& result);
// Fortio's closing text lines (percentiles, codes, "All done N calls ... qps").
std::string load_text(const LoadSpec& spec, const LoadResult& result);

}  // namespace meshsim::app
