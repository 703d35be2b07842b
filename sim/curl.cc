#include "sim/curl.h"

#include "proxy_core/injection.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "proxy_core/grpc.h"

namespace meshsim::sim {
namespace {

constexpr const char* kDefaultClient = "curl";

void add_default_client(proxy::Resources& resources) {
  for (const auto& d : resources.deployments)
    if (d.header.meta.name == kDefaultClient && d.header.meta.ns == "default") return;
  proxy::Deployment d;
  d.header.kind = "Deployment";
  d.header.meta.name = kDefaultClient;
  d.header.meta.ns = "default";
  d.pod_labels = {{"app", kDefaultClient}};
  d.service_account = kDefaultClient;
  resources.deployments.push_back(std::move(d));
}

// Keeps the reports of a single request (its hops and any calls its apps make).
struct EventLog : proxy::TelemetrySink {
  std::vector<proxy::StoredTelemetryEvent> events;
  void record(const proxy::TelemetryEvent& e) override { events.emplace_back(e); }
};

// The client's own report (the last source report from the client), or
// the destination report of the same request at the serving pod.
std::optional<proxy::StoredTelemetryEvent> report_of(const EventLog& log, const CurlRun& run, const CallResult& call) {
  const proxy::StoredTelemetryEvent* source = nullptr;
  for (const auto& e : log.events)
    if (e.reporter == proxy::TelemetryReporter::kSource && e.source_workload == run.from_workload &&
        e.source_namespace == run.from_namespace)
      source = &e;
  std::string request_id = source ? source->request_id
                           : call.upstream ? std::string(call.upstream->request.headers.get("x-request-id").value_or(""))
                                           : std::string();
  const proxy::Endpoint* served = call.outbound.served_by;
  for (auto it = log.events.rbegin(); it != log.events.rend(); ++it)
    if (it->reporter == proxy::TelemetryReporter::kDestination && served && it->destination_workload == served->workload &&
        it->destination_namespace == served->ns && (request_id.empty() || it->request_id == request_id))
      return *it;
  if (source) return *source;
  return std::nullopt;
}

}  // namespace

double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

std::optional<CurlRun> run_curl(proxy::Resources resources, const CurlSpec& spec, std::string* error) {
  if (spec.repeat < 1 || spec.repeat > kCurlRepeatMax) {
    *error = fmt::format("--repeat must be between 1 and {}", kCurlRepeatMax);
    return std::nullopt;
  }
  CurlRun run;
  run.from_namespace = "default";
  run.from_workload = kDefaultClient;
  // The scenario's traffic clients, created (app: NAME) unless the files define them, as `run` does.
  std::map<std::string, bool> client_sidecar;  // "ns/name" -> sidecar
  for (const auto& src : spec.sources) {
    if (src.from == kOutsideClient) continue;
    bool exists = std::any_of(resources.deployments.begin(), resources.deployments.end(), [&](const auto& d) {
      return d.header.meta.name == src.from && d.header.meta.ns == src.from_namespace;
    });
    if (exists) continue;
    proxy::Deployment d;
    d.header.kind = "Deployment";
    d.header.meta.name = src.from;
    d.header.meta.ns = src.from_namespace;
    d.pod_labels = {{"app", src.from}};
    d.service_account = src.from;
    resources.deployments.push_back(std::move(d));
    client_sidecar[src.from_namespace + "/" + src.from] = src.sidecar;
  }
  // `--from SOURCE`: a traffic source's name stands for its client.
  std::string from = spec.from;
  for (const auto& src : spec.sources)
    if (src.name == from && from.find('/') == std::string::npos)
      from = src.from == kOutsideClient ? std::string(kOutsideClient) : src.from_namespace + "/" + src.from;
  bool outside = from == kOutsideClient;
  if (outside) {
    run.from_namespace.clear();
    run.from_workload = kOutsideClient;
    run.from_has_sidecar = false;
  } else if (!from.empty()) {
    auto slash = from.find('/');
    if (slash != std::string::npos) {
      run.from_namespace = from.substr(0, slash);
      run.from_workload = from.substr(slash + 1);
    } else {
      run.from_workload = from;
    }
  } else {
    add_default_client(resources);
  }
  auto url = parse_url(spec.url, error);
  if (!url) return std::nullopt;

  run.world = std::make_shared<World>(WorldOptions{spec.seed, proxy::Duration(0)});
  World& world = *run.world;
  add_behavior_external_hosts(resources, spec.behaviors);
  std::vector<World::WorkloadSetting> settings;
  // A scenario's clients and its `sidecars: none` set every workload; otherwise only those with a Behavior.
  bool every_workload = !client_sidecar.empty() || !spec.sidecars_injected;
  for (const auto& d : resources.deployments) {
    const BehaviorRule* b = most_specific_behavior(d.pod_labels, spec.behaviors);
    if (!b && !every_workload) continue;
    auto client = client_sidecar.find(d.header.meta.ns + "/" + d.header.meta.name);
    bool sidecar = client != client_sidecar.end()
                       ? client->second
                       : proxy::sidecar_injected(resources, d, spec.sidecars_injected);
    settings.push_back({d.header.meta.ns, d.header.meta.name, sidecar, b ? b->behavior : services::Behavior{}});
  }
  for (const auto& ext : resources.external_hosts)
    if (const BehaviorRule* b = external_behavior(ext.name, spec.behaviors)) settings.push_back({"", ext.name, false, b->behavior});
  auto log = std::make_shared<EventLog>();
  if (spec.repeat == 1) world.set_telemetry(log.get());
  run.report_log = log;
  std::vector<std::string> errors;
  if (!world.apply(std::move(resources), &errors, settings.empty())) {
    *error = "configuration does not compile: " + fmt::format("{}", fmt::join(errors, "; "));
    return std::nullopt;
  }
  if (!settings.empty()) world.configure(std::move(settings));
  if (!outside && world.table().endpoint_by_workload(run.from_namespace, run.from_workload) == nullptr) {
    std::vector<std::string> names;
    for (const auto& e : world.table().endpoints()) names.push_back(e.ns + "/" + e.workload);
    names.erase(std::unique(names.begin(), names.end()), names.end());
    *error = fmt::format("no workload {}/{} to send from (workloads: {})", run.from_namespace, run.from_workload,
                         names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
    return std::nullopt;
  }
  // As the world built the client: a traffic source's setting, else its pod template, Namespace and the default.
  if (!outside) run.from_has_sidecar = world.has_sidecar(run.from_namespace, run.from_workload);
  proxy::HttpRequest request;
  request.method = spec.method;
  request.target = url->target;
  request.authority = url->explicit_port ? url->host + ":" + std::to_string(url->port) : url->host;
  for (const auto& [name, value] : spec.headers) {
    if (proxy::iequals(name, "host")) request.authority = value;
    else request.headers.add(name, value);
  }
  request.body = spec.body;
  request.protocol = spec.grpc ? proxy::WireProtocol::kHttp2 : spec.protocol;
  if (spec.grpc) {
    // A gRPC client: POST, metadata names in lower case, one framed message.
    request.method = "POST";
    proxy::HeaderMap metadata;
    for (const proxy::Header h : request.headers.all()) metadata.add(proxy::to_lower(h.name), h.value);
    request.headers = std::move(metadata);
    request.headers.set("content-type", "application/grpc");
    request.headers.set("te", "trailers");
    if (!request.headers.has("user-agent")) request.headers.set("user-agent", "grpc-c++/1.51.1");
    request.body = proxy::grpc_frame(spec.body);
  }
  if (!request.headers.has("user-agent")) request.headers.set("user-agent", "curl/7.88.1");
  if (!request.headers.has("accept") && !spec.grpc) request.headers.set("accept", "*/*");
  run.request = request;
  run.url_host = url->host;
  run.url_port = url->port;
  run.summary.latency_ms.reserve(static_cast<size_t>(spec.repeat));
  for (int i = 0; i < spec.repeat; ++i) {
    auto result = outside ? std::optional<CallResult>(world.call_outside(request, url->host, url->port))
                          : world.call(run.from_namespace, run.from_workload, request, url->host, url->port);
    if (!result) {
      *error = "request could not be sent";
      return std::nullopt;
    }
    CurlSummary& s = run.summary;
    ++s.count;
    const auto& out = result->outbound;
    ++s.by_status[out.response ? out.response->status : 0];
    if (out.served_by) {
      ++s.by_version[out.served_by->version().empty() ? "-" : out.served_by->version()];
      ++s.by_workload[out.served_by->workload];
    }
    ++s.by_flag[out.flags.empty() ? "-" : out.flags];
    for (const auto* e : result->mirrored_to) ++s.mirrored[e->workload];
    s.latency_ms.push_back(static_cast<double>(out.duration.count()) / 1000.0);
    if (spec.repeat == 1) {
      run.report = report_of(*log, run, *result);
      run.single = std::move(*result);
    }
  }
  return run;
}

}  // namespace meshsim::sim
