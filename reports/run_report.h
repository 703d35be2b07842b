// `meshsim run` output: a compact per-phase text report for the terminal and
// report.json (schema in reports/README.md). Deterministic for a seed:
// every map is ordered and every time comes from the simulated clock.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sim/run_result.h"

namespace meshsim::reports {

std::string run_text(const sim::RunResult& result);
nlohmann::ordered_json run_json(const sim::RunResult& result, const std::string& meshsim_version);
// "SIGINT", "SIGTERM", or "signal N": how a report names what interrupted a run.
std::string signal_name(int signal);

}  // namespace meshsim::reports
