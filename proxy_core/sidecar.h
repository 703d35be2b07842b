// One sidecar: the client side (outbound: route, fault, retry, timeout,
// mirror, load balancing, circuit breaking, outlier detection) and the
// server side (inbound: peer authentication, authorization) of a workload
// instance. Sans-IO: time, randomness and the network come in through
// SidecarEnv. Single-threaded: all calls and callbacks on one executor.
// The world owns sidecars; a sidecar holds per-cluster state only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proxy_core/authz.h"
#include "proxy_core/codec.h"
#include "proxy_core/env.h"
#include "proxy_core/grpc.h"
#include "proxy_core/router.h"
#include "proxy_core/telemetry.h"

namespace meshsim::proxy {

// What crosses a connection besides bytes: the mTLS handshake's outcome.
struct PeerInfo {
  bool mtls = false;         // both ends have sidecars
  // The client's cluster has TLS for every endpoint, with no plain-text
  // fallback for a pod without a sidecar: a DestinationRule's own
  // ISTIO_MUTUAL, where auto mTLS matches per endpoint (cluster_tls.go
  // applyUpstreamTLSSettings).
  bool tls_only = false;
  std::string principal;     // client identity when mtls
  std::string ns;            // client namespace
  std::string ip;            // client address
  // The SNI the client's TLS handshake names, which the server's RBAC
  // matches as `connection.sni` (Envoy's requested_server_name); empty for
  // a plain-text connection. A client sidecar names its cluster:
  // outbound_.<port>_.<subset>_.<host> (istio_mtls_sni, route_table.h).
  std::string sni;
  const Endpoint* endpoint = nullptr;
  // Its endpoint's telemetry_id when made: a report trusts it while the endpoint still has that number.
  uint32_t telemetry_id = 0;
};

struct TransportResult {
  bool connected = false;     // false: connection refused/reset before a response
  std::string failure;        // "connection failure", "connection reset"
  std::string response_bytes;           // empty when `decoded` is set
  std::optional<HttpResponse> decoded;  // the response, when the transport already parsed it
  bool plaintext = false;  // answered by a server without a sidecar: no mTLS, no peer certificate
  std::string proxy_flags;  // the response flags a gateway proxy that answered logged ("" when not a gateway)
  // The server-side RBAC's dry-run verdicts (Envoy dynamic metadata, seen in
  // its access log and trace tags), carried back for display only.
  std::vector<ShadowDecision> dry_run;
  // The server-side RBAC's enforced verdict in words (AuthzDecision::text),
  // empty when no AuthorizationPolicy selects the workload; for explanations.
  std::string authz;

  // Simulated time this hop counted beyond what it took, down the whole call
  // tree below it. Zero in the simulated network. A live network (meshsim
  // serve) carries bytes over real sockets while the simulated clock runs at
  // --speed, so a hop's real network time shows up `speed` times over; it
  // reports the difference, and every duration measured across the hop
  // (Envoy's request duration, x-envoy-upstream-service-time) subtracts it:
  // a duration is simulated service time plus real network time.
  Duration overcount{0};
};

// The response a transport delivered: `decoded` when set, else parsed from
// `response_bytes`. False when the bytes are not a valid response.
bool take_response(TransportResult& result, HttpResponse& out, DecodeOutcome* outcome = nullptr);

// One attempt's stream as the server's proxy sees it end. Envoy's router
// resets the upstream stream when it gives up on an attempt before the
// response (a route timeout, router.cc onResponseTimeout; a per-try timeout,
// onPerTryTimeoutCommon), and the server's connection manager ends its side
// of the exchange then. The client's sidecar owns one per attempt that may be
// given up on; a transport that can tell the server carries it there.
// Single-threaded.
class StreamReset {
 public:
  // The client's side; only the first call counts.
  void reset() {
    if (reset_) return;
    reset_ = true;
    if (then_) std::exchange(then_, nullptr)();
  }
  // The server's side: `then` runs once, when the client resets.
  void on_reset(std::function<void()> then) {
    if (reset_) return then();
    then_ = std::move(then);
  }
  // The transport's side: the attempt goes to an app without a sidecar, so
  // its connection is plain text. A client that gives up before any answer
  // reports its peer by this (no certificate, no principals).
  void mark_plaintext_server() { plaintext_server_ = true; }
  bool plaintext_server() const { return plaintext_server_; }

