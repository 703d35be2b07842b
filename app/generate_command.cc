// `meshsim generate tree|chain|random --services N [--fanout F] [--versions 2]
//  [--rules split|header|none] [--seed S] [--rate R] [--duration D] [-o FILE]`
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/commands.h"
#include "config/duration.h"
#include "config/parse.h"
#include "topology/generate.h"
#include "topology/isotope.h"
#include "topology/scenario_yaml.h"

namespace meshsim::app {

namespace {

// Writes `text` to `path` ("-" or empty = stdout); false after saying why.
bool write_output(const std::string& path, const std::string& text, const char* command) {
  if (path.empty() || path == "-") {
    fmt::print("{}", text);
    return true;
  }
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f.good()) {
    fmt::print(stderr, "meshsim {}: cannot write {}\n", command, path);
    return false;
  }
  return true;
}

// The traffic options `generate` and `import` both take.
bool scenario_traffic_options(const cxxopts::ParseResult& args, topology::ScenarioOptions& o, const char* command) {
  if (args.count("rate")) {
    o.rate_per_second = args["rate"].as<double>();
    if (!(o.rate_per_second > 0 && o.rate_per_second <= 1e6)) {
      fmt::print(stderr, "meshsim {}: --rate must be above 0 and at most 1000000 requests/s\n", command);
      return false;
    }
  }
  if (args.count("duration")) {
    std::string why;
    auto d = config::parse_go_duration(args["duration"].as<std::string>(), &why);
    if (!d || d->count() <= 0) {
      fmt::print(stderr, "meshsim {}: --duration: {}\n", command, d ? "must be positive" : why);
      return false;
    }
    o.duration = *d;
  }
  if (args.count("seed")) o.seed = args["seed"].as<uint64_t>();
  return true;
}

// The scenario's sources plan rate x duration requests each; a file `run`
// would refuse (config::kMaxPlannedRequests) is refused here, with the
// same reason.
bool within_planned_requests(const topology::ServiceGraph& g, const topology::ScenarioOptions& o, const char* command) {
  size_t sources = g.entrypoints().size() * (o.rules == topology::Rules::kHeader && o.versions > 1 ? 2 : 1);
  double planned = o.rate_per_second * std::chrono::duration<double>(o.duration).count() * static_cast<double>(sources);
  if (planned <= config::kMaxPlannedRequests) return true;
  fmt::print(stderr, "meshsim {}: the traffic would plan about {:.3g} client requests (--rate x --duration, {} source{}); "
                     "a run sends at most {:.0e}: lower --rate or --duration\n",
             command, planned, sources, sources == 1 ? "" : "s", config::kMaxPlannedRequests);
  return false;
}

}  // namespace

int generate_command(int argc, char** argv) {
  cxxopts::Options options("meshsim generate", "Write a synthetic mesh scenario: tree, chain or random.");
  options.add_options()
      ("services", "number of services", cxxopts::value<int>()->default_value("10"))
      ("fanout", "tree: children per service; random: at most this many callees", cxxopts::value<int>()->default_value("3"))
      ("versions", "versions per service: 1, or 2 (v1 and v2)", cxxopts::value<int>()->default_value("1"))
      ("rules", "with 2 versions: split (90/10 VirtualService), header (x-canary: \"true\" to v2) or none",
       cxxopts::value<std::string>()->default_value("split"))
      ("seed", "the scenario's seed, and which random graph", cxxopts::value<uint64_t>()->default_value("1"))
      ("rate", "requests/s into the entrypoint", cxxopts::value<double>()->default_value("10"))
      ("duration", "simulated run length (Go syntax: 60s, 10m)", cxxopts::value<std::string>()->default_value("60s"))
      ("sidecars", "injected or none", cxxopts::value<std::string>()->default_value("injected"))
      ("o,out", "write here instead of stdout", cxxopts::value<std::string>())
      ("h,help", "show this help")
      ("shape", "tree, chain or random", cxxopts::value<std::string>());
  options.parse_positional({"shape"});
  options.positional_help("tree|chain|random");
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    fmt::print("{}", options.help());
    return kExitOk;
  }
  if (!args.count("shape")) {
    fmt::print(stderr, "meshsim generate: which shape? (valid: tree, chain, random)\n");
    return kExitBadInput;
  }
  auto shape = topology::shape_from_name(args["shape"].as<std::string>());
  if (!shape) {
    fmt::print(stderr, "meshsim generate: unknown shape \"{}\" (valid: tree, chain, random)\n", args["shape"].as<std::string>());
    return kExitBadInput;
  }
  auto rules = topology::rules_from_name(args["rules"].as<std::string>());
  if (!rules) {
    fmt::print(stderr, "meshsim generate: unknown --rules \"{}\" (valid: split, header, none)\n", args["rules"].as<std::string>());
    return kExitBadInput;
  }
  int versions = args["versions"].as<int>();
  if (versions != 1 && versions != 2) {
    fmt::print(stderr, "meshsim generate: --versions must be 1 or 2\n");
    return kExitBadInput;
  }
  std::string sidecars = args["sidecars"].as<std::string>();
  if (sidecars != "injected" && sidecars != "none") {
    fmt::print(stderr, "meshsim generate: unknown --sidecars \"{}\" (valid: injected, none)\n", sidecars);
    return kExitBadInput;
  }
  topology::GenerateOptions g;
  g.shape = *shape;
  g.services = args["services"].as<int>();
  g.fanout = args["fanout"].as<int>();
  g.seed = args["seed"].as<uint64_t>();
  std::string error;
  auto graph = topology::generate_graph(g, &error);
  if (!graph) {
    fmt::print(stderr, "meshsim generate: {}\n", error);
    return kExitBadInput;
  }
  topology::ScenarioOptions o;
  o.versions = versions;
  o.rules = *rules;
  o.sidecars = sidecars == "injected";
  o.latency_p50 = std::chrono::microseconds(1000);
  o.latency_p99 = std::chrono::microseconds(4000);
  if (!scenario_traffic_options(args, o, "generate") || !within_planned_requests(*graph, o, "generate")) return kExitBadInput;
  // Options this shape or version count has no use for: said, not silently dropped.
  if (args.count("rules") && versions < 2)
    fmt::print(stderr, "meshsim generate: --rules applies with --versions 2; ignored\n");
  if (args.count("fanout") && *shape == topology::Shape::kChain)
    fmt::print(stderr, "meshsim generate: --fanout applies to tree and random; ignored for a chain\n");
  std::string command_line = "meshsim generate";
  // Without -o/--out, so a file and stdout carry the same bytes.
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-o" || a == "--out") {
      ++i;
      continue;
    }
    if (a.starts_with("--out=")) continue;
    command_line += " " + a;
  }
  o.comment = "made by: " + command_line;
  std::string out = args.count("out") ? args["out"].as<std::string>() : "";
  return write_output(out, topology::scenario_yaml(*graph, o), "generate") ? kExitOk : kExitBadInput;
}

