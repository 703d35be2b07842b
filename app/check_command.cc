// `meshsim check --prometheus URL SCENARIO... [--start T] [--out DIR] [-v]`:
// the scenario's expectations asked of a real Prometheus that scraped Istio's
// standard metrics (a cluster running the exported scenario, `meshsim
// serve`, or `meshsim run`'s metrics.om.txt loaded with promtool), judged by
// the same rule as `meshsim run` (sim/expectation_judge.h), with the same
// report lines, report.json/junit.xml and exit codes: 0 every expectation
// held, 1 some failed, 2 bad input or Prometheus not answering.
//
// Each expectation is one instant query at the end of its window, over a
// range as long as the window (Istio dashboard style, reporter="destination"):
//   share        sum by (destination_version) (increase(istio_requests_total{SLICE}[W]))
//   errorRate    sum by (response_code, grpc_response_status) (increase(istio_requests_total{SLICE}[W]))
//   status       sum by (response_code) (increase(...))
//   latency      histogram_quantile(p/100, sum by (le) (rate(istio_request_duration_milliseconds_bucket{SLICE}[W])))
//   requests     sum(increase(istio_requests_total{SLICE}[W]))
// and SLICE from the expectation's slice: service -> destination_service_name
// (or destination_service for an FQDN), version -> destination_version, from
// -> source_workload (a Deployment's name) or source_app. A traffic source's
// own view (an expectation naming only `source`) becomes the destination
// side of its URL's service, called by the source's workload (source_workload
// "unknown" for a client without a sidecar, as Istio labels it). What
// Prometheus cannot tell is said, not guessed: response bodies (`body`
// expectations are NOT REACHED) and which traffic source caused a call
// further down (a `source` with other slice fields counts every caller).
// increase() extrapolates to the window's edges, so counts are estimates to
// the nearest request; shares keep their 4-standard-error tolerance.
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <cxxopts.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/http_caller.h"
#include "app/scenario_files.h"
#include "config/timestamp.h"
#include "proxy_core/hosts.h"
#include "reports/junit.h"
#include "reports/run_report.h"
#include "sim/expectation_judge.h"
#include "sim/scenario_runner.h"
#include "sim/world.h"

