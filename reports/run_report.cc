#include "reports/run_report.h"

#include <csignal>

#include <fmt/format.h>

namespace meshsim::reports {
namespace {

using nlohmann::ordered_json;

double seconds(sim::Duration d) { return static_cast<double>(d.count()) / 1e6; }
double ms(int64_t us) { return static_cast<double>(us) / 1000.0; }

std::string shares(const std::map<std::string, uint64_t>& by_version, uint64_t total) {
  std::string out;
  for (const auto& [v, n] : by_version)
    out += fmt::format("{}{} {:.0f}%", out.empty() ? "" : ", ", v, 100.0 * static_cast<double>(n) / static_cast<double>(total));
  return out;
}

}  // namespace

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return fmt::format("signal {}", signal);
}

std::string run_text(const sim::RunResult& r) {
  std::string out;
  auto line = [&](const std::string& s) { out += s + "\n"; };
  line(fmt::format("scenario {} (seed {}, {:g} s simulated, {} requests, {} events)", r.scenario, r.seed, seconds(r.duration),
                   r.requests, r.events));
  if (!r.description.empty()) line(r.description);
  for (size_t i = 0; i < r.phases.size(); ++i) {
    const sim::Phase& p = r.phases[i];
    line("");
    line(fmt::format("[{:>6.1f}s - {:>6.1f}s] phase {}: {}", seconds(p.start), seconds(p.end), i + 1,
                     p.caption.empty() ? "-" : p.caption));
    if (!p.command.empty()) line(fmt::format("  $ {}", p.command));
    for (const auto& note : p.notes) line(fmt::format("  ! {}", note));
    for (const auto& [name, s] : p.sources) {
      double rps = seconds(p.end - p.start) > 0 ? static_cast<double>(s.requests) / seconds(p.end - p.start) : 0;
      std::string body;
      if (!s.bodies.empty()) {
        auto top = std::max_element(s.bodies.begin(), s.bodies.end(), [](auto& a, auto& b) { return a.second < b.second; });
        body = top->first.size() > 60 ? top->first.substr(0, 57) + "..." : top->first;
      }
      line(fmt::format("  source {:<10} {:>6} req ({:>5.1f}/s)  errors {:>5.1f}%  p50 {:>7.1f} ms  p99 {:>7.1f} ms  \"{}\"",
                       name, s.requests, rps, s.requests ? 100.0 * static_cast<double>(s.errors) / static_cast<double>(s.requests) : 0,
                       ms(s.latency.percentile(50)), ms(s.latency.percentile(99)), body));
    }
    if (p.services.empty()) line("  (no telemetry: no sidecar reported a request)");
    for (const auto& [name, s] : p.services)
      line(fmt::format("  service {:<9} {:>6} req  by version: {:<18} errors {:>5.1f}%  p50 {:>7.1f} ms  p99 {:>7.1f} ms", name,
                       s.requests, shares(s.by_version, s.requests),
                       s.requests ? 100.0 * static_cast<double>(s.errors) / static_cast<double>(s.requests) : 0,
                       ms(s.latency.percentile(50)), ms(s.latency.percentile(99))));
  }
  line("");
  size_t passed = 0;
  for (const auto& e : r.expectations) passed += e.passed;
  line(fmt::format("expectations: {} of {} held", passed, r.expectations.size()));
  for (const auto& e : r.expectations)
    line(fmt::format("  {} {}: {}", e.passed ? "PASS" : e.reached ? "FAIL" : "NOT REACHED", e.name, e.observed));
  if (r.event_limit_hit) line("  FAIL the run hit the event limit and was stopped");
  if (!r.runaway.empty()) line("  FAIL meshsim refused a runaway request: " + r.runaway);
  if (r.interrupted_by)
    line(fmt::format("  INTERRUPTED by {} at {:.1f} s: the report covers what ran", signal_name(r.interrupted_by), seconds(r.duration)));
  return out;
}

ordered_json run_json(const sim::RunResult& r, const std::string& meshsim_version) {
  ordered_json j;
  j["schema"] = "meshsim.dev/report/v1alpha1";
  j["run"] = {{"scenario", r.scenario}, {"seed", r.seed}, {"meshsim_version", meshsim_version},
              {"duration_s", seconds(r.duration)}, {"requests", r.requests}, {"events", r.events},
              {"event_limit_hit", r.event_limit_hit}, {"passed", r.passed()}};
  // Only a run stopped by a signal says so; every other report keeps its bytes.
  if (r.interrupted_by) j["run"]["interrupted_by"] = signal_name(r.interrupted_by);
  if (!r.runaway.empty()) j["run"]["runaway"] = r.runaway;
  ordered_json phases = ordered_json::array();
  for (const auto& p : r.phases) {
    ordered_json jp = {{"start_s", seconds(p.start)}, {"end_s", seconds(p.end)}, {"caption", p.caption},
                       {"command", p.command}, {"notes", p.notes}};
    ordered_json sources = ordered_json::object();
    for (const auto& [name, s] : p.sources) {
      ordered_json statuses = ordered_json::object();
      for (const auto& [code, n] : s.by_status) statuses[code == 0 ? "error" : std::to_string(code)] = n;
      sources[name] = {{"requests", s.requests}, {"errors", s.errors}, {"by_status", statuses},
                       {"latency_ms", {{"p50", ms(s.latency.percentile(50))}, {"p90", ms(s.latency.percentile(90))},
                                       {"p99", ms(s.latency.percentile(99))}, {"max", ms(s.latency.max())}}}};
    }
    jp["sources"] = sources;
    ordered_json services = ordered_json::object();
    for (const auto& [name, s] : p.services) {
      ordered_json statuses = ordered_json::object();
      for (const auto& [code, n] : s.by_status) statuses[std::to_string(code)] = n;
      services[name] = {{"requests", s.requests}, {"errors", s.errors}, {"by_version", s.by_version}, {"by_status", statuses},
                        {"latency_ms", {{"p50", ms(s.latency.percentile(50))}, {"p90", ms(s.latency.percentile(90))},
                                        {"p99", ms(s.latency.percentile(99))}, {"max", ms(s.latency.max())}}}};
    }
    jp["services"] = services;
    phases.push_back(jp);
  }
  j["phases"] = phases;
  ordered_json expectations = ordered_json::array();
  for (const auto& e : r.expectations)
    expectations.push_back({{"name", e.name}, {"passed", e.passed}, {"reached", e.reached}, {"observed", e.observed}, {"samples", e.samples},
                            {"source", fmt::format("{}:{}:{}", e.pos.file, e.pos.line, e.pos.column)}});
  j["expectations"] = expectations;
  return j;
}

}  // namespace meshsim::reports
