// The merged verdict of many runs of one scenario (a seed sweep, or the
// report.json files of a Kubernetes Indexed Job): per expectation, in how
// many runs it held, with a Wilson score 95% interval for the probability
// that it holds in a run. Reads report.json (schema meshsim.dev/report/
// v1alpha1) as parsed JSON; never throws on a malformed report, it becomes
// a problem in the verdict.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace meshsim::reports {

struct ExpectationTally {
  std::string name;
  std::string source;  // file:line:column of the expectation
  uint64_t held = 0, failed = 0, not_reached = 0;
  double low = 0, high = 1;  // Wilson 95% for held / (held + failed)
  bool meets_rule = false;
};

struct SweepVerdict {
  std::string scenario;
  std::vector<uint64_t> seeds;  // in the order given
  uint64_t runs = 0, runs_passed = 0, event_limit_runs = 0;
  double min_pass = 1.0;  // the rule: each expectation held in at least this fraction of the runs that judged it
  std::vector<ExpectationTally> expectations;
  std::vector<std::string> problems;  // unreadable or mismatched reports: bad input
  bool passed = false;
};

// Wilson score interval (z = 1.96) for k successes in n trials; {0, 1} when n == 0.
std::pair<double, double> wilson_interval_95(uint64_t k, uint64_t n);

// `names[i]` names reports[i] in problems (a path). min_pass in (0, 1].
SweepVerdict merge_reports(const std::vector<nlohmann::json>& reports, const std::vector<std::string>& names,
                           double min_pass);

std::string verdict_text(const SweepVerdict& v);
nlohmann::ordered_json verdict_json(const SweepVerdict& v);

}  // namespace meshsim::reports
