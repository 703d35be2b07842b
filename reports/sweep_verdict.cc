#include "reports/sweep_verdict.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

namespace meshsim::reports {

std::pair<double, double> wilson_interval_95(uint64_t k, uint64_t n) {
  if (n == 0) return {0.0, 1.0};
  const double z = 1.959963984540054;  // the normal quantile for 97.5%
  double nn = static_cast<double>(n), p = static_cast<double>(k) / nn;
  double denominator = 1 + z * z / nn;
  double center = (p + z * z / (2 * nn)) / denominator;
  double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denominator;
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

namespace {

template <typename T>
bool get(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  try {
    out = it->get<T>();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

}  // namespace

SweepVerdict merge_reports(const std::vector<nlohmann::json>& reports, const std::vector<std::string>& names,
                           double min_pass) {
  SweepVerdict v;
  v.min_pass = min_pass;
  // Expectations keyed by where they are written, then their name: two
  // with one name in different places stay apart.
  std::map<std::pair<std::string, std::string>, size_t> index;
  std::map<uint64_t, std::string> report_of_seed;
  for (size_t i = 0; i < reports.size(); ++i) {
    const auto& r = reports[i];
    const std::string& name = i < names.size() ? names[i] : std::to_string(i);
    const auto run = r.is_object() ? r.find("run") : r.end();
    if (!r.is_object() || r.value("schema", "") != "meshsim.dev/report/v1alpha1" || run == r.end() || !run->is_object()) {
      v.problems.push_back(name + ": not a meshsim report.json (schema meshsim.dev/report/v1alpha1)");
      continue;
    }
    std::string scenario;
    uint64_t seed = 0;
    bool passed = false, limit = false;
    get(*run, "scenario", scenario);
    get(*run, "seed", seed);
    get(*run, "passed", passed);
    get(*run, "event_limit_hit", limit);
    if (v.runs == 0) v.scenario = scenario;
    else if (scenario != v.scenario) {
      v.problems.push_back(fmt::format("{}: scenario \"{}\", the others are \"{}\"", name, scenario, v.scenario));
      continue;
    }
    // A run stopped by a signal judged only what it reached, and a sweep
    // that was stopped does not pass: the same holds for its reports here.
    if (std::string signal; get(*run, "interrupted_by", signal)) {
      v.problems.push_back(fmt::format("{}: seed {} was interrupted by {}; its verdict covers only what ran", name, seed, signal));
      continue;
    }
    // One seed is one run: a report given twice (a retried job's copy)
    // would count its verdict twice and narrow the interval.
    if (auto [at, added] = report_of_seed.emplace(seed, name); !added) {
      v.problems.push_back(fmt::format("{}: seed {} is already counted from {}", name, seed, at->second));
      continue;
    }
    ++v.runs;
    v.seeds.push_back(seed);
    v.runs_passed += passed;
    v.event_limit_runs += limit;
    auto list = r.find("expectations");
    if (list == r.end() || !list->is_array()) continue;
    for (const auto& e : *list) {
      if (!e.is_object()) continue;
      std::string ename, source;
      bool held = false, reached = true;
      get(e, "name", ename);
      get(e, "source", source);
      get(e, "passed", held);
      get(e, "reached", reached);
      auto [it, added] = index.emplace(std::make_pair(source, ename), v.expectations.size());
      if (added) v.expectations.push_back({ename, source});
      auto& t = v.expectations[it->second];
      if (!reached) ++t.not_reached;
      else if (held) ++t.held;
      else ++t.failed;
    }
  }
  v.passed = v.problems.empty() && v.runs > 0 && v.event_limit_runs == 0;
  for (auto& t : v.expectations) {
    uint64_t judged = t.held + t.failed;
    std::tie(t.low, t.high) = wilson_interval_95(t.held, judged);
    // Held in every judged run, or in at least min_pass of them; a run cut
    // short before the window closed does not count either way.
    t.meets_rule = judged > 0 && static_cast<double>(t.held) >= min_pass * static_cast<double>(judged) - 1e-9;
    v.passed = v.passed && t.meets_rule;
  }
  return v;
}

std::string verdict_text(const SweepVerdict& v) {
  std::string out = v.runs == 0 ? std::string("sweep: no run to judge")
                                : fmt::format("sweep of {}: {} runs, {} passed every expectation", v.scenario, v.runs, v.runs_passed);
  if (v.event_limit_runs > 0) out += fmt::format(", {} hit the event limit", v.event_limit_runs);
  out += "\n";
  out += v.min_pass >= 1.0 ? "rule: every expectation held in every run\n"
                           : fmt::format("rule: every expectation held in at least {:.0f}% of the runs that judged it\n",
                                         v.min_pass * 100);
  for (const auto& t : v.expectations) {
    uint64_t judged = t.held + t.failed;
    out += fmt::format("  {} {}: held in {} of {} ({:.1f}%), Wilson 95% [{:.3f}, {:.3f}]", t.meets_rule ? "PASS" : "FAIL",
                       t.name, t.held, judged, judged ? 100.0 * static_cast<double>(t.held) / static_cast<double>(judged) : 0.0,
                       t.low, t.high);
    if (t.not_reached) out += fmt::format(", not reached in {}", t.not_reached);
    out += "\n";
  }
  for (const auto& p : v.problems) out += "  problem: " + p + "\n";
  out += v.passed ? "verdict: PASS\n" : "verdict: FAIL\n";
  return out;
}

nlohmann::ordered_json verdict_json(const SweepVerdict& v) {
  nlohmann::ordered_json j;
  j["schema"] = "meshsim.dev/sweep/v1alpha1";
  j["scenario"] = v.scenario;
  j["seeds"] = v.seeds;
  j["runs"] = v.runs;
  j["runs_passed"] = v.runs_passed;
  j["event_limit_runs"] = v.event_limit_runs;
  j["rule"] = {{"min_pass", v.min_pass}, {"interval", "Wilson score, 95%"}};
  auto list = nlohmann::ordered_json::array();
  for (const auto& t : v.expectations)
    list.push_back({{"name", t.name}, {"source", t.source}, {"held", t.held}, {"failed", t.failed},
                    {"not_reached", t.not_reached}, {"wilson95", {t.low, t.high}}, {"meets_rule", t.meets_rule}});
  j["expectations"] = list;
  j["problems"] = v.problems;
  j["passed"] = v.passed;
  return j;
}

}  // namespace meshsim::reports
