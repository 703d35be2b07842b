#include "sim/scenario_runner.h"

#include <algorithm>
#include <deque>
#include <cmath>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "proxy_core/gateway_routes.h"
#include "proxy_core/grpc.h"
#include "proxy_core/hosts.h"
#include "proxy_core/injection.h"
#include "sim/behavior_index.h"
#include "sim/replay.h"
#include "sim/request_errors.h"
#include "sim/expectation_judge.h"
#include "sim/world.h"

namespace meshsim::sim {

namespace {

// Bounds that keep a runaway scenario finite (STYLE.md: a limit on everything).
constexpr uint64_t kRequestsMax = 50'000'000;      // per run, all sources
constexpr uint64_t kInFlightMaxPerSource = 10'000; // an open loop against a stalled service
constexpr size_t kDistinctBodiesMax = 16;

bool service_matches(const std::string& want, std::string_view fqdn) {
  return want.empty() || want == fqdn || want == proxy::short_name(fqdn);
}

// Every label of `want` is on `have`.
bool labels_include(const proxy::Labels& have, const proxy::Labels& want) {
  for (const auto& [k, v] : want) {
    auto it = have.find(k);
    if (it == have.end() || it->second != v) return false;
  }
  return true;
}

// A comma-joined flags string ("UT,URX") carries `flag`.
bool has_flag(std::string_view flags, std::string_view flag) {
  for (size_t start = 0; start <= flags.size();) {
    size_t comma = flags.find(',', start);
    if (comma == std::string_view::npos) comma = flags.size();
    if (flags.substr(start, comma - start) == flag) return true;
    start = comma + 1;
  }
  return false;
}

}  // namespace

namespace {

struct ExpectationState {
  const Expectation* spec = nullptr;
  bool from_sources = false;  // checked on the traffic sources' own results
  uint64_t n = 0, matching = 0;  // share: version hits; error/status: hits
  LatencyHistogram latency;
  uint64_t body_mismatches = 0;
  std::string first_bad_body;
};

}  // namespace

class ScenarioSession::Runner final : public proxy::TelemetrySink {
 public:
  Runner(const Scenario& sc, const RunOptions& options, const SessionOptions& session)
      : sc_(sc), options_(options), session_(session), seed_(options.seed.value_or(sc.seed)),
        world_(WorldOptions{seed_, sc.link_latency, options.unix_epoch_us, sc.trace_sampling_percent, options.wall_per_sim}), traffic_random_(SplitMix64::fork(seed_, "traffic")) {}

  void start() {
    result_.scenario = sc_.name;
    result_.description = sc_.description;
    result_.seed = seed_;
    result_.duration = sc_.duration;
    build_phases();
    for (const auto& e : sc_.expectations) {
      ExpectationState s;
      s.spec = &e;
      // What the apps received is counted where they receive it (observe_app).
      s.from_sources = !e.slice.destination_side() && e.kind != Expectation::Kind::kReceived;
      expectations_.push_back(s);
    }
    world_.set_telemetry(this);
    if (std::any_of(sc_.expectations.begin(), sc_.expectations.end(),
                    [](const Expectation& e) { return e.kind == Expectation::Kind::kReceived; }))
      world_.set_app_observer([this](const proxy::Endpoint& app, const proxy::HttpRequest& request, const proxy::PeerInfo& from) {
        observe_app(app, request, from);
      });
    behaviors_ = sc_.behaviors;
    // One copy of the scenario's resources, shared with the world's snapshot.
    auto initial = std::make_shared<proxy::Resources>(sc_.resources);
    add_behavior_external_hosts(*initial, behaviors_);
    add_clients(*initial);
    if (session_.ingress && !has_ingress_gateway(*initial)) add_ingress(*initial);
    current_ = initial;
    std::vector<std::string> errors;
    if (!world_.apply(current_, &errors, /*rebuild=*/false))  // apply_sidecars_and_behaviors rebuilds
      phases_.front().notes.push_back("initial configuration rejected: " + fmt::format("{}", fmt::join(errors, "; ")));
    apply_sidecars_and_behaviors();
    if (!session_.manual)
      for (const auto& step : sc_.timeline)
        world_.scheduler().schedule(step.at, [this, &step] { apply_step(step); });
    // A source that a timeline step starts waits for that step.
    std::set<std::string> started_by_steps;
    for (const auto& step : sc_.timeline) started_by_steps.insert(step.start_sources.begin(), step.start_sources.end());
    for (const auto& src : sc_.sources) {
      bool waits = started_by_steps.count(src.name) > 0;
      sources_.push_back({&src, !waits, 0, 0});
      SourceRun* run = &sources_.back();
      if (src.replay) {
        prepare_replay(*run);
        // A log may end before the run: the clock still runs to the end, so
        // the expectations' windows close (a rate source keeps it going itself).
        if (!end_marked_) world_.scheduler().schedule(sc_.duration, [] {});
        end_marked_ = true;
      }
      if (!waits) world_.scheduler().schedule(src.start, [this, run] { start_source(*run); });
    }
    if (options_.progress) schedule_progress();
    if (options_.interrupt) world_.scheduler().stop_when(options_.interrupt);
  }

