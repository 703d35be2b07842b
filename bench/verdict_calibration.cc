// How honest a `share` expectation is (issue 19, "Honest verdicts"):
//  1. false alarms: a 90/10 VirtualService and a share expectation of 0.10,
//     run over many seeds; every failure is a false alarm. Printed next to
//     the exact binomial rate for the same plausible range.
//  2. power: the mesh really sends 10+k % to v2 while the expectation says
//     10 %; for each sample size, how often the check catches the shift, and
//     the smallest shift caught in at least 90 % of the seeds.
// Every request goes through the world and its sidecars (run_scenario), as
// `meshsim run` does. Figures go to bench/README.md and the README.
// Run: build/bench/verdict_calibration [false_alarm_seeds] [power_seeds] [sigmas]
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "config/loader.h"
#include "sim/scenario_runner.h"

namespace {

using namespace meshsim;

// users -> bar (v1/v2 by weight), sidecars everywhere, constant arrivals, so
// the share check sees exactly `requests` requests.
std::string scenario_yaml(int v2_percent, int requests, double sigmas) {
  return fmt::format(R"(apiVersion: apps/v1
kind: Deployment
metadata: {{name: bar-v1}}
spec:
  selector: {{matchLabels: {{app: bar, version: v1}}}}
  template: {{metadata: {{labels: {{app: bar, version: v1}}}}, spec: {{containers: [{{name: app, image: bar}}]}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: bar-v2}}
spec:
  selector: {{matchLabels: {{app: bar, version: v2}}}}
  template: {{metadata: {{labels: {{app: bar, version: v2}}}}, spec: {{containers: [{{name: app, image: bar}}]}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: bar}}
spec: {{selector: {{app: bar}}, ports: [{{name: http, port: 80}}]}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: bar}}
spec: {{host: bar, subsets: [{{name: v1, labels: {{version: v1}}}}, {{name: v2, labels: {{version: v2}}}}]}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: bar}}
spec:
  hosts: [bar]
  http: [{{route: [{{destination: {{host: bar, subset: v1}}, weight: {}}}, {{destination: {{host: bar, subset: v2}}, weight: {}}}]}}]
---
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {{name: calibration}}
spec:
  duration: {}ms
  traffic: [{{name: users, url: "http://bar/", rate: 1000, sidecar: true}}]
  expectations:
  - {{name: v2 share, service: bar, share: {{version: v2, equals: 0.1, sigmas: {}}}}}
)",
                     100 - v2_percent, v2_percent, requests, sigmas);
}

sim::Scenario load(int v2_percent, int requests, double sigmas) {
  std::string path = fmt::format("/tmp/meshsim-verdict-calibration-{}.yaml", getpid());
  std::ofstream(path) << scenario_yaml(v2_percent, requests, sigmas);
  auto loaded = config::load_scenario({path});
  std::remove(path.c_str());
  if (!loaded.scenario) {
    fmt::print(stderr, "verdict_calibration: the generated scenario did not load\n");
    std::exit(2);
  }
  return *loaded.scenario;
}

struct Tally {
  int runs = 0, failed = 0;
  uint64_t samples = 0;
};

Tally run_seeds(const sim::Scenario& sc, int seeds, uint64_t first_seed) {
  Tally t;
  for (int i = 0; i < seeds; ++i) {
    sim::RunOptions options;
    options.seed = first_seed + static_cast<uint64_t>(i);
    sim::RunResult r = sim::run_scenario(sc, options);
    ++t.runs;
    t.samples += r.expectations.at(0).samples;
    if (!r.expectations.at(0).passed) ++t.failed;
  }
  return t;
}

// P(|X/n - p| > z·se) for X ~ Binomial(n, p): the false-alarm rate a perfect
// weighted choice would give with the same plausible range.
double exact_false_alarm(int n, double p, double z) {
  double se = std::sqrt(p * (1 - p) / n), lo = p - z * se, hi = p + z * se, outside = 0;
  for (int k = 0; k <= n; ++k) {
    double share = static_cast<double>(k) / n;
    if (share >= lo && share <= hi) continue;
    outside += std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) + k * std::log(p) +
                        (n - k) * std::log1p(-p));
  }
  return outside;
}

// Wilson score interval (95 %) for `x` successes in `n` trials.
std::pair<double, double> wilson(int x, int n) {
  const double z = 1.959964, ph = static_cast<double>(x) / n, z2 = z * z;
  double centre = (ph + z2 / (2.0 * n)) / (1 + z2 / n);
  double half = z * std::sqrt(ph * (1 - ph) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
  return {x == 0 ? 0.0 : std::max(0.0, centre - half), x == n ? 1.0 : std::min(1.0, centre + half)};
}

}  // namespace

int main(int argc, char** argv) {
  int alarm_seeds = argc > 1 ? std::atoi(argv[1]) : 10000;
  int power_seeds = argc > 2 ? std::atoi(argv[2]) : 100;
  double sigmas = argc > 3 ? std::atof(argv[3]) : 4.0;
  auto start = std::chrono::steady_clock::now();

  const int alarm_n = 1000;
  Tally alarms = run_seeds(load(10, alarm_n, sigmas), alarm_seeds, 1);
  auto [lo, hi] = wilson(alarms.failed, alarms.runs);
  fmt::print("false alarms: 90/10 split, share expectation 0.10 ± {:g} standard errors, {} requests per run\n", sigmas,
             alarm_n);
  fmt::print("  {} failures in {} seeds = {:.2e} (95% Wilson interval [{:.2e}, {:.2e}]); exact binomial rate {:.2e} "
             "(1 in {:.0f}); mean samples {:.0f}\n",
             alarms.failed, alarms.runs, static_cast<double>(alarms.failed) / alarms.runs, lo, hi,
             exact_false_alarm(alarm_n, 0.1, sigmas), 1 / exact_false_alarm(alarm_n, 0.1, sigmas),
             static_cast<double>(alarms.samples) / alarms.runs);

  fmt::print("power: the mesh sends 10+k % to v2, the expectation says 10 %; detection rate over {} seeds\n", power_seeds);
  fmt::print("  {:>8} | {}\n", "requests", "k = 1, 2, 3, 4, 5, 7, 10, 15 percentage points");
  for (int n : {100, 1000, 10000}) {
    std::string row;
    int smallest = -1;
    for (int k : {1, 2, 3, 4, 5, 7, 10, 15}) {
      Tally t = run_seeds(load(10 + k, n, sigmas), power_seeds, 1);
      double rate = static_cast<double>(t.failed) / t.runs;
      row += fmt::format("{:>6.2f}", rate);
      if (smallest < 0 && rate >= 0.9) smallest = k;
    }
    fmt::print("  {:>8} | {}   smallest shift caught in >= 90% of seeds: {}\n", n, row,
               smallest < 0 ? std::string("> 15 points") : fmt::format("{} points", smallest));
  }
  fmt::print("wall {:.1f} s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return 0;
}
