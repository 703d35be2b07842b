// meshsim.dev/v1alpha1 kinds: Behavior (a workload's simulated behaviour)
// and Scenario (traffic, timeline, expectations). Formats are documented in
// README.md ("Scenario format").
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "config/loader.h"
#include "config/manifest_documents.h"
#include "config/parse.h"
#include "config/replay_source.h"
#include "config/timestamp.h"
#include "proxy_core/grpc.h"
#include "proxy_core/http.h"

namespace meshsim::config {
namespace {

using proxy::Duration;
using services::LatencyModel;

std::optional<LatencyModel> latency(YamlReader& r, const yaml::Node& n, const std::string& path) {
  if (!n || !r.fields(n, path, {"fixed", "uniform", "normal", "logNormal", "table"})) return std::nullopt;
  LatencyModel m;
  if (n.size() != 1) r.error(n, path, "give exactly one of fixed, uniform, normal, logNormal, table");
  if (auto f = r.duration(n["fixed"], child(path, "fixed"))) {
    m.kind = LatencyModel::Kind::kFixed;
    m.fixed = *f;
  } else if (auto u = n["uniform"]; u && r.fields(u, child(path, "uniform"), {"min", "max"})) {
    m.kind = LatencyModel::Kind::kUniform;
    m.min = r.duration(u["min"], child(path, "uniform.min")).value_or(Duration(0));
    m.max = r.duration(u["max"], child(path, "uniform.max")).value_or(Duration(0));
    if (m.max < m.min) r.error(u, child(path, "uniform"), "max must not be below min");
  } else if (auto nm = n["normal"]; nm && r.fields(nm, child(path, "normal"), {"mean", "stddev"})) {
    m.kind = LatencyModel::Kind::kNormal;
    m.mean = r.duration(nm["mean"], child(path, "normal.mean")).value_or(Duration(0));
    m.stddev = r.duration(nm["stddev"], child(path, "normal.stddev")).value_or(Duration(0));
  } else if (auto ln = n["logNormal"]; ln && r.fields(ln, child(path, "logNormal"), {"p50", "p99"})) {
    m.kind = LatencyModel::Kind::kLogNormal;
    m.p50 = r.duration(ln["p50"], child(path, "logNormal.p50")).value_or(Duration(0));
    m.p99 = r.duration(ln["p99"], child(path, "logNormal.p99")).value_or(Duration(0));
    if (m.p99 < m.p50) r.error(ln, child(path, "logNormal"), "p99 must not be below p50");
  } else if (n["table"]) {
    m.kind = LatencyModel::Kind::kTable;
    r.list(n["table"], child(path, "table"), [&](const yaml::Node& row, const std::string& p) {
      if (!r.fields(row, p, {"value", "weight"})) return;
      auto v = r.duration(row["value"], child(p, "value"));
      auto w = r.integer(row["weight"], child(p, "weight"), 0, 1'000'000);
      if (v) m.table.emplace_back(*v, static_cast<uint32_t>(w.value_or(1)));
    });
  }
  return m;
}

services::CallSpec call_spec(YamlReader& r, const yaml::Node& n, const std::string& path) {
  services::CallSpec c;
  if (!r.fields(n, path, {"name", "service", "port", "method", "path", "headers", "size", "grpc", "timeout", "retries"}))
    return c;
  c.name = r.str(n["name"], child(path, "name")).value_or("");
  if (auto s = r.str(n["service"], child(path, "service"))) c.service = *s;
  else r.error(n, path, "a call needs service");
  c.port = r.port(n["port"], child(path, "port")).value_or(80);
  c.method = r.str(n["method"], child(path, "method")).value_or("GET");
  c.path = r.str(n["path"], child(path, "path")).value_or("/");
  for (auto& [k, v] : r.str_map(n["headers"], child(path, "headers"))) c.headers.emplace_back(k, v);
  c.request_bytes = static_cast<size_t>(r.integer(n["size"], child(path, "size"), 0, 64 << 20).value_or(0));
  c.grpc = r.boolean(n["grpc"], child(path, "grpc")).value_or(false);
  if (c.grpc) c.method = "POST";
  // The app's own client timeout and retries (bookinfo's productpage:
  // requests.get(..., timeout=3.0), tried twice), in virtual time.
  c.timeout = r.duration(n["timeout"], child(path, "timeout"));
  if (c.timeout && c.timeout->count() <= 0) r.error(n["timeout"], child(path, "timeout"), "a timeout must be above 0");
  c.retries = static_cast<int>(r.integer(n["retries"], child(path, "retries"), 0, 10).value_or(0));
  return c;
}

// A Behavior spec (or a timeline behaviour change without its name) as
// block YAML, for `export k8s`.
std::string behavior_spec_yaml(const yaml::Node& spec) {
  if (!spec || !spec.IsMap()) return {};
  return block_yaml(spec, "name");
}

services::Behavior behavior_spec(YamlReader& r, const yaml::Node& spec, const std::string& path, proxy::Labels* selector) {
  services::Behavior b;
  if (!r.fields(spec, path, {"selector", "latency", "errorRate", "response", "calls", "propagateHeaders", "onCallError", "name",
                             "grpc", "extAuthz"}))
    return b;
  if (selector) *selector = r.str_map(spec["selector"], child(path, "selector"));
  b.latency = latency(r, spec["latency"], child(path, "latency"));
  if (auto e = spec["errorRate"]; e && r.fields(e, child(path, "errorRate"), {"percent", "status", "beforeCalls"})) {
    double pct = r.number(e["percent"], child(path, "errorRate.percent"), 0, 100).value_or(0);
    b.error_per_million = static_cast<uint32_t>(std::llround(pct * 10000));
    b.error_status = static_cast<int>(r.integer(e["status"], child(path, "errorRate.status"), 400, 599).value_or(500));
    b.error_before_calls = r.boolean(e["beforeCalls"], child(path, "errorRate.beforeCalls")).value_or(false);
  }
  if (auto resp = spec["response"]; resp && r.fields(resp, child(path, "response"), {"body", "size", "headers"})) {
    b.body_template = r.str(resp["body"], child(path, "response.body")).value_or("");
    b.response_bytes = static_cast<size_t>(r.integer(resp["size"], child(path, "response.size"), 0, 64 << 20).value_or(0));
    for (auto& [k, v] : r.str_map(resp["headers"], child(path, "response.headers"))) b.response_headers.emplace_back(k, v);
  }
  if (b.body_template.empty()) b.body_template = "{{app}} {{version}}";
  r.list(spec["calls"], child(path, "calls"), [&](const yaml::Node& step, const std::string& p) {
    services::ScriptStep s;
    if (step.IsMap() && step["parallel"]) {
      if (!r.fields(step, p, {"parallel"})) return;
      r.list(step["parallel"], child(p, "parallel"), [&](const yaml::Node& c, const std::string& cp) {
        s.calls.push_back(call_spec(r, c, cp));
      });
    } else if (step.IsMap() && step["sleep"]) {
      if (!r.fields(step, p, {"sleep"})) return;
      s.sleep = r.duration(step["sleep"], child(p, "sleep")).value_or(Duration(0));
    } else {
      s.calls.push_back(call_spec(r, step, p));
    }
    b.script.push_back(std::move(s));
  });
  // How the app answers gRPC calls (services/behavior.h GrpcAnswer): codes by
  // their canonical names (UNAVAILABLE) or numbers; errorRate injects that code.
  if (auto g = spec["grpc"]; g && r.fields(g, child(path, "grpc"), {"status", "message", "trailersOnly", "errorRate"})) {
    std::string gp = child(path, "grpc");
    auto code = [&](const yaml::Node& n, const std::string& p) -> std::optional<int> {
      if (!n) return std::nullopt;
      auto text = r.str(n, p);
      if (!text) return std::nullopt;
      if (auto c = proxy::grpc_code_from_name(*text)) return c;
      if (auto c = r.integer(n, p, 0, 16)) return static_cast<int>(*c);
      return std::nullopt;
    };
    services::GrpcAnswer a;
    a.status = code(g["status"], child(gp, "status")).value_or(0);
    a.message = r.str(g["message"], child(gp, "message")).value_or("");
    a.trailers_only = r.boolean(g["trailersOnly"], child(gp, "trailersOnly")).value_or(true);
    if (auto e = g["errorRate"]; e && r.fields(e, child(gp, "errorRate"), {"percent", "status"})) {
      double pct = r.number(e["percent"], child(gp, "errorRate.percent"), 0, 100).value_or(0);
      b.error_per_million = static_cast<uint32_t>(std::llround(pct * 10000));
      b.error_status = 500;  // the app fails; answer_grpc reports it as the code below
      a.error_status = code(e["status"], child(gp, "errorRate.status")).value_or(14);
    }
    b.grpc = a;
  }
  // Istio's sample authorizer (services/behavior.h ExtAuthzServer): `extAuthz: {}`
  // answers as the External Authorization task's ext-authz deployment.
  if (auto a = spec["extAuthz"]; a && (a.IsNull() || r.fields(a, child(path, "extAuthz"), {"header", "value"}))) {
    services::ExtAuthzServer server;
    if (a.IsMap()) {
      if (auto h = r.str(a["header"], child(path, "extAuthz.header"))) server.header = proxy::to_lower(*h);
      if (auto v = r.str(a["value"], child(path, "extAuthz.value"))) server.value = *v;
    }
    b.ext_authz = server;
  }
  b.propagate_headers = r.str_list(spec["propagateHeaders"], child(path, "propagateHeaders"));
  for (auto& h : b.propagate_headers) h = proxy::to_lower(h);
  if (auto oce = spec["onCallError"]; oce) {
    std::string p = child(path, "onCallError");
    if (oce.IsScalar()) {
      auto a = r.enumeration(oce, p, {"fail", "propagate", "ignore"});
      if (a == "propagate") b.on_call_error = services::Behavior::OnCallError::kPropagate;
      if (a == "ignore") b.on_call_error = services::Behavior::OnCallError::kIgnore;
    } else if (r.fields(oce, p, {"action", "status"})) {
      auto a = r.enumeration(oce["action"], child(p, "action"), {"fail", "propagate", "ignore"}).value_or("fail");
      if (a == "propagate") b.on_call_error = services::Behavior::OnCallError::kPropagate;
      if (a == "ignore") b.on_call_error = services::Behavior::OnCallError::kIgnore;
      b.call_error_status = static_cast<int>(r.integer(oce["status"], child(p, "status"), 400, 599).value_or(500));
    }
  }
  return b;
}

}  // namespace

void parse_behavior(YamlReader& r, const yaml::Node& spec, sim::BehaviorRule& out) {
  out.behavior = behavior_spec(r, spec, "spec", &out.selector);
  out.spec_yaml = behavior_spec_yaml(spec);
  // `selector: {host: H}` (optionally `port`) selects an endpoint outside the cluster.
  if (auto host = out.selector.find("host"); host != out.selector.end() && out.selector.size() <= 2) {
    auto port = out.selector.find("port");
    if (out.selector.size() == 1 || port != out.selector.end()) {
      out.external_host = proxy::to_lower(host->second);
      if (port != out.selector.end())
        if (auto p = r.port(spec["selector"]["port"], "spec.selector.port")) out.external_port = *p;
      out.selector.clear();
      return;
    }
  }
  if (out.selector.empty()) r.error(spec, "spec.selector", "a Behavior needs a selector (pod labels, e.g. app: bar)");
}

// `replay: {file: ACCESS_LOG, format: istio-text | envoy-json, speed: 1}`;
// the file is relative to the scenario file. Lines not replayed are warnings
// (MSH0050) here and notes in the run's report.
static void parse_replay(YamlReader& r, const yaml::Node& n, const std::string& path, const SourceText& source,
                         sim::TrafficSource& t) {
  auto file = r.str(n["file"], child(path, "file"));
  if (!file) return r.error(n, path, "replay needs file (an access log)");
  auto format = r.enumeration(n["format"], child(path, "format"), {"istio-text", "envoy-json"});
  double speed = r.number(n["speed"], child(path, "speed"), 0.001, 1e6).value_or(1);
  std::filesystem::path log = std::filesystem::path(*file);
  if (log.is_relative()) log = std::filesystem::path(source.name).parent_path() / log;
  std::string error;
  auto replay = read_replay(log.string(), format.value_or(""), speed, &error);
  if (!replay) return r.error(n["file"], child(path, "file"), error);
  for (const auto& problem : replay->problems) r.warning(n["file"], "MSH0050", problem);
  if (replay->requests.empty()) r.error(n["file"], child(path, "file"), "the access log " + log.string() + " has no request to replay");
  t.replay = std::make_shared<const sim::ReplayTraffic>(std::move(*replay));
}

// `headerMix: [{weight: 10, headers: {end-user: jason}}, {weight: 90}]`:
// header sets drawn per request by weight, on top of the source's headers.
static void parse_header_mix(YamlReader& r, const yaml::Node& n, const std::string& path, sim::TrafficSource& t) {
  if (!n) return;
  uint64_t total = 0;
  r.list(n, path, [&](const yaml::Node& m, const std::string& mp) {
    if (!r.fields(m, mp, {"weight", "headers"})) return;
    sim::TrafficSource::HeaderSet set;
    if (auto w = r.integer(m["weight"], child(mp, "weight"), 0, 1'000'000)) set.weight = static_cast<uint32_t>(*w);
    else if (!m["weight"]) r.error(m, mp, "a headerMix entry needs weight (the entries' weights are in proportion)");
    for (auto& [k, v] : r.str_map(m["headers"], child(mp, "headers"))) set.headers.emplace_back(proxy::to_lower(k), v);
    total += set.weight;
    t.header_mix.push_back(std::move(set));
  });
  if (!t.header_mix.empty() && total == 0) r.error(n, path, "the headerMix weights are all 0");
}

static void parse_scenario_clock(YamlReader& r, const yaml::Node& spec, sim::Scenario& out) {
  if (auto text = r.str(spec["startTime"], "spec.startTime")) {
    std::string error;
    if (auto us = parse_rfc3339_us(*text, &error)) out.start_unix_us = *us;
    else r.error(spec["startTime"], "spec.startTime", error);
  }
  if (auto m = spec["metrics"]; m && r.fields(m, "spec.metrics", {"scrapeInterval"}))
    if (auto d = r.duration(m["scrapeInterval"], "spec.metrics.scrapeInterval")) {
      if (d->count() >= 1000) out.scrape_interval = *d;
      else r.error(m["scrapeInterval"], "spec.metrics.scrapeInterval", "a scrape interval is at least 1ms");
    }
}

// Refuses a scenario whose open-loop sources plan more than
// kMaxPlannedRequests requests (rate x the time each may send, upper bound).
static void check_planned_requests(YamlReader& r, const yaml::Node& traffic, const sim::Scenario& out) {
  double planned = 0;
  for (const auto& t : out.sources) {
    if (t.kind == sim::TrafficSource::Kind::kClosedLoop) continue;  // paced by its own answers
    double seconds = std::chrono::duration<double>(t.stop.value_or(out.duration) - t.start).count();
    planned += std::max(t.rate_per_second, t.rate_end_per_second) * std::max(0.0, seconds);
  }
  if (planned > kMaxPlannedRequests)
    r.error(traffic, "spec.traffic",
            fmt::format("the traffic plans about {:.3g} client requests (rate x duration, all sources); a run sends at "
                        "most {:.0e}: lower a rate or spec.duration, or split the run into seeds",
                        planned, kMaxPlannedRequests));
}

void parse_scenario(YamlReader& r, const yaml::Node& spec, const SourceText& source, sim::Scenario& out,
                    std::vector<Diagnostic>& diagnostics) {
  if (!r.fields(spec, "spec", {"description", "seed", "duration", "linkLatency", "sidecars", "tracing", "traffic", "timeline",
                               "expectations", "startTime", "metrics"}))
    return;
  parse_scenario_clock(r, spec, out);
  if (auto t = spec["tracing"]; t && r.fields(t, "spec.tracing", {"sampling"})) {
    out.trace_sampling_percent = r.number(t["sampling"], "spec.tracing.sampling", 0, 100).value_or(1.0);
    out.trace_sampling_explicit = static_cast<bool>(t["sampling"]);
  }
  out.description = r.str(spec["description"], "spec.description").value_or("");
  if (auto s = r.integer(spec["seed"], "spec.seed", 0, INT64_MAX)) out.seed = static_cast<uint64_t>(*s);
  if (auto d = r.duration(spec["duration"], "spec.duration")) out.duration = *d;
  if (auto d = r.duration(spec["linkLatency"], "spec.linkLatency")) out.link_latency = *d;
  if (auto s = r.enumeration(spec["sidecars"], "spec.sidecars", {"injected", "none"})) out.sidecars_injected = *s == "injected";
  r.list(spec["traffic"], "spec.traffic", [&](const yaml::Node& n, const std::string& p) {
    if (!r.fields(n, p, {"name", "from", "namespace", "sidecar", "method", "url", "headers", "rate", "arrival", "ramp",
                         "concurrency", "start", "stop", "grpc", "replay", "headerMix"}))
      return;
    sim::TrafficSource t;
    if (auto name = r.str(n["name"], child(p, "name"))) t.name = *name;
    else r.error(n, p, "a traffic source needs a name");
    t.from = r.str(n["from"], child(p, "from")).value_or(t.name);
    t.from_namespace = r.str(n["namespace"], child(p, "namespace")).value_or("default");
    t.sidecar = r.boolean(n["sidecar"], child(p, "sidecar")).value_or(false);
    t.method = r.str(n["method"], child(p, "method")).value_or("GET");
    t.grpc = r.boolean(n["grpc"], child(p, "grpc")).value_or(false);
    if (auto url = r.str(n["url"], child(p, "url"))) t.url = *url;
    else if (!n["replay"]) r.error(n, p, "a traffic source needs a url (or replay)");
    if (auto rp = n["replay"]; rp && r.fields(rp, child(p, "replay"), {"file", "format", "speed"}))
      parse_replay(r, rp, child(p, "replay"), source, t);
    for (auto& [k, v] : r.str_map(n["headers"], child(p, "headers"))) t.headers.emplace_back(k, v);
    parse_header_mix(r, n["headerMix"], child(p, "headerMix"), t);
    if (auto rate = r.number(n["rate"], child(p, "rate"), 0.001, 1e6)) t.rate_per_second = t.rate_end_per_second = *rate;
    if (auto a = r.enumeration(n["arrival"], child(p, "arrival"), {"constant", "poisson"}))
      t.kind = *a == "poisson" ? sim::TrafficSource::Kind::kPoisson : sim::TrafficSource::Kind::kConstant;
    if (auto ramp = n["ramp"]; ramp && r.fields(ramp, child(p, "ramp"), {"from", "to"})) {
      t.kind = sim::TrafficSource::Kind::kRamp;
      t.rate_per_second = r.number(ramp["from"], child(p, "ramp.from"), 0.001, 1e6).value_or(1);
      t.rate_end_per_second = r.number(ramp["to"], child(p, "ramp.to"), 0.001, 1e6).value_or(1);
    }
    if (auto c = r.integer(n["concurrency"], child(p, "concurrency"), 1, 10000)) {
      t.kind = sim::TrafficSource::Kind::kClosedLoop;
      t.concurrency = static_cast<int>(*c);
    }
    t.start = r.duration(n["start"], child(p, "start")).value_or(Duration(0));
    t.stop = r.duration(n["stop"], child(p, "stop"));
    out.sources.push_back(std::move(t));
  });
  check_planned_requests(r, spec["traffic"], out);
  r.list(spec["timeline"], "spec.timeline", [&](const yaml::Node& n, const std::string& p) {
    if (!r.fields(n, p, {"at", "caption", "command", "apply", "delete", "injectSidecars", "removeSidecars", "scale",
                         "behaviors", "startTraffic", "stopTraffic", "say"}))
      return;
    sim::TimelineStep step;
    step.pos = r.pos(n);
    if (auto at = r.duration(n["at"], child(p, "at"))) step.at = *at;
    else r.error(n, p, "a timeline step needs at");
    step.caption = r.str(n["caption"], child(p, "caption")).value_or("");
    step.command = r.str(n["command"], child(p, "command")).value_or("");
    step.say = r.str(n["say"], child(p, "say")).value_or("");
    if (auto a = n["apply"]; a && r.fields(a, child(p, "apply"), {"yaml", "file"})) {
      std::vector<SourceText> texts;
      if (auto y = a["yaml"]; y && y.IsScalar()) {
        SourceText text{source.name, y.Scalar()};
        // A literal block starts on the line after `yaml: |`, indented; other
        // strings are placed at the string.
        yaml::Mark origin = y.LiteralBlockOrigin();
        if (origin.is_null()) origin = {-1, static_cast<int>(y.Mark().line), static_cast<int>(y.Mark().column)};
        text.line_offset = origin.line + r.line_offset();
        text.column_offset = origin.column;
        texts.push_back(std::move(text));
      }
      if (auto f = r.str(a["file"], child(p, "apply.file"))) {
        step.apply_files.push_back(*f);
        std::filesystem::path file = std::filesystem::path(source.name).parent_path() / *f;
        auto read = read_sources({file.string()}, diagnostics);
        texts.insert(texts.end(), read.begin(), read.end());
      }
      for (const auto& t : texts) step.apply_yaml += (step.apply_yaml.empty() ? "" : "\n---\n") + t.text;
      auto loaded = load(texts);
      diagnostics.insert(diagnostics.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
      step.apply = std::move(loaded.resources);
    }
    r.list(n["delete"], child(p, "delete"), [&](const yaml::Node& d, const std::string& dp) {
      if (!r.fields(d, dp, {"kind", "name", "namespace"})) return;
      auto kind = r.enumeration(d["kind"], child(dp, "kind"),
                                {"Deployment", "Service", "VirtualService", "DestinationRule", "AuthorizationPolicy",
                                 "PeerAuthentication", "HTTPRoute"});
      auto name = r.str(d["name"], child(dp, "name"));
      std::string ns = r.str(d["namespace"], child(dp, "namespace")).value_or("default");
      if (kind && name) step.delete_keys.push_back(*kind + "/" + ns + "/" + *name);
      else if (!name) r.error(d, dp, "delete needs kind and name");
    });
    step.inject_sidecars = r.str_list(n["injectSidecars"], child(p, "injectSidecars"));
    step.remove_sidecars = r.str_list(n["removeSidecars"], child(p, "removeSidecars"));
    r.list(n["scale"], child(p, "scale"), [&](const yaml::Node& s, const std::string& sp) {
      if (!r.fields(s, sp, {"workload", "replicas"})) return;
      auto w = r.str(s["workload"], child(sp, "workload"));
      auto replicas = r.integer(s["replicas"], child(sp, "replicas"), 0, 1000);
      if (w && replicas) step.scale.emplace_back(*w, static_cast<int>(*replicas));
    });
    r.list(n["behaviors"], child(p, "behaviors"), [&](const yaml::Node& b, const std::string& bp) {
      sim::BehaviorRule rule;
      rule.name = r.str(b["name"], child(bp, "name")).value_or("");
      rule.behavior = behavior_spec(r, b, bp, &rule.selector);
      rule.spec_yaml = behavior_spec_yaml(b);
      if (rule.name.empty()) r.error(b, bp, "a behaviour change needs the name of the Behavior it replaces or adds");
      step.behaviors.push_back(std::move(rule));
    });
    step.start_sources = r.str_list(n["startTraffic"], child(p, "startTraffic"));
    step.stop_sources = r.str_list(n["stopTraffic"], child(p, "stopTraffic"));
    out.timeline.push_back(std::move(step));
  });
  r.list(spec["expectations"], "spec.expectations", [&](const yaml::Node& n, const std::string& p) {
    if (!r.fields(n, p, {"name", "window", "source", "from", "service", "version", "share", "errorRate", "status",
                         "latency", "requests", "body", "responseFlag", "noResponse", "workload", "app",
                         "labels", "fromLabels", "received"}))
      return;
    sim::Expectation e;
    e.pos = r.pos(n);
    if (auto name = r.str(n["name"], child(p, "name"))) e.name = *name;
    else r.error(n, p, "an expectation needs a name");
    if (auto w = n["window"]; w && r.fields(w, child(p, "window"), {"from", "to"})) {
      e.from = r.duration(w["from"], child(p, "window.from")).value_or(Duration(0));
      e.to = r.duration(w["to"], child(p, "window.to"));
    }
    e.slice.source = r.str(n["source"], child(p, "source")).value_or("");
    e.slice.from = r.str(n["from"], child(p, "from")).value_or("");
    e.slice.service = r.str(n["service"], child(p, "service")).value_or("");
    e.slice.version = r.str(n["version"], child(p, "version")).value_or("");
    e.slice.workload = r.str(n["workload"], child(p, "workload")).value_or("");
    e.slice.app = r.str(n["app"], child(p, "app")).value_or("");
    e.slice.labels = r.str_map(n["labels"], child(p, "labels"));
    e.slice.from_labels = r.str_map(n["fromLabels"], child(p, "fromLabels"));
    int kinds = 0;
    if (auto s = n["share"]; s && r.fields(s, child(p, "share"), {"version", "equals", "sigmas"})) {
      ++kinds;
      e.kind = sim::Expectation::Kind::kShare;
      e.share_version = r.str(s["version"], child(p, "share.version")).value_or("");
      e.expected = r.number(s["equals"], child(p, "share.equals"), 0, 1).value_or(0);
      e.share_sigmas = r.number(s["sigmas"], child(p, "share.sigmas"), 1, 10).value_or(e.share_sigmas);
      if (e.slice.service.empty()) r.error(s, child(p, "share"), "a share expectation needs service");
    }
    auto bounds = [&](const yaml::Node& b, const std::string& bp, double hi) {
      e.min = r.number(b["min"], child(bp, "min"), 0, hi);
      e.max = r.number(b["max"], child(bp, "max"), 0, hi);
      if (!b["min"] && !b["max"]) r.error(b, bp, "give min or max");
    };
    if (auto er = n["errorRate"]; er && r.fields(er, child(p, "errorRate"), {"min", "max"})) {
      ++kinds;
      e.kind = sim::Expectation::Kind::kErrorRate;
      bounds(er, child(p, "errorRate"), 1);
    }
    if (auto st = n["status"]; st && r.fields(st, child(p, "status"), {"class", "code", "min", "max"})) {
      ++kinds;
      e.kind = sim::Expectation::Kind::kStatusClass;
      if (st["code"]) {
        // An exact status; 0 is "no response" (reset or refused), as the report counts it.
        e.status_code = static_cast<int>(r.integer(st["code"], child(p, "status.code"), 0, 599).value_or(-1));
        if (st["class"]) r.error(st, child(p, "status"), "give class or code, not both");
      } else {
        e.status_class =
            r.enumeration(st["class"], child(p, "status.class"), {"2xx", "3xx", "4xx", "5xx", "4xx|5xx"}).value_or("5xx");
      }
      bounds(st, child(p, "status"), 1);
    }
    // The share of responses carrying an Envoy response flag (access-log docs, %RESPONSE_FLAGS%).
    if (auto rf = n["responseFlag"]; rf && r.fields(rf, child(p, "responseFlag"), {"flag", "min", "max"})) {
      ++kinds;
      e.kind = sim::Expectation::Kind::kResponseFlag;
      e.response_flag = r.enumeration(rf["flag"], child(p, "responseFlag.flag"),
                                      {"UH", "UF", "UO", "NR", "URX", "NC", "DT", "DC", "LH", "UT", "LR", "UR", "UC", "DI", "FI",
                                       "RL", "UAEX", "RLSE", "IH", "SI", "DPE", "UPE", "UMSDR", "OM", "DF", "DO", "DR"})
                            .value_or("");
      if (!rf["flag"]) r.error(rf, child(p, "responseFlag"), "responseFlag needs flag (UH, NR, UT, …)");
      bounds(rf, child(p, "responseFlag"), 1);
    }
    // A request that got no response (reset, refused, no upstream
    // connection): its own outcome, the same as `status: {code: 0}`.
    if (auto nr = n["noResponse"]; nr && r.fields(nr, child(p, "noResponse"), {"min", "max"})) {
      ++kinds;
      e.kind = sim::Expectation::Kind::kStatusClass;
      e.status_code = 0;
      bounds(nr, child(p, "noResponse"), 1);
    }
    // What the destination apps received: the share of requests whose header has a value.
    if (auto rc = n["received"]; rc && r.fields(rc, child(p, "received"), {"header", "value", "min", "max"})) {
      ++kinds;
      e.kind = sim::Expectation::Kind::kReceived;
      e.received_header = proxy::to_lower(r.str(rc["header"], child(p, "received.header")).value_or(""));
      e.received_value = r.str(rc["value"], child(p, "received.value")).value_or("");
      if (e.received_header.empty()) r.error(rc, child(p, "received"), "received needs header (e.g. x-envoy-attempt-count)");
      bounds(rc, child(p, "received"), 1);
    }
    if (auto l = n["latency"]; l && r.fields(l, child(p, "latency"), {"p50", "p90", "p99", "max"})) {
      ++kinds;
      e.kind = sim::Expectation::Kind::kLatency;
      for (auto [key, pct] : {std::pair{"p50", 50.0}, {"p90", 90.0}, {"p99", 99.0}, {"max", 100.0}})
        if (auto v = l[key]; v && r.fields(v, child(p, std::string("latency.") + key), {"min", "max"})) {
          e.percentile = pct;
          e.latency_max = r.duration(v["max"], child(p, std::string("latency.") + key + ".max")).value_or(Duration(0));
          e.latency_has_max = static_cast<bool>(v["max"]);
          e.latency_min = r.duration(v["min"], child(p, std::string("latency.") + key + ".min"));
          if (!v["min"] && !v["max"]) r.error(v, child(p, std::string("latency.") + key), "give min or max");
          if (e.latency_min && e.latency_has_max && *e.latency_min > e.latency_max)
            r.error(v, child(p, std::string("latency.") + key), "min is above max");
        }
    }
    if (auto q = n["requests"]; q && r.fields(q, child(p, "requests"), {"min", "max"})) {
      ++kinds;
      e.kind = sim::Expectation::Kind::kRequests;
      bounds(q, child(p, "requests"), 1e12);
    }
    if (auto b = r.str(n["body"], child(p, "body"))) {
      ++kinds;
      e.kind = sim::Expectation::Kind::kBody;
      e.body = *b;
      if (e.slice.source.empty()) r.error(n, p, "a body expectation needs source");
    }
    if (kinds != 1)
      r.error(n, p, "an expectation checks exactly one of share, errorRate, status, noResponse, latency, requests, body, "
              "responseFlag, received");
    out.expectations.push_back(std::move(e));
  });
}

}  // namespace meshsim::config
