#include "sim/world.h"

#include <algorithm>

#include <fmt/format.h>

#include "proxy_core/codec.h"
#include "proxy_core/hosts.h"
#include "proxy_core/upstream_reset.h"

namespace meshsim::sim {

namespace {
constexpr char kCallMarker[] = "x-meshsim-call";
// Where outside clients come from: TEST-NET-3 (RFC 5737), never a pod IP.
constexpr char kOutsideClientIp[] = "203.0.113.10";
}  // namespace

using proxy::Endpoint;
using proxy::HttpRequest;
using proxy::HttpResponse;
using proxy::PeerInfo;
using proxy::TransportResult;

struct World::Instance {
  Endpoint endpoint;  // a copy: instances outlive the snapshot they were built from
  std::unique_ptr<proxy::Sidecar> sidecar;
  std::unique_ptr<services::WorkloadApp> app;
  services::Behavior behavior;  // what `app` runs
  bool retired = false;  // replaced by a push: the pod's current instance is another
  // What the pod presents when it calls without a sidecar (plain Kubernetes
  // networking): its namespace and address, no identity.
  PeerInfo plain_identity;
};

World::Instance* World::current_instance_of(Instance& inst) const {
  // Not retired: it is the one instances_ holds for its pod (no lookup by
  // name per hop, a cold bucket and key strings in a large mesh: issue 20).
  return inst.retired ? current_instance(inst.endpoint.ns, inst.endpoint.pod) : &inst;
}

namespace {
// The same pod as far as its instance is concerned: everything but its
// index in the snapshot's list, which moves when other pods come and go.
bool same_pod(const Endpoint& a, const Endpoint& b) {
  auto same_ports = [](const std::vector<proxy::ContainerPort>& x, const std::vector<proxy::ContainerPort>& y) {
    return std::equal(x.begin(), x.end(), y.begin(), y.end(), [](const auto& p, const auto& q) {
      return p.name == q.name && p.container_port == q.container_port;
    });
  };
  return a.pod == b.pod && a.workload == b.workload && a.ns == b.ns && a.labels == b.labels &&
         a.service_account == b.service_account && a.ip == b.ip && same_ports(a.ports, b.ports) &&
         a.spiffe_principal == b.spiffe_principal && a.app == b.app && a.version_label == b.version_label &&
         a.canonical_service == b.canonical_service && a.canonical_revision == b.canonical_revision &&
         a.gateway_proxy == b.gateway_proxy && a.external == b.external && a.hosts == b.hosts;
}
}  // namespace

World::World(WorldOptions options)
    : options_(options), sidecar_random_(SplitMix64::fork(options.seed, "sidecars")) {
  std::vector<std::string> ignored;
  snapshot_.set(proxy::RouteTable::create({}, &ignored));
  outside_identity_.ip = kOutsideClientIp;
}

World::~World() = default;

bool World::apply(proxy::Resources resources, std::vector<std::string>* errors, bool rebuild) {
  return apply(std::make_shared<const proxy::Resources>(std::move(resources)), errors, rebuild);
}

bool World::apply(std::shared_ptr<const proxy::Resources> resources, std::vector<std::string>* errors, bool rebuild) {
  std::vector<std::string> local;
  auto table = proxy::RouteTable::create_shared(std::move(resources), errors ? errors : &local);
  if (!table) return false;
  // The old snapshot lives on while anything in flight holds it: sidecar
  // calls and the World's own calls keep a reference until their callbacks
  // return (a serve under a push loop must not keep every version).
  snapshot_.set(std::move(table));
  if (rebuild) rebuild_instances();
  return true;
}

void World::rebuild_instances() {
  const auto& table = *snapshot_.get();
  Instances next;
  for (const Endpoint& e : table.endpoints()) {
    std::string key = e.ns + "/" + e.pod;
    std::string workload_key = e.ns + "/" + e.workload;
    auto old = instances_.find(std::tuple<std::string_view, std::string_view>(e.ns, e.pod));
    // A setting made for the workload wins; otherwise its pod template and
    // Namespace decide (Endpoint::sidecar_injection), and a pod they say
    // nothing about gets a sidecar.
    bool injected = true;
    if (e.external) injected = false;  // outside the cluster: never a sidecar
    else if (auto s = sidecars_.find(workload_key); s != sidecars_.end()) injected = s->second;
    else injected = e.sidecar_injection.value_or(true);
    if (e.gateway_proxy) injected = true;  // a gateway pod is its proxy
    // Copied into the instance and its app only (issue 20: a 1,000-service mesh copied each pod's three times).
    static const services::Behavior kNoBehavior;
    const services::Behavior* behavior = &kNoBehavior;
    if (auto b = behaviors_.find(workload_key); b != behaviors_.end()) behavior = &b->second;
    // A pod a push did not change keeps its instance whole (sidecar, app and
    // their state), as a running pod does through a config push; nothing is
    // retired, so a long serve under a push loop does not grow.
    if (old != instances_.end() && same_pod(old->second->endpoint, e) && (old->second->sidecar != nullptr) == injected &&
        old->second->behavior == *behavior) {
      old->second->endpoint.index = e.index;
      next[{e.ns, e.pod}] = std::move(old->second);
      continue;
    }
    auto inst = std::make_unique<Instance>();
    inst->endpoint = e;
    inst->plain_identity.ns = e.ns;
    inst->plain_identity.ip = e.ip;
    inst->plain_identity.endpoint = &inst->endpoint;
    inst->behavior = *behavior;
    if (injected) {
      // Keep an existing sidecar (and its circuit-breaker/outlier state) across pushes.
      if (old != instances_.end() && old->second->sidecar) inst->sidecar = std::move(old->second->sidecar);
      else {
        proxy::SidecarEnv env{&scheduler_, &scheduler_, &sidecar_random_, this, telemetry_, &snapshot_, options_.unix_epoch_us,
                              options_.trace_sampling_percent};
        env.wall_per_clock = options_.wall_per_sim;
        inst->sidecar = std::make_unique<proxy::Sidecar>(&inst->endpoint, e.ns, e.labels, env);
      }
    }
    // One stream per pod for the run: rebuilding instances must not replay draws.
    auto& stream = app_random_[key];
    if (!stream) stream = std::make_unique<SplitMix64>(SplitMix64::fork(options_.seed, "app/" + key));
    Instance* raw = inst.get();
    services::Caller caller = [this, raw](HttpRequest&& request, std::string host, uint32_t port,
                                          std::function<void(std::optional<HttpResponse>&&)> done) {
      send_from(*raw, std::move(request), host, port, [done = std::move(done)](proxy::OutboundResult&& out) {
        if (out.response) out.response->overcount = out.overcount;  // for the app's own clock
        done(std::move(out.response));
      });
    };
    if (!e.gateway_proxy) {  // a gateway pod runs no app
      inst->app = std::make_unique<services::WorkloadApp>(inst->endpoint, *behavior, scheduler_, *stream, caller, &scheduler_);
      inst->app->on_runaway([this](const std::string& why) {
        if (runaway_.empty()) runaway_ = why;
      });
    }
    next[{e.ns, e.pod}] = std::move(inst);
  }
  // Replaced instances may still have events in flight (and a kept sidecar
  // points at its first instance's endpoint): they live until the world ends.
  for (auto& [key, inst] : instances_)
    if (inst) {
      inst->retired = true;
      retired_instances_.push_back(std::move(inst));
    }
  instances_ = std::move(next);
  indexed_table_.reset();  // instance_for's index points at the instances replaced
}

void World::set_behavior(const std::string& ns, const std::string& workload, services::Behavior behavior) {
  behaviors_[ns + "/" + workload] = std::move(behavior);
  rebuild_instances();
}

void World::set_sidecar(const std::string& ns, const std::string& workload, bool injected) {
  sidecars_[ns + "/" + workload] = injected;
  rebuild_instances();
}

void World::configure(std::vector<WorkloadSetting> settings) {
  for (auto& s : settings) {
    std::string key = s.ns + "/" + s.workload;
    sidecars_[key] = s.sidecar;
    behaviors_[key] = std::move(s.behavior);
  }
  rebuild_instances();
}

World::Instance* World::current_instance(std::string_view ns, std::string_view pod) const {
  auto it = instances_.find(std::tuple(ns, pod));
  return it == instances_.end() ? nullptr : it->second.get();
}

void World::index_current_snapshot() {
  if (indexed_table_.get() == &snapshot_.current()) return;
  indexed_table_ = snapshot_.get();
  instance_by_index_.assign(indexed_table_->endpoints().size(), nullptr);
}

World::Instance* World::instance_for(const Endpoint& e) {
  index_current_snapshot();
  // An endpoint of another snapshot (a call that began before a push) is found by name.
  if (e.index >= instance_by_index_.size() || &indexed_table_->endpoints()[e.index] != &e) return current_instance(e.ns, e.pod);
  Instance*& slot = instance_by_index_[e.index];
  if (slot == nullptr) slot = current_instance(e.ns, e.pod);
  return slot;
}

World::HopRequest World::HopRequest::of(const HttpRequest& request) {
  if (request.protocol == proxy::WireProtocol::kHttp1) return http1(proxy::serialize(request));
  return {"", request};
}

void World::deliver(const Endpoint& to, uint32_t port, const PeerInfo& from, HopRequest request, bool mirrored,
                    std::function<void(TransportResult&&)> done, const std::shared_ptr<proxy::StreamReset>& client_reset) {
  Instance* inst = instance_for(to);
  // The connection's security is known when it is made: plain text to a pod
  // without a sidecar, on the simulated and the live network.
  if (client_reset && inst != nullptr && !inst->sidecar) client_reset->mark_plaintext_server();
  if (network_ != nullptr) {
    network_->carry(to, port, from, std::move(request), mirrored, std::move(done));
    return;
  }
  if (inst == nullptr) {
    scheduler_.schedule(options_.link_latency, [done = std::move(done)] { done({.connected = false, .failure = std::string(proxy::transport_failure::kNoHost)}); });
    return;
  }
  Duration latency = options_.link_latency;
  // The reset crosses the link as the request did (never before it).
  std::shared_ptr<proxy::StreamReset> server_reset;
  if (client_reset) {
    server_reset = std::make_shared<proxy::StreamReset>();
    client_reset->on_reset([this, latency, server_reset] { scheduler_.schedule(latency, [server_reset] { server_reset->reset(); }); });
  }
  // Callbacks are moved along, not copied: each runs once.
  auto reply = [this, latency, done = std::move(done)](TransportResult&& tr) mutable {
    scheduler_.schedule(latency, [done = std::move(done), tr = std::move(tr)]() mutable { done(std::move(tr)); });
  };
  // `from` is a sidecar's identity or one of the world's own (an instance's
  // plain identity, the outside client's), all alive until the world ends:
  // a pointer, not a copy of its three strings per hop (issue 20).
  scheduler_.schedule(latency, [this, inst, port, from = &from, request = std::move(request), mirrored,
                                reply = std::move(reply), server_reset = std::move(server_reset)]() mutable {
    run_inbound(*inst, port, *from, std::move(request), mirrored, std::move(reply), server_reset);
  });
}

void World::arrive(const Endpoint& to, uint32_t port, const PeerInfo& from, HopRequest request, bool mirrored,
                   std::function<void(TransportResult&&)> done) {
  Instance* inst = instance_for(to);
  if (inst == nullptr) return done({.connected = false, .failure = std::string(proxy::transport_failure::kNoHost)});
  run_inbound(*inst, port, from, std::move(request), mirrored, std::move(done));
}

proxy::AppHandler World::app_handler_for(Instance& pod, bool mirrored) {
  // Two pointers and nothing else: std::function keeps such a lambda in
  // place, so a hop makes no heap block for it (issue 20). Kept per instance
  // instead, its block was one more cold line per hop in a large mesh.
  if (mirrored)
    return [this, pod = &pod](HttpRequest&& request, const PeerInfo& peer, std::function<void(HttpResponse&&)> respond) {
      hand_to_app(*pod, true, std::move(request), peer, std::move(respond));
    };
  return [this, pod = &pod](HttpRequest&& request, const PeerInfo& peer, std::function<void(HttpResponse&&)> respond) {
    hand_to_app(*pod, false, std::move(request), peer, std::move(respond));
  };
}

void World::hand_to_app(Instance& pod, bool mirrored, HttpRequest&& request, const PeerInfo& peer,
                        std::function<void(HttpResponse&&)> respond) {
  // The pod's current instance when the request reaches its app (a push may
  // have rebuilt it; retired instances stay alive).
  Instance* target = current_instance_of(pod);
  if (target == nullptr || !target->app) return;
  // Only the top-level request carries the call marker (apps do not
  // propagate it), so nested calls of a behaviour script are not mistaken
  // for what the first app received. The app never sees the marker.
  if (auto marker = request.headers.get(kCallMarker)) {
    // Only calls still waiting for their answer are observed: a copy that
    // lands after its call finished is not remembered (bounded memory).
    auto pending = observed_.find(std::string(*marker));
    request.headers.remove(kCallMarker);
    if (pending != observed_.end()) {
      Observed& obs = pending->second;
      if (mirrored) obs.mirrored_to.push_back(&target->endpoint);
      else {
        ++obs.attempts;
        obs.last = services::ReceivedRequest{&target->endpoint, request};
      }
    }
  }
  if (app_observer_ && !mirrored) app_observer_(target->endpoint, request, peer);
  target->app->handle(std::move(request), std::move(respond));
}

void World::run_inbound(Instance& inst, uint32_t port, const PeerInfo& from, HopRequest hop, bool mirrored,
                        std::function<void(TransportResult&&)> reply,
                        const std::shared_ptr<proxy::StreamReset>& client_reset) {
  if (inst.endpoint.gateway_proxy && inst.sidecar) {
    if (hop.message) inst.sidecar->gateway_inbound_message(std::move(*hop.message), from, port, std::move(reply));
    else inst.sidecar->gateway_inbound(std::move(hop.bytes), from, port, std::move(reply));
    return;
  }
  auto app_handler = app_handler_for(inst, mirrored);
  if (inst.sidecar) {
    if (!hop.message) {
      inst.sidecar->inbound(std::move(hop.bytes), from, port, app_handler, std::move(reply), client_reset);
      return;
    }
    uint64_t wire_bytes = proxy::serialized_size(*hop.message);  // as HTTP/1.1 would frame it: no HPACK model
    inst.sidecar->inbound_message(std::move(*hop.message), wire_bytes, from, port, app_handler, std::move(reply),
                                  client_reset);
    return;
  }
  // No sidecar: a client that insists on TLS fails its handshake (Envoy
  // counts it a connect failure: UF, "transport failure reason: TLS_error")...
  if (from.tls_only) {
    reply({.connected = false, .failure = std::string(proxy::transport_failure::kTlsHandshake)});
    return;
  }
  // ...otherwise the app's own server decodes the hop and answers on it.
  HttpRequest request;
  if (hop.message) {
    request = std::move(*hop.message);
  } else if (proxy::DecodeOutcome outcome; !proxy::parse_request(hop.bytes, request, &outcome)) {
    HttpResponse bad;
    bad.status = outcome.error_status ? outcome.error_status : 400;  // the codec says which (431, 501, ...)
    reply({.connected = true, .response_bytes = proxy::serialize(bad), .plaintext = true});
    return;
  }
  proxy::WireProtocol protocol = request.protocol;
  app_handler(std::move(request), from, [reply = std::move(reply), protocol](HttpResponse&& r) {
    TransportResult tr{.connected = true, .plaintext = true};
    tr.overcount = r.overcount;
    r.protocol = protocol;
    if (protocol == proxy::WireProtocol::kHttp1) tr.response_bytes = proxy::serialize(r);
    else tr.decoded = std::move(r);
    reply(std::move(tr));
  });
}

void World::send_message(const Endpoint& to, uint32_t port, const PeerInfo& from, const HttpRequest& request,
                         std::function<void(TransportResult&&)> done, const std::shared_ptr<proxy::StreamReset>& reset) {
  deliver(to, port, from, HopRequest::of(request), false, std::move(done), reset);
}

void World::send_mirror_message(const Endpoint& to, uint32_t port, const PeerInfo& from, const HttpRequest& request) {
  deliver(to, port, from, HopRequest::of(request), true, [](TransportResult) {});
}

void World::send(const Endpoint& to, uint32_t port, const PeerInfo& from, std::string request_bytes,
                 std::function<void(TransportResult&&)> done) {
  deliver(to, port, from, HopRequest::http1(std::move(request_bytes)), false, std::move(done));
}

void World::send_mirror(const Endpoint& to, uint32_t port, const PeerInfo& from, std::string request_bytes) {
  deliver(to, port, from, HopRequest::http1(std::move(request_bytes)), true, [](TransportResult) {});
}

void World::connect_unforwarded(std::function<void(TransportResult&&)> done) {
  // iptables: the SYN goes unanswered, `done` is dropped and the caller's
  // connect timeout decides. nftables: rejected, the answer one hop away.
  if (options_.kube_proxy_mode == KubeProxyMode::kIptables) return;
  scheduler_.schedule(options_.link_latency, [done = std::move(done)] {
    done({.connected = false, .failure = std::string(proxy::transport_failure::kRefused)});
  });
}

void World::plain_kubernetes_call(Instance& client, HttpRequest&& request, const std::string& url_host, uint32_t port,
                                  std::function<void(proxy::OutboundResult&&)> done) {
  // No sidecar: DNS to the ClusterIP and kube-proxy's round robin over every
  // ready endpoint; no mesh rules, no identity, no telemetry from this side.
  std::shared_ptr<const proxy::RouteTable> snapshot = snapshot_.get();  // `target` points into it
  const auto& table = *snapshot;
  const Endpoint* target = table.endpoint_by_ip(proxy::strip_port(url_host));
  const proxy::ServiceInfo* svc = nullptr;
  if (target == nullptr) {
    svc = table.service(proxy::client_fqdn(url_host, client.endpoint.ns));
    if (svc == nullptr) target = table.external_endpoint(url_host);  // a host outside the cluster
    if (svc == nullptr && target == nullptr) {
      proxy::OutboundResult r;
      r.error = "Could not resolve host: " + std::string(proxy::strip_port(url_host));
      done(std::move(r));
      return;
    }
    if (target == nullptr && svc->endpoints.empty()) {
      proxy::OutboundResult r;
      r.error = "Failed to connect: connection refused";
      done(std::move(r));
      return;
    }
  }
  if (target == nullptr) {
    auto key = std::tuple<std::string_view, std::string_view, std::string_view>(client.endpoint.ns, client.endpoint.pod,
                                                                               svc->fqdn);
    auto it = kube_round_robin_.find(key);
    if (it == kube_round_robin_.end()) it = kube_round_robin_.emplace(key, 0).first;
    size_t& rr = it->second;
    target = &table.endpoints()[svc->endpoints[rr++ % svc->endpoints.size()]];
  }
  if (request.authority.empty()) request.authority = url_host;
  if (!request.headers.has("x-request-id"))
    request.headers.set("x-request-id", fmt::format("plain-{:016x}", sidecar_random_.next()));
  const PeerInfo& peer = client.plain_identity;  // lives as long as the world (deliver keeps a pointer)
  uint32_t target_port = svc ? svc->target_port(port, *target) : port;
  TimePoint start = scheduler_.now();
  deliver(*target, target_port, peer, HopRequest::of(request), false,
       [this, target, start, snapshot = std::move(snapshot), done = std::move(done)](TransportResult&& tr) {
         proxy::OutboundResult r;
         r.snapshot = snapshot;  // served_by points into it
         r.attempts = 1;
         r.flags = "-";
         r.duration = scheduler_.now() - start - tr.overcount;
         r.overcount = tr.overcount;
         // The server's sidecar still enforces its AuthorizationPolicies: its verdict explains a 403.
         r.dry_run = std::move(tr.dry_run);
         r.authz = std::move(tr.authz);
         if (!tr.connected) {
           r.error = "Recv failure: Connection reset by peer";
         } else {
           HttpResponse response;
           if (proxy::take_response(tr, response)) {
             response.overcount = tr.overcount;
             r.response = std::move(response);
             r.served_by = target;
           } else {
             r.error = "invalid response";
           }
         }
         done(std::move(r));
       });
}

bool World::has_sidecar(const std::string& ns, const std::string& workload) {
  const Endpoint* e = snapshot_.current().endpoint_by_workload(ns, workload);
  Instance* inst = e ? instance_for(*e) : nullptr;
  return inst != nullptr && inst->sidecar != nullptr;
}

bool World::send(const std::string& ns, const std::string& from, HttpRequest&& request, const std::string& url_host,
                 uint32_t port, std::function<void(CallResult&&)> done, Observe observe) {
  const Endpoint* e = snapshot_.current().endpoint_by_workload(ns, from);
  if (e == nullptr) return false;
  Instance* client = instance_for(*e);
  if (client == nullptr) return false;
  // Every request leaves its client with an x-request-id, as Envoy's HCM
  // would add one, so apps can propagate it and telemetry can follow it.
  if (!request.headers.has("x-request-id"))
    request.headers.set("x-request-id", fmt::format("{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", sidecar_random_.next() >> 32,
                                                    sidecar_random_.next() >> 48, sidecar_random_.next() >> 52,
                                                    sidecar_random_.next() >> 52, sidecar_random_.next() >> 16));
  std::function<void(proxy::OutboundResult&&)> with_observed;
  if (observe == Observe::kResponseOnly) {
    with_observed = [done = std::move(done)](proxy::OutboundResult&& out) {
      CallResult result;
      result.outbound = std::move(out);
      done(std::move(result));
    };
  } else {
    std::string id = std::to_string(++call_counter_);
    request.headers.set_checked(kCallMarker, id);  // digits
    observed_[id];  // pending until the caller has its answer
    with_observed = [this, id, done = std::move(done)](proxy::OutboundResult&& out) {
      CallResult result;
      result.outbound = std::move(out);
      if (auto it = observed_.find(id); it != observed_.end()) {
        result.upstream = std::move(it->second.last);
        result.upstream_attempts = it->second.attempts;
        result.mirrored_to = std::move(it->second.mirrored_to);
        observed_.erase(it);
      }
      // Sent to a gateway (an egress gateway on the way out): what served it
      // is the app behind, as for a client outside the cluster.
      if (const Endpoint* via = result.outbound.served_by; via && via->gateway_proxy && result.upstream)
        result.outbound.served_by = result.upstream->endpoint;
      done(std::move(result));
    };
  }
  // The app -> sidecar hop is an event of its own, so a client that sends
  // again from a response callback queues behind work already due now.
  // Retired instances stay alive: the pod's current one is found when the event runs.
  scheduler_.schedule(Duration(0), [this, client, request = std::move(request), url_host, port,
                                    with_observed = std::move(with_observed)]() mutable {
    Instance* current = current_instance_of(*client);
    if (current == nullptr) {
      proxy::OutboundResult gone;
      gone.error = "client workload was removed";
      with_observed(std::move(gone));
      return;
    }
    send_from(*current, std::move(request), url_host, port, std::move(with_observed));
  });
  return true;
}

void World::send_from(Instance& client, HttpRequest&& request, const std::string& url_host, uint32_t port,
                      std::function<void(proxy::OutboundResult&&)> done) {
  if (client.sidecar) client.sidecar->outbound(std::move(request), url_host, port, std::move(done));
  else plain_kubernetes_call(client, std::move(request), url_host, port, std::move(done));
}

std::optional<CallResult> World::call(const std::string& ns, const std::string& from, HttpRequest request,
                                      const std::string& url_host, uint32_t port) {
  std::optional<CallResult> out;
  if (!send(ns, from, std::move(request), url_host, port, [&out](CallResult&& r) { out = std::move(r); })) return std::nullopt;
  scheduler_.run();
  return out;
}

void World::send_outside(HttpRequest&& request, const std::string& url_host, uint32_t port,
                         std::function<void(CallResult&&)> done, const std::string& client_ip) {
  const proxy::PeerInfo* client = &outside_identity_;
  if (!client_ip.empty() && client_ip != outside_identity_.ip) {
    auto [it, made] = outside_identities_.try_emplace(client_ip);
    if (made) it->second.ip = client_ip;
    client = &it->second;
  }
  std::shared_ptr<const proxy::RouteTable> snapshot = snapshot_.get();  // `target` points into it
  const auto& table = *snapshot;
  auto fail = [&](std::string error) {
    CallResult r;
    r.outbound.error = std::move(error);
    scheduler_.schedule(Duration(0), [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  };
  // <service>.<namespace> resolves as the cluster's DNS would from any namespace.
  std::string host(proxy::strip_port(url_host));
  const proxy::ServiceInfo* svc = table.service(proxy::client_fqdn(host, "default"));
  if (svc == nullptr) return fail("Could not resolve host: " + host);
  if (!svc->has_port(port) || svc->endpoints.empty()) return fail("Failed to connect: connection refused");
  auto key = std::tuple<std::string_view, std::string_view, std::string_view>("", "@outside", svc->fqdn);
  auto it = kube_round_robin_.find(key);
  if (it == kube_round_robin_.end()) it = kube_round_robin_.emplace(key, 0).first;
  const Endpoint* target = &table.endpoints()[svc->endpoints[it->second++ % svc->endpoints.size()]];
  if (request.authority.empty()) request.authority = url_host;
  std::string id = std::to_string(++call_counter_);
  request.headers.set_checked(kCallMarker, id);  // digits
  observed_[id];
  TimePoint start = scheduler_.now();
  send(*target, svc->target_port(port, *target), *client, proxy::serialize(request),
       [this, id, start, snapshot = std::move(snapshot), done = std::move(done)](TransportResult&& tr) {
         CallResult result;
         proxy::OutboundResult& r = result.outbound;
         r.snapshot = snapshot;  // served_by points into it
         r.attempts = 1;
         r.flags = tr.proxy_flags.empty() ? "-" : tr.proxy_flags;
         r.duration = scheduler_.now() - start - tr.overcount;
         r.overcount = tr.overcount;
         HttpResponse response;
         if (!tr.connected)
           r.error = "Recv failure: " + (tr.failure.empty() || tr.failure == proxy::transport_failure::kReset
                                             ? std::string("Connection reset by peer") : tr.failure);
         else if (proxy::take_response(tr, response)) r.response = std::move(response);
         else r.error = "invalid response";
         if (auto o = observed_.find(id); o != observed_.end()) {
           result.upstream = std::move(o->second.last);
           result.upstream_attempts = o->second.attempts;
           result.mirrored_to = std::move(o->second.mirrored_to);
           observed_.erase(o);
         }
         // Who served it: the app the request (last) reached, behind any gateway.
         if (r.response && result.upstream) r.served_by = result.upstream->endpoint;
         done(std::move(result));
       });
}

CallResult World::call_outside(HttpRequest request, const std::string& url_host, uint32_t port,
                               const std::string& client_ip) {
  std::optional<CallResult> out;
  send_outside(std::move(request), url_host, port, [&out](CallResult&& r) { out = std::move(r); }, client_ip);
  scheduler_.run();
  return out ? std::move(*out) : CallResult{};
}

std::optional<ParsedUrl> parse_url(const std::string& url, std::string* error) {
  std::string_view s = url;
  ParsedUrl out;
  if (s.starts_with("http://")) s.remove_prefix(7);
  else if (s.find("://") != std::string_view::npos) {
    if (error) *error = "unsupported scheme in \"" + url + "\" (meshsim speaks http:// inside the mesh)";
    return std::nullopt;
  }
  auto path_start = s.find_first_of("/?#");
  std::string_view authority = s.substr(0, path_start);
  std::string_view rest = path_start == std::string_view::npos ? std::string_view{} : s.substr(path_start);
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);  // never sent
  if (authority.empty()) {
    if (error) *error = "no host in \"" + url + "\"";
    return std::nullopt;
  }
  out.host = std::string(proxy::strip_port(authority));
  if (authority.size() > out.host.size()) {
    std::string_view port = authority.substr(out.host.size() + 1);
    uint32_t p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || p > 65535) {
        if (error) *error = "bad port in \"" + url + "\"";
        return std::nullopt;
      }
      p = p * 10 + static_cast<uint32_t>(c - '0');
    }
    if (p == 0 || p > 65535) {
      if (error) *error = "bad port in \"" + url + "\"";
      return std::nullopt;
    }
    out.port = p;
    out.explicit_port = true;
  }
  out.target = rest.empty() ? "/" : (rest[0] == '?' ? "/" + std::string(rest) : std::string(rest));
  return out;
}

}  // namespace meshsim::sim
