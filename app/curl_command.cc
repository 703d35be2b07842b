// `meshsim curl -f FILE... [--from W] [-X M] [-H 'K: V']... [-d BODY] [--http2 | --grpc] [--repeat N] [--seed S] [--json] [--explain] URL`
#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/commands.h"
#include "config/analyzer.h"
#include "config/loader.h"
#include "reports/curl_output.h"
#include "reports/explain.h"
#include "sim/curl.h"

namespace meshsim::app {

int curl_command(int argc, char** argv) {
  cxxopts::Options options("meshsim curl", "Send a request inside the simulated mesh built from the files.");
  options.add_options()
      ("f,file", "mesh YAML files or directories (repeatable)", cxxopts::value<std::vector<std::string>>())
      ("from", "client workload: NAME or NAMESPACE/NAME, or a scenario's traffic source (its client) "
               "(default: a `curl` client with a sidecar in default), "
               "or @outside: a client outside the cluster calling http://SERVICE.NAMESPACE[:PORT]/ (its external address)",
       cxxopts::value<std::string>()->default_value(""))
      ("X,request", "method", cxxopts::value<std::string>()->default_value("GET"))
      ("H,header", "header 'Name: value' (repeatable)", cxxopts::value<std::vector<std::string>>())
      ("d,data", "request body", cxxopts::value<std::string>()->default_value(""))
      ("repeat", "send N requests and aggregate", cxxopts::value<int>()->default_value("1"))
      ("seed", "random seed", cxxopts::value<uint64_t>()->default_value("1"))
      ("http2", "speak HTTP/2 with prior knowledge (h2c) to the client's sidecar")
      ("grpc", "make a unary gRPC call over h2c: URL path /package.Service/Method, -d the message bytes")
      ("json", "print one JSON object")
      ("explain", "say why: each response flag in words with what in the config set it, the AuthorizationPolicy "
                  "(namespace/name, rule) that allowed or denied, and the rules tried before the one taken")
      ("h,help", "show this help")
      ("url", "http://HOST[:PORT]/PATH", cxxopts::value<std::string>());
  options.parse_positional({"url"});
  options.positional_help("URL");
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    fmt::print("{}", options.help());
    return kExitOk;
  }
  if (!args.count("url") || !args.count("file")) {
    fmt::print(stderr, "meshsim curl: need -f FILE and a URL\n{}", options.help());
    return kExitBadInput;
  }
  std::vector<config::Diagnostic> diagnostics;
  auto sources = config::read_sources(args["file"].as<std::vector<std::string>>(), diagnostics);
  auto loaded = config::load(sources);
  diagnostics.insert(diagnostics.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
  if (config::has_errors(diagnostics)) {
    for (const auto& d : diagnostics)
      if (d.severity == config::Severity::kError) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
    return kExitBadInput;
  }
  // A CUSTOM AuthorizationPolicy denies where a reader expects a check: say why first.
  for (const auto& d : config::analyze_custom_authz(loaded.resources)) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
  sim::CurlSpec spec;
  spec.from = args["from"].as<std::string>();
  spec.method = args["request"].as<std::string>();
  spec.body = args["data"].as<std::string>();
  if (!spec.body.empty() && !args.count("request")) spec.method = "POST";  // as curl -d does
  spec.url = args["url"].as<std::string>();
  spec.repeat = args["repeat"].as<int>();
  spec.seed = args["seed"].as<uint64_t>();
  if (args.count("http2")) spec.protocol = proxy::WireProtocol::kHttp2;
  spec.grpc = args.count("grpc") > 0;
  spec.behaviors = loaded.behaviors;
  if (loaded.scenarios.size() == 1) {  // a scenario file: its clients and its sidecar default too
    spec.sources = loaded.scenarios.front().sources;
    spec.sidecars_injected = loaded.scenarios.front().sidecars_injected;
  }
  if (args.count("header"))
    for (const auto& h : args["header"].as<std::vector<std::string>>()) {
      auto colon = h.find(':');
      if (colon == std::string::npos || colon == 0) {
        fmt::print(stderr, "meshsim curl: bad header \"{}\" (expected 'Name: value')\n", h);
        return kExitBadInput;
      }
      std::string value = h.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      spec.headers.emplace_back(h.substr(0, colon), value);
    }
  std::string error;
  auto run = sim::run_curl(std::move(loaded.resources), spec, &error);
  if (!run) {
    fmt::print(stderr, "meshsim curl: {}\n", error);
    return kExitBadInput;
  }
  bool explain = args.count("explain") > 0 && run->single;
  if (args.count("json")) {
    auto j = reports::curl_json(*run);
    if (explain) j["explain"] = reports::explain_json(reports::explain(*run));
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("{}", reports::curl_text(*run, spec.url));
    if (explain) fmt::print("{}", reports::explain_text(reports::explain(*run)));
  }
  return kExitOk;
}

}  // namespace meshsim::app
