#include "reports/explain.h"

#include <fmt/format.h>

#include "proxy_core/router.h"
#include "sim/random.h"

namespace meshsim::reports {
namespace {

// Envoy docs, configuration/observability/access_log/usage.rst, %RESPONSE_FLAGS%
// (the long names are Envoy's StreamInfo::ResponseFlag identifiers).
struct FlagRow {
  const char* flag;
  const char* meaning;
};
constexpr FlagRow kFlags[] = {
    {"UH", "NoHealthyUpstream: no healthy upstream hosts in the upstream cluster (503)"},
    {"UF", "UpstreamConnectionFailure: the connection to the upstream failed (503)"},
    {"UO", "UpstreamOverflow: upstream overflow, circuit breaking (503)"},
    {"NR", "NoRouteFound: no route configured for the request (404)"},
    {"URX", "UpstreamRetryLimitExceeded: the request was rejected because the upstream retry limit was reached"},
    {"NC", "NoClusterFound: the upstream cluster was not found"},
    {"DT", "DurationTimeout: the request exceeded max_connection_duration or max_downstream_connection_duration"},
    {"DC", "DownstreamConnectionTermination: the downstream connection was terminated"},
    {"LH", "FailedLocalHealthCheck: the local service failed its health check (503)"},
    {"UT", "UpstreamRequestTimeout: the upstream request timed out (504)"},
    {"LR", "LocalReset: the connection was reset locally (503)"},
    {"UR", "UpstreamRemoteReset: the upstream reset the connection (503)"},
    {"UC", "UpstreamConnectionTermination: the upstream connection was terminated (503)"},
    {"DI", "DelayInjected: the request was delayed for a period specified by fault injection"},
    {"FI", "FaultInjected: the request was aborted with a response code specified by fault injection"},
    {"RL", "RateLimited: the request was rate-limited locally by the HTTP rate-limit filter (429)"},
    {"UAEX", "UnauthorizedExternalService: the request was denied by the external authorization service"},
    {"RLSE", "RateLimitServiceError: the request was rejected because of an error in the rate-limit service"},
    {"IH", "InvalidEnvoyRequestHeaders: the request set an invalid value for a strictly checked header (400)"},
    {"SI", "StreamIdleTimeout: the stream idle timeout fired (408 or 504)"},
    {"DPE", "DownstreamProtocolError: the downstream request had an HTTP protocol error"},
    {"UPE", "UpstreamProtocolError: the upstream response had an HTTP protocol error"},
    {"UMSDR", "UpstreamMaxStreamDurationReached: the upstream request reached its max stream duration"},
    {"OM", "OverloadManager: the overload manager terminated the request"},
    {"DF", "DnsResolutionFailed: the request was terminated because DNS resolution failed"},
    {"DO", "DropOverload: the request was dropped because of drop overload"},
    {"DR", "DownstreamRemoteReset: the downstream reset the stream (HTTP/2 RST_STREAM)"},
};

std::string matcher_text(const proxy::StringMatcher& m) {
  using K = proxy::StringMatcher::Kind;
  switch (m.kind()) {
    case K::kExact: return fmt::format("exact \"{}\"", m.value());
    case K::kPrefix: return fmt::format("prefix \"{}\"", m.value());
    case K::kRegex: return fmt::format("regex \"{}\"", m.value());
    case K::kPresent: return "present";
    case K::kPathSeparatedPrefix: return fmt::format("path prefix \"{}\"", m.value());
  }
  return "";
}

std::string has(const std::optional<std::string>& got) {
  return got ? fmt::format("\"{}\"", got->substr(0, 80)) : std::string("none");
}

std::string labels_text(const proxy::Labels& labels) {
  std::string s;
  for (const auto& [k, v] : labels) s += (s.empty() ? "" : ", ") + k + "=" + v;
  return s;
}

// One failed condition in words.
std::string miss_text(const proxy::CompiledMatch& m, const proxy::MatchMiss& miss, const sim::CurlRun& run) {
  using F = proxy::MatchMiss::Field;
  const proxy::HTTPMatchRequest& spec = *m.spec;
  switch (miss.field) {
    case F::kGateways:
      return fmt::format("needs gateways {} (not \"mesh\"): it applies to gateways, not sidecars",
                         fmt::join(spec.gateways, ", "));
    case F::kPort: return fmt::format("needs port {}; the request goes to port {}", spec.port.value_or(0), has(miss.got));
    case F::kSourceLabels:
      return fmt::format("needs a caller labelled {}; {}/{} is not", labels_text(spec.source_labels), run.from_namespace,
                         run.from_workload);
    case F::kSourceNamespace:
      return fmt::format("needs a caller in namespace {}; the caller is in {}", spec.source_namespace, has(miss.got));
    case F::kUri: return fmt::format("needs uri {}; the path is {}", matcher_text(*miss.matcher), has(miss.got));
    case F::kScheme: return fmt::format("needs scheme {}; the request is {}", matcher_text(*miss.matcher), has(miss.got));
    case F::kMethod: return fmt::format("needs method {}; the request is {}", matcher_text(*miss.matcher), has(miss.got));
    case F::kAuthority: return fmt::format("needs authority {}; the request has {}", matcher_text(*miss.matcher), has(miss.got));
    case F::kHeader:
      return fmt::format("needs header {}: {}; the request has {}", miss.name, matcher_text(*miss.matcher), has(miss.got));
    case F::kWithoutHeader:
      return fmt::format("needs header {} not to be {}; the request has {}", miss.name, matcher_text(*miss.matcher),
                         has(miss.got));
    case F::kQueryParam:
      return fmt::format("needs query parameter {}: {}; the request has {}", miss.name, matcher_text(*miss.matcher),
                         has(miss.got));
  }
  return "";
}

std::string rule_name(const proxy::CompiledHttpRoute& r) {
  return r.name.starts_with("#") ? "rule " + r.name : fmt::format("rule #{} ({})", r.index, r.name);
}

std::string duration_text(proxy::Duration d) {
  if (d.count() % 1'000'000 == 0) return fmt::format("{}s", d.count() / 1'000'000);
  if (d.count() % 1000 == 0) return fmt::format("{}ms", d.count() / 1000);
  return fmt::format("{}us", d.count());
}

std::string cluster_subset(const proxy::Cluster& c) {
  return c.subset.empty() ? "" : fmt::format(" subset {}", c.subset);
}

// What in the config produced `flag`, from the router's decision for this
// request (and the route it names).
std::string flag_cause(std::string_view flag, const proxy::RouteDecision& d, const Explanation& e,
                       const sim::CurlRun& run) {
  const auto& out = run.single->outbound;
  std::string route = d.route ? e.route
                    : d.passed_over ? fmt::format("the default route (no rule of {} applies to this client)", d.passed_over->label)
                                    : std::string("the default route (no VirtualService)");
  if (flag == "NR") {
    if (d.virtual_service) return fmt::format("no rule of {} matches the request (see below)", d.virtual_service->label);
    return "no route for the request's host on this port";
  }
  if (flag == "NC") {
    std::vector<std::string> subsets;  // the destinations of the rule taken that name a subset
    if (d.route && d.route->rule && d.route->rule->spec)
      for (const auto& rd : d.route->rule->spec->route)
        if (!rd.destination.subset.empty()) subsets.push_back(rd.destination.host + " subset " + rd.destination.subset);
    if (subsets.empty()) return fmt::format("{} names a cluster that does not exist", route);
    return fmt::format("{} sends it to {}, which no DestinationRule defines for the client", route, fmt::join(subsets, ", "));
  }
  if (flag == "UH") {
    if (d.kind == proxy::RouteDecision::Kind::kTcpProxy && d.cluster == nullptr)
      return "REGISTRY_ONLY: the virtual outbound listener sends it to BlackHoleCluster, which has no endpoint";
    if (d.cluster == nullptr) return "";
    if (d.cluster->endpoints.empty())
      return fmt::format("cluster {}{} has no endpoints: no ready pod has its labels", d.cluster->name, cluster_subset(*d.cluster));
    if (d.cluster->policy.outlier_detection)
      return fmt::format("every endpoint of {} is ejected by the DestinationRule's outlierDetection", d.cluster->name);
    return fmt::format("no endpoint of {} could take the request", d.cluster->name);
  }
  if (flag == "UO") {
    if (d.cluster && d.cluster->policy.connection_pool) {
      const auto& p = *d.cluster->policy.connection_pool;
      std::vector<std::string> limits;
      if (p.max_connections) limits.push_back(fmt::format("tcp.maxConnections {}", *p.max_connections));
      if (p.http1_max_pending_requests) limits.push_back(fmt::format("http.http1MaxPendingRequests {}", *p.http1_max_pending_requests));
      if (p.http2_max_requests) limits.push_back(fmt::format("http.http2MaxRequests {}", *p.http2_max_requests));
      // On HTTP/2 hops these decide when streams wait as pending (proxy_core/http2_pool.h).
      if (p.max_concurrent_streams) limits.push_back(fmt::format("http.maxConcurrentStreams {}", *p.max_concurrent_streams));
      if (p.max_requests_per_connection)
        limits.push_back(fmt::format("http.maxRequestsPerConnection {}", *p.max_requests_per_connection));
      return fmt::format("the circuit breaker of {}: DestinationRule connectionPool {}", d.cluster->name, fmt::join(limits, ", "));
    }
    return "a circuit breaker limit was reached";
  }
  if (flag == "UT") {
    std::vector<std::string> why;
    if (d.timeout) why.push_back(fmt::format("timeout {} of {}", duration_text(*d.timeout), route));
    if (d.retry && d.retry->per_try_timeout)
      why.push_back(fmt::format("retries.perTryTimeout {} of {}", duration_text(*d.retry->per_try_timeout), route));
    return why.empty() ? "" : fmt::format("{}", fmt::join(why, "; "));
  }
  if (flag == "URX") {
    if (d.kind == proxy::RouteDecision::Kind::kTcpProxy) return "tcp_proxy's one connect attempt failed";
    if (d.retry == nullptr) return "";
    return fmt::format("{} retr{} ({} attempts in all) of {} were used up", d.retry->num_retries,
                       d.retry->num_retries == 1 ? "y" : "ies", out.attempts, d.route ? route : "Istio's default retry policy");
  }
  // Faults from the rule's spec: its percentage is a draw the re-run need not repeat.
  const proxy::HTTPRoute* spec = d.route && d.route->rule ? d.route->rule->spec : nullptr;
  const auto* fault = spec && spec->fault ? &*spec->fault : nullptr;
  auto percent = [](const std::optional<proxy::Percent>& p) {
    return p && p->value < 100 ? fmt::format(" at {:g}%", p->value) : std::string();
  };
  if (flag == "DI" && fault && fault->delay && fault->delay->fixed_delay)
    return fmt::format("fault.delay {}{} of {}", duration_text(*fault->delay->fixed_delay), percent(fault->delay->percentage), route);
  if (flag == "FI" && fault && fault->abort && fault->abort->http_status)
    return fmt::format("fault.abort httpStatus {}{} of {}", *fault->abort->http_status, percent(fault->abort->percentage), route);
  if (flag == "FI" && fault && fault->abort && !fault->abort->grpc_status.empty())
    return fmt::format("fault.abort grpcStatus {}{} of {}", fault->abort->grpc_status, percent(fault->abort->percentage), route);
  if (flag == "UF" && d.cluster && d.cluster->unforwarded && d.cluster->service)
    return fmt::format("{} declares no port {}: kube-proxy has no rule for its address on that port, so PassthroughCluster "
                       "could not connect", d.cluster->service->name, d.cluster->port);
  const std::string_view cluster = out.cluster().empty() ? std::string_view("the destination") : out.cluster();
  if (flag == "UF")
    return out.served_by ? "" : fmt::format("the connection to an endpoint of {} failed before it came up (nothing "
                                            "listening on the port, or a TLS handshake with a pod without a sidecar)",
                                            cluster);
  if (flag == "UC")
    return out.served_by ? "" : fmt::format("an endpoint of {} closed the connection before answering (plain text into "
                                            "a STRICT mTLS server, or a gateway port with only TLS servers)",
                                            cluster);
  if (flag == "DC") return "the calling app closed the connection before the response came (its own timeout)";
  if (flag == "UPE") return "the upstream's bytes are not a valid HTTP response (a port whose protocol is declared wrong)";
  if (flag == "UAEX" || flag == "RL" || flag == "RLSE")
    return "meshsim does not simulate the filter that sets this flag; it came from the upstream's own proxy";
  return "";
}

// VirtualService routing is done by the client's sidecar; a client without one
// reaches the Service through kube-proxy (World::plain_kubernetes_call).
constexpr const char* kNoClientSidecarRoute =
    "none: the client has no sidecar, so kube-proxy picks any endpoint of the Service and no VirtualService applies";

}  // namespace

std::string_view flag_meaning(std::string_view flag) {
  for (const auto& row : kFlags)
    if (flag == row.flag) return row.meaning;
  return {};
}

Explanation explain(const sim::CurlRun& run) {
  Explanation e;
  if (!run.single || !run.world) return e;
  const auto& out = run.single->outbound;
  const proxy::RouteTable& table = run.world->table();
  // The router again, on a copy of the request as the client sent it: the
  // rule choice does not depend on random draws (weights and fault
  // percentages do; the flags and verdict below come from the real run).
  if (run.from_namespace.empty()) {  // outside the cluster: the gateway routed it, by its Gateway's virtual hosts
    auto route = out.route();
    e.route = route ? fmt::format("{} rule {}", route->resource, route->rule) : std::string("-");
    if (!out.authz.empty()) e.authorization = out.authz;
    return e;
  }
  const proxy::Endpoint* self = table.endpoint_by_workload(run.from_namespace, run.from_workload);
  proxy::ClientContext client;
  client.endpoint = self;
  client.ns = self ? std::string_view(self->ns) : std::string_view("default");
  client.labels = self ? &self->labels : nullptr;
  proxy::HttpRequest request = run.request;
  sim::SplitMix64 random(1);
  proxy::RouteDecision d = proxy::decide_route(table, client, run.url_host, run.url_port, request, random);

  auto route = out.route();
  e.route = route ? fmt::format("{} rule {}", route->resource, route->rule)
          : !run.from_has_sidecar ? std::string(kNoClientSidecarRoute)
          : d.kind == proxy::RouteDecision::Kind::kTcpProxy
              ? fmt::format("none: no HTTP listener on port {}, so the virtual outbound listener takes the connection "
                            "as TCP, to {}", run.url_port, d.cluster ? "PassthroughCluster" : "BlackHoleCluster")
          : d.virtual_service ? fmt::format("{}: no rule matched", d.virtual_service->label)
          : d.passed_over
              ? fmt::format("no rule of {} applies to this client on port {}, so it has no virtual host for it: the "
                            "default route", d.passed_over->label, run.url_port)
              : std::string("no VirtualService or HTTPRoute for the host: the default route");
  // Why each rule of a VirtualService passed over builds no route for the client.
  if (!route && !d.virtual_service && d.passed_over && run.from_has_sidecar) {
    constexpr size_t kMissesMax = 8;
    if (d.passed_over->http.empty())
      e.misses.push_back(fmt::format("{} has no HTTP rules once its delegates are merged (a missing delegate adds none)",
                                     d.passed_over->label));
    for (const auto& rule : d.passed_over->http)
      for (size_t i = 0; i < rule.matches.size() && e.misses.size() < kMissesMax; ++i) {
        auto miss = proxy::match_miss(rule.matches[i], client, run.url_port, run.request);
        if (!miss) continue;
        std::string which = rule.matches.size() > 1 ? fmt::format(" match #{}", i) : "";
        e.misses.push_back(fmt::format("{}{} {}", rule_name(rule), which, miss_text(rule.matches[i], *miss, run)));
      }
  }
  if (d.virtual_service && run.from_has_sidecar) {
    constexpr size_t kMissesMax = 8;  // the nearest rules; a long VirtualService would drown the answer
    const proxy::CompiledHttpRoute* taken = d.route ? d.route->rule : nullptr;
    for (const auto& rule : d.virtual_service->http) {
      if (&rule == taken) break;
      for (size_t i = 0; i < rule.matches.size() && e.misses.size() < kMissesMax; ++i) {
        auto miss = proxy::match_miss(rule.matches[i], client, run.url_port, run.request);
        if (!miss) continue;
        std::string which = rule.matches.size() > 1 ? fmt::format(" match #{}", i) : "";
        e.misses.push_back(fmt::format("{}{} {}", rule_name(rule), which, miss_text(rule.matches[i], *miss, run)));
      }
    }
  }
  if (!out.authz.empty()) e.authorization = out.authz;
  else if (out.served_by) e.authorization = fmt::format("allowed: no AuthorizationPolicy selects {}", out.served_by->workload);
  if (!out.flags.empty() && out.flags != "-") {
    size_t start = 0;
    while (start <= out.flags.size()) {
      size_t comma = out.flags.find(',', start);
      if (comma == std::string::npos) comma = out.flags.size();
      std::string flag = out.flags.substr(start, comma - start);
      start = comma + 1;
      std::string_view meaning = flag_meaning(flag);
      e.flags.push_back({flag, meaning.empty() ? std::string("not a flag Envoy documents") : std::string(meaning),
                         flag_cause(flag, d, e, run)});
    }
  }
  return e;
}

std::string explain_text(const Explanation& e) {
  std::string s;
  s += fmt::format("* why: route: {}\n", e.route);
  for (const auto& m : e.misses) s += fmt::format("* why:   not {}\n", m);
  if (!e.authorization.empty()) s += fmt::format("* why: authorization: {}\n", e.authorization);
  for (const auto& f : e.flags)
    s += fmt::format("* why: flag {}: {}{}\n", f.flag, f.meaning, f.cause.empty() ? "" : "; here: " + f.cause);
  return s;
}

nlohmann::ordered_json explain_json(const Explanation& e) {
  nlohmann::ordered_json j;
  j["route"] = e.route;
  j["rules_not_matched"] = e.misses;
  j["authorization"] = e.authorization.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.authorization);
  nlohmann::ordered_json flags = nlohmann::ordered_json::array();
  for (const auto& f : e.flags) flags.push_back({{"flag", f.flag}, {"meaning", f.meaning}, {"cause", f.cause}});
  j["flags"] = flags;
  return j;
}

}  // namespace meshsim::reports
