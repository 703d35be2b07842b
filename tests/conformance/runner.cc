#include "tests/conformance/runner.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>

#include "config/loader.h"
#include "proxy_core/hosts.h"
#include "sim/world.h"
#include "tests/conformance/runner_grpc.h"
#include "tests/conformance/runner_egress.h"

namespace meshsim::conformance {
namespace {

using nlohmann::json;

// A string field, or `fallback` when absent or null.
std::string str_or(const json& j, const char* key, const std::string& fallback) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? fallback : it->get<std::string>();
}

struct Sample {
  sim::CallResult call;
  std::string served_service;
  std::string served_version;
  std::string served_workload;
  std::string request_protocol_label;
};


// `kind: ingress-gateway|egress-gateway`: the pod Istio's gateway injection
// deploys (the corpus README), i.e. one asking for the gateway template.
void mark_gateway_workload(const json& w, proxy::Deployment& d) {
  std::string kind = str_or(w, "kind", "");
  if (kind == "ingress-gateway" || kind == "egress-gateway") d.pod_annotations["inject.istio.io/templates"] = "gateway";
}

// The simulated network: hops in memory, the scheduler run dry.
class InMemoryHops final : public HopCarrier {
 public:
  void attach(sim::World&) override {}
  void settle(sim::World& world) override { world.scheduler().run(); }
};

// Starts one request; `from: "@outside"` is a client outside the cluster
// calling a Service's external address. False: no such client workload.
bool send_from(sim::World& world, const std::string& from, const std::string& from_ns, proxy::HttpRequest request,
               const std::string& host, uint32_t port, std::function<void(sim::CallResult&&)> done) {
  if (from == "@outside") {
    world.send_outside(std::move(request), host, port, std::move(done));
    return true;
  }
  return world.send(from_ns, from, std::move(request), host, port, std::move(done));
}

sim::CallResult call_from(sim::World& world, HopCarrier& carrier, const std::string& from, const std::string& from_ns,
                          proxy::HttpRequest request, const std::string& host, uint32_t port, bool* found) {
  std::optional<sim::CallResult> out;
  *found = send_from(world, from, from_ns, std::move(request), host, port, [&out](sim::CallResult&& r) { out = std::move(r); });
  if (*found) carrier.settle(world);
  return out ? std::move(*out) : sim::CallResult{};
}

// Headers that differ between two runs of the same request by design:
// request ids, trace ids, times.
bool varies_between_runs(std::string_view name) {
  static const std::set<std::string_view> kVarying = {
      "x-request-id", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "traceparent", "tracestate",
      "date", "x-envoy-upstream-service-time", "x-envoy-expected-rq-timeout-ms", "x-client-trace-id"};
  return kVarying.count(name) > 0;
}

std::string seen_line(const Sample& s) {
  const auto& out = s.call.outbound;
  std::string line = out.response ? fmt::format("status {}", out.response->status) : "no response: " + out.error;
  line += fmt::format(" flags {} attempts {}/{}", out.flags, out.attempts, s.call.upstream_attempts);
  if (auto route = out.route()) line += fmt::format(" route {} rule {} match {}", route->resource, route->rule, route->match);
  line += fmt::format(" cluster {} served {}", out.cluster(), s.served_workload);
  if (s.call.upstream) {
    const auto& up = s.call.upstream->request;
    std::vector<std::string> headers;
    for (const proxy::Header h : up.headers.all())
      if (!varies_between_runs(proxy::to_lower(h.name))) headers.push_back(fmt::format("{}={}", h.name, h.value));
    std::sort(headers.begin(), headers.end());
    line += fmt::format(" | app got {} {} host {} [{}]", up.method, up.target, up.authority, fmt::join(headers, " "));
  }
  return line;
}

// Builds Deployments and Services for the case's workloads. Each Service
// selects its pods through a meshsim label so extraServices can share pods.
proxy::Resources workloads_to_resources(const json& workloads) {
  proxy::Resources r;
  std::map<std::pair<std::string, std::string>, proxy::Service> services;
  for (const json& w : workloads) {
    if (is_external(w)) continue;  // no pod: added as an external host
    proxy::Deployment d;
    d.header.kind = "Deployment";
    d.header.meta.name = w.at("name");
    d.header.meta.ns = str_or(w, "namespace", "default");
    d.service_account = str_or(w, "serviceAccount", "default");
    mark_gateway_workload(w, d);
    const json labels = w.value("labels", json::object());
    for (auto& [k, v] : labels.items())
      if (v.is_string()) d.pod_labels[k] = v.get<std::string>();
    std::vector<std::string> service_names;
    if (w.contains("service") && w["service"].is_string()) service_names.push_back(w["service"]);
    const json extra_services = w.value("extraServices", json::array());
    for (const json& extra : extra_services) service_names.push_back(extra);
    uint32_t port = w.value("port", 80u);
    std::vector<proxy::ServicePort> ports;
    if (w.contains("ports")) {
      for (const json& p : w["ports"]) {
        proxy::ServicePort sp;
        sp.name = str_or(p, "name", "");
        sp.port = p.at("port");
        sp.target_port = p.value("targetPort", sp.port);
        sp.app_protocol = p.value("appProtocol", "");
        ports.push_back(sp);
        d.ports.push_back({sp.name, std::get<uint32_t>(sp.target_port)});
      }
    } else {
      proxy::ServicePort sp;
      sp.name = "http";
      sp.port = port;
      ports.push_back(sp);
      d.ports.push_back({"http", port});
    }
    for (const auto& name : service_names) {
      d.pod_labels["meshsim.dev/svc-" + name] = "true";
      auto& svc = services[{d.header.meta.ns, name}];
      svc.header.kind = "Service";
      svc.header.meta.name = name;
      svc.header.meta.ns = d.header.meta.ns;
      svc.selector["meshsim.dev/svc-" + name] = "true";
      for (const auto& sp : ports)
        if (std::none_of(svc.ports.begin(), svc.ports.end(), [&](const auto& e) { return e.port == sp.port; }))
          svc.ports.push_back(sp);
    }
    r.deployments.push_back(std::move(d));
  }
  for (auto& [key, svc] : services) r.services.push_back(std::move(svc));
  return r;
}

std::string substitute_pod_ips(std::string url, const proxy::RouteTable& table, const json& workloads) {
  const std::string marker = "{{podIP:";
  for (size_t at; (at = url.find(marker)) != std::string::npos;) {
    size_t end = url.find("}}", at);
    std::string name = url.substr(at + marker.size(), end - at - marker.size());
    std::string ns = "default";
    for (const json& w : workloads)
      if (w.at("name") == name) ns = str_or(w, "namespace", "default");
    const proxy::Endpoint* e = table.endpoint_by_workload(ns, name);
    url.replace(at, end + 2 - at, e ? e->ip : "0.0.0.0");
  }
  return url;
}

bool headers_contain(const std::optional<std::string>& joined, const std::string& expected) {
  if (!joined) return false;
  if (*joined == expected) return true;
  // Repeated fields are joined with ","; each expected value must be one of them.
  std::string_view s = *joined;
  while (!s.empty()) {
    auto comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part == expected) return true;
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
  }
  return joined->find(expected) != std::string::npos;
}

