#include "reports/time_series.h"

#include "proxy_core/hosts.h"
#include "sim/request_errors.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

namespace meshsim::reports {

namespace {

std::string call_key(std::string_view request_id, std::string_view ns, std::string_view workload) {
  return fmt::format("{} {}/{}", request_id, ns, workload);
}

// As a std::map<std::string, uint64_t> converts: an object in version order.
nlohmann::ordered_json by_version_json(const TimeSeries::VersionCounts& counts) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [version, n] : counts) out[std::string(version)] = n;
  return out;
}

}  // namespace

// A destination report of an error: was it passed on? The source-side report
// of a failed call the same workload made for the same request is recorded
// first (the call ends before the workload answers).
bool TimeSeries::take_failed_call(const proxy::TelemetryEvent& e) {
  if (e.request_id.empty()) return false;
  return failed_calls_.erase(call_key(e.request_id, e.destination_namespace, e.destination_workload)) > 0;
}

std::vector<TimeSeries::VersionCounts::Entry>::const_iterator TimeSeries::VersionCounts::find(std::string_view version) const {
  return std::find_if(counts_.begin(), counts_.end(), [&](const Entry& e) { return e.first == version; });
}

void TimeSeries::VersionCounts::add(std::string_view version, uint64_t n) {
  auto at = std::lower_bound(counts_.begin(), counts_.end(), version, [](const Entry& e, std::string_view v) { return e.first < v; });
  if (at != counts_.end() && at->first == version) at->second += n;
  else counts_.insert(at, {version, n});
}

std::string_view TimeSeries::intern_version(std::string_view version) {
  auto it = versions_.find(version);
  if (it == versions_.end()) it = versions_.emplace(version).first;
  return *it;
}

void TimeSeries::keep_open(Open& service, int64_t t) {
  if (service.open_t[0] == t || service.open_t[1] == t) return;
  // The older of the two (or a free slot) gives way.
  int64_t& slot = service.open_t[0] < service.open_t[1] ? service.open_t[0] : service.open_t[1];
  if (slot >= 0)
    if (auto it = service.bins->find(slot); it != service.bins->end()) it->second.latency.pack();
  slot = t;
}

std::pair<const std::string, TimeSeries::Open>& TimeSeries::open_for(const proxy::TelemetryEvent& e) {
  uint32_t id = e.destination_service_id;
  if (id != 0 && id < by_service_id_.size() && by_service_id_[id] != nullptr) return *by_service_id_[id];
  std::string service = proxy::short_name(e.destination_service);
  auto known = by_name_.find(service);
  if (known == by_name_.end()) known = by_name_.emplace(service, Open{&services_[service]}).first;
  if (id != 0) {  // map nodes do not move
    if (id >= by_service_id_.size()) by_service_id_.resize(id + 1, nullptr);
    by_service_id_[id] = &*known;
  }
  return *known;
}

void TimeSeries::record(const proxy::TelemetryEvent& e) {
  if (e.reporter == proxy::TelemetryEvent::Reporter::kSource) {
    if (!sim::is_error_report(e) || e.request_id.empty()) return;
    auto [it, added] = failed_calls_.insert(call_key(e.request_id, e.source_namespace, e.source_workload));
    if (added) failed_calls_order_.push_back(*it);
    if (failed_calls_order_.size() > kFailedCallsMax) {
      failed_calls_.erase(failed_calls_order_.front());
      failed_calls_order_.pop_front();
    }
    return;
  }
  int64_t second = e.start.count() / 1'000'000;
  if (second < 0) return;
  size_t services_before = by_name_.size();
  auto& [service, open] = open_for(e);
  if (by_name_.size() != services_before || second > last_second_) {
    last_second_ = std::max(last_second_, second);
    widen_to_budget();
  }
  int64_t t = second / width_s_ * width_s_;
  if (open.last_t != t) {
    open.last = &(*open.bins)[t];
    open.last_t = t;
    keep_open(open, t);
  }
  Bin& bin = *open.last;
  ++bin.requests;
  if (sim::is_error_report(e)) {
    ++bin.errors;
    if (take_failed_call(e)) ++bin.errors_passed_on;
    else {
      // A gRPC error travels in an HTTP 200: name it by its status.
      std::string code = e.grpc && e.response_code == 200 && e.grpc_response_status > 0
                             ? fmt::format("grpc-status {}", e.grpc_response_status)
                             : std::to_string(e.response_code);
      if (e.response_flags.empty() || e.response_flags == "-") ++error_origins_[service][code];
      else ++error_origins_[service][fmt::format("{} {}", code, e.response_flags)];
    }
  }
  bin.by_version.add(intern_version(e.destination_version.empty() ? "-" : e.destination_version), 1);
  bin.latency.record(e.duration.count());
}

