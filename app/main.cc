// meshsim: a local service-mesh simulator. Dispatches to one subcommand;
// exceptions that escape a command are reported here, never as a crash.
#include <cstring>
#include <exception>
#include <string_view>

#include <fmt/format.h>

#include "app/build_info.h"
#include "app/commands.h"
#include "app/huge_page_heap.h"

namespace {

constexpr std::string_view kUsage = R"(meshsim — a local service-mesh simulator

usage: meshsim COMMAND [ARGS...]

commands:
  validate FILE|DIR|-...   check mesh YAML like `istioctl analyze` (file:line:column for every problem)
  curl -f FILE... URL      send a request inside the simulated mesh built from the files
  run SCENARIO             run a scenario in virtual time; exit 0 expectations held, 1 failed, 2 bad input
  plan --before P... --after P...  what a config change moves (exit 0 nothing, 1 moved, 2 bad input)
  say "SENTENCE"           a plain-word command ("route mobile traffic to bar v2") as Istio YAML
  serve SCENARIO           the scenario's mesh live: ingress on :8080, admin API on 127.0.0.1:15000
  ctl apply|delete|get     talk to a running serve through its admin API
  demo [SCENARIO]          the Hightower replay for a stage (--speed N, --manual)
  proxy --upstream ADDR    the proxy core as a standalone sidecar in front of a real server
  app --scenario F --workload W   one workload as a real HTTP server (the simulator's Behavior engine)
  load URL | --scenario F --source S   a traffic source as a real load generator (Fortio-like flags and JSON)
  check --prometheus URL SCENARIO  the scenario's expectations as PromQL against a real Prometheus
  export KIND SCENARIO     the scenario for a real cluster: k8s manifests, flagger, argo-rollouts, sweep
  generate tree|chain|random --services N   write a synthetic mesh scenario
  import isotope FILE      an istio/tools isotope service graph as a scenario
  merge REPORT.json...     the merged verdict of many runs (per expectation: held in k of n, Wilson 95%)
  help                     this text
  --version                the version, and the git commit the build was configured at

`meshsim COMMAND --help` describes a command's options.
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace meshsim::app;
  use_huge_pages_for_heap();
  if (argc < 2 || std::strcmp(argv[1], "help") == 0 || std::strcmp(argv[1], "--help") == 0 ||
      std::strcmp(argv[1], "-h") == 0) {
    fmt::print("{}", kUsage);
    return argc < 2 ? kExitBadInput : kExitOk;
  }
  if (std::strcmp(argv[1], "--version") == 0) {
    fmt::print("{}\n", version_line());
    return kExitOk;
  }
  std::string_view command = argv[1];
  try {
    if (command == "validate") return validate_command(argc - 1, argv + 1);
    if (command == "curl") return curl_command(argc - 1, argv + 1);
    if (command == "run") return run_command(argc - 1, argv + 1);
    if (command == "say") return say_command(argc - 1, argv + 1);
    if (command == "proxy") return proxy_command(argc - 1, argv + 1);
    if (command == "serve") return serve_command(argc - 1, argv + 1);
    if (command == "demo") return demo_command(argc - 1, argv + 1);
    if (command == "ctl") return ctl_command(argc - 1, argv + 1);
    if (command == "plan") return plan_command(argc - 1, argv + 1);
    if (command == "app") return app_command(argc - 1, argv + 1);
    if (command == "load") return load_command(argc - 1, argv + 1);
    if (command == "check") return check_command(argc - 1, argv + 1);
    if (command == "generate") return generate_command(argc - 1, argv + 1);
    if (command == "import") return import_command(argc - 1, argv + 1);
    if (command == "merge") return merge_command(argc - 1, argv + 1);
    if (command == "export") return export_command(argc - 1, argv + 1);
  } catch (const std::exception& e) {
    fmt::print(stderr, "meshsim {}: {}\n", command, e.what());
    return kExitBadInput;
  }
  fmt::print(stderr, "meshsim: unknown command \"{}\" (valid commands: validate, curl, run, plan, say, serve, ctl, demo, proxy, app, load, check, generate, import, merge, export, help)\n", command);
  return kExitBadInput;
}
