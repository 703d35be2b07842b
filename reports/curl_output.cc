#include "reports/curl_output.h"

#include <fmt/format.h>

#include "proxy_core/grpc.h"
#include "proxy_core/hosts.h"
#include "proxy_core/wire_protocol.h"
#include "reports/mesh_telemetry.h"

namespace meshsim::reports {
namespace {

using nlohmann::ordered_json;

constexpr size_t kBodyLimitBytes = 64 * 1024;  // DESIGN.md: body cut at 64 KiB

ordered_json headers_json(const proxy::HeaderMap& headers) {
  ordered_json out = ordered_json::object();
  for (const auto& h : headers.all()) {
    std::string name = proxy::to_lower(h.name);
    if (out.contains(name)) out[name] = out[name].get<std::string>() + "," + std::string(h.value);
    else out[name] = std::string(h.value);
  }
  return out;
}

ordered_json flags_json(const std::string& flags) {
  ordered_json out = ordered_json::array();
  if (flags.empty() || flags == "-") return out;
  size_t start = 0;
  while (start <= flags.size()) {
    size_t comma = flags.find(',', start);
    if (comma == std::string::npos) comma = flags.size();
    out.push_back(flags.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::string service_of(const std::string& cluster) {
  auto bar = cluster.rfind('|');
  if (bar == std::string::npos) return "";
  return cluster.substr(bar + 1);
}

}  // namespace

ordered_json curl_json(sim::CurlRun& run) {
  ordered_json j;
  if (run.single) {
    const sim::CallResult& r = *run.single;
    const auto& out = r.outbound;
    j["status"] = out.response ? ordered_json(out.response->status) : ordered_json(nullptr);
    j["protocol"] = proxy::wire_protocol_name(run.request.protocol);  // what the client spoke
    if (proxy::is_grpc(run.request.headers)) {
      // What a gRPC client ends with: trailers, else headers (Trailers-Only), else the HTTP status mapped.
      j["grpc_status"] = out.response ? ordered_json(proxy::grpc_status_of(*out.response)) : ordered_json(nullptr);
      std::optional<std::string_view> message;
      if (out.response) {
        message = out.response->trailers.get("grpc-message");
        if (!message) message = out.response->headers.get("grpc-message");
      }
      j["grpc_message"] = message ? ordered_json(proxy::grpc_percent_decode(*message)) : ordered_json(nullptr);
    }
    if (!out.error.empty()) j["error"] = out.error;
    if (const auto* e = out.served_by) {
      std::string fqdn = service_of(std::string(out.cluster()));
      j["served_by"] = {{"workload", e->workload},
                        {"service", proxy::short_name(fqdn)},
                        {"namespace", e->ns},
                        {"version", e->version().empty() ? ordered_json(nullptr) : ordered_json(e->version())}};
    } else {
      j["served_by"] = nullptr;
    }
    j["duration_ms"] = static_cast<double>(out.duration.count()) / 1000.0;
    j["attempts"] = out.attempts;
    if (r.upstream)
      j["upstream"] = {{"protocol", proxy::wire_protocol_name(r.upstream->request.protocol)},  // what reached the app
                       {"method", r.upstream->request.method},
                       {"path", r.upstream->request.target},
                       {"headers", [&] {
                          ordered_json h = headers_json(r.upstream->request.headers);
                          h["host"] = r.upstream->request.authority;
                          return h;
                        }()}};
    else
      j["upstream"] = nullptr;
    j["response_headers"] = out.response ? headers_json(out.response->headers) : ordered_json::object();
    j["trailers"] = out.response ? headers_json(out.response->trailers) : ordered_json::object();
    j["body"] = out.response ? ordered_json(out.response->body.substr(0, kBodyLimitBytes)) : ordered_json(nullptr);
    if (auto route = out.route())
      j["route"] = {{"resource", route->resource},
                    {"rule", route->rule},
                    {"match", route->match_index < 0 ? ordered_json(nullptr) : ordered_json(route->match)},
                    {"cluster", std::string(out.cluster())}};
    else
      j["route"] = nullptr;
    j["flags"] = flags_json(out.flags);
    ordered_json mirrored = ordered_json::array();
    for (const auto* e : r.mirrored_to) mirrored.push_back(e->workload);
    j["mirrored_to"] = mirrored;
    // istio_requests_total labels of this request: the destination reporter's
    // when a server-side proxy saw it, else the source reporter's.
    if (run.report) {
      ordered_json labels = ordered_json::object();
      for (const auto& [k, v] : istio_request_labels(proxy::TelemetryEvent(*run.report))) labels[k] = v;
      j["labels"] = labels;
    } else {
      j["labels"] = nullptr;
    }
    // Dry-run AuthorizationPolicies: the serving sidecar's RBAC shadow
    // verdicts under the dynamic-metadata keys Envoy uses (rbac_filter.cc).
    if (!out.dry_run.empty()) {
      ordered_json dry = ordered_json::object();
      for (const auto& d : out.dry_run) {
        dry[d.prefix + "shadow_engine_result"] = d.allowed ? "allowed" : "denied";
        if (!d.policy_id.empty()) dry[d.prefix + "shadow_effective_policy_id"] = d.policy_id;
      }
      j["dry_run"] = dry;
    }
    return j;
  }
  sim::CurlSummary& s = run.summary;
  j["count"] = s.count;
  auto counts = [](const auto& m) {
    ordered_json o = ordered_json::object();
    for (const auto& [k, v] : m) o[fmt::format("{}", k)] = v;
    return o;
  };
  ordered_json by_status = ordered_json::object();
  for (const auto& [status, n] : s.by_status) by_status[status == 0 ? "error" : std::to_string(status)] = n;
  j["by_status"] = by_status;
  j["by_version"] = counts(s.by_version);
  j["by_workload"] = counts(s.by_workload);
  j["by_flag"] = counts(s.by_flag);
  j["mirrored"] = counts(s.mirrored);
  j["latency_ms"] = {{"p50", sim::percentile(s.latency_ms, 50)},
                     {"p90", sim::percentile(s.latency_ms, 90)},
                     {"p99", sim::percentile(s.latency_ms, 99)},
                     {"max", sim::percentile(s.latency_ms, 100)}};
  return j;
}

std::string curl_text(sim::CurlRun& run, const std::string& url) {
  std::string out;
  auto line = [&](std::string s) { out += s + "\n"; };
  if (run.from_namespace.empty())  // a client outside the cluster
    line(fmt::format("* meshsim: {} {} from {} (outside the cluster, no sidecar)", run.request.method, url, run.from_workload));
  else
    line(fmt::format("* meshsim: {} {} from {}/{} ({})", run.request.method, url, run.from_namespace, run.from_workload,
                     run.from_has_sidecar ? "sidecar" : "no sidecar: plain Kubernetes networking"));
  if (!run.single) {
    const sim::CurlSummary& s = run.summary;
    line(fmt::format("* {} requests", s.count));
    for (const auto& [status, n] : s.by_status)
      line(fmt::format("*   status {:>5}: {:>8} ({:.1f}%)", status == 0 ? std::string("error") : std::to_string(status), n,
                       100.0 * n / s.count));
    for (const auto& [v, n] : s.by_version) line(fmt::format("*   version {:>4}: {:>8} ({:.1f}%)", v, n, 100.0 * n / s.count));
    for (const auto& [f, n] : s.by_flag)
      if (f != "-") line(fmt::format("*   flags {:>6}: {:>8}", f, n));
    for (const auto& [w, n] : s.mirrored) line(fmt::format("*   mirrored to {}: {}", w, n));
    std::vector<double> lat = s.latency_ms;
    line(fmt::format("*   latency ms: p50 {:.1f}, p90 {:.1f}, p99 {:.1f}, max {:.1f}", sim::percentile(lat, 50),
                     sim::percentile(lat, 90), sim::percentile(lat, 99), sim::percentile(lat, 100)));
    return out;
  }
  const sim::CallResult& r = *run.single;
  const auto& o = r.outbound;
  if (auto route = o.route())
    line(fmt::format("* route: {} rule {}{} -> {}", route->resource, route->rule,
                     route->match_index >= 0 ? " match " + route->match : std::string(), o.cluster()));
  else if (!o.cluster().empty())
    line(fmt::format("* route: no VirtualService or HTTPRoute; default route -> {}", o.cluster()));
  line(fmt::format("> {} {} HTTP/1.1", run.request.method, run.request.target));
  line(fmt::format("> Host: {}", run.request.authority));
  for (const auto& h : run.request.headers.all()) line(fmt::format("> {}: {}", h.name, h.value));
  line(">");
  if (!o.response) {
    line(fmt::format("* {}", o.error));
    return out;
  }
  line(fmt::format("< HTTP/1.1 {} {}", o.response->status, proxy::reason_phrase(o.response->status)));
  for (const auto& h : o.response->headers.all()) line(fmt::format("< {}: {}", h.name, h.value));
  line("<");
  if (!o.response->body.empty()) line(o.response->body.substr(0, kBodyLimitBytes));
  std::string served = o.served_by ? fmt::format("{}/{} (version {})", o.served_by->ns, o.served_by->workload,
                                                 o.served_by->version().empty() ? "-" : o.served_by->version())
                                   : "the sidecar (local reply)";
  line(fmt::format("* served by {} in {} ms (simulated), {} attempt(s), flags {}", served,
                   static_cast<double>(o.duration.count()) / 1000.0, o.attempts, o.flags));
  // Dry-run policies are computed, shown, never enforced: the verdicts the
  // serving sidecar's RBAC filter records as dynamic metadata (Istio traces
  // them as istio.authorization.dry_run.{deny,allow}_policy.{name,result}).
  for (const auto& d : o.dry_run)
    line(fmt::format("* dry-run AuthorizationPolicy ({}): would be {}{} (not enforced)",
                     d.prefix == "istio_dry_run_deny_" ? "DENY" : "ALLOW", d.allowed ? "allowed" : "denied",
                     d.policy_id.empty() ? std::string(" (no dry-run policy matched)") : " by " + d.policy_id));
  if (!r.mirrored_to.empty()) {
    std::vector<std::string> names;
    for (const auto* e : r.mirrored_to) names.push_back(e->workload);
    line(fmt::format("* mirrored to {}", fmt::join(names, ", ")));
  }
  return out;
}

}  // namespace meshsim::reports
