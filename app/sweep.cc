#include "app/sweep.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/report_files.h"
#include "reports/sweep_verdict.h"

namespace meshsim::app {

namespace {

std::optional<uint64_t> parse_u64(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<SeedRange> parse_seed_range(std::string_view text, std::string* error) {
  auto dots = text.find("..");
  auto first = parse_u64(dots == std::string_view::npos ? text : text.substr(0, dots));
  auto last = dots == std::string_view::npos ? first : parse_u64(text.substr(dots + 2));
  if (!first || !last) {
    *error = "--seeds: expected A..B (e.g. 1..64), found \"" + std::string(text) + "\"";
    return std::nullopt;
  }
  if (*first > *last) {
    *error = "--seeds: the first seed is above the last";
    return std::nullopt;
  }
  if (*last - *first >= kMaxSweepSeeds) {
    *error = fmt::format("--seeds: at most {} seeds in one sweep", kMaxSweepSeeds);
    return std::nullopt;
  }
  return SeedRange{*first, *last};
}

int merge_report_files(const std::vector<std::string>& paths, double min_pass, const std::string& merged_path) {
  std::vector<nlohmann::json> reports;
  std::vector<std::string> names;
  std::vector<std::string> unreadable;
  for (const auto& p : paths) {
    std::ifstream f(p, std::ios::binary);
    nlohmann::json j = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
    if (!f.is_open() || j.is_discarded()) {
      unreadable.push_back(p + (f.is_open() ? ": not JSON" : ": cannot read"));
      continue;
    }
    reports.push_back(std::move(j));
    names.push_back(p);
  }
  reports::SweepVerdict v = reports::merge_reports(reports, names, min_pass);
  for (auto& u : unreadable) v.problems.push_back(std::move(u));
  if (!unreadable.empty()) v.passed = false;
  fmt::print("{}", reports::verdict_text(v));
  if (!merged_path.empty()) {
    std::string error;
    auto json = reports::verdict_json(v);
    if (!write_file_atomically(merged_path, [&](std::ostream& o) { o << json.dump(2) << "\n"; }, &error)) {
      fmt::print(stderr, "meshsim merge: {}\n", error);
      return kExitBadInput;
    }
  }
  if (!v.problems.empty()) return kExitBadInput;
  return v.passed ? kExitOk : kExitFailed;
}

int run_sweep(const SweepOptions& options, const std::function<int(uint64_t seed, const std::string& dir)>& run_one) {
  unsigned jobs = options.jobs ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  std::filesystem::create_directories(options.dir);
  std::fflush(stdout);
  std::fflush(stderr);
  std::map<pid_t, uint64_t> running;
  std::vector<std::string> crashed;
  // Counted, not compared with the last seed: a range ending at 2^64-1 has
  // no seed after it to stop at.
  const uint64_t total = options.seeds.last - options.seeds.first + 1;
  uint64_t started = 0, done = 0;
  int stopped_by = 0;  // the signal that ended the sweep early
  auto seed_dir = [&](uint64_t seed) { return (std::filesystem::path(options.dir) / fmt::format("seed-{}", seed)).string(); };
  auto interrupted = [&] { return options.interrupt ? options.interrupt->load(std::memory_order_relaxed) : 0; };
  // A terminal's Ctrl-C reaches the seeds and the sweep, which then sends it
  // on, and users press it twice: a second signal must not kill a seed
  // before it has written its report, nor the sweep before its verdict, so
  // the handlers (`run`'s, inherited by the seeds) stay after the first.
  for (int signal : {SIGINT, SIGTERM}) {
    struct sigaction current {};
    if (sigaction(signal, nullptr, &current) == 0 && current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN) {
      current.sa_flags &= ~SA_RESETHAND;
      sigaction(signal, &current, nullptr);
    }
  }
  const pid_t sweep_pid = getpid();
  while (started < total || !running.empty()) {
    if (int signal = interrupted(); signal && !stopped_by) {
      // As `run` does on SIGINT/SIGTERM: no new seed starts; the running
      // ones get the signal too (a terminal's Ctrl-C already reached them;
      // a `kill` of this process alone did not), stop between two events
      // and write their reports marked interrupted.
      stopped_by = signal;
      for (const auto& [pid, seed] : running) kill(pid, signal);
    }
    while (!stopped_by && !interrupted() && started < total && running.size() < jobs) {
      uint64_t seed = options.seeds.first + started++;
      std::string dir = seed_dir(seed);
      std::filesystem::create_directories(dir);
      pid_t pid = fork();
      if (pid < 0) {
        fmt::print(stderr, "meshsim run: cannot start a process for seed {}\n", seed);
        crashed.push_back(fmt::format("seed {}: not started (fork failed)", seed));
        continue;
      }
      if (pid == 0) {
        // A seed outlives no sweep: killed with it (SIGKILL reaches no handler).
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != sweep_pid) _exit(kExitBadInput);
        // The child: its terminal output goes to its directory.
        std::string out = dir + "/run.txt";
        if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen((dir + "/stderr.txt").c_str(), "w", stderr)) _exit(kExitBadInput);
        int code = kExitBadInput;
        try {
          code = run_one(seed, dir);
        } catch (const std::exception& e) {
          fmt::print(stderr, "meshsim run: {}\n", e.what());
        }
        std::fflush(stdout);
        std::fflush(stderr);
        _exit(code);
      }
      running.emplace(pid, seed);
    }
    if (running.empty()) break;
    int status = 0;
    // Polled, so a signal is seen while every child is still running
    // (SA_RESTART would resume a blocking wait).
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (pid < 0) break;
    auto it = running.find(pid);
    if (it == running.end()) continue;
    uint64_t seed = it->second;
    running.erase(it);
    ++done;
    bool reported = WIFEXITED(status) && (WEXITSTATUS(status) == kExitOk || WEXITSTATUS(status) == kExitFailed);
    // A seed a signal stopped exits 128+signal, as `run` does: not a crash
    // (SIGINT from the terminal and SIGTERM from the sweep may both come).
    auto stop_signal = [](int s) { return s == SIGINT || s == SIGTERM; };
    bool stopped = (stopped_by || interrupted()) && ((WIFEXITED(status) && stop_signal(WEXITSTATUS(status) - 128)) ||
                                                      (WIFSIGNALED(status) && stop_signal(WTERMSIG(status))));
    if (!reported && !stopped)
      crashed.push_back(WIFSIGNALED(status) ? fmt::format("seed {}: killed by signal {}", seed, WTERMSIG(status))
                                            : fmt::format("seed {}: exit {} (see {}/stderr.txt)", seed, WEXITSTATUS(status), seed_dir(seed)));
    if (isatty(STDERR_FILENO)) fmt::print(stderr, "\r{} of {} seeds done", done, total);
  }
  if (isatty(STDERR_FILENO)) fmt::print(stderr, "\r{:<40}\r", "");
  std::vector<std::string> paths;
  for (uint64_t i = 0; i < started; ++i) {
    std::string p = seed_dir(options.seeds.first + i) + "/report.json";
    if (std::filesystem::exists(p)) paths.push_back(p);
  }
  if (stopped_by) {
    fmt::print(stderr, "meshsim run: stopped by signal {} with {} of {} seeds started; the verdict below is of their reports\n",
               stopped_by, started, total);
  }
  for (const auto& c : crashed) fmt::print(stderr, "meshsim run: {}\n", c);
  int code = merge_report_files(paths, options.min_pass, (std::filesystem::path(options.dir) / "merged.json").string());
  if (stopped_by) return 128 + stopped_by;
  if (!crashed.empty()) return kExitBadInput;
  return code;
}

}  // namespace meshsim::app