struct LocationParts {
  std::string scheme, host, port, path;
};

LocationParts split_location(const std::string& location) {
  LocationParts p;
  auto scheme_end = location.find("://");
  std::string rest = location;
  if (scheme_end != std::string::npos) {
    p.scheme = location.substr(0, scheme_end);
    rest = location.substr(scheme_end + 3);
  }
  auto path_start = rest.find_first_of("/?");
  std::string authority = rest.substr(0, path_start);
  p.path = path_start == std::string::npos ? "" : rest.substr(path_start);
  auto colon = authority.rfind(':');
  if (colon != std::string::npos) {
    p.host = authority.substr(0, colon);
    p.port = authority.substr(colon + 1);
  } else {
    p.host = authority;
  }
  return p;
}

void check_one(const json& expect, const Sample& s, std::vector<std::string>& failures, const std::string& where) {
  const auto& out = s.call.outbound;
  auto fail = [&](std::string msg) { failures.push_back(where + msg); };
  check_no_response(expect, s.call, failures, where);
  int status = out.response ? out.response->status : 0;
  if (expect.contains("status") && status != expect["status"].get<int>())
    fail(fmt::format("status {} != {} (flags {}, error '{}', body '{}')", status, expect["status"].get<int>(), out.flags,
                     out.error, out.response ? out.response->body.substr(0, 120) : ""));
  if (expect.contains("body") && (!out.response || out.response->body != expect["body"].get<std::string>()))
    fail(fmt::format("body '{}' != '{}'", out.response ? out.response->body.substr(0, 200) : "", expect["body"].get<std::string>()));
  if (expect.contains("response_flags")) {
    std::string want = expect["response_flags"];
    if (out.flags.find(want) == std::string::npos) fail(fmt::format("flags '{}' lack {}", out.flags, want));
  }
  if (expect.contains("version") && s.served_version != expect["version"].get<std::string>())
    fail(fmt::format("version '{}' != '{}'", s.served_version, expect["version"].get<std::string>()));
  if (expect.contains("workload") && s.served_workload != expect["workload"].get<std::string>())
    fail(fmt::format("workload '{}' != '{}'", s.served_workload, expect["workload"].get<std::string>()));
  if (expect.contains("service") && s.served_service != expect["service"].get<std::string>())
    fail(fmt::format("service '{}' != '{}'", s.served_service, expect["service"].get<std::string>()));
  double ms = static_cast<double>(out.duration.count()) / 1000.0;
  if (expect.contains("min_delay_ms") && ms < expect["min_delay_ms"].get<double>())
    fail(fmt::format("latency {} ms < {}", ms, expect["min_delay_ms"].get<double>()));
  if (expect.contains("max_delay_ms") && ms > expect["max_delay_ms"].get<double>())
    fail(fmt::format("latency {} ms > {}", ms, expect["max_delay_ms"].get<double>()));
  const auto* upstream = s.call.upstream ? &s.call.upstream->request : nullptr;
  auto up_header = [&](const std::string& name) -> std::optional<std::string> {
    if (!upstream) return std::nullopt;
    if (proxy::iequals(name, "host") || name == ":authority") return upstream->authority;
    return upstream->headers.get_joined(name);
  };
  if (expect.contains("request_headers_at_upstream"))
    for (auto& [name, value] : expect["request_headers_at_upstream"].items()) {
      auto got = up_header(name);
      if (!got || *got != value.get<std::string>())
        fail(fmt::format("upstream header {}='{}' != '{}'", name, got.value_or("<absent>"), value.get<std::string>()));
    }
  if (expect.contains("request_headers_at_upstream_contain"))
    for (auto& [name, values] : expect["request_headers_at_upstream_contain"].items())
      for (const json& v : values)
        if (!headers_contain(up_header(name), v.get<std::string>()))
          fail(fmt::format("upstream header {}='{}' lacks '{}'", name, up_header(name).value_or("<absent>"), v.get<std::string>()));
  if (expect.contains("request_headers_absent_at_upstream"))
    for (const json& name : expect["request_headers_absent_at_upstream"])
      if (up_header(name.get<std::string>())) fail(fmt::format("upstream header {} present", name.get<std::string>()));
  auto resp_header = [&](const std::string& name) -> std::optional<std::string> {
    return out.response ? out.response->headers.get_joined(name) : std::nullopt;
  };
  if (expect.contains("response_headers"))
    for (auto& [name, value] : expect["response_headers"].items()) {
      auto got = resp_header(name);
      if (!got || *got != value.get<std::string>())
        fail(fmt::format("response header {}='{}' != '{}'", name, got.value_or("<absent>"), value.get<std::string>()));
    }
  if (expect.contains("response_headers_contain"))
    for (auto& [name, values] : expect["response_headers_contain"].items())
      for (const json& v : values)
        if (!headers_contain(resp_header(name), v.get<std::string>()))
          fail(fmt::format("response header {} lacks '{}'", name, v.get<std::string>()));
  if (expect.contains("response_headers_absent"))
    for (const json& name : expect["response_headers_absent"])
      if (resp_header(name.get<std::string>())) fail(fmt::format("response header {} present", name.get<std::string>()));
  if (expect.contains("upstream_path") && (!upstream || upstream->target != expect["upstream_path"].get<std::string>()))
    fail(fmt::format("upstream path '{}' != '{}'", upstream ? upstream->target : "<none>", expect["upstream_path"].get<std::string>()));
  if (expect.contains("upstream_host") && (!upstream || upstream->authority != expect["upstream_host"].get<std::string>()))
    fail(fmt::format("upstream host '{}' != '{}'", upstream ? upstream->authority : "<none>", expect["upstream_host"].get<std::string>()));
  std::string location(out.response ? out.response->headers.get("location").value_or("") : "");
  if (expect.contains("redirect_location") && location != expect["redirect_location"].get<std::string>())
    fail(fmt::format("location '{}' != '{}'", location, expect["redirect_location"].get<std::string>()));
  if (expect.contains("redirect")) {
    LocationParts parts = split_location(location);
    const json& r = expect["redirect"];
    auto cmp = [&](const char* key, const std::string& got) {
      if (!r.contains(key)) return;
      std::string want = r[key].is_string() ? r[key].get<std::string>() : r[key].dump();
      if (got != want) fail(fmt::format("redirect {} '{}' != '{}' (location '{}')", key, got, want, location));
    };
    cmp("scheme", parts.scheme);
    cmp("host", parts.host);
    cmp("port", parts.port);
    cmp("path", parts.path);
  }
  if (expect.contains("upstream_attempts") && s.call.upstream_attempts != expect["upstream_attempts"].get<int>())
    fail(fmt::format("upstream attempts {} != {}", s.call.upstream_attempts, expect["upstream_attempts"].get<int>()));
  if (expect.contains("upstream_reached") && !expect["upstream_reached"].get<bool>() && s.call.upstream_attempts > 0)
    fail("upstream was reached");
  check_grpc_expectations(expect, s.call, s.request_protocol_label, fail);
}