 private:
  bool reset_ = false;
  bool plaintext_server_ = false;
  std::function<void()> then_;
};

// Delivers serialized requests to an endpoint's port and calls back once.
// `from` must outlive the delivery: the simulated world keeps a pointer to
// it until the request arrives (callers pass a sidecar's identity, alive
// as long as the sidecar, or one the world owns).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void send(const Endpoint& to, uint32_t port, const PeerInfo& from, std::string request_bytes,
                    std::function<void(TransportResult&&)> done) = 0;
  // A copy that nobody waits for (mirroring).
  virtual void send_mirror(const Endpoint& to, uint32_t port, const PeerInfo& from, std::string request_bytes) = 0;
  // The protocol-neutral entry the sidecar uses: a decoded request, already
  // translated for its hop (wire_protocol.h), sent on `request.protocol`.
  // The default encodes it with the HTTP/1.1 codec, which is all a
  // transport without HTTP/2 speaks; the simulated world carries HTTP/2
  // hops as messages, and a live transport encodes them with the HTTP/2 codec.
  // `reset`, when given, fires if the sidecar gives up on the attempt; the
  // simulated world tells the server's sidecar, other transports ignore it.
  virtual void send_message(const Endpoint& to, uint32_t port, const PeerInfo& from, const HttpRequest& request,
                            std::function<void(TransportResult&&)> done,
                            [[maybe_unused]] const std::shared_ptr<StreamReset>& reset) {
    send(to, port, from, serialize(request), std::move(done));
  }
  virtual void send_mirror_message(const Endpoint& to, uint32_t port, const PeerInfo& from, const HttpRequest& request) {
    send_mirror(to, port, from, serialize(request));
  }
  // A connection to an address nothing forwards: a Service's cluster IP on
  // a port the Service does not declare, for which kube-proxy has no rule.
  // Calls `done` (connected false) when the network refuses it; never when
  // it drops the SYN, and the caller's connect timeout ends the wait. The
  // default refuses at once: a live transport has nothing there to reach.
  virtual void connect_unforwarded(std::function<void(TransportResult&&)> done) {
    done({.connected = false, .failure = "connection refused"});
  }
};

// Holds the current routing snapshot; a push swaps it whole.
class SnapshotHolder {
 public:
  std::shared_ptr<const RouteTable> get() const { return snapshot_; }
  // For synchronous use only: a push may replace it once the caller returns.
  const RouteTable& current() const { return *snapshot_; }
  void set(std::shared_ptr<const RouteTable> snapshot) { snapshot_ = std::move(snapshot); }

 private:
  std::shared_ptr<const RouteTable> snapshot_;
};

struct SidecarEnv {
  Clock* clock = nullptr;
  Timers* timers = nullptr;
  Random* random = nullptr;
  Transport* transport = nullptr;
  TelemetrySink* telemetry = nullptr;  // may be null
  const SnapshotHolder* snapshot = nullptr;
  int64_t unix_epoch_us = kDefaultUnixEpochUs;  // what the clock's zero is in Unix time (Date headers)
  // Istio's meshConfig.defaultConfig.tracing.sampling: Envoy's random_sampling, in percent.
  double trace_sampling_percent = 1.0;
  // The grpc-status of a route timeout's local reply to a gRPC request (grpc.h).
  GrpcTimeoutCode grpc_timeout_code = GrpcTimeoutCode::kUnavailable;
  // Wall microseconds per clock microsecond in Unix time (Date headers, JWT
  // lifetimes): 1/--speed in `meshsim serve`, where the clock runs at --speed.
  double wall_per_clock = 1.0;
  int64_t unix_now_us() const {
    int64_t t = clock->now().count();
    return unix_epoch_us + (wall_per_clock == 1.0 ? t : static_cast<int64_t>(static_cast<double>(t) * wall_per_clock));
  }
};

// Whether a request is traced, as the first Envoy on its path decides it and
// every later one honours it: the decision its trace context carries (B3
// x-b3-sampled, else the W3C traceparent's sampled flag; Envoy's Zipkin
// tracer takes it from there), else Envoy's own
// (source/common/http/conn_manager_utility.cc mutateTracingRequestHeader):
// x-client-trace-id forces it (client_sampling, 100% by default),
// x-envoy-force-trace forces it, else the x-request-id's integer (the UUID's
// last 8 hex digits, request_id/uuid UUIDRequestIDExtension::getInteger)
// modulo 10000 below sampling percent x 100 (random_sampling, a
// TEN_THOUSAND fraction in http_connection_manager/config.cc).
bool tracing_decision(const HeaderMap& headers, double sampling_percent);