  bool advance(Duration until) {
    bool within_limit = world_.scheduler().run(until);
    if (world_.scheduler().interrupted()) {
      result_.interrupted_by = options_.interrupt->load();
      return false;
    }
    result_.event_limit_hit = result_.event_limit_hit || !within_limit;
    return within_limit;
  }

  RunResult finish() {
    result_.events = world_.scheduler().events_run();
    result_.runaway = world_.runaway();
    // A run stopped early (serve) reports what ran, not what was planned.
    if (now() < sc_.duration) result_.duration = now();
    service_index_.clear();  // they point into the phases, which leave now
    service_by_id_.clear();
    numbered_phase_ = SIZE_MAX;
    for (auto& p : phases_) result_.phases.push_back(std::move(p));
    result_.expectations = judge_expectations(/*running=*/false);
    return std::move(result_);
  }

  // The run so far, for live pages: every phase (those not begun yet are
  // empty), what ran, and each expectation judged if its window has closed,
  // "not reached yet" otherwise.
  RunResult snapshot() const {
    RunResult r = result_;
    r.events = world_.const_scheduler().events_run();
    r.duration = now();
    r.phases = phases_;
    r.expectations = judge_expectations(/*running=*/true);
    return r;
  }

  Duration now() const { return world_.const_scheduler().now(); }
  World& world() { return world_; }
  std::optional<Duration> next_event() const { return world_.const_scheduler().next_at(); }

  const TimelineStep* next_step() const {
    return session_.manual && next_manual_step_ < sc_.timeline.size() ? &sc_.timeline[next_manual_step_] : nullptr;
  }
  void apply_next_step() {
    if (const TimelineStep* step = next_step()) {
      ++next_manual_step_;
      apply_step(*step, now());
    }
  }

  const proxy::Resources& resources() const { return *current_; }

  bool push(proxy::Resources next, std::vector<std::string>* errors, const std::string& note) {
    auto shared = std::make_shared<const proxy::Resources>(std::move(next));
    if (!world_.apply(shared, errors, /*rebuild=*/false)) return false;  // apply_sidecars_and_behaviors rebuilds
    current_ = std::move(shared);
    apply_sidecars_and_behaviors();
    phase_at(now()).add_note(note);
    return true;
  }

  void send_ingress(proxy::HttpRequest request, const std::string& host, uint32_t port, std::function<void(CallResult&&)> done) {
    if (auto gateway = ingress_gateway()) return world_.send_outside(std::move(request), gateway->host, gateway->port, std::move(done));
    world_.send(kIngressNamespace, kIngressWorkload, std::move(request), host, port, std::move(done));
  }

  static bool is_ingress_gateway(const proxy::Labels& labels, bool gateway_proxy) {
    auto istio = labels.find("istio");
    return gateway_proxy && !(istio != labels.end() && istio->second == "egressgateway");
  }
  static bool has_ingress_gateway(const proxy::Resources& r) {
    return std::any_of(r.deployments.begin(), r.deployments.end(), [](const proxy::Deployment& d) {
      return is_ingress_gateway(d.pod_labels, proxy::is_gateway_workload(d));
    });
  }

  std::optional<ScenarioSession::GatewayAddress> ingress_gateway() const {
    const proxy::RouteTable& table = world_.table();
    std::optional<ScenarioSession::GatewayAddress> fallback;
    for (const auto& [fqdn, svc] : table.services()) {
      if (svc.endpoints.empty() || svc.spec == nullptr || svc.spec->ports.empty()) continue;
      const proxy::Endpoint& pod = table.endpoints()[svc.endpoints.front()];
      if (!is_ingress_gateway(pod.labels, pod.gateway_proxy)) continue;
      std::string host = svc.name + "." + svc.ns;
      for (const auto& p : svc.spec->ports)
        if (const auto* l = table.gateway_routes().listener(pod, svc.target_port(p.port, pod)); l && l->plaintext_http)
          return ScenarioSession::GatewayAddress{host, p.port};
      if (!fallback) fallback = ScenarioSession::GatewayAddress{host, svc.spec->ports.front().port};
    }
    return fallback;
  }

