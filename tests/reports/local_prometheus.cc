#include "tests/reports/local_prometheus.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <utility>  // Boost 1.74 asio/awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace meshsim::testing {

TempDir::TempDir() {
  std::string pattern = "/tmp/meshsim-test-XXXXXX";
  if (char* made = mkdtemp(pattern.data())) path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {

std::string url_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace

LocalPrometheus::LocalPrometheus(const PrometheusOptions& options) {
  std::string data_dir = options.data_dir;
  own_dir_ = std::make_unique<TempDir>();
  if (data_dir.empty()) data_dir = own_dir_->path() + "/data";
  config_path_ = options.config_file.empty() ? own_dir_->path() + "/prometheus.yml" : options.config_file;
  if (options.config_file.empty()) {
    std::ofstream config(config_path_);
    config << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n";
    if (options.scrape_port)
      config << fmt::format(
          "scrape_configs:\n- job_name: meshsim\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  metrics_path: {}\n"
          "  static_configs: [{{targets: ['127.0.0.1:{}']}}]\n",
          options.metrics_path, options.scrape_port);
  }
  data_dir_ = data_dir;
  retention_ = options.retention;
  start();
}

void LocalPrometheus::start() {
  port_ = free_port();
  process_.reset();  // a previous attempt's files go before the next one's are made
  process_ = std::make_unique<LiveProcess>(
      kPrometheusBinary, std::vector<std::string>{"--config.file=" + config_path_, "--storage.tsdb.path=" + data_dir_,
                                                  "--storage.tsdb.retention.time=" + retention_,
                                                  fmt::format("--web.listen-address=127.0.0.1:{}", port_)});
}

bool LocalPrometheus::ready() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int restarts = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (http(port_, "GET", "/-/ready").status == 200) return true;
    if (process_->exited()) {
      if (restarts++ == 2) return false;  // log() tells why
      start();
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling a child's readiness, not timing a test
  }
  return false;
}

std::optional<std::vector<PromSample>> LocalPrometheus::query(const std::string& promql, double time) {
  // Prometheus HTTP API, GET /api/v1/query (prometheus.io/docs/prometheus/latest/querying/api/).
  auto reply = http(port_, "GET", fmt::format("/api/v1/query?query={}&time={:.3f}", url_encode(promql), time));
  auto body = nlohmann::json::parse(reply.body, nullptr, false);
  if (reply.status != 200 || body.is_discarded() || body.value("status", "") != "success") {
    error_ = fmt::format("{}: HTTP {} {}", promql, reply.status, reply.body);
    return std::nullopt;
  }
  std::vector<PromSample> out;
  for (const auto& r : body["data"]["result"]) {
    PromSample s;
    for (const auto& [k, v] : r["metric"].items()) s.labels[k] = v.get<std::string>();
    s.value = std::strtod(r["value"][1].get<std::string>().c_str(), nullptr);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace meshsim::testing
