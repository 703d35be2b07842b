// `meshsim run SCENARIO... [--seed S] [--out DIR]`
#include <algorithm>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <thread>

#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/commands.h"
#include "app/report_files.h"
#include "app/scenario_files.h"
#include "app/sweep.h"
#include "config/analyzer.h"
#include "config/loader.h"
#include "config/traffic_analysis.h"
#include "reports/mesh_telemetry.h"
#include "reports/run_report.h"
#include "sim/scenario_runner.h"

namespace meshsim::app {

namespace {

// One redraw of the --watch dashboard: where the replay is, the step in
// force, and per service the last ten seconds by version and errors.
std::string watch_frame(const sim::Scenario& sc, const reports::TimeSeries& series, sim::Duration now, sim::Duration total) {
  std::string out = "\x1b[H\x1b[2J";  // home, clear
  double t = static_cast<double>(now.count()) / 1e6;
  out += fmt::format("meshsim {} — {:.0f}/{:.0f} s simulated\n\n", sc.name, t, static_cast<double>(total.count()) / 1e6);
  const sim::TimelineStep* current = nullptr;
  for (const auto& step : sc.timeline)
    if (step.at <= now) current = &step;
  if (current) {
    out += fmt::format("  step @{:.0f}s: {}\n", static_cast<double>(current->at.count()) / 1e6, current->caption);
    if (!current->command.empty()) out += fmt::format("  $ {}\n", current->command);
  } else {
    out += "  (before the first step)\n";
  }
  out += "\n";
  for (const auto& line : series.recent_table(t, 10)) out += "  " + line + "\n";
  out += "\n";
  for (const auto& line : series.sparklines(t)) out += line + "\n";
  return out;
}

// SIGINT/SIGTERM during a run: the scheduler stops between two events and
// the report files are written for what ran (marked interrupted), so a
// stopped CI job still leaves complete files. A second signal kills at once
// (SA_RESETHAND restores the default action).
std::atomic<int> g_interrupted_by{0};
static_assert(std::atomic<int>::is_always_lock_free, "set from a signal handler");

void stop_between_events(int signal) { g_interrupted_by.store(signal, std::memory_order_relaxed); }

void stop_run_on_signals() {
  struct sigaction action {};
  action.sa_handler = stop_between_events;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// The shell's convention for a process stopped by a signal.
int exit_code_for(const sim::RunResult& result) {
  if (result.interrupted_by) return 128 + result.interrupted_by;
  return result.passed() ? kExitOk : kExitFailed;
}

// CPU time of this process in milliseconds (user + system): what --timings
// reports, since wall time on a shared machine measures the neighbours too.
double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

}  // namespace

int run_command(int argc, char** argv) {
  cxxopts::Options options("meshsim run", "Run a scenario in virtual time and report what the mesh showed.");
  options.add_options()
      ("seed", "random seed (overrides the scenario's)", cxxopts::value<uint64_t>())
      ("trace-sampling", "percent of requests traced, decided at the edge (overrides the scenario's spec.tracing.sampling; Istio's default is 1)",
       cxxopts::value<double>())
      ("scrape-interval", "metrics.om.txt: one sample of every series this often, in simulated time (overrides the scenario's spec.metrics.scrapeInterval; default 15s)",
       cxxopts::value<std::string>())
      ("o,out", "directory for report files (report.json)", cxxopts::value<std::string>())
      ("q,quiet", "print only the expectations")
      ("watch", "replay paced in wall-clock time, redrawing a dashboard (for demos)")
      ("speed", "with --watch: how many simulated seconds per wall-clock second", cxxopts::value<double>()->default_value("10"))
      ("seeds", "a sweep: run seeds A..B in parallel, a report per seed in OUT/seed-N/ (OUT defaults to out/SCENARIO), and a merged verdict",
       cxxopts::value<std::string>())
      ("jobs", "with --seeds: processes at once (default: every core)", cxxopts::value<unsigned>()->default_value("0"))
      ("min-pass", "with --seeds: pass when each expectation held in at least this fraction of the seeds (default 1: every seed)",
       cxxopts::value<double>()->default_value("1"))
      ("timings", "print to stderr the CPU milliseconds of each phase: load, build (compile the mesh), simulate, report")
      ("h,help", "show this help")
      ("scenario", "scenario file(s)", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"scenario"});
  options.positional_help("SCENARIO...");
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    fmt::print("{}", options.help());
    return kExitOk;
  }
  if (!args.count("scenario")) {
    fmt::print(stderr, "meshsim run: no scenario given\n{}", options.help());
    return kExitBadInput;
  }
  double cpu_start = process_cpu_ms();
  auto scenario = load_scenario_files(args["scenario"].as<std::vector<std::string>>());
  if (!scenario) return kExitBadInput;
  {
    // Warn before running when a rule can never see the header it matches.
    // The resources are copied only when the timeline applies more (a copy
    // of 1,000 services' resources is a fifth of the load time, issue 20).
    proxy::Resources with_steps;
    const proxy::Resources* everything = &scenario->resources;
    for (const auto& step : scenario->timeline) {
      if (!step.apply) continue;
      if (everything != &with_steps) with_steps = scenario->resources, everything = &with_steps;
      sim::apply_resources(with_steps, *step.apply);
    }
    for (const auto& d : config::analyze_traffic(*everything, scenario->behaviors, scenario->sources))
      fmt::print(stderr, "{}\n", config::format_diagnostic(d));
    for (const auto& d : config::analyze_custom_authz(*everything)) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
  }
  sim::RunOptions run_options;
  stop_run_on_signals();
  run_options.interrupt = &g_interrupted_by;
  if (args.count("seed")) run_options.seed = args["seed"].as<uint64_t>();
  bool tty = isatty(STDERR_FILENO) && !args.count("watch");
  if (tty)
    run_options.progress = [](sim::Duration now, sim::Duration total) {
      int width = 30;
      int done = total.count() > 0 ? static_cast<int>(width * now.count() / total.count()) : width;
      fmt::print(stderr, "\r[{:<{}}] {:.0f}/{:.0f} s", std::string(static_cast<size_t>(std::min(done, width)), '#'), width,
                 static_cast<double>(now.count()) / 1e6, static_cast<double>(total.count()) / 1e6);
    };
  if (args.count("trace-sampling")) scenario->trace_sampling_percent = std::clamp(args["trace-sampling"].as<double>(), 0.0, 100.0);
  if (args.count("scrape-interval") && !override_scrape_interval(*scenario, args["scrape-interval"].as<std::string>(), "meshsim run"))
    return kExitBadInput;
  // Simulated time zero is the scenario's startTime for Date headers, spans and samples alike.
  run_options.unix_epoch_us = scenario->start_unix_us;
  if (!args.count("seeds") && (args.count("jobs") || args.count("min-pass")))
    fmt::print(stderr, "meshsim run: --jobs and --min-pass apply to a sweep (--seeds A..B); ignored\n");
  if (args.count("seeds")) {
    SweepOptions sweep;
    std::string error;
    auto seeds = parse_seed_range(args["seeds"].as<std::string>(), &error);
    double min_pass = args["min-pass"].as<double>();
    if (!seeds || args.count("seed") || args.count("watch") || !(min_pass > 0 && min_pass <= 1)) {
      fmt::print(stderr, "meshsim run: {}\n",
                 !seeds ? error : args.count("seed") || args.count("watch") ? "--seeds goes with neither --seed nor --watch"
                                                                            : "--min-pass must be in (0, 1]");
      return kExitBadInput;
    }
    sweep.seeds = *seeds;
    sweep.jobs = args["jobs"].as<unsigned>();
    sweep.min_pass = min_pass;
    sweep.interrupt = &g_interrupted_by;
    sweep.dir = args.count("out") ? args["out"].as<std::string>() : "out/" + scenario->name;
    const sim::Scenario& sc = *scenario;
    auto run_one = [&sc, epoch = run_options.unix_epoch_us](uint64_t seed, const std::string& dir) {
      sim::RunOptions one;
      one.interrupt = &g_interrupted_by;
      one.seed = seed;
      one.unix_epoch_us = epoch;
      reports::MeshTelemetry telemetry(reports::telemetry_options_for(sc));
      reports::TimeSeries series;
      one.sinks = {&telemetry, &series};
      sim::RunResult result = sim::run_scenario(sc, one);
      fmt::print("{}", reports::run_text(result));
      std::string why;
      if (!write_report_files(dir, result, telemetry, series, &why)) {
        fmt::print(stderr, "meshsim run: {}\n", why);
        return kExitBadInput;
      }
      return exit_code_for(result);
    };
    return run_sweep(sweep, run_one);
  }
  reports::TelemetryOptions telemetry_options = reports::telemetry_options_for(*scenario);
  reports::MeshTelemetry telemetry(telemetry_options);
  run_options.sinks.push_back(&telemetry);
  reports::TimeSeries series;
  run_options.sinks.push_back(&series);
  if (args.count("watch")) {
    double speed = std::max(0.01, args["speed"].as<double>());
    auto wall_start = std::chrono::steady_clock::now();
    const sim::Scenario& sc = *scenario;
    run_options.progress = [&, speed, wall_start](sim::Duration now, sim::Duration total) {
      // Pace: simulated time runs `speed` times faster than the wall clock.
      std::this_thread::sleep_until(wall_start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(now / speed));
      fmt::print("{}", watch_frame(sc, series, now, total));
      std::fflush(stdout);
    };
  }
  // run_scenario in its three steps, so --timings can tell building the
  // mesh (up to the first event) from simulating it.
  double cpu_loaded = process_cpu_ms();
  sim::ScenarioSession session(*scenario, run_options);
  double cpu_built = process_cpu_ms();
  session.advance(sim::TimePoint::max());
  sim::RunResult result = session.finish();
  double cpu_simulated = process_cpu_ms();
  if (tty) fmt::print(stderr, "\r{:<50}\r", "");
  double seconds = static_cast<double>(result.duration.count()) / 1e6;
  std::string text = reports::run_text(result);
  if (args.count("quiet")) text = text.substr(text.find("expectations:"));
  std::string graph = args.count("quiet") ? "" : telemetry.graph_text(seconds);
  if (!args.count("quiet")) {
    auto sparks = series.sparklines(seconds);
    if (!sparks.empty()) {
      text += "\nrequests/s per version and errors/s over the run:\n";
      for (const auto& l : sparks) text += l + "\n";
    }
  }
  if (!graph.empty()) text += "\nservice graph (from observed traffic):\n" + graph;
  auto waterfall = args.count("quiet") ? std::vector<std::string>{} : telemetry.sample_trace_waterfall();
  if (!waterfall.empty()) {
    text += "\na sampled trace:\n";
    for (const auto& l : waterfall) text += l + "\n";
  }
  fmt::print("{}", text);
  if (args.count("out")) {
    std::string error;
    if (!write_report_files(args["out"].as<std::string>(), result, telemetry, series, &error)) {
      fmt::print(stderr, "meshsim run: {}\n", error);
      return kExitBadInput;
    }
  }
  if (args.count("timings"))
    fmt::print(stderr, "timings (CPU ms): load {:.0f}, build {:.0f}, simulate {:.0f}, report {:.0f}\n",
               cpu_loaded - cpu_start, cpu_built - cpu_loaded, cpu_simulated - cpu_built, process_cpu_ms() - cpu_simulated);
  return exit_code_for(result);
}

}  // namespace meshsim::app