namespace meshsim::app {

namespace net = boost::asio;

namespace {

std::string url_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string promql_string(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Instant queries against Prometheus' HTTP API (GET /api/v1/query,
// prometheus.io/docs/prometheus/latest/querying/api/), one at a time.
class PrometheusClient {
 public:
  PrometheusClient(const sim::ParsedUrl& url, std::chrono::milliseconds timeout)
      : url_(url), caller_(io_, HttpCaller::Options{{}, timeout, 4}) {}

  struct Sample {
    std::map<std::string, std::string> labels;
    double value = 0;
  };
  std::optional<std::vector<Sample>> query(const std::string& promql, double unix_time, std::string* error) {
    proxy::HttpRequest request;
    std::string prefix = url_.target == "/" ? "" : url_.target;
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    request.target = fmt::format("{}/api/v1/query?query={}&time={:.3f}", prefix, url_encode(promql), unix_time);
    request.authority = url_.explicit_port ? fmt::format("{}:{}", url_.host, url_.port) : url_.host;
    request.headers.set("accept", "application/json");
    std::optional<proxy::HttpResponse> reply;
    bool answered = false;
    io_.restart();
    caller_.send(std::move(request), url_.host, url_.port, [&](std::optional<proxy::HttpResponse>&& r) {
      reply = std::move(r);
      answered = true;
      io_.stop();
    });
    io_.run();
    if (!answered || !reply) {
      *error = fmt::format("Prometheus at {}:{} did not answer", url_.host, url_.port);
      return std::nullopt;
    }
    auto body = nlohmann::json::parse(reply->body, nullptr, false);
    if (reply->status != 200 || body.is_discarded() || body.value("status", "") != "success") {
      *error = fmt::format("{}: HTTP {} {}", promql, reply->status, reply->body.substr(0, 300));
      return std::nullopt;
    }
    std::vector<Sample> out;
    for (const auto& r : body["data"]["result"]) {
      Sample s;
      for (const auto& [k, v] : r["metric"].items()) s.labels[k] = v.get<std::string>();
      s.value = std::strtod(r["value"][1].get<std::string>().c_str(), nullptr);
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  sim::ParsedUrl url_;
  net::io_context io_{1};
  HttpCaller caller_;
};

struct Query {
  std::string selector;  // inside {...}
  std::string note;      // what the metrics cannot tell, appended to the verdict
  bool checkable = true;
};

// The label matchers for an expectation's slice (see the file comment).
Query slice_selector(const sim::Scenario& sc, const sim::Expectation& e) {
  Query q;
  std::vector<std::string> m = {"reporter=\"destination\""};
  const sim::TrafficSlice& s = e.slice;
  auto service = [&](const std::string& name) {
    if (name.find('.') != std::string::npos) m.push_back("destination_service=" + promql_string(name));
    else m.push_back("destination_service_name=" + promql_string(name));
  };
  bool source_only = !s.destination_side();
  if (source_only) {
    const sim::TrafficSource* src = nullptr;
    for (const auto& t : sc.sources)
      if (t.name == s.source) src = &t;
    auto url = src ? sim::parse_url(src->url, nullptr) : std::nullopt;
    if (!url) {
      q.checkable = false;
      q.note = "no traffic source of that name with a URL";
      return q;
    }
    std::string host = url->host;
    // "frontend.default.svc.cluster.local" and "frontend" name the same service.
    if (host.ends_with(".svc.cluster.local")) m.push_back("destination_service=" + promql_string(host));
    else m.push_back("destination_service_name=" + promql_string(std::string(proxy::short_name(host))));
    // The source as Istio labels it: its workload, or "unknown" without a sidecar.
    auto source_label = [](const sim::TrafficSource& t) { return t.sidecar ? t.from : std::string("unknown"); };
    for (const auto& t : sc.sources)
      if (&t != src && t.url == src->url && source_label(t) == source_label(*src)) {
        q.checkable = false;
        q.note = fmt::format("traffic sources {} and {} reach {} with the same source labels in Istio's metrics", src->name,
                             t.name, host);
        return q;
      }
    if (src->from != sim::kOutsideSource) m.push_back("source_workload=" + promql_string(source_label(*src)));
    q.note = "the destination side of the source's calls";
  } else {
    if (!s.service.empty()) service(s.service);
    if (!s.version.empty()) m.push_back("destination_version=" + promql_string(s.version));
    if (!s.workload.empty()) m.push_back("destination_workload=" + promql_string(s.workload));
    if (!s.app.empty()) m.push_back("destination_app=" + promql_string(s.app));
    if (!s.labels.empty() || !s.from_labels.empty()) {
      q.checkable = false;
      q.note = "Istio's metrics carry no pod labels besides app and version";
    }
    if (!s.from.empty()) {
      bool workload = false;
      for (const auto& d : sc.resources.deployments) workload = workload || d.header.meta.name == s.from;
      m.push_back((workload ? "source_workload=" : "source_app=") + promql_string(s.from));
    }
    // Counting every caller instead would judge other sources' requests.
    if (!s.source.empty()) {
      q.checkable = false;
      q.note = "Istio's metrics do not name the traffic source, so its requests cannot be told apart at " + s.service;
    }
  }
  q.selector = fmt::format("{}", fmt::join(m, ","));
  return q;
}

struct Checked {
  sim::ExpectationResult result;
  std::vector<std::string> promql;
};

Checked check_one(PrometheusClient& prometheus, const sim::Scenario& sc, const sim::Expectation& e, double start_unix,
                  double now_unix, std::string* error) {
  Checked out;
  sim::Duration to = std::min(e.to.value_or(sc.duration), sc.duration);
  double at = start_unix + std::chrono::duration<double>(to).count();
  int64_t range_ms = std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(to - e.from).count());
  std::string range = fmt::format("[{}ms]", range_ms);
  Query q = slice_selector(sc, e);
  sim::ExpectationTally tally;
  auto not_checked = [&](const std::string& why) {
    out.result = sim::judge_expectation(e, tally);
    out.result.reached = false;
    out.result.passed = false;
    out.result.samples = 0;
    out.result.observed = "not checked: " + why;
    return out;
  };
  if (e.kind == sim::Expectation::Kind::kBody) return not_checked("Prometheus holds no response bodies");
  if (e.kind == sim::Expectation::Kind::kReceived) return not_checked("Prometheus holds no request headers");
  if (!q.checkable) return not_checked(q.note);
  if (at > now_unix)
    return not_checked(fmt::format("the window ends at {:.0f} (Unix), {:.0f} s from now", at, at - now_unix));

  auto run = [&](const std::string& promql) {
    out.promql.push_back(promql);
    return prometheus.query(promql, at, error);
  };
  auto counts_by = [&](const std::string& labels) -> std::optional<std::vector<PrometheusClient::Sample>> {
    return run(fmt::format("sum by ({}) (increase(istio_requests_total{{{}}}{}))", labels, q.selector, range));
  };
  auto rounded = [](double v) { return std::isnan(v) || v < 0 ? uint64_t{0} : static_cast<uint64_t>(std::llround(v)); };
  switch (e.kind) {
    case sim::Expectation::Kind::kShare: {
      auto r = counts_by("destination_version");
      if (!r) return out;
      for (const auto& s : *r) {
        uint64_t n = rounded(s.value);
        tally.n += n;
        auto v = s.labels.find("destination_version");
        if (v != s.labels.end() && v->second == e.share_version) tally.matching += n;
      }
      break;
    }
    case sim::Expectation::Kind::kErrorRate:
    case sim::Expectation::Kind::kStatusClass: {
      bool errors = e.kind == sim::Expectation::Kind::kErrorRate;
      auto r = counts_by(errors ? "response_code, grpc_response_status" : "response_code");
      if (!r) return out;
      for (const auto& s : *r) {
        uint64_t n = rounded(s.value);
        int code = s.labels.count("response_code") ? std::atoi(s.labels.at("response_code").c_str()) : 0;
        std::string grpc = s.labels.count("grpc_response_status") ? s.labels.at("grpc_response_status") : "";
        bool grpc_failed = !grpc.empty() && grpc != "0";
        tally.n += n;
        bool in_status = e.status_class.empty() ? code == e.status_code : sim::status_in_class(code, e.status_class);
        if (errors ? (grpc_failed || code >= 400 || code == 0) : in_status) tally.matching += n;
      }
      break;
    }
    case sim::Expectation::Kind::kResponseFlag: {
      // response_flags is Envoy's comma-joined list ("UT,URX"), "-" for none.
      auto r = counts_by("response_flags");
      if (!r) return out;
      for (const auto& s : *r) {
        uint64_t n = rounded(s.value);
        tally.n += n;
        std::string flags = s.labels.count("response_flags") ? "," + s.labels.at("response_flags") + "," : "";
        if (flags.find("," + e.response_flag + ",") != std::string::npos) tally.matching += n;
      }
      break;
    }
    case sim::Expectation::Kind::kLatency: {
      auto count = run(fmt::format("sum(increase(istio_requests_total{{{}}}{}))", q.selector, range));
      if (!count) return out;
      tally.n = count->empty() ? 0 : rounded(count->front().value);
      auto r = run(fmt::format("histogram_quantile({:g}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{{{}}}{})))",
                               e.percentile / 100, q.selector, range));
      if (!r) return out;
      double ms = r->empty() ? std::nan("") : r->front().value;
      if (std::isnan(ms)) tally.n = 0;
      else tally.latency_us = static_cast<int64_t>(std::llround(ms * 1000));
      break;
    }
    case sim::Expectation::Kind::kRequests: {
      auto r = run(fmt::format("sum(increase(istio_requests_total{{{}}}{}))", q.selector, range));
      if (!r) return out;
      tally.n = r->empty() ? 0 : rounded(r->front().value);
      break;
    }
    case sim::Expectation::Kind::kBody:
    case sim::Expectation::Kind::kReceived: break;
  }
  out.result = sim::judge_expectation(e, tally);
  if (!q.note.empty()) out.result.observed += " [" + q.note + "]";
  return out;
}

}  // namespace

int check_command(int argc, char** argv) {
  cxxopts::Options options("meshsim check", "The scenario's expectations as PromQL over Istio's metrics in a real Prometheus.");
  options.add_options()
      ("prometheus", "Prometheus base URL, e.g. http://127.0.0.1:9090", cxxopts::value<std::string>())
      ("start", "when the scenario's time 0 was: RFC 3339 or Unix seconds (default: the scenario's spec.startTime)",
       cxxopts::value<std::string>())
      ("o,out", "directory for report.json and junit.xml", cxxopts::value<std::string>())
      ("timeout", "per query, in milliseconds", cxxopts::value<int64_t>()->default_value("10000"))
      ("v,verbose", "print each PromQL query under its expectation")
      ("h,help", "show this help")
      ("scenario", "scenario file(s)", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"scenario"});
  options.positional_help("SCENARIO...");
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    fmt::print("{}", options.help());
    return kExitOk;
  }
  auto bad = [](const std::string& error) {
    fmt::print(stderr, "meshsim check: {}\n", error);
    return kExitBadInput;
  };
  if (!args.count("prometheus")) return bad("--prometheus URL is required");
  if (!args.count("scenario")) return bad("no scenario given");
  std::string error;
  auto url = sim::parse_url(args["prometheus"].as<std::string>(), &error);
  if (!url) return bad("--prometheus: " + error);
  auto scenario = load_scenario_files(args["scenario"].as<std::vector<std::string>>());
  if (!scenario) return kExitBadInput;
  double start_unix = static_cast<double>(scenario->start_unix_us) / 1e6;
  if (args.count("start")) {
    std::string text = args["start"].as<std::string>();
    char* end = nullptr;
    double seconds = std::strtod(text.c_str(), &end);
    if (!text.empty() && end && *end == '\0') {
      start_unix = seconds;
    } else {
      auto us = config::parse_rfc3339_us(text, &error);
      if (!us) return bad("--start: " + error + " (want RFC 3339, e.g. 2026-12-05T10:00:00Z, or Unix seconds)");
      start_unix = static_cast<double>(*us) / 1e6;
    }
  }
  double now_unix = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  PrometheusClient prometheus(*url, std::chrono::milliseconds(std::max<int64_t>(1, args["timeout"].as<int64_t>())));

