// `meshsim export k8s|flagger|argo-rollouts|sweep SCENARIO…`: the scenario
// for a real cluster. The writers live in sim/ (export_*.h); this file reads
// the files, parses the flags and writes the output.
#include <filesystem>
#include <fstream>
#include <set>

#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/commands.h"
#include "app/scenario_files.h"
#include "config/loader.h"
#include "config/manifest_documents.h"
#include "sim/export_analysis.h"
#include "sim/export_k8s.h"
#include "sim/export_local.h"
#include "sim/export_sweep.h"

namespace meshsim::app {
namespace {

namespace fs = std::filesystem;

constexpr const char* kExportUsage = R"(usage: meshsim export KIND SCENARIO... [options]

kinds:
  k8s SCENARIO -o DIR [--image IMG] [--namespace NS]
      plain manifests for Kubernetes + Istio (kubectl apply -f DIR), traffic Jobs
      in DIR/traffic, the timeline as DIR/timeline.sh, a Dockerfile for the image
  flagger SCENARIO [-o FILE] [--namespace NS] [--prometheus URL]
      the expectations as Flagger MetricTemplates and Canary analyses
  argo-rollouts SCENARIO [-o FILE] [--namespace NS] [--prometheus URL]
      the expectations as an Argo Rollouts AnalysisTemplate
  sweep SCENARIO --seeds N [--parallelism P] [-o FILE] [--image IMG] [--namespace NS]
      an Indexed Job where pod i runs `meshsim run --seed i`
  local SCENARIO -o DIR
      the same as real processes on 127.0.0.1 (meshsim app, proxy, load, Prometheus):
      DIR/run.sh runs it, applies the timeline and checks the expectations

Exit 0 written, 2 bad input.
)";

bool write_file(const fs::path& path, const std::string& content, bool executable) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) {
    fmt::print(stderr, "meshsim export: cannot write {}\n", path.string());
    return false;
  }
  if (executable)
    fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add, ec);
  return true;
}

// Text to stdout, or to FILE with -o.
int emit(const cxxopts::ParseResult& args, const std::string& text) {
  if (!args.count("out") || args["out"].as<std::string>() == "-") {
    fmt::print("{}", text);
    return kExitOk;
  }
  return write_file(args["out"].as<std::string>(), text, false) ? kExitOk : kExitBadInput;
}

// The mesh documents of the scenario files, in the order kubectl reads them.
std::optional<std::vector<sim::ManifestDocument>> file_documents(const std::vector<std::string>& paths, const std::string& ns) {
  std::vector<config::Diagnostic> diagnostics;
  auto sources = config::read_sources(paths, diagnostics);
  if (!diagnostics.empty()) {
    for (const auto& d : diagnostics) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
    return std::nullopt;
  }
  std::vector<sim::ManifestDocument> out;
  for (const auto& s : sources) {
    auto docs = config::manifest_documents(s.text, ns);
    out.insert(out.end(), docs.begin(), docs.end());
  }
  return out;
}

int export_k8s_command(const cxxopts::ParseResult& args, const sim::Scenario& scenario, const std::vector<std::string>& paths) {
  if (!args.count("out")) {
    fmt::print(stderr, "meshsim export k8s: give the output folder with -o DIR\n");
    return kExitBadInput;
  }
  sim::K8sExportOptions options;
  options.image = args["image"].as<std::string>();
  options.ns = args["namespace"].as<std::string>();
  sim::K8sExportInput input;
  input.scenario = &scenario;
  input.scenario_file = fmt::format("{}", fmt::join(paths, " "));
  auto mesh = file_documents(paths, options.ns);
  if (!mesh) return kExitBadInput;
  input.mesh = std::move(*mesh);
  for (const auto& step : scenario.timeline) input.steps.push_back(config::manifest_documents(step.apply_yaml, options.ns));
  fs::path dir = args["out"].as<std::string>();
  // Files of an earlier export would be applied too: start the folders afresh.
  std::error_code ec;
  fs::remove_all(dir / "traffic", ec);
  fs::remove_all(dir / "timeline", ec);
  for (const auto& f : sim::export_k8s(input, options))
    if (!write_file(dir / f.path, f.content, f.executable)) return kExitBadInput;
  fmt::print(stderr, "meshsim export k8s: wrote {} (kubectl apply -f {dir}; then {dir}/timeline.sh)\n", dir.string(),
             fmt::arg("dir", dir.string()));
  return kExitOk;
}

int export_local_command(const cxxopts::ParseResult& args, const sim::Scenario& scenario, const std::vector<std::string>& paths) {
  if (!args.count("out")) {
    fmt::print(stderr, "meshsim export local: give the output folder with -o DIR\n");
    return kExitBadInput;
  }
  sim::K8sExportInput input;
  input.scenario = &scenario;
  input.scenario_file = fmt::format("{}", fmt::join(paths, " "));
  auto mesh = file_documents(paths, "default");
  if (!mesh) return kExitBadInput;
  input.mesh = std::move(*mesh);
  for (const auto& step : scenario.timeline) input.steps.push_back(config::manifest_documents(step.apply_yaml, "default"));
  sim::LocalExportOptions options;
  for (const auto& p : paths) options.scenario_paths.push_back(fs::absolute(p).lexically_normal().string());
  fs::path dir = args["out"].as<std::string>();
  std::error_code ec;
  for (const char* stale : {"timeline", "behaviors", "created", "clients"}) fs::remove_all(dir / stale, ec);
  for (const auto& f : sim::export_local(input, options))
    if (!write_file(dir / f.path, f.content, f.executable)) return kExitBadInput;
  fmt::print(stderr, "meshsim export local: wrote {} (run {}/run.sh)\n", dir.string(), dir.string());
  return kExitOk;
}