struct OutboundResult {
  std::optional<HttpResponse> response;  // none: the client saw a connection error
  std::string error;                     // curl-style error when no response
  std::string flags;                     // Envoy response flags, comma-joined, "-" if none
  int attempts = 0;
  const Endpoint* served_by = nullptr;
  // The rule that routed the call (none: no VirtualService or HTTPRoute
  // rule matched) and its cluster (none: the router chose none, for its own
  // local reply or an unresolvable host), named on demand: a call keeps
  // pointers into the snapshot it was routed with, which `snapshot` keeps
  // alive, rather than copies of their names (issue 20).
  std::optional<RouteInfo> route() const { return route_ref ? std::optional<RouteInfo>(describe(*route_ref)) : std::nullopt; }
  std::string_view cluster() const { return routed_cluster ? std::string_view(routed_cluster->name) : std::string_view(); }
  std::shared_ptr<const RouteTable> snapshot;
  std::optional<RouteRef> route_ref;
  const Cluster* routed_cluster = nullptr;
  std::shared_ptr<const Cluster> owned_cluster;  // routed_cluster's owner when the snapshot does not hold it
  std::vector<const Endpoint*> mirrored_to;
  Duration duration{0};
  std::vector<ShadowDecision> dry_run;  // the serving sidecar's dry-run AuthorizationPolicy verdicts
  std::string authz;  // the serving sidecar's enforced AuthorizationPolicy verdict in words; empty: none selects it

  Duration overcount{0};  // subtracted from `duration`: the attempts' TransportResult::overcount
};

// Envoy's RBAC filter on a workload's inbound side: the workload's
// AuthorizationPolicies against a request from `peer` on `port`, with the
// identity of its verified JWT when there is one (`connection.sni` reads
// the peer's SNI). Returns the 403
// "RBAC: access denied" reply, or nothing when the request is allowed;
// `dry_run`, when given, receives the shadow verdicts of dry-run policies.
std::optional<HttpResponse> inbound_rbac(const RouteTable& table, const Endpoint& self, const PeerInfo& peer, uint32_t port,
                                         const HttpRequest& request, const RequestAuth* auth = nullptr,
                                         std::vector<ShadowDecision>* dry_run = nullptr, std::string* verdict = nullptr);

// The HTTP filters Istio puts in front of a workload (or gateway) that
// decide whether a request goes on: jwt_authn from RequestAuthentication,
// then RBAC from AuthorizationPolicy (given the verified JWT). Returns the
// 401/403 local reply, or nothing and `request` as the next filter sees it
// (verified token removed, claim headers added). `now_s` is Unix time.
std::optional<HttpResponse> inbound_http_filters(const RouteTable& table, const Endpoint& self, const PeerInfo& peer,
                                                 uint32_t port, HttpRequest& request, int64_t now_s,
                                                 std::vector<ShadowDecision>* dry_run = nullptr, std::string* verdict = nullptr);

// The local application behind an inbound sidecar.
using AppHandler = std::function<void(HttpRequest&&, const PeerInfo&, std::function<void(HttpResponse&&)>)>;

class Sidecar {
 public:
  // `self` is the workload instance this sidecar belongs to (null for an
  // external client such as `meshsim curl`'s default source).
  Sidecar(const Endpoint* self, std::string ns, Labels labels, SidecarEnv env);
  ~Sidecar();

  void outbound(HttpRequest&& request, std::string url_host, uint32_t port, std::function<void(OutboundResult&&)> done);
  // `client_reset`, when given, fires if the client's proxy gives up on the
  // request (StreamReset); without one the client is assumed to wait.
  void inbound(std::string request_bytes, const PeerInfo& peer, uint32_t port, const AppHandler& app,
               std::function<void(TransportResult&&)> done, const std::shared_ptr<StreamReset>& client_reset = nullptr);
  // A gateway proxy's listener on `port` (an Istio Gateway server's port,
  // resolved to the pod's port): routes the request by the Gateway's virtual
  // hosts and forwards it as a client would; no listener -> connection refused.
  void gateway_inbound(std::string request_bytes, const PeerInfo& peer, uint32_t port,
                       std::function<void(TransportResult&&)> done);
  // The same for a request a transport already decoded (an HTTP/2 hop, h2c
  // on the gateway's port); the reply goes back decoded, on that protocol.
  void gateway_inbound_message(HttpRequest&& request, const PeerInfo& peer, uint32_t port,
                               std::function<void(TransportResult&&)> done, uint64_t wire_bytes = 0);
  // The same for a request a transport already decoded (an HTTP/2 hop);
  // `wire_bytes` is its size on the wire, for istio_request_bytes. The reply
  // goes back decoded, on the request's protocol.
  void inbound_message(HttpRequest&& request, uint64_t wire_bytes, const PeerInfo& peer, uint32_t port,
                       const AppHandler& app, std::function<void(TransportResult&&)> done,
                       const std::shared_ptr<StreamReset>& client_reset = nullptr);
  const PeerInfo& identity() const { return identity_; }