  sim::RunResult result;
  result.scenario = scenario->name;
  result.description = scenario->description;
  result.seed = scenario->seed;
  result.duration = scenario->duration;
  std::vector<std::vector<std::string>> queries;
  for (const auto& e : scenario->expectations) {
    error.clear();
    Checked c = check_one(prometheus, *scenario, e, start_unix, now_unix, &error);
    if (!error.empty()) return bad(error);
    result.expectations.push_back(std::move(c.result));
    queries.push_back(std::move(c.promql));
  }
  std::string text = reports::run_text(result);
  text = text.substr(text.find("expectations:"));
  fmt::print("meshsim check {} against {} (scenario time 0 = Unix {:.0f})\n", scenario->name, args["prometheus"].as<std::string>(),
             start_unix);
  if (args.count("verbose")) {
    // The report's lines, each followed by its queries.
    std::string head = text.substr(0, text.find('\n') + 1);
    fmt::print("{}", head);
    for (size_t i = 0; i < result.expectations.size(); ++i) {
      const auto& e = result.expectations[i];
      fmt::print("  {} {}: {}\n", e.passed ? "PASS" : e.reached ? "FAIL" : "NOT REACHED", e.name, e.observed);
      for (const auto& q : queries[i]) fmt::print("      {}\n", q);
    }
  } else {
    fmt::print("{}", text);
  }
  if (args.count("out")) {
    std::string dir = args["out"].as<std::string>();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    auto report = reports::run_json(result, MESHSIM_VERSION);
    report["check"] = {{"prometheus", args["prometheus"].as<std::string>()}, {"start_unix_s", start_unix}};
    for (const auto& [name, content] : {std::pair<std::string, std::string>{"report.json", report.dump(2) + "\n"},
                                        std::pair<std::string, std::string>{"junit.xml", reports::junit_xml(result)}}) {
      std::ofstream out(dir + "/" + name);
      out << content;
      if (!out) return bad(fmt::format("cannot write {}/{}", dir, name));
    }
  }
  return result.passed() ? kExitOk : kExitFailed;
}

}  // namespace meshsim::app
