// A real Prometheus (Debian's /usr/bin/prometheus) for tests: on 127.0.0.1
// at a free port, its own temporary storage (or a given data dir, e.g.
// blocks made by promtool), optionally scraping one target every second.
// Every wait has a deadline; the process is killed with the object.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/app/live_process.h"

namespace meshsim::testing {

inline constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";
inline constexpr const char* kPromtoolBinary = "/usr/bin/promtool";

// A fresh directory under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A port free on 127.0.0.1 a moment ago.
uint16_t free_port();

struct PrometheusOptions {
  uint16_t scrape_port = 0;          // 0: no scrape job
  std::string metrics_path = "/metrics";
  std::string data_dir;              // empty: a temporary one
  std::string retention = "15d";     // --storage.tsdb.retention.time
  std::string config_file;           // non-empty: this prometheus.yml instead of the generated one
};

struct PromSample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

class LocalPrometheus {
 public:
  explicit LocalPrometheus(const PrometheusOptions& options);
  // Waits for /-/ready (30 s at most). A Prometheus that exits first (its
  // port, free a moment before, taken by a concurrent test) is started again
  // on another port, twice at most; port() is known once this returns true.
  bool ready();
  // An instant query evaluated at `time` (Unix seconds): the result vector,
  // or nullopt with the reason in `error()`.
  std::optional<std::vector<PromSample>> query(const std::string& promql, double time);
  const std::string& error() const { return error_; }
  uint16_t port() const { return port_; }  // on 127.0.0.1
  std::string log() const { return process_->stderr_text(); }

 private:
  void start();
  std::unique_ptr<TempDir> own_dir_;
  std::string config_path_, data_dir_, retention_;
  uint16_t port_ = 0;
  std::unique_ptr<LiveProcess> process_;
  std::string error_;
};

// Wall-clock now as Unix seconds (what Prometheus stamps scrapes with).
double unix_now();

}  // namespace meshsim::testing