int import_command(int argc, char** argv) {
  cxxopts::Options options("meshsim import", "Read another tool's topology as a meshsim scenario.");
  options.add_options()
      ("rate", "requests/s into each entrypoint", cxxopts::value<double>()->default_value("10"))
      ("duration", "simulated run length (Go syntax)", cxxopts::value<std::string>()->default_value("60s"))
      ("seed", "the scenario's seed", cxxopts::value<uint64_t>()->default_value("1"))
      ("o,out", "write here instead of stdout", cxxopts::value<std::string>())
      ("h,help", "show this help")
      ("format", "isotope", cxxopts::value<std::string>())
      ("file", "the topology file", cxxopts::value<std::string>());
  options.parse_positional({"format", "file"});
  options.positional_help("isotope FILE");
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    fmt::print("{}", options.help());
    return kExitOk;
  }
  if (!args.count("format") || args["format"].as<std::string>() != "isotope") {
    fmt::print(stderr, "meshsim import: which format? (valid: isotope)\n");
    return kExitBadInput;
  }
  if (!args.count("file")) {
    fmt::print(stderr, "meshsim import isotope: no file given\n");
    return kExitBadInput;
  }
  std::string path = args["file"].as<std::string>();
  std::ifstream f(path, std::ios::binary);
  if (std::error_code ec; std::filesystem::is_directory(path, ec)) {
    fmt::print(stderr, "meshsim import isotope: {} is a directory; give one service-graph file\n", path);
    return kExitBadInput;
  }
  if (!f) {
    fmt::print(stderr, "meshsim import isotope: cannot read {}\n", path);
    return kExitBadInput;
  }
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto load = topology::read_isotope(text, path);
  for (const auto& d : load.diagnostics) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
  if (!load.graph) return kExitBadInput;
  // The scenario is named after the file: "my-graph.yaml" -> "my-graph".
  // Other characters become one '-', none at either end (a DNS label, as a
  // Kubernetes name): "___.yaml" keeps the default name.
  std::string name;
  for (char c : std::filesystem::path(path).stem().string()) {
    if (std::isalnum(static_cast<unsigned char>(c))) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!name.empty() && name.back() != '-') name += '-';
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  if (!name.empty()) load.graph->name = name;
  topology::ScenarioOptions o;
  if (!scenario_traffic_options(args, o, "import isotope") || !within_planned_requests(*load.graph, o, "import isotope"))
    return kExitBadInput;
  o.comment = "made by: meshsim import isotope " + path;
  std::string out = args.count("out") ? args["out"].as<std::string>() : "";
  return write_output(out, topology::scenario_yaml(*load.graph, o), "import") ? kExitOk : kExitBadInput;
}

}  // namespace meshsim::app
