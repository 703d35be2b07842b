// A scenario (meshsim.dev/v1alpha1 Scenario): the mesh to start from,
// traffic sources, a timeline of changes and the expectations to check.
// Plain data filled by config/ from YAML (every mesh document already
// parsed and validated there); run by scenario_runner.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy_core/env.h"
#include "proxy_core/resources.h"
#include "proxy_core/route_table.h"
#include "services/behavior.h"

namespace meshsim::sim {

using proxy::Duration;

// A Behavior document: applies to pods whose labels include `selector`;
// the most specific selector (most labels) wins.
struct BehaviorRule {
  std::string name;
  proxy::Labels selector;
  proxy::SourcePos pos;  // where its document starts, for findings about it
  services::Behavior behavior;
  // `selector: {host: api.example.com, port: 443}`: an endpoint outside the
  // cluster, no pod labels (selector stays empty).
  std::string external_host;
  uint32_t external_port = 80;
  // The spec as written (block YAML, no name): `export k8s` puts it in the
  // workload's ConfigMap for `meshsim app --behavior`.
  std::string spec_yaml;
};

// The endpoints outside the cluster that Behaviors select by host, added to
// `resources` (once per host).
inline void add_behavior_external_hosts(proxy::Resources& resources, const std::vector<BehaviorRule>& behaviors) {
  for (const auto& b : behaviors) {
    if (b.external_host.empty()) continue;
    bool known = false;
    for (const auto& e : resources.external_hosts) known = known || e.name == b.external_host;
    if (!known) resources.external_hosts.push_back({b.external_host, {b.external_host}, b.external_port});
  }
}

// The Behavior for the external host `name`, or null.
inline const BehaviorRule* external_behavior(const std::string& name, const std::vector<BehaviorRule>& behaviors) {
  for (const auto& b : behaviors)
    if (b.external_host == name) return &b;
  return nullptr;
}

// The Behavior for pods with `pod_labels`: the selecting rule with the most
// selector labels (the first of equals), or null.
inline const BehaviorRule* most_specific_behavior(const proxy::Labels& pod_labels, const std::vector<BehaviorRule>& behaviors) {
  const BehaviorRule* best = nullptr;
  for (const auto& b : behaviors)
    if (b.external_host.empty() && proxy::labels_select(b.selector, pod_labels) &&
        (!best || b.selector.size() > best->selector.size()))
      best = &b;
  return best;
}

// One request read from an access log (config/access_log.h), ready to send.
struct ReplayRequest {
  Duration at{0};  // after the source's start: the log's offset from its first request, divided by speed
  int line = 0;    // in the log file
  std::string workload, ns;  // the caller as the line names it (a pod name already cut to its Deployment's); empty = none
  std::string pod;
  std::string method, authority, path, user_agent, request_id;
};

// `replay: {file, format, speed}`: the requests of an access log, sent at
// their logged times instead of at a rate. `problems` are the log's lines
// that are not replayed, each "FILE:LINE:COLUMN: why", for the report.
struct ReplayTraffic {
  std::string file;
  std::string format;  // istio-text | envoy-json
  double speed = 1;
  std::vector<ReplayRequest> requests;  // by time
  int lines = 0, bad_lines = 0, inbound = 0, not_http = 0;
  std::vector<std::string> problems;  // at most kReplayProblemsShown, then a count
  static constexpr size_t kReplayProblemsShown = 20;
};

// A traffic source `from: "@outside"` (and curl's, plan's): a client outside
// the cluster calling a Service's external address (url host
// <service>.<namespace>), such as an ingress gateway's LoadBalancer.
inline constexpr const char* kOutsideSource = "@outside";

struct TrafficSource {
  std::string name;
  std::string from = "client";  // client workload; created (app: NAME) if the files do not define it
  std::string from_namespace = "default";
  bool sidecar = false;         // a created client: with or without a sidecar
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  // `headerMix`: header sets drawn per request by weight, added to `headers`
  // (an entry without headers is the share that sends only `headers`).
  // Drawn from a hash of the seed, the source and the request's number, so a
  // run is the same per seed and the draws disturb no other random stream.
  struct HeaderSet {
    uint32_t weight = 1;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::vector<HeaderSet> header_mix;
  // A unary gRPC call over h2c (POST, content-type application/grpc, one
  // empty message): a reply whose grpc-status is not OK counts as an error.
  bool grpc = false;
  enum class Kind { kConstant, kPoisson, kRamp, kClosedLoop };
  Kind kind = Kind::kConstant;
  double rate_per_second = 10;  // constant, Poisson, and the ramp's start
  double rate_end_per_second = 10;  // ramp's end
  int concurrency = 1;              // closed loop
  Duration start{0};
  std::optional<Duration> stop;  // none = until the end
  // A replay source: the log's requests replace method, url and rate;
  // `headers` are added to each; the caller is the line's pod/workload when
  // the files define it, else `from`. Shared: scenarios are copied.
  std::shared_ptr<const ReplayTraffic> replay;
};

struct TimelineStep {
  Duration at{0};
  std::string caption;
  std::string command;  // what a person would type ("kubectl apply -f …")
  std::optional<proxy::Resources> apply;  // documents to apply (kubectl apply)
  std::vector<std::string> delete_keys;   // "Kind/namespace/name"
  std::vector<std::string> inject_sidecars, remove_sidecars;  // workload names; "*" = all
  std::vector<std::pair<std::string, int>> scale;             // workload, replicas
  std::vector<BehaviorRule> behaviors;                        // replace by name
  std::vector<std::string> start_sources, stop_sources;
  std::string say;        // a plain-word command; the loader turns it into apply/delete
  std::string say_reply;  // the assistant's answer, shown in the report
  // What `apply` and `say` stand for as written (documents joined by ---):
  // `export k8s` writes it for kubectl.
  std::string apply_yaml;
  std::vector<std::string> apply_files;  // apply.file as given (relative to the scenario file)
  proxy::SourcePos pos;
};

// Which traffic an expectation looks at. Empty fields match everything.
struct TrafficSlice {
  std::string source;       // a traffic source's name (its own requests, or the calls they cause)
  std::string from;         // calling workload or app label (edge source)
  std::string service;      // destination service short name or FQDN
  std::string version;      // destination version
  std::string workload;     // destination workload (Deployment name)
  std::string app;          // destination app label
  proxy::Labels labels;     // destination pod labels (all must match)
  proxy::Labels from_labels;  // calling pod's labels (all must match)
  bool destination_side() const {
    return !from.empty() || !service.empty() || !version.empty() || !workload.empty() || !app.empty() || !labels.empty() ||
           !from_labels.empty();
  }
};

struct Expectation {
  std::string name;
  Duration from{0};
  std::optional<Duration> to;  // none = end of run
  TrafficSlice slice;
  enum class Kind { kShare, kErrorRate, kStatusClass, kLatency, kRequests, kBody, kResponseFlag, kReceived };
  Kind kind = Kind::kShare;
  std::string share_version;  // kShare: the version whose share is checked
  double expected = 0;        // kShare: expected fraction
  // kShare: how many standard errors the observed share may stray from
  // `expected` (share.sigmas). 4 gives a false alarm about once in 16,000
  // checks when the mesh does what the rule says (README, "How sure a share is").
  double share_sigmas = 4.0;
  std::optional<double> min, max;  // kErrorRate / kStatusClass (fractions), kRequests (counts)
  std::string status_class;        // "2xx", "4xx", "5xx", "4xx|5xx"; empty: status_code
  int status_code = -1;            // kStatusClass `code: N`: exactly this status (0 = no response at all)
  std::string response_flag;       // kResponseFlag: the Envoy flag (UH, NR, …) whose share is checked
  double percentile = 99;          // kLatency
  Duration latency_max{0};         // kLatency
  std::optional<Duration> latency_min;  // kLatency `{min: …}`: a lower bound too
  bool latency_has_max = true;          // false: only `min` was given
  std::string body;                // kBody: every response of the source has this body
  // kReceived: the share of requests the destination apps received whose
  // header `received_header` has `received_value` (any value when empty).
  std::string received_header, received_value;
  proxy::SourcePos pos;
};

struct Scenario {
  std::string name;
  std::string description;
  uint64_t seed = 1;
  Duration duration{60'000'000};
  Duration link_latency{500};  // one way, per hop
  bool sidecars_injected = true;  // the initial state for every workload
  double trace_sampling_percent = 1.0;  // Istio's default; the demo sets 100
  // Simulated time zero in Unix time (spec.startTime): Date headers, span and
  // sample timestamps of `run`; fixed, so report files are byte-identical per seed.
  int64_t start_unix_us = proxy::kDefaultUnixEpochUs;
  Duration scrape_interval{15'000'000};  // spec.metrics.scrapeInterval: metrics.om.txt's sample spacing
  bool trace_sampling_explicit = false;  // spec.tracing.sampling given; else meshConfig's defaultConfig.tracing.sampling
  proxy::Resources resources;     // the mesh at t=0
  std::vector<BehaviorRule> behaviors;
  std::vector<TrafficSource> sources;
  std::vector<TimelineStep> timeline;
  std::vector<Expectation> expectations;
};

}  // namespace meshsim::sim
