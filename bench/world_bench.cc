// The demo topology (an outside client -> frontend -> bar then foo, every
// service with a sidecar) at 1,000 requests/s for 10 simulated minutes:
// prints wall time, client requests per wall-clock second and peak RSS.
// Each client request crosses three services and five sidecar passes
// (frontend inbound, frontend outbound x2, bar and foo inbound).
// Run: build/bench/world_bench [simulated_seconds] [rate]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "config/loader.h"
#include "sim/scenario_runner.h"

int main(int argc, char** argv) {
  using namespace meshsim;
  int seconds = argc > 1 ? std::atoi(argv[1]) : 600;
  double rate = argc > 2 ? std::atof(argv[2]) : 1000;
  std::string path = std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml";
  auto loaded = config::load_scenario({path});
  if (!loaded.scenario) {
    fmt::print(stderr, "cannot load {}\n", path);
    return 2;
  }
  sim::Scenario sc = *loaded.scenario;
  // The demo's topology and behaviours, sidecars on, bar pinned to v1, one source.
  sc.timeline.clear();
  sc.expectations.clear();
  sc.sidecars_injected = true;
  sc.duration = std::chrono::seconds(seconds);
  sc.sources.resize(1);
  sc.sources[0].rate_per_second = rate;
  auto start = std::chrono::steady_clock::now();
  sim::RunResult r = sim::run_scenario(sc);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  fmt::print("world_bench: {} s simulated at {:g} req/s: {} client requests, {} events\n", seconds, rate, r.requests, r.events);
  fmt::print("  wall {:.2f} s, {:.0f} client requests per wall-clock second, {:.0f} events/s\n", wall,
             static_cast<double>(r.requests) / wall, static_cast<double>(r.events) / wall);
  fmt::print("  peak RSS {:.1f} MB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  uint64_t errors = 0;
  for (const auto& p : r.phases)
    for (const auto& [name, s] : p.sources) errors += s.errors;
  fmt::print("  client errors: {}\n", errors);
  return errors == 0 ? 0 : 1;
}