  void record(const proxy::TelemetryEvent& ev) override {
    for (proxy::TelemetrySink* sink : options_.sinks) sink->record(ev);
    // One record per request: the destination side's, as Istio's dashboards
    // default to reporter="destination".
    if (ev.reporter != proxy::TelemetryEvent::Reporter::kDestination) return;
    ServiceStats& s = service_stats(phase_at(ev.start), ev);
    ++s.requests;
    if (is_error_report(ev)) ++s.errors;
    count_version(s.by_version, ev.destination_version.empty() ? std::string_view("-") : ev.destination_version);
    ++s.by_status[ev.response_code];
    s.latency.record(ev.duration.count());
    std::string_view source = source_of(ev.request_id);
    for (auto& x : expectations_) {
      if (x.from_sources || x.spec->kind == Expectation::Kind::kReceived || !in_window(*x.spec, ev.start)) continue;
      const TrafficSlice& slice = x.spec->slice;
      if (!slice.source.empty() && slice.source != source) continue;
      if (!slice.from.empty() && slice.from != ev.source_workload && slice.from != ev.source_app) continue;
      if (!service_matches(slice.service, ev.destination_service)) continue;
      if (!slice.version.empty() && slice.version != ev.destination_version) continue;
      if (!slice.workload.empty() && slice.workload != ev.destination_workload) continue;
      if (!slice.app.empty() && slice.app != ev.destination_app) continue;
      if (!slice.labels.empty() && !labels_include(pod_labels(ev.destination_namespace, ev.destination_workload), slice.labels))
        continue;
      if (!slice.from_labels.empty() && !labels_include(pod_labels(ev.source_namespace, ev.source_workload), slice.from_labels))
        continue;
      count(x, ev.response_code, ev.destination_version, ev.duration, nullptr, ev.grpc_response_status > 0, ev.response_flags);
    }
  }

 private:
  // The labels of a workload's pods in the current snapshot (none when it has no pod).
  const proxy::Labels& pod_labels(std::string_view ns, std::string_view workload) const {
    static const proxy::Labels kNone;
    const proxy::Endpoint* e = world_.table().endpoint_by_workload(ns, workload);
    return e ? e->labels : kNone;
  }

  // A request as a destination app received it: `received` expectations.
  void observe_app(const proxy::Endpoint& app, const proxy::HttpRequest& request, const proxy::PeerInfo& peer) {
    Duration now = world_.scheduler().now();
    std::string_view source = source_of(request.headers.get("x-request-id").value_or(""));
    std::string_view host = request.authority;
    host = host.substr(0, host.find(':'));
    for (auto& x : expectations_) {
      const Expectation& e = *x.spec;
      if (e.kind != Expectation::Kind::kReceived || !in_window(e, now)) continue;
      const TrafficSlice& slice = e.slice;
      if (!slice.source.empty() && slice.source != source) continue;
      if (!slice.service.empty() && proxy::short_name(slice.service) != proxy::short_name(host)) continue;
      if (!slice.version.empty() && slice.version != app.version()) continue;
      if (!slice.workload.empty() && slice.workload != app.workload) continue;
      if (!slice.app.empty() && slice.app != app.app) continue;
      if (!labels_include(app.labels, slice.labels)) continue;
      const proxy::Endpoint* caller = peer.endpoint;
      if (!slice.from.empty() && (!caller || (slice.from != caller->workload && slice.from != caller->app))) continue;
      if (!slice.from_labels.empty() && (!caller || !labels_include(caller->labels, slice.from_labels))) continue;
      ++x.n;
      auto value = request.headers.get(e.received_header);
      x.matching += value && (e.received_value.empty() || *value == e.received_value);
    }
  }

  struct SourceRun {
    const TrafficSource* spec;
    bool active;
    uint64_t sent;
    uint64_t in_flight;
    std::optional<ParsedUrl> url = std::nullopt;  // the source's URL, parsed at its first request
    // A replay source: each request's caller, the next request, and when the source started.
    std::vector<ReplayCaller> callers = {};
    size_t next = 0;
    Duration origin{0};
  };

  // The report says what a replay sends and what it cannot (never a silent drop).
  void prepare_replay(SourceRun& s) {
    const TrafficSource& t = *s.spec;
    auto& notes = phases_.front().notes;
    notes.push_back(replay_summary(t));
    notes.insert(notes.end(), t.replay->problems.begin(), t.replay->problems.end());
    s.callers = replay_callers(t, *current_, &notes);
    int no_authority = 0, first = 0;
    for (const auto& r : t.replay->requests)
      if (r.authority.empty() && no_authority++ == 0) first = r.line;
    if (no_authority)
      notes.push_back(fmt::format("replay {}: {} line{} (first {}:{}) have no authority to send to; not sent", t.name,
                                  no_authority, no_authority == 1 ? "" : "s", t.replay->file, first));
  }

