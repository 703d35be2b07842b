#include "config/replay_source.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

namespace meshsim::config {

// A replay is a test: 256 MB of log is about a million lines, five times what it replays.
constexpr uintmax_t kAccessLogBytesMax = 256ull << 20;

sim::ReplayTraffic replay_from_log(std::string_view text, const std::string& file, AccessLogFormat format, double speed) {
  AccessLog log = parse_access_log(text, format);
  sim::ReplayTraffic out;
  out.file = file;
  out.format = access_log_format_name(format);
  out.speed = speed > 0 ? speed : 1;
  out.lines = log.lines;
  out.bad_lines = static_cast<int>(log.bad.size());
  out.inbound = log.inbound;
  out.not_http = log.not_http;
  for (const auto& b : log.bad) {
    if (out.problems.size() >= sim::ReplayTraffic::kReplayProblemsShown) {
      out.problems.push_back(fmt::format("{}: {} more lines not parsed", file, log.bad.size() - sim::ReplayTraffic::kReplayProblemsShown));
      break;
    }
    out.problems.push_back(fmt::format("{}:{}:{}: not parsed as {}: {}", file, b.line, b.column, out.format, b.message));
  }
  if (log.truncated)
    out.problems.push_back(fmt::format("{}: only the first {} lines are replayed", file, kAccessLogLinesMax));
  if (log.entries.empty()) return out;
  int64_t first = log.entries.front().entry.start_unix_us;
  for (const auto& l : log.entries) first = std::min(first, l.entry.start_unix_us);
  for (const auto& l : log.entries) {
    const AccessLogEntry& e = l.entry;
    sim::ReplayRequest r;
    r.at = proxy::Duration(std::llround(static_cast<double>(e.start_unix_us - first) / out.speed));
    r.line = l.line;
    r.pod = e.pod;
    r.workload = !e.workload.empty() ? e.workload : e.pod.empty() ? "" : workload_of_pod(e.pod);
    r.ns = e.ns;
    r.method = e.method;
    r.authority = e.authority;
    r.path = e.path.empty() ? "/" : e.path;
    r.user_agent = e.user_agent;
    r.request_id = e.request_id;
    out.requests.push_back(std::move(r));
  }
  // Logs of several pods concatenated are not in time order; equal times keep file order.
  std::stable_sort(out.requests.begin(), out.requests.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  return out;
}

std::optional<sim::ReplayTraffic> read_replay(const std::string& path, const std::string& format, double speed,
                                              std::string* error) {
  std::string body;
  if (path == "-") {
    std::ostringstream text;
    text << std::cin.rdbuf();
    body = text.str();
  } else {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > kAccessLogBytesMax) {
      if (error) *error = fmt::format("access log {} has {} bytes; a replay reads at most {}", path, size, kAccessLogBytesMax);
      return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      if (error) *error = fmt::format("cannot read access log {}", path);
      return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    body = text.str();
  }
  AccessLogFormat f = detect_access_log_format(body);
  if (!format.empty()) {
    auto named = access_log_format_from_name(format);
    if (!named) {
      if (error) *error = fmt::format("unknown access-log format \"{}\" (valid: istio-text, envoy-json)", format);
      return std::nullopt;
    }
    f = *named;
  }
  return replay_from_log(body, path, f, speed);
}

}  // namespace meshsim::config