  // Envoy's HTTP connection manager on every response it encodes downstream
  // (conn_manager_impl.cc ActiveStream::encodeHeaders): a Date when the
  // response has none, and Server overwritten with the listener's
  // server_name (Istio sets server_header_transformation OVERWRITE).
  void add_connection_manager_headers(HttpResponse& response, std::string_view server_name);
  // The server_name of this proxy's outbound listeners: Envoy's default
  // "envoy" on a sidecar (Istio leaves it unset there), "istio-envoy" on a
  // gateway (pilot/pkg/networking/util/proxy_headers.go GetProxyHeadersFromProxyConfig).
  std::string_view outbound_server_name() const { return gateway_ ? "istio-envoy" : "envoy"; }

 private:
  friend struct OutboundCall;
  struct ClusterState;
  ClusterState& cluster_state(const std::string& name);
  // The route decisions' inputs that depend only on this client, the host
  // and port (route_memo.h), for the snapshot the last request used; with
  // the state of the snapshot's precompiled clusters this sidecar reached.
  std::unique_ptr<RouteMemo> route_memo_;
  std::vector<std::pair<const Cluster*, ClusterState*>> state_by_cluster_;
  void follow_snapshot(const std::shared_ptr<const RouteTable>& table);
  ClusterState& state_of_precompiled(const Cluster& cluster);
  // What the current snapshot answers for this workload's inbound side on a
  // port (its Service, the inbound cluster's protocol and pool, the JWT
  // providers and AuthorizationPolicies that select it), derived once per
  // snapshot and port, as Envoy builds its inbound listener when the config
  // arrives: deriving them per hop matched the workload against the
  // snapshot's copy of its endpoint every time, a dozen cold cache lines
  // per hop in a large mesh (issue 20).
  // Envoy's ext_authz HTTP client (ext_authz_http_impl.cc): sends `check`
  // to the provider's cluster, outbound|port||host, as an async client does:
  // no VirtualService, no retries, the provider's timeout, no client-side
  // report. `trace` continues the inbound request's trace with a child span.
  // Calls back with the answer, none when the check got none.
  void send_ext_authz_check(const std::shared_ptr<const RouteTable>& table, const ExtensionProvider& provider,
                            const ServiceInfo& service, HttpRequest&& check, std::function<void(OutboundResult&&)> done);
  struct InboundAnswers;
  const InboundAnswers& inbound_answers(const std::shared_ptr<const RouteTable>& table, uint32_t port);
  std::weak_ptr<const RouteTable> answers_table_;  // the snapshot inbound_answers_ belong to
  std::vector<InboundAnswers> inbound_answers_;
  const Endpoint* self_;
  std::string ns_;
  Labels labels_;
  SidecarEnv env_;
  std::map<std::string, std::unique_ptr<ClusterState>> clusters_;
  PeerInfo identity_;  // what this sidecar presents in mTLS handshakes
  PeerInfo plaintext_identity_;  // what a plaintext connection shows: its address, no principal
  PeerInfo istio_mutual_identity_;  // identity_ for a cluster whose DestinationRule says ISTIO_MUTUAL
  // identity_ ([0]) and istio_mutual_identity_ ([1]) with an SNI, by SNI:
  // one per cluster this sidecar opened TLS connections to, made on first
  // use and kept as long as the sidecar, as a transport keeps a pointer to
  // what a hop presents. A hop picks one by pointer (ClusterState caches
  // it): no string is copied per hop (issue 20). Bounded by the clusters
  // (and DestinationRule `tls.sni` values) the sidecar has used.
  std::map<std::string, PeerInfo, std::less<>> identities_by_sni_[2];
  const PeerInfo& identity_with_sni(bool istio_mutual, std::string_view sni);
  bool gateway_ = false;  // an ingress or egress gateway's Envoy, not a sidecar
  int64_t date_second_ = -1;  // the second date_ shows, as Envoy's cached DateProvider
  std::string date_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Text a report or a request builds rather than points at (reports are
  // views, and header values are copied in); these keep their capacity from
  // one request to the next.
  std::string report_route_, header_scratch_;
};

}  // namespace meshsim::proxy