  // Sends every request due by now, then waits for the next one's time.
  void replay_due(SourceRun& s) {
    const auto& requests = s.spec->replay->requests;
    Duration now = world_.scheduler().now();
    while (s.next < requests.size() && s.origin + requests[s.next].at <= now) {
      if (!source_open(s)) return;
      send_replay(s, s.next++);
    }
    if (s.next < requests.size() && source_open(s))
      world_.scheduler().schedule(s.origin + requests[s.next].at - now, [this, &s] { replay_due(s); });
  }

  void build_phases() {
    std::vector<Duration> cuts;
    for (const auto& s : sc_.timeline)
      if (s.at > Duration(0) && s.at < sc_.duration) cuts.push_back(s.at);
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    Duration start{0};
    for (size_t i = 0; i <= cuts.size(); ++i) {
      Phase p;
      p.start = start;
      p.end = i < cuts.size() ? cuts[i] : sc_.duration;
      start = p.end;
      phases_.push_back(std::move(p));
    }
    phases_.front().caption = "start";
    for (const auto& s : sc_.timeline) {
      Phase& p = phase_at(s.at);
      auto join = [](std::string& into, const std::string& more) {
        if (more.empty()) return;
        into = into.empty() ? more : into + "; " + more;
      };
      if (p.caption == "start" && s.at > Duration(0)) p.caption.clear();
      join(p.caption, s.caption);
      join(p.command, s.command);
    }
  }

  Phase& phase_at(Duration t) {
    for (auto& p : phases_)
      if (t >= p.start && t < p.end) return p;
    return phases_.back();  // requests finishing after the end count in the last phase
  }

  // A phase's counters of one destination service. Every destination report
  // comes here: a hash index finds them without walking the ordered map,
  // whose walk grew with the mesh (issue 20). Map nodes never move, so the
  // index holds until finish() hands the phases over.
  ServiceStats& service_stats(Phase& phase, std::string_view name) {
    if (service_index_.size() != phases_.size()) service_index_.resize(phases_.size());
    auto& index = service_index_[static_cast<size_t>(&phase - phases_.data())];
    auto it = index.find(name);
    if (it == index.end()) it = index.emplace(std::string(name), &phase.services[std::string(name)]).first;
    return *it->second;
  }

  // The same for a report's destination_service, found by its number
  // (telemetry_ids.h) when it carries one: no short name built per report.
  // Only the newest phase is indexed (a report rarely starts in an earlier
  // one), so the index is one array however many phases a serve makes.
  ServiceStats& service_stats(Phase& phase, const proxy::TelemetryEvent& ev) {
    auto p = static_cast<size_t>(&phase - phases_.data());
    uint32_t id = ev.destination_service_id;
    if (id == 0 || p + 1 != phases_.size()) return service_stats(phase, proxy::short_name(ev.destination_service));
    if (numbered_phase_ != p) {
      service_by_id_.clear();
      numbered_phase_ = p;
    }
    if (id < service_by_id_.size() && service_by_id_[id] != nullptr) return *service_by_id_[id];
    ServiceStats& s = service_stats(phase, proxy::short_name(ev.destination_service));
    if (id >= service_by_id_.size()) service_by_id_.resize(id + 1, nullptr);
    service_by_id_[id] = &s;
    return s;
  }

  // ++by_version[version] without a key string per report: a service has a
  // few versions, found by a scan (the map's comparator takes no views).
  static void count_version(std::map<std::string, uint64_t>& by_version, std::string_view version) {
    if (by_version.size() <= 8)
      for (auto& [name, n] : by_version)
        if (name == version) {
          ++n;
          return;
        }
    ++by_version[std::string(version)];
  }

  static bool in_window(const Expectation& e, Duration t) { return t >= e.from && (!e.to || t < *e.to); }

