// `meshsim load [URL] [--scenario FILE --source NAME] [--qps Q] [-c N] [-t D] [-n N] [--json FILE]`:
// a traffic source as a real load generator, with Fortio's flags where
// Fortio has one (fortio load -qps -c -t -n -H -timeout -p -json -labels
// -payload) and its JSON result (load_generator.h). With --scenario the
// source's URL, method, headers, arrival (constant, poisson, ramp, closed
// loop) and rate come from the scenario, and its start/stop give the
// duration; flags given override them. Exit 0 when the run completed
// (whatever the responses, as Fortio), 2 on bad input.
#include <cmath>
#include <cstdlib>
#include <fstream>

#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/commands.h"
#include "app/http_caller.h"
#include "app/load_generator.h"
#include "app/scenario_files.h"
#include "config/duration.h"

namespace meshsim::app {

namespace {

bool parse_header(const std::string& text, std::pair<std::string, std::string>& out, std::string* error) {
  auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    *error = fmt::format("header \"{}\": want \"Name: value\"", text);
    return false;
  }
  size_t v = text.find_first_not_of(' ', colon + 1);
  out = {text.substr(0, colon), v == std::string::npos ? "" : text.substr(v)};
  return true;
}

// "PERCENT:Name: value" -> one mix entry (PERCENT of requests add the header).
bool parse_mix(const std::string& text, LoadSpec::MixEntry& out, std::string* error) {
  auto colon = text.find(':');
  // strtod's `end` points into `percent`, which must outlive the check below.
  std::string percent = colon == std::string::npos ? "" : text.substr(0, colon);
  char* end = nullptr;
  double pct = colon == std::string::npos ? -1 : std::strtod(percent.c_str(), &end);
  std::pair<std::string, std::string> header;
  if (pct < 0 || pct > 100 || !end || *end != '\0' || !parse_header(text.substr(colon + 1), header, error)) {
    *error = fmt::format("--mix \"{}\": want PERCENT:Name: value, e.g. \"10:end-user: jason\"", text);
    return false;
  }
  out.per_million = static_cast<uint32_t>(std::llround(pct * 10'000));
  out.headers = {header};
  return true;
}

std::optional<std::chrono::microseconds> duration_flag(const cxxopts::ParseResult& args, const char* flag, std::string* error) {
  auto d = config::parse_go_duration(args[flag].as<std::string>(), error);
  if (!d) *error = fmt::format("--{}: {}", flag, *error);
  return d;
}

// The scenario's traffic source `name` as a load spec.
bool from_source(const std::string& path, const std::string& name, LoadSpec& spec, std::string* error) {
  auto scenario = load_scenario_files({path});
  if (!scenario) {
    *error = "the scenario has errors";
    return false;
  }
  std::vector<std::string> names;
  for (const auto& s : scenario->sources) {
    names.push_back(s.name);
    if (s.name != name) continue;
    spec.grpc = s.grpc;
    spec.url = s.url;
    spec.method = s.method;
    spec.headers = s.headers;
    // headerMix weights as shares of a million; an entry without headers is the rest.
    uint64_t total = 0;
    for (const auto& m : s.header_mix) total += m.weight;
    for (const auto& m : s.header_mix)
      if (!m.headers.empty() && total > 0)
        spec.mix.push_back({static_cast<uint32_t>(m.weight * 1'000'000 / total), m.headers});
    spec.qps = s.rate_per_second;
    spec.qps_end = s.rate_end_per_second;
    switch (s.kind) {
      case sim::TrafficSource::Kind::kConstant: spec.kind = LoadSpec::Kind::kConstant; break;
      case sim::TrafficSource::Kind::kPoisson: spec.kind = LoadSpec::Kind::kPoisson; break;
      case sim::TrafficSource::Kind::kRamp: spec.kind = LoadSpec::Kind::kRamp; break;
      case sim::TrafficSource::Kind::kClosedLoop:
        spec.kind = LoadSpec::Kind::kClosedLoop;
        spec.connections = s.concurrency;
        break;
    }
    // Open loop: enough connections that the rate, not the pool, sets the pace.
    if (s.kind != sim::TrafficSource::Kind::kClosedLoop) spec.connections = 64;
    auto end = s.stop.value_or(scenario->duration);
    spec.duration = end > s.start ? end - s.start : std::chrono::microseconds(0);
    spec.labels = scenario->name + " " + name;
    spec.seed = scenario->seed;
    return true;
  }
  *error = fmt::format("no traffic source \"{}\" in {} (valid sources: {})", name, path, fmt::join(names, ", "));
  return false;
}

}  // namespace

int load_command(int argc, char** argv) {
  cxxopts::Options options("meshsim load", "A traffic source as a real load generator (Fortio's flags and JSON result).");
  options.add_options()
      ("scenario", "scenario file whose traffic source to send", cxxopts::value<std::string>())
      ("source", "the traffic source's name (with --scenario)", cxxopts::value<std::string>())
      ("qps", "requests per second; 0 = as fast as the connections allow (closed loop)", cxxopts::value<double>())
      ("c,connections", "connections: the most requests in flight (Fortio's -c, default 4)", cxxopts::value<int>())
      ("t,duration", "how long to send (Go duration; Fortio's -t, default 5s; at most 24h)", cxxopts::value<std::string>())
      ("n", "send exactly this many requests, then stop (Fortio's -n)", cxxopts::value<uint64_t>())
      ("arrival", "constant, poisson, ramp or closed (default constant)", cxxopts::value<std::string>())
      ("ramp-to", "with --arrival ramp: the rate at the end (--qps is the start)", cxxopts::value<double>())
      ("H,header", "extra header \"Name: value\" (repeatable)", cxxopts::value<std::vector<std::string>>())
      ("mix", "\"PERCENT:Name: value\": that share of requests adds the header (repeatable; shares sum to at most 100); "
              "\"+:Name: value\" adds another header to the previous one's share",
       cxxopts::value<std::vector<std::string>>())
      ("X,method", "HTTP method (default GET)", cxxopts::value<std::string>())
      ("payload", "request body", cxxopts::value<std::string>())
      ("grpc", "unary gRPC calls over h2c: POST, application/grpc, the payload as one message; URL path /package.Service/Method")
      ("timeout", "per-request timeout (Go duration; Fortio's default 3s)", cxxopts::value<std::string>()->default_value("3s"))
      ("p,percentiles", "percentiles to report (Fortio's -p)", cxxopts::value<std::string>()->default_value("50,75,90,99,99.9"))
      ("json", "write the Fortio-shaped JSON result to FILE (- for stdout)", cxxopts::value<std::string>())
      ("labels", "free text stored in the JSON's Labels", cxxopts::value<std::string>())
      ("seed", "seed of Poisson gaps and header-mix draws", cxxopts::value<uint64_t>())
      ("resolve", "NAME=HOST:PORT: where a host name goes instead of DNS (repeatable; env MESHSIM_RESOLVE)",
       cxxopts::value<std::vector<std::string>>())
      ("h,help", "show this help")
      ("url", "target URL", cxxopts::value<std::string>());
  options.parse_positional({"url"});
  options.positional_help("[URL]");
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    fmt::print("{}", options.help());
    return kExitOk;
  }
  auto bad = [](const std::string& error) {
    fmt::print(stderr, "meshsim load: {}\n", error);
    return kExitBadInput;
  };
  LoadSpec spec;
  std::string error;
  if (args.count("scenario") != args.count("source")) return bad("--scenario and --source go together");
  if (args.count("scenario") && !from_source(args["scenario"].as<std::string>(), args["source"].as<std::string>(), spec, &error))
    return bad(error);
  if (args.count("url")) spec.url = args["url"].as<std::string>();
  if (spec.url.empty()) return bad("no URL (give one, or --scenario FILE --source NAME)");
  if (args.count("qps")) spec.qps = spec.qps_end = std::max(0.0, args["qps"].as<double>());
  if (args.count("connections")) spec.connections = args["connections"].as<int>();
  if (spec.connections < 1 || spec.connections > 10'000) return bad("-c: between 1 and 10000 connections");
  if (args.count("arrival")) {
    std::string a = args["arrival"].as<std::string>();
    if (a == "constant") spec.kind = LoadSpec::Kind::kConstant;
    else if (a == "poisson") spec.kind = LoadSpec::Kind::kPoisson;
    else if (a == "ramp") spec.kind = LoadSpec::Kind::kRamp;
    else if (a == "closed") spec.kind = LoadSpec::Kind::kClosedLoop;
    else return bad(fmt::format("--arrival \"{}\": valid choices are constant, poisson, ramp, closed", a));
  }
  if (args.count("ramp-to")) spec.qps_end = std::max(0.0, args["ramp-to"].as<double>());
  if ((spec.kind == LoadSpec::Kind::kPoisson || spec.kind == LoadSpec::Kind::kRamp) && spec.qps <= 0)
    return bad("poisson and ramp arrivals need --qps above 0");
  if (args.count("duration")) {
    auto d = duration_flag(args, "duration", &error);
    if (!d) return bad(error);
    spec.duration = *d;
  }
  if (args.count("n")) spec.exactly = args["n"].as<uint64_t>();
  if (spec.exactly > 0 && !args.count("duration")) spec.duration = kLoadDurationMax;  // -n alone: until the count
  if (spec.duration <= std::chrono::microseconds(0)) return bad("-t: a duration above 0 (the run must end)");
  if (spec.duration > kLoadDurationMax) return bad("-t: at most 24h");
  auto timeout = duration_flag(args, "timeout", &error);
  if (!timeout || *timeout <= std::chrono::microseconds(0)) return bad(timeout ? "--timeout: above 0" : error);
  spec.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*timeout);
  if (args.count("header"))
    for (const auto& h : args["header"].as<std::vector<std::string>>()) {
      std::pair<std::string, std::string> header;
      if (!parse_header(h, header, &error)) return bad(error);
      spec.headers.push_back(header);
    }
  uint64_t mixed = 0;
  if (args.count("mix"))
    for (const auto& m : args["mix"].as<std::vector<std::string>>()) {
      // "+:Name: value" adds a header to the previous entry (a set of headers, as a scenario's headerMix has).
      if (m.starts_with("+:")) {
        std::pair<std::string, std::string> header;
        if (spec.mix.empty()) return bad(fmt::format("--mix \"{}\": \"+:\" adds to the previous --mix, and there is none", m));
        if (!parse_header(m.substr(2), header, &error)) return bad(error);
        spec.mix.back().headers.push_back(header);
        continue;
      }
      LoadSpec::MixEntry entry;
      if (!parse_mix(m, entry, &error)) return bad(error);
      mixed += entry.per_million;
      spec.mix.push_back(entry);
    }
  if (mixed > 1'000'000) return bad("--mix: the shares sum to more than 100%");
  if (args.count("method")) spec.method = args["method"].as<std::string>();
  if (args.count("payload")) spec.body = args["payload"].as<std::string>();
  if (args.count("grpc")) spec.grpc = true;
  if (args.count("labels")) spec.labels = args["labels"].as<std::string>();
  if (args.count("seed")) spec.seed = args["seed"].as<uint64_t>();
  spec.percentiles.clear();
  {
    std::string list = args["percentiles"].as<std::string>();
    for (size_t start = 0; start <= list.size();) {
      size_t comma = std::min(list.find(',', start), list.size());
      std::string item = list.substr(start, comma - start);
      char* end = nullptr;
      double p = std::strtod(item.c_str(), &end);
      if (item.empty() || *end != '\0' || p < 0 || p > 100) return bad(fmt::format("-p: \"{}\" is not a percentile", item));
      spec.percentiles.push_back(p);
      start = comma + 1;
    }
  }
  HttpCaller::Options caller_options;
  if (!parse_resolve_entries(args.count("resolve") ? args["resolve"].as<std::vector<std::string>>() : std::vector<std::string>{},
                             std::getenv("MESHSIM_RESOLVE"), caller_options.resolve, &error))
    return bad(error);

  fmt::print(stderr, "meshsim load: {} {} at {} for {}{}, {} connections\n", spec.grpc ? "gRPC POST" : spec.method, spec.url,
             spec.kind == LoadSpec::Kind::kClosedLoop || spec.qps <= 0 ? std::string("max qps")
                                                                         : fmt::format("{:g} qps", spec.qps),
             spec.exactly ? fmt::format("{} calls", spec.exactly) : fmt::format("{:g}s", spec.duration.count() / 1e6),
             spec.kind == LoadSpec::Kind::kPoisson ? " (poisson)"
             : spec.kind == LoadSpec::Kind::kRamp  ? fmt::format(" (ramp to {:g} qps)", spec.qps_end)
                                                   : "",
             spec.connections);
  LoadResult result;
  if (!run_load(spec, caller_options, result, &error)) return bad(error);
  fmt::print(stderr, "{}", load_text(spec, result));
  if (args.count("json")) {
    std::string json = fortio_json(spec, result).dump(2) + "\n";
    std::string path = args["json"].as<std::string>();
    if (path == "-") {
      fmt::print("{}", json);
    } else {
      std::ofstream out(path);
      out << json;
      if (!out) return bad(fmt::format("cannot write {}", path));
    }
  }
  return kExitOk;
}

}  // namespace meshsim::app
