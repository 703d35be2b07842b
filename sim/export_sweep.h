// `meshsim export sweep`: a Kubernetes Indexed Job where pod i runs
// `meshsim run --seed i` on the scenario (mounted from a ConfigMap with the
// files its timeline applies), for seed sweeps beyond one machine. Each pod
// prints its report.json to its log; exit 0 (held) and 1 (failed) both
// complete the index, 2 (bad input) fails it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace meshsim::sim {

struct SweepExportInput {
  std::string scenario_name;
  std::string scenario_path;  // relative to the mount: the scenario file
  std::vector<std::pair<std::string, std::string>> files;  // relative path -> text (the scenario and what it applies)
};

struct SweepExportOptions {
  int seeds = 10;
  int parallelism = 10;
  std::string image = "meshsim:latest";
  std::string ns = "default";
};

std::string export_sweep(const SweepExportInput& input, const SweepExportOptions& options);

}  // namespace meshsim::sim