  // A traffic source's request id: UUID-shaped, as the Envoy at the edge
  // would generate it, since Envoy samples traces on the UUID's last 8 hex
  // digits (request_id/uuid getInteger) and would never sample an id such as
  // "browser-7". It names its source (index, then a marker group a random
  // UUID's "a" variant never has) and mixes the sequence into its last digits.
  static constexpr std::string_view kSourceMarker = "-9e55-";
  std::string request_id_of(size_t source_index, uint64_t seq) const {
    uint64_t mixed = SplitMix64(seed_ ^ (uint64_t{source_index} << 40) ^ seq).next();
    // fmt's "{:08x}-{:04x}-4{:03x}-9e55-{:012x}", written by hand: one per
    // client request, and fmt's parse of the format was 2% of world_bench.
    std::string id;
    id.reserve(36);
    append_hex(id, source_index, 8);
    id += '-';
    append_hex(id, (seq >> 12) & 0xffff, 4);
    id += "-4";
    append_hex(id, seq & 0xfff, 3);
    id += kSourceMarker;
    append_hex(id, mixed >> 16, 12);
    return id;
  }
  // Lower-case hex of v, zero-padded to at least `width` digits (as fmt's {:0Nx}).
  static void append_hex(std::string& out, uint64_t v, int width) {
    char digits[16];
    int n = 0;
    do {
      digits[n++] = "0123456789abcdef"[v & 0xf];
      v >>= 4;
    } while (v != 0);
    for (int i = n; i < width; ++i) out += '0';
    while (n > 0) out += digits[--n];
  }
  std::string_view source_of(std::string_view request_id) const {
    if (!replay_ids_.empty())
      if (auto it = replay_ids_.find(std::string(request_id)); it != replay_ids_.end()) return sc_.sources[it->second].name;
    if (request_id.size() != 36 || request_id.substr(18, kSourceMarker.size()) != kSourceMarker) return {};
    size_t index = 0;
    for (char c : request_id.substr(0, 8)) {
      int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (v < 0) return {};
      index = index * 16 + static_cast<size_t>(v);
    }
    return index < sc_.sources.size() ? std::string_view(sc_.sources[index].name) : std::string_view{};
  }

  void count(ExpectationState& x, int status, std::string_view version, Duration latency, const std::string* body,
             bool failed = false, std::string_view flags = {}) {
    const Expectation& e = *x.spec;
    ++x.n;
    switch (e.kind) {
      case Expectation::Kind::kShare: x.matching += version == e.share_version; break;
      case Expectation::Kind::kErrorRate: x.matching += failed || status >= 400 || status == 0; break;
      case Expectation::Kind::kStatusClass:
        x.matching += e.status_class.empty() ? status == e.status_code : status_in_class(status, e.status_class);
        break;
      case Expectation::Kind::kResponseFlag: x.matching += has_flag(flags, e.response_flag); break;
      case Expectation::Kind::kLatency: x.latency.record(latency.count()); break;
      case Expectation::Kind::kRequests: break;
      case Expectation::Kind::kReceived: break;  // counted in observe_app
      case Expectation::Kind::kBody:
        if (body && *body != e.body) {
          if (x.body_mismatches++ == 0) x.first_bad_body = body->substr(0, 200);
        }
        break;
    }
  }

  // Traffic clients the files do not define are created (app: NAME).
  void add_clients(proxy::Resources& resources) {
    for (const auto& src : sc_.sources) {
      if (src.from == kOutsideSource) continue;  // a client outside the cluster has no pod
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
      resources.deployments.push_back(d);
      clients_.insert(src.from_namespace + "/" + src.from);
      client_sidecar_[src.from_namespace + "/" + src.from] = src.sidecar;
    }
  }

  void apply_sidecars_and_behaviors() {
    std::vector<World::WorkloadSetting> settings;
    const proxy::Resources& current = *current_;
    settings.reserve(current.deployments.size() + current.external_hosts.size());
    BehaviorIndex behavior_index(behaviors_);
    for (const auto& d : current.deployments) {
      std::string key = d.header.meta.ns + "/" + d.header.meta.name;
      // Traffic clients keep their own setting, a timeline step's
      // inject/remove acts as relabelling the pod; otherwise the pod
      // template and its Namespace decide, then the scenario's default.
      bool injected = clients_.count(key) ? client_sidecar_[key]
                    : injected_.count(key) ? injected_[key]
                                           : proxy::sidecar_injected(current, d, sc_.sidecars_injected);
      const BehaviorRule* best = behavior_index.most_specific(d.pod_labels);
      settings.push_back({d.header.meta.ns, d.header.meta.name, injected, best ? best->behavior : services::Behavior{}});
    }
    for (const auto& ext : current.external_hosts) {  // outside the cluster: echo unless a Behavior says more
      const BehaviorRule* b = external_behavior(ext.name, behaviors_);
      settings.push_back({"", ext.name, false, b ? b->behavior : services::Behavior{}});
    }
    world_.configure(std::move(settings));
  }

  // The ingress gateway live requests enter through (`meshsim serve --port`),
  // as Istio's istio-ingressgateway: an Envoy, so it reports telemetry.
  void add_ingress(proxy::Resources& resources) {
    proxy::Deployment d;
    d.header.kind = "Deployment";
    d.header.meta.name = kIngressWorkload;
    d.header.meta.ns = kIngressNamespace;
    d.pod_labels = {{"app", kIngressWorkload}, {"istio", "ingressgateway"}};
    d.service_account = "istio-ingressgateway-service-account";
    resources.deployments.push_back(d);
    std::string key = std::string(kIngressNamespace) + "/" + kIngressWorkload;
    clients_.insert(key);
    client_sidecar_[key] = true;
  }

