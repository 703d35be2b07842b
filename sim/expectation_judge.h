// One expectation's verdict from what was counted in its window and slice:
// the rule `meshsim run` applies to its own telemetry, and `meshsim check`
// to counts read from a real Prometheus, so both say "held" for the same
// numbers. Share expectations are statistical: they fail only when the
// observed share is more than share.sigmas (default 4) standard errors from
// the expected one.
#pragma once

#include <cstdint>
#include <string>

#include "sim/run_result.h"
#include "sim/scenario.h"

namespace meshsim::sim {

struct ExpectationTally {
  uint64_t n = 0;         // requests in the slice
  uint64_t matching = 0;  // share: of the version; error rate / status class: in the class
  int64_t latency_us = 0; // latency: the expectation's percentile
  uint64_t body_mismatches = 0;
  std::string first_bad_body;
};

// Whether `status` is in a status expectation's class ("2xx", "5xx",
// "4xx|5xx"). 0, a request that got no response (reset, refused), is its
// own outcome: in no class (`noResponse` / `code: 0` count it).
bool status_in_class(int status, const std::string& cls);

// The verdict (name, passed, observed, samples, pos) with `reached` true.
ExpectationResult judge_expectation(const Expectation& e, const ExpectationTally& tally);

}  // namespace meshsim::sim