void TimeSeries::widen_to_budget() {
  int64_t services = static_cast<int64_t>(services_.size());
  int64_t budget = std::max(kBinBudget, services * kBinsMin);
  auto over_budget = [&] { return services * (last_second_ / width_s_ + 1) > budget; };
  if (!over_budget()) return;
  while (over_budget()) width_s_ *= 2;
  // In place: a second map of the wider bins would double the series for a
  // moment, and that moment was the run's peak.
  for (auto& [service, bins] : services_) {
    for (auto it = bins.begin(); it != bins.end();) {
      int64_t start = it->first / width_s_ * width_s_;
      if (start == it->first) {
        ++it;
        continue;
      }
      Bin& into = bins[start];  // before `it`, which stays valid
      const Bin& bin = it->second;
      into.requests += bin.requests;
      into.errors += bin.errors;
      into.errors_passed_on += bin.errors_passed_on;
      for (const auto& [version, n] : bin.by_version) into.by_version.add(version, n);
      into.latency.merge(bin.latency);
      it = bins.erase(it);
    }
    for (auto& [second, bin] : bins) bin.latency.pack();
  }
  for (auto& [name, open] : by_name_) {
    open.open_t[0] = open.open_t[1] = -1;
    open.last_t = -1;  // its bin may have been merged away
    open.last = nullptr;
  }
}

nlohmann::ordered_json TimeSeries::json() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [service, bins] : services_) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& [second, b] : bins)
      list.push_back({{"t_s", second},
                      {"requests", b.requests},
                      {"errors", b.errors},
                      {"errors_passed_on", b.errors_passed_on},
                      {"by_version", by_version_json(b.by_version)},
                      {"p50_ms", static_cast<double>(b.latency.percentile(50)) / 1000.0},
                      {"p99_ms", static_cast<double>(b.latency.percentile(99)) / 1000.0}});
    out[service] = list;
  }
  return out;
}

std::vector<std::string> TimeSeries::sparklines(double seconds, int columns) const {
  static const char* kBlocks[] = {" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
  std::vector<std::string> lines;
  size_t width = static_cast<size_t>(std::clamp<double>(seconds, 1, columns));
  // Each column averages the whole seconds that fall into it.
  auto column_of = [&](int64_t t) {
    return std::min(width - 1, static_cast<size_t>(static_cast<double>(t) * static_cast<double>(width) / std::max(seconds, 1.0)));
  };
  std::vector<double> seconds_in(width, 0);
  for (int64_t t = 0; t < static_cast<int64_t>(seconds); ++t) ++seconds_in[column_of(t)];
  auto line = [&](const std::string& label, std::vector<double> values) {
    for (size_t i = 0; i < width; ++i) values[i] /= std::max(1.0, seconds_in[i]);
    double top = *std::max_element(values.begin(), values.end());
    std::string bar;
    for (double v : values) bar += kBlocks[top > 0 ? static_cast<int>(v / top * 8 + 0.5) : 0];
    lines.push_back(fmt::format("  {:<16} {} max {:.0f}/s", label, bar, top));
  };
  for (const auto& [service, bins] : services_) {
    std::set<std::string> versions;
    for (const auto& [t, b] : bins)
      for (const auto& [v, n] : b.by_version) versions.emplace(v);
    // A bin wider than a second counts a share in each second it covers
    // within the run.
    auto add = [&](std::vector<double>& values, int64_t t, uint64_t n) {
      int64_t end = std::min(t + width_s_, std::max(t + 1, static_cast<int64_t>(std::ceil(seconds))));
      for (int64_t s = t; s < end; ++s) values[column_of(s)] += static_cast<double>(n) / static_cast<double>(end - t);
    };
    for (const auto& v : versions) {
      std::vector<double> values(width, 0);
      for (const auto& [t, b] : bins)
        if (auto it = b.by_version.find(v); it != b.by_version.end()) add(values, t, it->second);
      line(service + " " + v, values);
    }
    std::vector<double> errors(width, 0);
    for (const auto& [t, b] : bins) add(errors, t, b.errors);
    if (*std::max_element(errors.begin(), errors.end()) > 0) line(service + " errors", errors);
  }
  return lines;
}

std::vector<std::string> TimeSeries::recent_table(double now, int window) const {
  std::vector<std::string> lines;
  lines.push_back(fmt::format("last {:<2} s        req/s   by version                     errors", window));
  int64_t to = static_cast<int64_t>(now), from = std::max<int64_t>(0, to - window);
  for (const auto& [service, bins] : services_) {
    uint64_t requests = 0, errors = 0;
    std::map<std::string, uint64_t> by_version;
    for (auto it = bins.lower_bound(from); it != bins.end() && it->first < to; ++it) {
      requests += it->second.requests;
      errors += it->second.errors;
      for (const auto& [v, n] : it->second.by_version) by_version[std::string(v)] += n;
    }
    auto percent = [&](uint64_t n) { return requests ? 100.0 * static_cast<double>(n) / static_cast<double>(requests) : 0.0; };
    std::string versions;
    for (const auto& [v, n] : by_version) versions += fmt::format("{} {:>3.0f}%  ", v, percent(n));
    lines.push_back(fmt::format("{:<14} {:>7.1f}   {:<30} {:>5.1f}%", service,
                                static_cast<double>(requests) / static_cast<double>(std::max<int64_t>(1, to - from)), versions,
                                percent(errors)));
  }
  if (services_.empty()) lines.push_back("(no telemetry: no sidecar reports yet)");
  return lines;
}

}  // namespace meshsim::reports