  void apply_step(const TimelineStep& step) { apply_step(step, step.at); }
  void apply_step(const TimelineStep& step, Duration at) {
    Phase& phase = phase_at(at);
    proxy::Resources next = *current_;
    if (step.apply) apply_resources(next, *step.apply);
    for (const auto& key : step.delete_keys)
      if (!delete_resource(next, key)) phase.notes.push_back("delete " + key + ": not found");
    for (const auto& [workload, replicas] : step.scale) {
      bool found = false;
      for (auto& d : next.deployments)
        if (d.header.meta.name == workload) d.replicas = replicas, found = true;
      if (!found) phase.notes.push_back("scale " + workload + ": no such Deployment");
    }
    auto set_injection = [&](const std::vector<std::string>& names, bool injected) {
      for (const auto& name : names)
        for (const auto& d : next.deployments) {
          std::string key = d.header.meta.ns + "/" + d.header.meta.name;
          if (clients_.count(key)) continue;  // traffic clients keep their own setting
          if (name == "*" || name == d.header.meta.name || (d.pod_labels.count("app") && d.pod_labels.at("app") == name))
            injected_[key] = injected;
        }
    };
    set_injection(step.inject_sidecars, true);
    set_injection(step.remove_sidecars, false);
    for (const auto& b : step.behaviors) {
      auto it = std::find_if(behaviors_.begin(), behaviors_.end(), [&](const auto& e) { return e.name == b.name; });
      if (it == behaviors_.end()) behaviors_.push_back(b);
      else *it = b;
    }
    size_t externals = next.external_hosts.size();
    add_behavior_external_hosts(next, behaviors_);  // a Behavior may select a new host outside the cluster
    std::vector<std::string> errors;
    bool changed = step.apply || !step.delete_keys.empty() || !step.scale.empty() || next.external_hosts.size() != externals;
    if (changed) {
      auto shared = std::make_shared<const proxy::Resources>(std::move(next));
      if (world_.apply(shared, &errors, /*rebuild=*/false)) current_ = std::move(shared);  // rebuilt just below
      else
        phase.notes.push_back("push rejected, the previous configuration keeps serving: " +
                              fmt::format("{}", fmt::join(errors, "; ")));
    }
    apply_sidecars_and_behaviors();
    for (const auto& name : step.start_sources)
      for (auto& s : sources_)
        if (s.spec->name == name && !s.active) {
          s.active = true;
          start_source(s);
        }
    for (const auto& name : step.stop_sources)
      for (auto& s : sources_)
        if (s.spec->name == name) s.active = false;
    if (!step.say.empty()) phase.notes.push_back("say \"" + step.say + "\": " + step.say_reply);
  }

  bool source_open(const SourceRun& s) const {
    Duration now = world_.const_scheduler().now();
    return s.active && now < sc_.duration && (!s.spec->stop || now < *s.spec->stop) && total_sent_ < kRequestsMax;
  }

  void start_source(SourceRun& s) {
    if (s.spec->replay) {
      s.origin = world_.scheduler().now();
      s.next = 0;
      replay_due(s);
      return;
    }
    if (s.spec->kind == TrafficSource::Kind::kClosedLoop) {
      for (int i = 0; i < s.spec->concurrency; ++i) send(s, true);
      return;
    }
    arrival(s);
  }

  void arrival(SourceRun& s) {
    if (!source_open(s)) return;
    send(s, false);
    const TrafficSource& t = *s.spec;
    double rate = t.rate_per_second;
    Duration now = world_.scheduler().now();
    if (t.kind == TrafficSource::Kind::kRamp) {
      Duration end = t.stop.value_or(sc_.duration);
      double f = end > t.start ? static_cast<double>((now - t.start).count()) / static_cast<double>((end - t.start).count()) : 1;
      rate = t.rate_per_second + (t.rate_end_per_second - t.rate_per_second) * std::clamp(f, 0.0, 1.0);
    }
    double gap_us = 1e6 / std::max(rate, 1e-3);
    if (t.kind == TrafficSource::Kind::kPoisson) {
      double u = (static_cast<double>(traffic_random_.next() >> 11) + 0.5) * 0x1.0p-53;
      gap_us = -std::log(u) * gap_us;
    }
    world_.scheduler().schedule(Duration(std::max<int64_t>(1, std::llround(gap_us))), [this, &s] { arrival(s); });
  }

