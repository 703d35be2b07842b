// `meshsim run SCENARIO --seeds A..B [--jobs J]`: one child process per
// seed (fork after the scenario is loaded, so parsing is paid once; separate
// processes share nothing, so a seed's report is the one `--seed N` writes),
// at most J at a time, each writing its report files to DIR/seed-N/; then
// the merged verdict of their report.json files (reports/sweep_verdict.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace meshsim::app {

struct SeedRange {
  uint64_t first = 0, last = 0;  // inclusive
};

// "A..B" (A <= B, at most kMaxSweepSeeds seeds) or a single "N".
std::optional<SeedRange> parse_seed_range(std::string_view text, std::string* error);

// A bound on one sweep: each seed is a process and a report directory.
inline constexpr uint64_t kMaxSweepSeeds = 100'000;

struct SweepOptions {
  SeedRange seeds;
  unsigned jobs = 0;  // 0 = every core (std::thread::hardware_concurrency)
  std::string dir;    // seed-N/ under it, and merged.json
  double min_pass = 1.0;
  // Set by a SIGINT/SIGTERM handler (the signal's number): no new seed
  // starts, the running ones are sent the signal, and the sweep returns
  // 128+signal after the verdict of the seeds that ran.
  const std::atomic<int>* interrupt = nullptr;
};

// Runs `run_one(seed, seed_dir)` in a child process per seed; its return
// value is the child's exit code. Prints the merged verdict and writes
// DIR/merged.json. Returns 0 when the verdict passes, 1 when it fails, 2 when
// a run could not report (crash, exit 2, unreadable report.json), 128+signal
// when `options.interrupt` stopped it.
int run_sweep(const SweepOptions& options, const std::function<int(uint64_t seed, const std::string& dir)>& run_one);

// `meshsim merge`'s work, shared with run_sweep: reads the report.json
// files, prints the verdict, writes `merged_path` unless empty.
int merge_report_files(const std::vector<std::string>& paths, double min_pass, const std::string& merged_path);

}  // namespace meshsim::app