int export_sweep_command(const cxxopts::ParseResult& args, const sim::Scenario& scenario, const std::vector<std::string>& paths) {
  if (!args.count("seeds")) {
    fmt::print(stderr, "meshsim export sweep: give the number of seeds with --seeds N\n");
    return kExitBadInput;
  }
  if (paths.size() != 1 || !fs::is_regular_file(paths.front())) {
    fmt::print(stderr, "meshsim export sweep: give one scenario file (the Job runs it as written)\n");
    return kExitBadInput;
  }
  sim::SweepExportOptions options;
  options.seeds = args["seeds"].as<int>();
  options.parallelism = args["parallelism"].as<int>();
  options.image = args["image"].as<std::string>();
  options.ns = args["namespace"].as<std::string>();
  if (options.seeds < 1 || options.seeds > 100000 || options.parallelism < 1) {
    fmt::print(stderr, "meshsim export sweep: --seeds must be 1..100000 and --parallelism at least 1\n");
    return kExitBadInput;
  }
  // The scenario and every file its timeline applies, laid out relative to
  // their common folder so `apply.file` paths resolve inside the pod.
  fs::path scenario_file = fs::weakly_canonical(paths.front());
  std::vector<fs::path> files = {scenario_file};
  std::set<fs::path> seen = {scenario_file};
  for (const auto& step : scenario.timeline)
    for (const auto& f : step.apply_files) {
      fs::path p = fs::weakly_canonical(scenario_file.parent_path() / f);
      if (seen.insert(p).second) files.push_back(p);
    }
  fs::path root = scenario_file.parent_path();
  for (const auto& f : files)
    while (!root.empty() && fs::relative(f, root).string().rfind("..", 0) == 0) root = root.parent_path();
  sim::SweepExportInput input;
  input.scenario_name = scenario.name;
  input.scenario_path = fs::relative(scenario_file, root).string();
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    input.files.emplace_back(fs::relative(f, root).string(), std::move(text));
  }
  return emit(args, sim::export_sweep(input, options));
}

}  // namespace

int export_command(int argc, char** argv) {
  cxxopts::Options options("meshsim export", "The scenario for a real cluster.");
  options.add_options()
      ("o,out", "k8s, local: output folder; others: output file (default stdout)", cxxopts::value<std::string>())
      ("image", "the meshsim image the manifests run", cxxopts::value<std::string>()->default_value("meshsim:latest"))
      ("namespace", "namespace for documents without one", cxxopts::value<std::string>()->default_value("default"))
      ("prometheus", "flagger, argo-rollouts: the Prometheus address",
       cxxopts::value<std::string>()->default_value("http://prometheus.istio-system:9090"))
      ("seeds", "sweep: number of seeds (pod i runs --seed i)", cxxopts::value<int>())
      ("parallelism", "sweep: pods at once", cxxopts::value<int>()->default_value("10"))
      ("h,help", "show this help")
      ("args", "KIND SCENARIO...", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"args"});
  auto args = options.parse(argc, argv);
  std::vector<std::string> rest = args.count("args") ? args["args"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (args.count("help")) {
    fmt::print("{}\n{}", kExportUsage, options.help());
    return kExitOk;
  }
  static const std::set<std::string> kinds = {"k8s", "flagger", "argo-rollouts", "sweep", "local"};
  if (rest.empty() || !kinds.count(rest.front())) {
    fmt::print(stderr, "meshsim export: {} (valid kinds: k8s, flagger, argo-rollouts, sweep, local)\n{}",
               rest.empty() ? std::string("no kind given") : "unknown kind \"" + rest.front() + "\"", kExportUsage);
    return kExitBadInput;
  }
  std::string kind = rest.front();
  std::vector<std::string> paths(rest.begin() + 1, rest.end());
  if (paths.empty()) {
    fmt::print(stderr, "meshsim export {}: no scenario given\n", kind);
    return kExitBadInput;
  }
  auto scenario = load_scenario_files(paths);
  if (!scenario) return kExitBadInput;
  try {
    if (kind == "k8s") return export_k8s_command(args, *scenario, paths);
    if (kind == "sweep") return export_sweep_command(args, *scenario, paths);
    if (kind == "local") return export_local_command(args, *scenario, paths);
    sim::AnalysisExportOptions analysis;
    analysis.ns = args["namespace"].as<std::string>();
    analysis.prometheus = args["prometheus"].as<std::string>();
    return emit(args, kind == "flagger" ? sim::export_flagger(*scenario, analysis) : sim::export_argo_rollouts(*scenario, analysis));
  } catch (const yaml::Exception& e) {
    fmt::print(stderr, "meshsim export {}: {}\n", kind, e.what());
    return kExitBadInput;
  }
}

}  // namespace meshsim::app