void check_aggregate(const json& expect, const std::vector<Sample>& samples, std::vector<std::string>& failures) {
  if (expect.contains("split_by")) {
    std::string by = expect["split_by"];
    double tolerance = expect.value("tolerance", 0.1);
    std::map<std::string, int> counts;
    for (const auto& s : samples)
      counts[by == "version" ? s.served_version : by == "workload" ? s.served_workload : s.served_service]++;
    for (auto& [key, fraction] : expect["split"].items()) {
      double got = samples.empty() ? 0 : double(counts[key]) / double(samples.size());
      if (std::abs(got - fraction.get<double>()) > tolerance + 1e-9)
        failures.push_back(fmt::format("split {}={:.3f}, expected {} ± {}", key, got, fraction.get<double>(), tolerance));
    }
  }
  if (expect.contains("status_mix")) {
    std::set<int> want, got;
    for (const json& s : expect["status_mix"]) want.insert(s.get<int>());
    for (const auto& s : samples) got.insert(s.call.outbound.response ? s.call.outbound.response->status : 0);
    if (want != got) failures.push_back(fmt::format("status mix {} != {}", fmt::join(got, ","), fmt::join(want, ",")));
  }
  if (expect.contains("mirror")) {
    const json& m = expect["mirror"];
    std::string workload = m.at("workload");
    int hits = 0;
    for (const auto& s : samples)
      for (const auto* e : s.call.mirrored_to)
        if (e->workload == workload || e->pod == workload) {
          ++hits;
          break;
        }
    double got = samples.empty() ? 0 : double(hits) / double(samples.size());
    if (std::abs(got - m.at("fraction").get<double>()) > m.value("tolerance", 0.0) + 1e-9)
      failures.push_back(fmt::format("mirror to {} fraction {:.3f} != {}", workload, got, m.at("fraction").get<double>()));
  }
  if (expect.contains("by_version"))
    for (auto& [version, sub] : expect["by_version"].items())
      for (const auto& s : samples)
        if (s.served_version == version) check_one(sub, s, failures, "[" + version + "] ");
}

}  // namespace