  void send(SourceRun& s, bool closed_loop) {
    if (!source_open(s)) return;
    const TrafficSource& t = *s.spec;
    Duration sent_at = world_.scheduler().now();
    ++total_sent_;
    ++result_.requests;
    uint64_t seq = ++s.sent;
    if (s.in_flight >= kInFlightMaxPerSource) {
      record_source(t, sent_at, 0, "", Duration(0), "client: too many requests in flight");
      return;
    }
    if (!s.url) s.url = parse_url(t.url, nullptr);  // once per source
    if (!s.url) return;
    const ParsedUrl* url = &*s.url;
    proxy::HttpRequest req;
    req.method = t.method;
    req.target = url->target;
    req.authority = url->explicit_port ? url->host + ":" + std::to_string(url->port) : url->host;
    for (const auto& [k, v] : t.headers) {
      if (proxy::iequals(k, "host")) req.authority = v;
      else req.headers.add(k, v);
    }
    if (const auto* set = mixed_headers(t, seq))
      for (const auto& [k, v] : set->headers) {
        if (k == "host") req.authority = v;
        else req.headers.set(k, v);
      }
    if (t.grpc) {  // a unary call, as a gRPC client sends it (PROTOCOL-HTTP2.md)
      req.protocol = proxy::WireProtocol::kHttp2;
      req.method = "POST";
      req.headers.set("content-type", "application/grpc");
      req.headers.set("te", "trailers");
      req.body = proxy::grpc_frame("");
    }
    req.headers.set("x-request-id", request_id_of(static_cast<size_t>(&t - sc_.sources.data()), seq));  // source_of() reads the source back
    dispatch(s, std::move(req), url->host, url->port, t.from_namespace, t.from, sent_at, closed_loop);
  }

  // The header set of a `headerMix` this request draws, by weight; the draw
  // hashes the seed, the source and the request's number (no shared stream).
  const TrafficSource::HeaderSet* mixed_headers(const TrafficSource& t, uint64_t seq) const {
    if (t.header_mix.empty()) return nullptr;
    uint64_t total = 0;
    for (const auto& m : t.header_mix) total += m.weight;
    if (total == 0) return nullptr;
    size_t index = static_cast<size_t>(&t - sc_.sources.data());
    uint64_t draw = SplitMix64(seed_ ^ 0x6d6978ULL ^ (uint64_t{index} << 40) ^ seq).next() % total;
    for (const auto& m : t.header_mix) {
      if (draw < m.weight) return &m;
      draw -= m.weight;
    }
    return nullptr;
  }

  void send_replay(SourceRun& s, size_t index) {
    const TrafficSource& t = *s.spec;
    const ReplayRequest& r = t.replay->requests[index];
    auto out = replay_send(r, t);
    if (!out) return;  // no authority: counted in the report's notes by prepare_replay
    Duration sent_at = world_.scheduler().now();
    ++total_sent_;
    ++result_.requests;
    uint64_t seq = ++s.sent;
    if (s.in_flight >= kInFlightMaxPerSource) {
      record_source(t, sent_at, 0, "", Duration(0), "client: too many requests in flight");
      return;
    }
    size_t source_index = static_cast<size_t>(&t - sc_.sources.data());
    // The logged request id is kept, so a replayed request can be found by the
    // original's id; source_of() maps it back to the source.
    auto id = out->request.headers.get("x-request-id");
    bool kept = id && replay_ids_.size() < kReplayIdsMax && replay_ids_.emplace(std::string(*id), source_index).second;
    if (!kept) out->request.headers.set("x-request-id", request_id_of(source_index, seq));  // none, or used twice
    const ReplayCaller& caller = s.callers[index];
    dispatch(s, std::move(out->request), out->host, out->port, caller.ns, caller.workload, sent_at, false);
  }

  void dispatch(SourceRun& s, proxy::HttpRequest req, const std::string& host, uint32_t port, const std::string& from_ns,
                const std::string& from, Duration sent_at, bool closed_loop) {
    ++s.in_flight;
    auto done = [this, &s, sent_at, closed_loop](CallResult&& r) {
      --s.in_flight;
      const auto& out = r.outbound;
      std::string version = out.served_by ? out.served_by->version() : "";
      int status = out.response ? out.response->status : 0;
      bool grpc_failed = s.spec->grpc && out.response && proxy::grpc_status_of(*out.response) != 0;
      record_source(*s.spec, sent_at, status, version, world_.scheduler().now() - sent_at,
                    out.response ? out.response->body : out.error, grpc_failed, out.flags);
      if (closed_loop) send(s, true);
    };
    if (from == kOutsideSource) {
      world_.send_outside(std::move(req), host, port, std::move(done));
      return;
    }
    world_.send(from_ns, from, std::move(req), host, port, std::move(done),
                World::Observe::kResponseOnly);  // a source counts outcomes only
  }