std::vector<RequestOutcome> run_case(const json& c, uint64_t seed, HopCarrier* carrier_or_null) {
  InMemoryHops in_memory;
  HopCarrier& carrier = carrier_or_null ? *carrier_or_null : in_memory;
  std::vector<RequestOutcome> outcomes;
  const json& requests = c.at("requests");
  auto fail_all = [&](const std::string& why) {
    for (size_t i = 0; i < requests.size(); ++i)
      outcomes.push_back({.case_id = c.at("id"), .request_index = i, .tier = str_or(c, "tier", "core"), .passed = false, .failures = {why}});
    return outcomes;
  };
  proxy::Resources base = workloads_to_resources(c.at("workloads"));
  add_external_hosts(c.at("workloads"), base);
  config::LoadOptions options;
  options.default_namespace = str_or(c, "configNamespace", "default");
  auto sources = mesh_config_sources(c);
  sources.push_back({c.at("id").get<std::string>() + ".yaml", str_or(c, "config", std::string())});
  auto loaded = config::load(sources, options, std::move(base));
  for (const auto& d : loaded.diagnostics)
    if (d.severity == config::Severity::kError) return fail_all("config error: " + config::format_diagnostic(d));
  sim::World world(sim::WorldOptions{seed, proxy::Duration(0)});
  ProtocolLabels labels;
  world.set_telemetry(&labels);
  std::vector<std::string> errors;
  if (!world.apply(std::move(loaded.resources), &errors)) return fail_all("config rejected: " + fmt::format("{}", fmt::join(errors, "; ")));
  carrier.attach(world);
  for (const json& w : c.at("workloads")) {
    services::Behavior b;
    bool any = false;
    if (w.contains("response_delay_ms")) b.response_delay = proxy::Duration(w["response_delay_ms"].get<int64_t>() * 1000), any = true;
    if (w.contains("response_headers"))
      for (auto& [k, v] : w["response_headers"].items()) b.response_headers.emplace_back(k, v.get<std::string>()), any = true;
    if (w.contains("behavior")) {
      b.fail_first_n = w["behavior"].value("fail_first_n", 0);
      b.fail_status = w["behavior"].value("fail_status", 503);
      any = true;
    }
    if (add_grpc_behavior(w, b)) any = true;
    if (any) world.set_behavior(workload_namespace(w), w.at("name"), b);
  }
  apply_sidecar_keys(c.at("workloads"), world);
  for (size_t i = 0; i < requests.size(); ++i) {
    const json& r = requests[i];
    RequestOutcome outcome{.case_id = c.at("id"), .request_index = i, .tier = str_or(c, "tier", "core"), .passed = true};
    std::string from = r.at("from");
    std::string from_ns = "default";
    for (const json& w : c.at("workloads"))
      if (w.at("name") == from) from_ns = str_or(w, "namespace", "default");
    std::string error;
    auto url = sim::parse_url(substitute_pod_ips(r.at("url"), world.table(), c.at("workloads")), &error);
    if (!url) {
      outcomes.push_back({.case_id = c.at("id"), .request_index = i, .tier = outcome.tier, .passed = false, .failures = {"bad url: " + error}});
      continue;
    }
    const json& expect = r.at("expect");
    int sample_count = expect.value("samples", 1);
    int concurrency = r.value("concurrency", 1);
    auto make_request = [&]() {
      proxy::HttpRequest req;
      req.method = str_or(r, "method", "GET");
      req.target = url->target;
      req.authority = url->explicit_port ? url->host + ":" + std::to_string(url->port) : url->host;
      const json headers = r.value("headers", json::object());
      for (auto& [k, v] : headers.items()) {
        if (proxy::iequals(k, "host")) req.authority = v.get<std::string>();
        else req.headers.add(k, v.get<std::string>());
      }
      apply_request_protocol(r, req);
      return req;
    };
    std::vector<Sample> samples;
    auto to_sample = [&](sim::CallResult call) {
      Sample s;
      s.call = std::move(call);
      s.request_protocol_label = labels.take_last();
      if (const auto* e = s.call.outbound.served_by) {
        s.served_version = e->version();
        s.served_workload = e->workload;
      }
      std::string_view cluster = s.call.outbound.cluster();
      auto last_bar = cluster.rfind('|');
      if (last_bar != std::string::npos) s.served_service = cluster.substr(last_bar + 1, cluster.find('.', last_bar) - last_bar - 1);
      return s;
    };
    bool follow = r.value("follow_redirects", false);
    if (concurrency > 1) {
      // Keep `concurrency` requests in flight until `samples` are sent.
      int started = 0;
      std::function<void()> start_one = [&]() {
        if (started >= sample_count) return;
        ++started;
        auto collect = [&](sim::CallResult res) {
          samples.push_back(to_sample(std::move(res)));
          start_one();
        };
        send_from(world, from, from_ns, make_request(), url->host, url->port, collect);
      };
      for (int k = 0; k < concurrency; ++k) start_one();
      carrier.settle(world);
    } else {
      for (int k = 0; k < sample_count; ++k) {
        bool found = true;
        auto res = call_from(world, carrier, from, from_ns, make_request(), url->host, url->port, &found);
        for (int hops = 0; follow && found && res.outbound.response && res.outbound.response->status >= 300 &&
                           res.outbound.response->status < 400 && hops < 5;
             ++hops) {
          auto location = res.outbound.response->headers.get("location");
          if (!location) break;
          auto next = sim::parse_url(std::string(*location), &error);
          if (!next) break;
          proxy::HttpRequest req = make_request();
          req.target = next->target;
          req.authority = next->explicit_port ? next->host + ":" + std::to_string(next->port) : next->host;
          res = call_from(world, carrier, from, from_ns, std::move(req), next->host, next->port, &found);
        }
        if (!found) {
          outcome.failures.push_back("client workload " + from + " not found");
          break;
        }
        samples.push_back(to_sample(std::move(res)));
      }
    }
    for (const Sample& s : samples) outcome.seen.push_back(seen_line(s));
    for (size_t k = 0; k < samples.size(); ++k) {
      std::vector<std::string> f;
      check_one(expect, samples[k], f, samples.size() > 1 ? fmt::format("sample {}: ", k) : "");
      if (!f.empty()) {
        outcome.failures.insert(outcome.failures.end(), f.begin(), f.end());
        break;  // the first failing sample says enough
      }
    }
    check_aggregate(expect, samples, outcome.failures);
    outcome.passed = outcome.failures.empty();
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

config::LoadResult load_case(const json& c) {
  proxy::Resources base = workloads_to_resources(c.at("workloads"));
  add_external_hosts(c.at("workloads"), base);
  config::LoadOptions options;
  options.default_namespace = str_or(c, "configNamespace", "default");
  auto sources = mesh_config_sources(c);
  sources.push_back({c.at("id").get<std::string>() + ".yaml", str_or(c, "config", std::string())});
  return config::load(sources, options, std::move(base));
}

}  // namespace meshsim::conformance