  void record_source(const TrafficSource& t, Duration sent_at, int status, const std::string& version, Duration latency,
                     const std::string& body, bool grpc_failed = false, std::string_view flags = {}) {
    SourceStats& st = phase_at(sent_at).sources[t.name];
    ++st.requests;
    if (status == 0 || status >= 400 || grpc_failed) ++st.errors;
    ++st.by_status[status];
    st.latency.record(latency.count());
    if (st.bodies.size() < kDistinctBodiesMax || st.bodies.count(body)) ++st.bodies[body];
    for (auto& x : expectations_)
      if (x.from_sources && x.spec->slice.source == t.name && in_window(*x.spec, sent_at))
        count(x, status, version, latency, &body, grpc_failed, flags);
  }

  void schedule_progress() {
    world_.scheduler().schedule(Duration(1'000'000), [this] {
      options_.progress(world_.scheduler().now(), sc_.duration);
      if (world_.scheduler().now() < sc_.duration) schedule_progress();
    });
  }

  std::vector<ExpectationResult> judge_expectations(bool running) const {
    std::vector<ExpectationResult> judged;
    for (const auto& x : expectations_) {
      const Expectation& e = *x.spec;
      ExpectationTally tally{x.n, x.matching, 0, x.body_mismatches, x.first_bad_body};
      if (e.kind == Expectation::Kind::kLatency) tally.latency_us = x.latency.percentile(e.percentile);
      ExpectationResult r = judge_expectation(e, tally);
      Duration window_end = std::min(e.to.value_or(sc_.duration), sc_.duration);
      if (now() < window_end) {
        r.reached = false;
        r.passed = false;
        r.observed = fmt::format("not reached{}: the run {} at {:.1f} s, the window ends at {:.1f} s (so far: {})",
                                 running ? " yet" : "", running ? "is" : "stopped", static_cast<double>(now().count()) / 1e6,
                                 static_cast<double>(window_end.count()) / 1e6, r.observed);
      }
      judged.push_back(std::move(r));
    }
    return judged;
  }

  const Scenario& sc_;
  RunOptions options_;
  SessionOptions session_;
  size_t next_manual_step_ = 0;
  uint64_t seed_;
  World world_;
  SplitMix64 traffic_random_;
  RunResult result_;
  std::vector<Phase> phases_;
  std::vector<proxy::StringHashMap<ServiceStats*>> service_index_;  // per phase: service_stats()
  std::vector<ServiceStats*> service_by_id_;  // the newest phase's, by destination_service_id
  size_t numbered_phase_ = SIZE_MAX;  // the phase service_by_id_ points into
  std::vector<ExpectationState> expectations_;
  std::deque<SourceRun> sources_;  // stable addresses for callbacks
  std::shared_ptr<const proxy::Resources> current_;  // shared with the world's snapshot
  std::vector<BehaviorRule> behaviors_;
  std::set<std::string> clients_;
  std::map<std::string, bool> client_sidecar_;
  std::map<std::string, bool> injected_;
  uint64_t total_sent_ = 0;
  // Logged request ids of replayed requests -> their source's index (bounded by the logs' size).
  std::unordered_map<std::string, size_t> replay_ids_;
  bool end_marked_ = false;  // an event at the run's end is scheduled
  static constexpr size_t kReplayIdsMax = 1'000'000;
};

ScenarioSession::ScenarioSession(const Scenario& scenario, const RunOptions& options, const SessionOptions& session)
    : runner_(std::make_unique<Runner>(scenario, options, session)) {
  runner_->start();
}
ScenarioSession::~ScenarioSession() = default;
bool ScenarioSession::advance(Duration until) { return runner_->advance(until); }
Duration ScenarioSession::now() const { return runner_->now(); }
std::optional<Duration> ScenarioSession::next_event() const { return runner_->next_event(); }
const TimelineStep* ScenarioSession::next_step() const { return runner_->next_step(); }
void ScenarioSession::apply_next_step() { runner_->apply_next_step(); }
const proxy::Resources& ScenarioSession::resources() const { return runner_->resources(); }
bool ScenarioSession::push(proxy::Resources next, std::vector<std::string>* errors, const std::string& note) {
  return runner_->push(std::move(next), errors, note);
}
void ScenarioSession::send_ingress(proxy::HttpRequest request, const std::string& host, uint32_t port,
                                   std::function<void(CallResult&&)> done) {
  runner_->send_ingress(std::move(request), host, port, std::move(done));
}
std::optional<ScenarioSession::GatewayAddress> ScenarioSession::ingress_gateway() const { return runner_->ingress_gateway(); }
RunResult ScenarioSession::finish() { return runner_->finish(); }
RunResult ScenarioSession::snapshot() const { return runner_->snapshot(); }
World& ScenarioSession::world() { return runner_->world(); }

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  ScenarioSession session(scenario, options);
  session.advance(TimePoint::max());
  return session.finish();
}

}  // namespace meshsim::sim
