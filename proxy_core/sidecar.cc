#include "proxy_core/sidecar.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>

#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <boost/smart_ptr/intrusive_ref_counter.hpp>

#include "proxy_core/authz.h"
#include "proxy_core/ext_authz.h"
#include "proxy_core/field_slots.h"
#include "proxy_core/gateway_routes.h"
#include "proxy_core/hash.h"
#include "proxy_core/hosts.h"
#include "proxy_core/http2_pool.h"
#include "proxy_core/route_memo.h"
#include "proxy_core/telemetry_ids.h"
#include "proxy_core/upstream_reset.h"
#include "proxy_core/wire_protocol.h"

namespace meshsim::proxy {

namespace {

constexpr const char* kNoHealthyUpstream = "no healthy upstream";
// What curl says when the proxy closes the connection it has not read
// from: the close of a socket with unread bytes is a reset.
constexpr const char* kConnectionReset = "Recv failure: Connection reset by peer";
constexpr const char* kTimeoutBody = "upstream request timeout";
constexpr const char* kFaultAbortBody = "fault filter abort";
constexpr const char* kRbacDeniedBody = "RBAC: access denied";
// Envoy's retry back-off caps at 10x the base interval (router_filter.rst).
constexpr int kMaxIntervalFactor = 10;
// Istio's circuit-breaker thresholds when a DestinationRule sets none
// (cluster_traffic_policy.go getDefaultCircuitBreakerThresholds): MaxUint32,
// not Envoy's 1024.
constexpr int64_t kDefaultMaxConnections = UINT32_MAX;
constexpr int64_t kDefaultMaxPending = UINT32_MAX;
constexpr int64_t kDefaultMaxRetries = UINT32_MAX;
// Envoy outlier detection defaults (outlier_detection.proto).
constexpr int kDefaultConsecutive5xx = 5;
constexpr int kDefaultConsecutiveLocalOrigin = 5;
constexpr Duration kDefaultBaseEjection{30'000'000};
constexpr Duration kDefaultInterval{10'000'000};
constexpr Duration kDefaultMaxEjection{300'000'000};  // max_ejection_time; Istio does not set it
constexpr int kDefaultMaxEjectionPercent = 10;

// The value of cookie `name` in the request's Cookie header (Envoy
// Utility::parseCookieValue: pairs split at ';', leading spaces skipped,
// quotes around the value dropped), or nullopt when it is not there.
std::optional<std::string_view> cookie_value(const HeaderMap& headers, std::string_view name) {
  std::string_view rest = headers.get("cookie").value_or("");
  while (!rest.empty()) {
    size_t end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    std::string_view value = pair.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return value;
  }
  return std::nullopt;
}

HttpResponse text_reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  if (!r.body.empty()) r.headers.set("content-type", "text/plain");
  return r;
}

// Two hex digits per byte, from one table: ids are written for every request.
constexpr std::array<char, 512> kHexPairs = [] {
  std::array<char, 512> t{};
  constexpr char kDigits[] = "0123456789abcdef";
  for (int b = 0; b < 256; ++b) {
    t[2 * b] = kDigits[b >> 4];
    t[2 * b + 1] = kDigits[b & 0xf];
  }
  return t;
}();

// The low `width` hex digits of v (an even width), zero-padded, at `out`.
void write_hex(char* out, uint64_t v, int width) {
  for (int i = width - 2; i >= 0; i -= 2, v >>= 8) std::memcpy(out + i, &kHexPairs[2 * (v & 0xff)], 2);
}
void append_hex(std::string& out, uint64_t v, int width) {
  char digits[16];
  write_hex(digits, v, width);
  out.append(digits, static_cast<size_t>(width));
}

// The value Envoy's router gives a consistent-hash cookie it generates
// (router.h addDownstreamSetCookie): 16 hex digits of a hash of the
// downstream connection's remote and local addresses, the same for every
// request on that connection. meshsim has no client ports: the connection
// is the client's address (the downstream peer's: a gateway's client, not
// the gateway) and the host and port it called.
std::string generated_cookie_value(std::string_view client_ip, std::string_view called_host, uint32_t called_port) {
  std::string connection = std::string(client_ip) + " " + std::string(called_host) + ":" + std::to_string(called_port);
  std::string value;
  append_hex(value, fnv1a(connection), 16);
  return value;
}

// Set-Cookie as Envoy writes a generated cookie (http/utility.cc
// makeSetCookieValue, called with httponly true): the value quoted,
// Max-Age only for a ttl of whole seconds (a zero ttl makes a session
// cookie), Path when set, the attributes, then HttpOnly.
std::string set_cookie_value(const ConsistentHash& h, std::string_view value) {
  std::string out = h.http_cookie_name + "=\"" + std::string(value) + "\"";
  auto max_age = std::chrono::duration_cast<std::chrono::seconds>(*h.http_cookie_ttl).count();
  if (max_age != 0) out += "; Max-Age=" + std::to_string(max_age);
  if (!h.http_cookie_path.empty()) out += "; Path=" + h.http_cookie_path;
  for (const auto& [name, attribute_value] : h.http_cookie_attributes)
    out += attribute_value.empty() ? "; " + name : "; " + name + "=" + attribute_value;
  out += "; HttpOnly";
  return out;
}

// A trace or span id, kept inline so an id costs no allocation per request:
// W3C and B3 ids are 16 or 32 hex digits. A longer value from a header is no
// valid id of either format and is cut to the capacity.
class TraceId {
 public:
  void assign(std::string_view s) {
    size_ = static_cast<uint8_t>(std::min(s.size(), kCapacity));
    if (size_ > 0) std::memcpy(text_, s.data(), size_);  // an empty view may be null
  }
  void append_hex(uint64_t v) {  // 16 more digits
    if (size_ + size_t{16} > kCapacity) return;
    write_hex(text_ + size_, v, 16);
    size_ += 16;
  }
  bool empty() const { return size_ == 0; }
  operator std::string_view() const { return {text_, size_}; }  // NOLINT: used where text is

 private:
  static constexpr size_t kCapacity = 64;
  char text_[kCapacity];
  uint8_t size_ = 0;
};

// The W3C traceparent of a span, 00-<trace id>-<span id>-<flags>, into
// `out` (a scratch string whose capacity is reused).
std::string_view traceparent(std::string& out, std::string_view trace_id, std::string_view span_id, bool sampled) {
  out.clear();
  out.append("00-").append(trace_id).append("-").append(span_id).append(sampled ? "-01" : "-00");
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The workload attributes Istio's metrics carry for each side of a request.
void set_source(TelemetryEvent& ev, const Endpoint& e) {
  ev.source_workload = e.workload;
  ev.source_namespace = e.ns;
  ev.source_version = e.version();
  ev.source_app = e.app;
  ev.source_canonical_service = e.canonical_service;
  ev.source_canonical_revision = e.canonical_revision;
}

// The destination_service of an inbound (destination) report: the inbound
// cluster's Service, else the workload's canonical service.
std::string_view inbound_report_service(std::string_view inbound_service, const Endpoint& self) {
  return !inbound_service.empty() ? inbound_service : std::string_view(self.canonical_service);
}

void set_destination(TelemetryEvent& ev, const Endpoint& e) {
  ev.destination_workload = e.workload;
  ev.destination_namespace = e.ns;
  ev.destination_version = e.version();
  ev.destination_principal = e.principal();
  ev.destination_app = e.app;
  ev.destination_canonical_service = e.canonical_service;
  ev.destination_canonical_revision = e.canonical_revision;
}

// The client's peer without metadata exchange: the endpoint metadata istiod
// gives each host, "workload;namespace;canonical service;canonical
// revision;cluster", with no app or version (istio/proxy metadata_object.cc
// convertEndpointMetadata; testdata/metric/client_request_total_endpoint_labels.yaml.tmpl).
void set_destination_from_endpoint_metadata(TelemetryEvent& ev, const Endpoint& e) {
  ev.destination_workload = e.workload;
  ev.destination_namespace = e.ns;
  ev.destination_canonical_service = e.canonical_service;
  ev.destination_canonical_revision = e.canonical_revision;
}

// Envoy writes response flags in the order of its flag bits, not in the
// order they were set (stream_info/utility.cc ResponseFlagUtils::toShortString):
// "UT,DI" for a delayed request that then timed out.
constexpr std::string_view kFlagOrder[] = {"LH", "UH", "UT", "LR", "UR", "UF", "UC", "UO", "NR", "DI", "FI",
                                           "RL", "UAEX", "RLSE", "DC", "URX", "SI", "IH", "DPE", "UMSDR",
                                           "RFCF", "NFCF", "DT", "UPE", "NC", "DR"};

size_t flag_rank(std::string_view flag) {
  for (size_t i = 0; i < std::size(kFlagOrder); ++i)
    if (kFlagOrder[i] == flag) return i;
  return std::size(kFlagOrder);
}

std::string join_flags(std::vector<std::string> flags) {
  if (flags.empty()) return "-";
  std::stable_sort(flags.begin(), flags.end(),
                   [](const std::string& a, const std::string& b) { return flag_rank(a) < flag_rank(b); });
  std::string out;
  for (const auto& f : flags) out += (out.empty() ? "" : ",") + f;
  return out;
}

// Envoy source/common/grpc/status.cc Utility::grpcToHttpStatus: what a
// gRPC status in the response headers counts as for outlier detection.
int grpc_to_http_status(int code) {
  switch (code) {
    case 0: return 200;                         // OK
    case 1: return 499;                         // CANCELLED
    case 3: case 9: case 11: return 400;        // INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE
    case 4: return 504;                         // DEADLINE_EXCEEDED
    case 5: return 404;                         // NOT_FOUND
    case 6: case 10: return 409;                // ALREADY_EXISTS, ABORTED
    case 7: return 403;                         // PERMISSION_DENIED
    case 8: return 429;                         // RESOURCE_EXHAUSTED
    case 12: return 501;                        // UNIMPLEMENTED
    case 14: return 503;                        // UNAVAILABLE
    case 16: return 401;                        // UNAUTHENTICATED
    default: return 500;                        // UNKNOWN, INTERNAL, DATA_LOSS, others
  }
}

// The Istio protocol of the Service port a cluster sends to; traffic to a
// pod IP or an undeclared port is sniffed (PassthroughCluster).
PortProtocol cluster_port_protocol(const Cluster& cluster) {
  if (cluster.service && cluster.service->spec)
    for (const ServicePort& p : cluster.service->spec->ports)
      if (p.port == cluster.port) return port_protocol(p);
  return PortProtocol::kAuto;
}

const ConnectionPoolSettings* pool_of(const TrafficPolicyCore& policy) {
  return policy.connection_pool ? &*policy.connection_pool : nullptr;
}

// The inbound cluster of `self`'s workload port: its Service port's
// protocol, and the DestinationRule connectionPool Istio also applies on
// the server side (cluster_builder.go buildInboundCluster: "only connection
// pool settings make sense on the inbound path"), without the h2 upgrade,
// which is outbound only (applyTrafficPolicy).
// Returns the port's protocol; `pool` receives the connection pool that
// decides for it, `service_port` the Service port (0 when none).
PortProtocol inbound_port_protocol(const RouteTable& table, const Endpoint& self, uint32_t port, std::string_view fqdn,
                                   const ConnectionPoolSettings*& pool, uint32_t& service_port) {
  const ServiceInfo* svc = fqdn.empty() ? nullptr : table.service(fqdn);
  PortProtocol protocol = PortProtocol::kAuto;
  service_port = 0;
  if (svc && svc->spec)
    for (const ServicePort& p : svc->spec->ports)
      if (svc->target_port(p.port, self) == port) {
        protocol = port_protocol(p);
        service_port = p.port;
        break;
      }
  pool = nullptr;
  if (svc && protocol == PortProtocol::kHttp)  // the pool decides only for an http port
    if (const DestinationRule* dr = table.destination_rule(svc->fqdn, self.ns); dr && dr->traffic_policy)
      pool = pool_of(*dr->traffic_policy);
  return protocol;
}

// The trace context's fields a sidecar pass reads and sets, found at once.
// (With x-forwarded-proto, which the inbound connection manager reads in
// the same pass.)
enum TraceField : size_t {
  kRequestId, kTraceparent, kB3TraceId, kB3SpanId, kB3ParentSpanId, kB3Sampled, kClientTraceId, kForceTrace,
  kForwardedProto, kTraceFieldCount
};
constexpr FieldNameSet<kTraceFieldCount> kTraceFieldNames = {std::array<FieldName, kTraceFieldCount>{
    "x-request-id", "traceparent", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled",
    "x-client-trace-id", "x-envoy-force-trace", "x-forwarded-proto"}};
using TraceFields = FieldSlots<kTraceFieldCount>;

bool tracing_decision(const TraceFields& f, double sampling_percent) {
  if (auto b3 = f.get(kB3Sampled)) {
    if (*b3 == "1" || *b3 == "d" || *b3 == "true") return true;
    if (*b3 == "0" || *b3 == "false") return false;
  }
  if (auto parent = f.get(kTraceparent); parent && parent->size() >= 55) {
    int flags = hex_value((*parent)[54]);
    if (flags >= 0) return (flags & 1) != 0;
  }
  if (f.has(kClientTraceId) || f.has(kForceTrace)) return true;
  auto id = f.get(kRequestId);
  if (!id || id->size() < 36) return false;  // no integer: NotTraceable
  uint64_t value = 0;
  for (char c : id->substr(28, 8)) {
    int v = hex_value(c);
    if (v < 0) return false;
    value = value * 16 + static_cast<uint64_t>(v);
  }
  auto numerator = static_cast<uint64_t>(std::floor(sampling_percent * 100));
  return value % 10000 < numerator;
}

}  // namespace

bool tracing_decision(const HeaderMap& headers, double sampling_percent) {
  // The sidecars' own path. FieldSlots takes a map it may edit; this only reads.
  const TraceFields fields(const_cast<HeaderMap&>(headers), kTraceFieldNames);
  return tracing_decision(fields, sampling_percent);
}

bool take_response(TransportResult& result, HttpResponse& out, DecodeOutcome* outcome) {
  if (!result.decoded) return parse_response(result.response_bytes, out, outcome);
  out = std::move(*result.decoded);
  result.decoded.reset();
  return true;
}

// Per sidecar and cluster it sends to: thousands in a large mesh, and one
// is read on every hop, so it stays small (issue 20). A std::deque
// allocates half a KiB when constructed, and few clusters ever queue:
// the queue is made on the first wait. Active requests per host are a
// sorted array, not a tree: a hop reads one or two entries of a few.
struct Sidecar::ClusterState {
  int64_t active = 0;
  std::unique_ptr<std::deque<std::function<bool()>>> pending;  // null: nobody waits
  std::vector<std::pair<size_t, int64_t>> active_by_host;  // for LEAST_REQUEST, by endpoint index
  int64_t& active_to(size_t host) {
    auto it = std::lower_bound(active_by_host.begin(), active_by_host.end(), host,
                               [](const std::pair<size_t, int64_t>& a, size_t h) { return a.first < h; });
    if (it == active_by_host.end() || it->first != host) it = active_by_host.insert(it, {host, 0});
    return it->second;
  }
  Http2Pools h2;  // the HTTP/2 connections to the cluster's hosts
  // Retries scheduled or in flight, across all requests: Envoy's retries
  // resource, capped by the circuit breaker's max_retries.
  int64_t retries_outstanding = 0;
  size_t round_robin = 0;
  struct HostHealth {
    int consecutive_5xx = 0;
    int consecutive_gateway = 0;
    int consecutive_local_origin = 0;
    int eject_backoff = 0;  // Envoy's ejection-time multiplier
    bool ejected = false;   // until the interval tick that returns it
    TimePoint ejected_at{0}, ejected_until{-1};
  };
  std::map<size_t, HostHealth> health;  // by endpoint index
  // The outlier detector's interval timer runs from the cluster's creation;
  // here, from the first request that used it.
  TimePoint created{0};
  // What this sidecar presents on a TLS connection to the cluster, with its
  // SNI (OutboundCall::identity_toward): for auto mTLS ([0]) and
  // ISTIO_MUTUAL ([1]) with the cluster's own SNI, a function of its name;
  // and the last one with a DestinationRule's `tls.sni`. Found once, then
  // picked by pointer per hop.
  const PeerInfo* with_cluster_sni[2] = {nullptr, nullptr};
  const PeerInfo* with_rule_sni = nullptr;
};

struct Sidecar::InboundAnswers {
  uint32_t port = 0;
  std::string_view service;  // the inbound cluster's Service (a view into the snapshot), empty when none
  uint32_t report_service_id = 0;  // of `service` (telemetry_ids.h), 0 when none
  uint32_t service_port = 0;       // the Service port whose targetPort is `port`, 0 when none
  PortProtocol protocol = PortProtocol::kAuto;
  const ConnectionPoolSettings* pool = nullptr;
  const std::vector<JwtProvider>* jwt_providers = nullptr;
  std::vector<const AuthorizationPolicy*> policies;
};

Sidecar::ClusterState& Sidecar::cluster_state(const std::string& name) {
  auto& slot = clusters_[name];
  if (!slot) {
    slot = std::make_unique<ClusterState>();
    slot->created = env_.clock->now();
  }
  return *slot;
}

void Sidecar::follow_snapshot(const std::shared_ptr<const RouteTable>& table) {
  if (!route_memo_) route_memo_ = std::make_unique<RouteMemo>();  // on the first call out
  if (route_memo_->follow(table)) state_by_cluster_.clear();
}

// The snapshot's clusters live as long as it does (follow_snapshot forgets
// them with it); the states, by name, outlive pushes.
Sidecar::ClusterState& Sidecar::state_of_precompiled(const Cluster& cluster) {
  for (const auto& [known, state] : state_by_cluster_)
    if (known == &cluster) return *state;
  ClusterState& state = cluster_state(cluster.name);
  if (state_by_cluster_.size() >= RouteMemo::kMaxEntries) state_by_cluster_.clear();  // a short scan, as the memo's
  state_by_cluster_.emplace_back(&cluster, &state);
  return state;
}

Sidecar::Sidecar(const Endpoint* self, std::string ns, Labels labels, SidecarEnv env)
    : self_(self), ns_(std::move(ns)), labels_(std::move(labels)), env_(env) {
  identity_.mtls = true;
  identity_.endpoint = self_;
  identity_.ns = ns_;
  identity_.ip = self_ ? self_->ip : "10.255.0.1";
  identity_.principal = self_ ? self_->principal() : std::string(kTrustDomain) + "/ns/" + ns_ + "/sa/default";
  identity_.telemetry_id = self_ ? self_->telemetry_id : 0;
  plaintext_identity_ = identity_;
  plaintext_identity_.mtls = false;
  plaintext_identity_.principal.clear();
  istio_mutual_identity_ = identity_;
  istio_mutual_identity_.tls_only = true;
  // Istio's gateway Deployments carry istio: ingressgateway / egressgateway,
  // or ask for the gateway injection template.
  if (auto it = labels_.find("istio"); it != labels_.end()) gateway_ = it->second.ends_with("gateway");
  if (self_ != nullptr && self_->gateway_proxy) gateway_ = true;
}

const PeerInfo& Sidecar::identity_with_sni(bool istio_mutual, std::string_view sni) {
  auto& by_sni = identities_by_sni_[istio_mutual ? 1 : 0];
  auto it = by_sni.find(sni);
  if (it == by_sni.end()) {
    it = by_sni.emplace(std::string(sni), istio_mutual ? istio_mutual_identity_ : identity_).first;
    it->second.sni = it->first;
  }
  return it->second;
}

namespace {
// Envoy formats Date once per second for the whole proxy process
// (TlsCachingDateProviderImpl), not per listener. One cache for every
// sidecar of the thread: in a large mesh each sidecar answers about once a
// simulated second, and a cache per sidecar formatted (and allocated) a
// date for nearly every response (issue 20).
const std::string& cached_http_date(int64_t second) {
  thread_local int64_t cached_second = INT64_MIN;
  thread_local std::string cached;
  if (second != cached_second) {
    cached_second = second;
    cached = http_date(second);
  }
  return cached;
}

enum ConnectionManagerField : size_t { kDate, kServer };
constexpr FieldNameSet<2> kConnectionManagerFieldNames = {std::array<FieldName, 2>{"date", "server"}};
}  // namespace

void Sidecar::add_connection_manager_headers(HttpResponse& response, std::string_view server_name) {
  FieldSlots f(response.headers, kConnectionManagerFieldNames);
  if (!f.has(kDate)) {
    int64_t second = env_.unix_now_us() / 1'000'000;
    if (second != date_second_) {
      date_second_ = second;
      date_ = cached_http_date(second);
    }
    f.set(kDate, date_);
  }
  f.set(kServer, server_name);
}

namespace {
// Envoy's router on a response from upstream, not on a local reply
// (router.cc Filter::onUpstreamHeaders): whole milliseconds since the
// request was complete downstream. Istio keeps it on every listener unless
// proxyHeaders.envoyDebugHeaders is disabled (suppress_envoy_headers).
void add_upstream_service_time(HttpResponse& response, Duration since_request) {
  char digits[24];
  auto written = std::to_chars(digits, digits + sizeof digits,
                               std::chrono::duration_cast<std::chrono::milliseconds>(since_request).count());
  response.headers.set_checked("x-envoy-upstream-service-time", std::string_view(digits, static_cast<size_t>(written.ptr - digits)));
}
}  // namespace

Sidecar::~Sidecar() { *alive_ = false; }


// Per-request state of one outbound call; kept alive by the callbacks it
// schedules. Counted without atomics: a sidecar lives on one thread.
struct OutboundCall : boost::intrusive_ref_counter<OutboundCall, boost::thread_unsafe_counter> {
  Sidecar* sidecar;
  std::shared_ptr<bool> alive;
  std::shared_ptr<const RouteTable> table;
  HttpRequest request;
  std::string url_host;
  uint32_t port = 0;
  std::function<void(OutboundResult&&)> done;
  RouteDecision decision;
  OutboundResult result;
  std::vector<std::string> flags;
  TimePoint start{0};
  int retries_done = 0;
  int backoff_step = 1;
  std::vector<size_t> tried;
  const Endpoint* in_flight_to = nullptr;  // the host of the attempt in flight, if any
  // The latest attempt's host, kept after it ends, and whether its upstream
  // connection was mTLS: the source report's peer (emit_telemetry).
  const Endpoint* upstream_host = nullptr;
  bool upstream_mtls = false;
  bool answered_by_sidecar = false;  // the response came through the pod's sidecar (metadata exchange)
  bool finished = false;
  // A consistent-hash cookie this call generated, and a Set-Cookie per host
  // pick that did so, as Envoy's router keeps them (downstream_set_cookies_).
  std::string generated_cookie;
  std::vector<std::string> routing_set_cookies;
  uint64_t attempt_generation = 0;  // late callbacks of abandoned attempts are ignored
  std::optional<Timers::TimerId> global_timer, per_try_timer;
  std::optional<Timers::TimerId> connect_timer;  // a connect to an unforwarded address
  bool holds_slot = false;
  bool holds_retry = false;  // counts in the cluster's retries_outstanding
  WireProtocol upstream_wire = WireProtocol::kHttp1;  // what the hop to the app's sidecar speaks
  std::optional<Http2Pools::Stream> h2_stream;  // the HTTP/2 stream of the attempt h2_stream_generation
  std::shared_ptr<StreamReset> attempt_reset;   // the latest attempt's, when the call may give up on it
  uint64_t h2_stream_generation = 0;
  TraceId trace_id, span_id, parent_span_id;
  bool sampled = false;
  uint64_t request_wire_bytes = 0;  // the request as the app wrote it
  TimePoint router_start{0};        // the router has the whole request (after any fault delay)
  Sidecar::ClusterState* routed_state = nullptr;  // of decision.cluster, looked up once
  const GatewayListener* gateway_listener = nullptr;  // set: a gateway proxy routes by its Gateway servers
  WireProtocol downstream_protocol = WireProtocol::kHttp1;  // what the app spoke to this sidecar
  // The downstream connection's remote address: the app's, which is the
  // pod's own, for a sidecar; the client's for a gateway. What Envoy hashes
  // for consistentHash.useSourceIp and for a generated cookie.
  std::string downstream_ip;
  bool grpc = false;  // content-type application/grpc*: local replies are Trailers-Only
  // An ext_authz check (Sidecar::send_ext_authz_check): Envoy's async HTTP
  // client (async_client_impl.cc), whose router sits behind no connection
  // manager (no Date/Server, no stats filter report) and whose null route has
  // no hash policy and no attempt count.
  bool async_client = false;
  Duration overcount{0};  // the attempts' TransportResult::overcount, summed (they ran one after another)

  SidecarEnv& env() { return sidecar->env_; }
  boost::intrusive_ptr<OutboundCall> ref() { return boost::intrusive_ptr<OutboundCall>(this); }
  Sidecar::ClusterState& state_of(const Cluster& cluster) {
    if (&cluster != decision.cluster) return sidecar->cluster_state(cluster.name);
    if (!routed_state)
      routed_state = decision.owned_cluster ? &sidecar->cluster_state(cluster.name)
                                            : &sidecar->state_of_precompiled(cluster);
    return *routed_state;
  }

  // A DestinationRule's tls.mode DISABLE overrides auto mTLS for its hosts:
  // the sidecar connects in plaintext (pilot's cluster_tls.go applies the
  // rule's TLS settings before auto mTLS; istio.io "Mutual TLS Migration"),
  // which a STRICT server resets.
  static bool tls_disabled(const Cluster& c) { return c.policy.tls && c.policy.tls->mode == "DISABLE"; }
  // A TLS connection names an SNI, which the server's RBAC matches as
  // `connection.sni`: the cluster's own (istio_mtls_sni), or with
  // ISTIO_MUTUAL the DestinationRule's `tls.sni` (cluster_tls.go
  // buildUpstreamTLSSettings, buildUpstreamClusterTLSContext). Plain text
  // (DISABLE) names none. The identity with the SNI is the sidecar's, made
  // once per cluster; per hop only a pointer is chosen (issue 20).
  const PeerInfo& identity_toward(const Cluster& c) {
    // The choices of sidecar_sni (route_table.h), without making the string.
    if (tls_disabled(c)) return sidecar->plaintext_identity_;
    bool istio_mutual = c.policy.tls && c.policy.tls->mode == "ISTIO_MUTUAL";
    const PeerInfo& without_sni = istio_mutual ? sidecar->istio_mutual_identity_ : sidecar->identity_;  // else auto mTLS
    if (!c.name.starts_with("outbound|")) return without_sni;  // PassthroughCluster: no Istio TLS, no SNI
    Sidecar::ClusterState& state = state_of(c);
    if (istio_mutual && !c.policy.tls->sni.empty()) {
      if (state.with_rule_sni == nullptr || state.with_rule_sni->sni != c.policy.tls->sni)
        state.with_rule_sni = &sidecar->identity_with_sni(true, c.policy.tls->sni);
      return *state.with_rule_sni;
    }
    const PeerInfo*& with_sni = state.with_cluster_sni[istio_mutual ? 1 : 0];
    if (with_sni == nullptr) with_sni = &sidecar->identity_with_sni(istio_mutual, istio_mtls_sni(c.name));
    return *with_sni;
  }

  void start_call() {
    start = env().clock->now();
    if (async_client) {  // the route names the cluster: nothing to decide, trace headers already set
      sidecar->follow_snapshot(table);
      after_delay();
      return;
    }
    ClientContext client;
    client.endpoint = sidecar->self_;
    client.ns = sidecar->ns_;
    client.labels = &sidecar->labels_;
    client.downstream_ip = downstream_ip;
    client.start_unix_us = start_unix_us();
    sidecar->follow_snapshot(table);
    if (gateway_listener != nullptr) {
      client.gateway = true;
      decision = decide_gateway_route(*table, *gateway_listener, client, request, *env().random);
    } else {
      decision = decide_route(*table, client, url_host, port, request, *env().random, sidecar->route_memo_.get());
    }
    if (decision.kind == RouteDecision::Kind::kUnresolvable) {
      result.error = "Could not resolve host: " + std::string(strip_port(url_host));
      finish();
      return;
    }
    if (decision.kind == RouteDecision::Kind::kTcpProxy) {
      tcp_proxy();
      return;
    }
    add_trace_headers();
    if (decision.fault_delay) {
      flags.push_back("DI");
      auto self = ref();
      env().timers->schedule(*decision.fault_delay, [self] {
        if (*self->alive) self->after_delay();
      });
      return;
    }
    after_delay();
  }

  void add_trace_headers() {
    // Envoy generates x-request-id and starts a trace when the request has none;
    // otherwise it continues the caller's trace with a new span.
    // Runs for every request: ids are written in place, without temporaries,
    // and the fields are found in one pass.
    Random& rng = *env().random;
    request.headers.reserve_more(7, 256);  // what this call and attempt() add
    TraceFields f(request.headers, kTraceFieldNames);
    if (!f.has(kRequestId)) {  // a UUID-shaped 8-4-4-4-12
      char id[36];
      write_hex(id, rng.next() >> 32, 8);
      for (int group = 0; group < 3; ++group) {
        id[8 + group * 5] = '-';
        write_hex(id + 9 + group * 5, rng.next() >> 48, 4);
      }
      id[23] = '-';
      write_hex(id + 24, rng.next() >> 16, 12);
      f.set(kRequestId, std::string_view(id, sizeof id));
    }
    auto parent = f.get(kTraceparent);
    if (parent && parent->size() >= 55) {
      trace_id.assign(parent->substr(3, 32));
      parent_span_id.assign(parent->substr(36, 16));
    } else if (auto b3 = f.get(kB3TraceId)) {
      trace_id.assign(*b3);
      parent_span_id.assign(f.get(kB3SpanId).value_or(""));
    } else {
      trace_id.append_hex(rng.next());
      trace_id.append_hex(rng.next());
    }
    span_id.append_hex(rng.next());
    sampled = tracing_decision(f, env().trace_sampling_percent);
    // Ids generated here or taken from the request's own fields: safe to write as they are.
    f.set(kTraceparent, traceparent(sidecar->header_scratch_, trace_id, span_id, sampled));
    f.set(kB3TraceId, trace_id);
    f.set(kB3SpanId, span_id);
    if (!parent_span_id.empty()) f.set(kB3ParentSpanId, parent_span_id);
    f.set(kB3Sampled, sampled ? "1" : "0");
  }

  // Envoy's sendLocalReply: a text reply, Trailers-Only for a gRPC request
  // (http/utility.cc prepareLocalReply), with `grpc_code` when the filter
  // names one (fault grpcStatus) or else the HTTP status mapped.
  // The route's response headers go on its local replies as on upstream
  // ones: Envoy's filter manager finalizes a local reply's headers with the
  // stream's route (filter_manager.cc sendLocalReplyViaFilterChain).
  void respond_local(int status, std::string body, std::optional<int> grpc_code = std::nullopt) {
    HttpResponse reply = text_reply(status, std::move(body));
    if (grpc) to_grpc_local_reply(reply, grpc_code);
    apply_response_ops(reply);
    respond(std::move(reply));
  }

  // The request's start in Unix time, as the Date header counts (%START_TIME%).
  int64_t start_unix_us() {
    const SidecarEnv& e = env();
    int64_t t = start.count();
    return e.unix_epoch_us + (e.wall_per_clock == 1.0 ? t : static_cast<int64_t>(static_cast<double>(t) * e.wall_per_clock));
  }

  // Envoy finalizes the response headers with the stream's route
  // (finalizeResponseHeaders); their formats read the response itself
  // (RESP), the request as routed (REQ) and the stream (formatter Context
  // {request headers, &headers}).
  void apply_response_ops(HttpResponse& response) {
    if (decision.response_ops.empty()) return;
    ClientContext client;
    client.endpoint = sidecar->self_;
    client.downstream_ip = downstream_ip;
    client.start_unix_us = start_unix_us();
    FormatContext context = format_context(client, request, decision.cluster);
    context.protocol = downstream_protocol;
    context.response = &response.headers;
    for (const HeaderParserOps& parser : decision.response_ops)
      evaluate_header_ops(parser, response.headers, nullptr, &context);
  }

  // Istio sets max_grpc_timeout to the route timeout, or 0 (no cap) without
  // one (route.go setTimeout). For a gRPC request Envoy then uses grpc-timeout
  // (absent: infinite) capped by it (router.cc finalTimeout).
  void apply_grpc_timeout() {
    std::optional<Duration> asked;
    if (auto t = request.headers.get("grpc-timeout")) asked = parse_grpc_timeout(*t);
    if (asked && (!decision.timeout || *asked < *decision.timeout)) decision.timeout = asked;
  }

  void after_delay() {
    if (decision.fault_abort_status) {
      flags.push_back("FI");
      respond_local(*decision.fault_abort_status, kFaultAbortBody, decision.fault_abort_grpc_status);
      return;
    }
    if (decision.kind == RouteDecision::Kind::kLocalReply) {
      if (*decision.flag) flags.push_back(decision.flag);
      HttpResponse reply = *decision.local_reply;
      if (grpc) to_grpc_local_reply(reply);
      apply_response_ops(reply);
      respond(std::move(reply));
      return;
    }
    router_start = env().clock->now();
    // The hop to the app's sidecar speaks what the cluster's port says (wire_protocol.h).
    WireProtocol upstream = upstream_protocol(cluster_port_protocol(*decision.cluster), pool_of(decision.cluster->policy),
                                              downstream_protocol);
    if (needs_translation(downstream_protocol, upstream)) translate_request(request, upstream);
    upstream_wire = upstream;
    send_mirrors();
    if (grpc) apply_grpc_timeout();
    // x-envoy-upstream-rq-timeout-ms overrides the route timeout (router.cc finalTimeout).
    if (auto t = request.headers.get("x-envoy-upstream-rq-timeout-ms")) {
      uint64_t ms = 0;
      for (char c : *t) ms = (c >= '0' && c <= '9') ? ms * 10 + static_cast<uint64_t>(c - '0') : ms;
      decision.timeout = ms > 0 ? std::optional<Duration>(Duration(ms * 1000)) : std::nullopt;
      request.headers.remove("x-envoy-upstream-rq-timeout-ms");
    }
    // The router tells the upstream the deadline it enforces (router.cc
    // setTimeoutHeaders -> toGrpcTimeout: "500m").
    if (grpc && decision.timeout) request.headers.set_checked("grpc-timeout", format_grpc_timeout(*decision.timeout));
    if (decision.timeout) {
      auto self = ref();
      global_timer = env().timers->schedule(*decision.timeout, [self] {
        if (*self->alive) self->on_global_timeout();
      });
    }
    // HTTP/2 takes a stream of the chosen host's pool per attempt (attempt()).
    if (upstream_wire == WireProtocol::kHttp2) attempt();
    else acquire_slot_then_attempt();
  }

  void send_mirrors() {
    if (decision.mirrors.empty()) return;
    // Istio sends the shadow unsampled (route.go TranslateRequestMirrorPolicy:
    // TraceSampled false): its trace headers say so, and no sidecar traces it.
    HttpRequest unsampled;
    if (sampled) {
      unsampled = request;
      unsampled.headers.set("x-b3-sampled", "0");
      unsampled.headers.set("traceparent", traceparent(sidecar->header_scratch_, trace_id, span_id, false));
    }
    const HttpRequest& shadow = sampled ? unsampled : request;
    for (const Cluster* m : decision.mirrors) {
      const Endpoint* e = pick_endpoint(*m, false);
      if (e == nullptr) continue;
      env().transport->send_mirror_message(*e, m->service ? m->service->target_port(m->port, *e) : m->port_for(*e, port),
                                           identity_toward(*m), shadow);
      result.mirrored_to.push_back(e);
    }
  }

  // Circuit breaking: HTTP/1.1 uses one connection per active request;
  // beyond maxConnections requests queue up to http1MaxPendingRequests, and
  // beyond that Envoy answers 503 with flag UO. http2MaxRequests (Envoy's
  // max_requests, "applicable to both HTTP/1.1 and HTTP/2",
  // destination_rule.proto) refuses a request when that many are active
  // (conn_pool_base.cc attachStreamToClient).
  void acquire_slot_then_attempt() {
    auto& state = state_of(*decision.cluster);
    const auto& pool = decision.cluster->policy.connection_pool;
    int64_t max_connections = pool && pool->max_connections ? *pool->max_connections : kDefaultMaxConnections;
    int64_t max_pending = pool && pool->http1_max_pending_requests ? *pool->http1_max_pending_requests : kDefaultMaxPending;
    if (state.active + state.h2.active_streams() >= http2_pool_limits(pool).max_requests) {
      flags.push_back("UO");
      respond_reset(503, "overflow");
      return;
    }
    if (state.active < max_connections) {
      ++state.active;
      holds_slot = true;
      attempt();
      return;
    }
    if (static_cast<int64_t>(state.pending ? state.pending->size() : 0) < max_pending) {
      auto self = ref();
      if (!state.pending) state.pending = std::make_unique<std::deque<std::function<bool()>>>();
      state.pending->push_back([self] {
        if (self->finished) return false;
        self->holds_slot = true;
        self->attempt();
        return true;
      });
      return;
    }
    flags.push_back("UO");
    respond_reset(503, "overflow");
  }

  void release_slot() {
    if (!holds_slot) return;
    holds_slot = false;
    auto& state = state_of(*decision.cluster);
    while (state.pending && !state.pending->empty()) {
      auto next = std::move(state.pending->front());
      state.pending->pop_front();
      if (next()) return;  // the slot passes to the queued request
    }
    --state.active;
  }

  bool ejected(const Endpoint& e, Sidecar::ClusterState& state) {
    auto it = state.health.find(e.index);
    return it != state.health.end() && it->second.ejected && it->second.ejected_until > env().clock->now();
  }

  // The previous_hosts predicate (retry.go ConvertPolicy): as configured by
  // retryIgnorePreviousHosts, else off when the route's single destination
  // hashes consistently, so a retry stays on the hashed host.
  bool retry_avoids_previous_hosts(const Cluster& cluster) const {
    if (!decision.retry) return false;
    if (decision.retry->previous_hosts) return *decision.retry->previous_hosts;
    const auto& lb = cluster.policy.load_balancer;
    return !(decision.retry->single_destination && lb && lb->consistent_hash);
  }

  // `avoid_tried` is set for the request's own attempts, not for a mirror's shadow.
  const Endpoint* pick_endpoint(const Cluster& cluster, bool avoid_tried) {
    if (cluster.endpoints.empty()) return nullptr;
    auto& state = state_of(cluster);
    // Usually every endpoint is a candidate: no copy of the list then.
    const std::vector<const Endpoint*>* pool = &cluster.endpoints;
    std::vector<const Endpoint*> narrowed;
    if (!state.health.empty()) {  // outlier detection has seen this cluster
      for (const Endpoint* e : cluster.endpoints)
        if (!ejected(*e, state)) narrowed.push_back(e);
      // Panic mode balances over every host when fewer than the threshold
      // are healthy. Istio sets healthy_panic_threshold to minHealthPercent
      // (default 0: never) with outlier detection (applyOutlierDetection);
      // with no healthy host and no panic Envoy answers 503 UH
      // (load_balancer_impl.cc recalculatePerPriorityPanic).
      const auto& od = cluster.policy.outlier_detection;
      size_t panic_percent = od ? static_cast<size_t>(std::max(0, od->min_health_percent.value_or(0))) : 50;
      if (narrowed.size() * 100 >= cluster.endpoints.size() * panic_percent) pool = &narrowed;
      if (pool->empty()) return nullptr;
    }
    if (avoid_tried && !tried.empty() && retry_avoids_previous_hosts(cluster)) {
      std::vector<const Endpoint*> fresh;
      for (const Endpoint* e : *pool)
        if (std::find(tried.begin(), tried.end(), e->index) == tried.end()) fresh.push_back(e);
      if (!fresh.empty()) {
        narrowed = std::move(fresh);
        pool = &narrowed;
      }
    }
    const std::vector<const Endpoint*>& candidates = *pool;
    const auto& lb = cluster.policy.load_balancer;
    Random& rng = *env().random;
    if (lb && lb->consistent_hash && !async_client) {
      const ConsistentHash& h = *lb->consistent_hash;
      std::optional<std::string_view> key;
      if (!h.http_header_name.empty()) key = request.headers.get(h.http_header_name);
      // hash_policy.cc SourceIpHashMethod: the downstream remote address
      // (the router passes streamInfo's downstreamAddressProvider()).
      else if (h.use_source_ip) key = downstream_ip;
      else if (!h.http_query_parameter_name.empty()) key = query_param(request.query(), h.http_query_parameter_name);
      else if (!h.http_cookie_name.empty()) {
        // Envoy CookieHashMethod: an empty cookie is no cookie. Without one,
        // and with a ttl, the router makes one up, hashes it and sets it on
        // the response; a mirror's shadow has no downstream to set it on.
        key = cookie_value(request.headers, h.http_cookie_name);
        if (key && key->empty()) key.reset();
        if (!key && h.http_cookie_ttl && avoid_tried) {
          generated_cookie = generated_cookie_value(downstream_ip, strip_port(url_host), port);
          routing_set_cookies.push_back(set_cookie_value(h, generated_cookie));
          key = generated_cookie;
        }
      }
      // A request without the key has no hash, and Envoy's ring picks at
      // random (hash_policy.cc evaluate returns nothing; thread_aware_lb_impl.cc
      // chooseHost: `hash ? hash.value() : random_.random()`).
      if (!key) return candidates[rng.below(candidates.size())];
      // FNV-1a over the key, then jump consistent hash over the endpoint list.
      uint64_t hash = fnv1a(*key);
      int64_t b = -1, j = 0;
      while (j < static_cast<int64_t>(candidates.size())) {
        b = j;
        hash = hash * 2862933555777941757ull + 1;
        j = static_cast<int64_t>((b + 1) * (double(1ll << 31) / double((hash >> 33) + 1)));
      }
      return candidates[static_cast<size_t>(b)];
    }
    std::string_view simple = lb ? std::string_view(lb->simple) : std::string_view();
    if (simple == "ROUND_ROBIN") return candidates[state.round_robin++ % candidates.size()];
    if (simple == "RANDOM") return candidates[rng.below(candidates.size())];
    // Istio's default is LEAST_REQUEST (cluster_traffic_policy.go defaultLBAlgorithm):
    // Envoy picks two hosts at random and keeps the one with fewer active requests.
    const Endpoint* first = candidates[rng.below(candidates.size())];
    const Endpoint* second = candidates[rng.below(candidates.size())];
    int64_t active_second = state.active_to(second->index);
    return active_second < state.active_to(first->index) ? second : first;
  }

  // The virtual outbound listener's tcp_proxy (RouteDecision::kTcpProxy):
  // no HTTP filter sees the request, so no HTTP reply and no request
  // telemetry. It holds the app's connection unread (tcp_proxy.cc
  // initializeReadFilterCallbacks readDisable) until the upstream one
  // opens; when that fails it closes it (onInitFailure), which the app sees
  // as a reset. BlackHoleCluster has no host: closed at once with UH
  // (establishUpstreamConnection); PassthroughCluster to an address nothing
  // forwards fails to connect: UF, and URX as its one connect attempt
  // (max_connect_attempts, unset by Istio) is used up (onConnectTimeout).
  void tcp_proxy() {
    if (decision.cluster == nullptr) {
      flags.push_back("UH");
      result.error = kConnectionReset;
      finish();
      return;
    }
    connect_unforwarded([](OutboundCall& call, bool /*timed_out*/) {
      call.flags.push_back("UF");
      call.flags.push_back("URX");
      call.result.error = kConnectionReset;
      call.finish();
    });
  }

  // A connection to an address kube-proxy does not forward
  // (Cluster::unforwarded): the network refuses it or stays silent, and the
  // cluster's connect timeout ends the wait. `failed` runs once, either way.
  void connect_unforwarded(void (*failed)(OutboundCall&, bool timed_out)) {
    ++result.attempts;
    const uint64_t generation = ++attempt_generation;
    auto self = ref();
    auto once = [self, generation, failed](bool timed_out) {
      if (!*self->alive || generation != self->attempt_generation || self->finished) return;
      ++self->attempt_generation;  // the other of the two ends nothing
      if (timed_out) self->connect_timer.reset();
      else self->cancel_connect_timer();
      failed(*self, timed_out);
    };
    connect_timer = env().timers->schedule(decision.cluster->connect_timeout, [once] { once(true); });
    env().transport->connect_unforwarded([once](TransportResult&&) { once(false); });
  }

  void cancel_connect_timer() {
    if (connect_timer) env().timers->cancel(*connect_timer);
    connect_timer.reset();
  }

  void attempt() {
    const Cluster& cluster = *decision.cluster;
    if (cluster.unforwarded) {
      // HTTP passthrough to it: Envoy's router answers the failed connect
      // (router.cc onUpstreamReset, before any response headers).
      connect_unforwarded([](OutboundCall& call, bool timed_out) {
        call.flags.push_back("UF");
        const UpstreamReset refused = upstream_reset_of(transport_failure::kRefused);
        if (timed_out) call.respond_reset(503, "connection timeout");
        else call.respond_reset(503, refused.reason, refused.transport_failure);
      });
      return;
    }
    const Endpoint* e = pick_endpoint(cluster, true);
    if (e == nullptr) {
      flags.push_back("UH");
      respond_local(503, kNoHealthyUpstream);
      return;
    }
    if (upstream_wire == WireProtocol::kHttp2) open_stream_then_send(*e);
    else send_attempt(*e);
  }

  // HTTP/2: the router hands the attempt to the host's pool
  // (http2_pool.h); it goes out once a connection has room. Overflow is
  // 503 UO and never retried (retry_state_impl.cc wouldRetryFromReset:
  // "we never retry if the reset reason is overflow").
  void open_stream_then_send(const Endpoint& e) {
    auto& state = state_of(*decision.cluster);
    const Http2PoolLimits limits = http2_pool_limits(decision.cluster->policy.connection_pool);
    const uint64_t generation = attempt_generation;
    const Endpoint* host = &e;
    upstream_host = host;  // the host's pool overflows or connects: the host is chosen either way
    upstream_mtls = false;
    auto self = ref();
    Http2Pools::Waiter waiter{
        [self, generation] { return *self->alive && !self->finished && generation == self->attempt_generation; },
        [self, host](std::optional<Http2Pools::Stream> stream) {
          if (!stream) return self->overflow();
          self->h2_stream = *stream;
          self->send_attempt(*host);
        }};
    Http2Pools::Stream stream;
    switch (state.h2.new_stream(e.index, limits, &stream, std::move(waiter))) {
      case Http2Pools::Outcome::kAttached:
        h2_stream = stream;
        send_attempt(e);
        return;
      case Http2Pools::Outcome::kPending:
        return;
      case Http2Pools::Outcome::kOverflow:
        overflow();
        return;
    }
  }

  void overflow() {
    flags.push_back("UO");
    respond_reset(503, "overflow");
  }

  // The attempt's stream ends (answer, reset on a timeout, or the call's end):
  // after the response went downstream, as release_slot.
  void close_stream(uint64_t generation) {
    if (!h2_stream || h2_stream_generation != generation) return;
    Http2Pools::Stream s = *h2_stream;
    h2_stream.reset();
    const Cluster* cluster = decision.cluster;
    env().timers->post([self = ref(), s, cluster] {
      if (*self->alive)
        self->state_of(*cluster).h2.stream_closed(s, http2_pool_limits(cluster->policy.connection_pool));
    });
  }

  void send_attempt(const Endpoint& endpoint) {
    const Endpoint* e = &endpoint;
    const Cluster& cluster = *decision.cluster;
    tried.push_back(e->index);
    in_flight_to = e;
    upstream_host = e;
    upstream_mtls = false;  // until the attempt connects (on_attempt_result, attempt_timed_out)
    ++result.attempts;
    ++state_of(cluster).active_to(e->index);
    if (!async_client)
      request.headers.set_checked("x-envoy-attempt-count", std::to_string(result.attempts));  // include_request_attempt_count
    uint32_t target_port = cluster.service ? cluster.service->target_port(cluster.port, *e) : cluster.port_for(*e, port);
    uint64_t generation = ++attempt_generation;
    h2_stream_generation = generation;  // the stream (if any) belongs to this attempt
    // Only a call with a timeout gives up on an attempt: no allocation for the others.
    if (decision.timeout || (decision.retry && decision.retry->per_try_timeout)) attempt_reset = std::make_shared<StreamReset>();
    auto self = ref();
    if (decision.retry && decision.retry->per_try_timeout) {
      per_try_timer = env().timers->schedule(*decision.retry->per_try_timeout, [self, generation, e] {
        if (*self->alive && generation == self->attempt_generation && !self->finished) self->on_per_try_timeout(*e);
      });
    }
    env().transport->send_message(*e, target_port, identity_toward(cluster), request,
                          [self, generation, e](TransportResult&& tr) {
                            if (!*self->alive) return;
                            self->attempt_over(*e);
                            self->close_stream(generation);
                            if (generation != self->attempt_generation || self->finished) return;
                            self->on_attempt_result(*e, std::move(tr));
                          },
                          attempt_reset);
  }

  // Istio passes maxRetries only when > 0 (cluster_traffic_policy.go
  // applyConnectionPool), else getDefaultCircuitBreakerThresholds' MaxUint32.
  static int64_t max_retries_of(const std::optional<ConnectionPoolSettings>& pool) {
    return pool && pool->max_retries.value_or(0) > 0 ? *pool->max_retries : kDefaultMaxRetries;
  }

  // Envoy retry_state_impl.cc RetryStateImpl::shouldRetry, for an outcome
  // the policy retries: a retry while this request has one left and the
  // cluster's retry circuit breaker has room. Otherwise the outcome stands,
  // flagged URX when the request's retries are used up
  // (NoRetryLimitExceeded), UO when max_retries retries are already
  // outstanding (NoOverflow, upstream_rq_retry_overflow; router.cc
  // onUpstreamHeaders / maybeRetryReset set UpstreamOverflow).
  bool retry_else_flag() {
    if (!decision.retry || finished) return false;
    if (retries_done >= decision.retry->num_retries) {
      if (decision.retry->num_retries > 0) flags.push_back("URX");
      return false;
    }
    auto& state = state_of(*decision.cluster);
    if (state.retries_outstanding >= max_retries_of(decision.cluster->policy.connection_pool)) {
      flags.push_back("UO");
      return false;
    }
    ++state.retries_outstanding;
    holds_retry = true;
    schedule_retry();
    return true;
  }

  // The retry holds its unit until its own outcome is judged (shouldRetry
  // calls resetRetry first) or the request ends (~RetryStateImpl).
  void release_retry() {
    if (!holds_retry) return;
    holds_retry = false;
    --state_of(*decision.cluster).retries_outstanding;
  }

  bool retriable_status(int status) const {
    if (!decision.retry) return false;
    const RetryPolicy& p = *decision.retry;
    if (p.retries_on(kRetryOn5xx) && status >= 500) return true;
    if (p.retries_on(kRetryOnGatewayError) && (status == 502 || status == 503 || status == 504)) return true;
    if (p.retries_on(kRetryOnRetriable4xx) && status == 409) return true;
    if (p.retries_on(kRetryOnRetriableStatusCodes) &&
        std::find(p.retriable_status_codes.begin(), p.retriable_status_codes.end(), status) != p.retriable_status_codes.end())
      return true;
    return false;
  }

  // Envoy retry_state_impl.cc wouldRetryFromHeaders: a gRPC status is read
  // from the response headers only (a Trailers-Only reply); "gRPC status
  // codes in trailers will not trigger retry logic" (router_filter.rst).
  bool retriable_grpc(const HttpResponse& response) const {
    if (!decision.retry) return false;
    auto code = grpc_status_in_headers(response);
    if (!code) return false;
    const RetryPolicy& p = *decision.retry;
    switch (*code) {
      case 1: return p.retries_on(kRetryOnCancelled);
      case 4: return p.retries_on(kRetryOnDeadlineExceeded);
      case 8: return p.retries_on(kRetryOnResourceExhausted);
      case 13: return p.retries_on(kRetryOnInternal);
      case 14: return p.retries_on(kRetryOnUnavailable);
      default: return false;
    }
  }

  // Envoy retry_state_impl.cc wouldRetryFromReset, for a connection that
  // never opened: connect-failure, then reset-before-request (nothing was
  // sent), then reset / 5xx / gateway-error.
  bool retries_connect_failure() const {
    if (!decision.retry) return false;
    return decision.retry->retries_on(kRetryOnConnectFailure) || decision.retry->retries_on(kRetryOnResetBeforeRequest) ||
           retries_local_reset();
  }

  // The same function for a stream Envoy resets itself after sending the
  // request: a per-try timeout is a LocalReset (router.cc
  // onPerTryTimeoutCommon -> maybeRetryReset). Only reset, 5xx and
  // gateway-error retry it; retriable status codes apply to responses only.
  bool retries_local_reset() const {
    if (!decision.retry) return false;
    const RetryPolicy& p = *decision.retry;
    return p.retries_on(kRetryOnReset) || p.retries_on(kRetryOn5xx) || p.retries_on(kRetryOnGatewayError);
  }

  // Envoy's interval timer (outlier_detection_impl.cc onIntervalTimer) ticks
  // every `interval` from the detector's start: the first tick at or after `t`.
  static TimePoint next_tick(TimePoint start, Duration interval, TimePoint t) {
    if (interval.count() <= 0 || t <= start) return t;
    auto ticks = (t - start + interval - Duration(1)) / interval;
    return start + interval * ticks;
  }

  // Consecutive-error outlier detection as Envoy's DetectorImpl does it, with
  // Istio's translation (cluster_traffic_policy.go applyOutlierDetection).
  enum class Outcome { kResponse, kConnectFailure, kTimeout };
  void record_outlier(const Endpoint& e, int status, Outcome outcome) {
    const auto& od = decision.cluster->policy.outlier_detection;
    if (!od) return;
    auto& state = state_of(*decision.cluster);
    auto& h = state.health[e.index];
    const TimePoint now = env().clock->now();
    const Duration interval = od->interval.value_or(kDefaultInterval);
    if (h.ejected && h.ejected_until <= now) {
      // checkHostForUneject: returned at a tick, both counters reset; every
      // later tick that finds it healthy lowers the backoff by one.
      h.ejected = false;
      h.consecutive_5xx = h.consecutive_gateway = h.consecutive_local_origin = 0;
      auto ticks_since = interval.count() > 0 ? (now - h.ejected_until) / interval : 0;
      h.eject_backoff = static_cast<int>(std::max<int64_t>(0, h.eject_backoff - ticks_since));
    }
    // With split_external_local_origin_errors off (Istio's default) a
    // connection failure counts as 503 and a timeout as 504
    // (DetectorHostMonitorImpl::putResultNoLocalExternalSplit). With it on,
    // they count only as consecutive local-origin failures (Envoy default 5,
    // enforced 100%; Istio sets the count when consecutiveLocalOriginFailures
    // > 0) and responses alone feed the 5xx counters
    // (putResultWithLocalExternalSplit).
    const bool local_origin = outcome != Outcome::kResponse;
    if (od->split_external_local_origin_errors) {
      if (!local_origin) {
        h.consecutive_local_origin = 0;  // the connection worked
      } else {
        int threshold_local = od->consecutive_local_origin_failures.value_or(0) > 0
                                  ? *od->consecutive_local_origin_failures : kDefaultConsecutiveLocalOrigin;
        if (++h.consecutive_local_origin != threshold_local) return;
        h.consecutive_local_origin = 0;
        eject(state, h, *od, now);
        return;
      }
    }
    if (outcome == Outcome::kConnectFailure) status = 503;
    bool is_5xx = status >= 500;
    bool is_gateway = status == 502 || status == 503 || status == 504;
    if (!is_5xx) {
      h.consecutive_5xx = h.consecutive_gateway = 0;
      return;
    }
    if (!is_gateway) h.consecutive_gateway = 0;
    // putHttpResponseCode: an ejection is considered when a counter reaches
    // its threshold exactly; onConsecutiveErrorWorker then resets that counter
    // whether or not the ejection happened. Istio leaves consecutive_5xx at
    // Envoy's default 5 when consecutive5xxErrors is unset (the deprecated
    // consecutiveErrors is not translated); 0 disables it (enforcing 0).
    // consecutive_gateway_failure is enforced only when Istio sets it.
    int threshold_5xx = od->consecutive_5xx_errors.value_or(kDefaultConsecutive5xx);
    int threshold_gateway = od->consecutive_gateway_errors.value_or(0);
    bool trip_gateway = is_gateway && ++h.consecutive_gateway == threshold_gateway && threshold_gateway > 0;
    bool trip_5xx = ++h.consecutive_5xx == threshold_5xx && threshold_5xx > 0;
    if (!trip_gateway && !trip_5xx) return;
    if (trip_gateway) h.consecutive_gateway = 0;
    if (trip_5xx) h.consecutive_5xx = 0;
    eject(state, h, *od, now);
  }

  void eject(Sidecar::ClusterState& state, Sidecar::ClusterState::HostHealth& h, const OutlierDetection& od,
             TimePoint now) {
    if (h.ejected) return;  // a late answer from a host already ejected
    const Duration interval = od.interval.value_or(kDefaultInterval);
    const Duration base = od.base_ejection_time.value_or(kDefaultBaseEjection);
    size_t total = decision.cluster->endpoints.size(), ejected_now = 0;
    for (const Endpoint* other : decision.cluster->endpoints) ejected_now += ejected(*other, state) ? 1 : 0;
    // Istio passes maxEjectionPercent only when > 0 (applyOutlierDetection).
    int max_percent = od.max_ejection_percent.value_or(0) > 0 ? *od.max_ejection_percent : kDefaultMaxEjectionPercent;
    // Envoy >= 1.28 (envoy#27909) outlier_detection_impl.cc DetectorImpl::ejectHost:
    // eject only when 100 * (ejected + 1) / hosts <= max_ejection_percent. The
    // first ejection is no exception: with Istio's default 10% nothing is
    // ejected below 10 hosts (always_eject_one_host, envoy#34796, is never
    // set by Istio's applyOutlierDetection).
    if ((ejected_now + 1) * 100 > total * static_cast<size_t>(std::max(0, max_percent))) return;
    // ejectHost raises the backoff while base * backoff < max + base; the
    // host returns at the first tick after min(base * backoff, max).
    // max_ejection_time: Istio leaves it unset, so 300 s or base, the larger.
    const Duration max_ejection = std::max(kDefaultMaxEjection, base);
    if (base * h.eject_backoff < max_ejection + base) ++h.eject_backoff;
    h.ejected = true;
    h.ejected_at = now;
    h.ejected_until = next_tick(state.created, interval, now + std::min(base * h.eject_backoff, max_ejection));
  }

  void schedule_retry() {
    ++retries_done;
    // Envoy JitteredExponentialBackOffStrategy: random in [0, (2^n - 1) * base), capped at 10x base.
    int64_t base_us = decision.retry->base_interval.count();
    int64_t window = ((int64_t{1} << backoff_step) - 1) * base_us;
    int64_t cap = base_us * kMaxIntervalFactor;
    if (window <= cap) ++backoff_step;
    int64_t wait = std::min<int64_t>(static_cast<int64_t>(env().random->below(static_cast<uint64_t>(std::max<int64_t>(window, 1)))), cap);
    auto self = ref();
    env().timers->schedule(Duration(wait), [self] {
      if (*self->alive && !self->finished) self->attempt();
    });
  }

  // router.cc Filter::onUpstreamReset: every reset but an overflow counts
  // against the host as a local-origin connect failure; then the retry
  // policy decides (wouldRetryFromReset), else the local reply.
  void on_upstream_reset(const Endpoint& e, const UpstreamReset& reset) {
    record_outlier(e, 0, Outcome::kConnectFailure);
    bool retries = reset.before_connected ? retries_connect_failure() : retries_local_reset();
    if (retries && retry_else_flag()) return;
    flags.push_back(reset.flag);
    respond_reset(reset.status, reset.reason, reset.transport_failure);
  }

  // The router's local reply for a reset (router.cc onUpstreamReset): "retried
  // and the latest" once a retry was made.
  void respond_reset(int status, std::string_view reason, std::string_view transport_reason = "") {
    respond_local(status, upstream_reset_body(retries_done > 0, reason, transport_reason));
  }

  void attempt_over(const Endpoint& e) { --state_of(*decision.cluster).active_to(e.index); }

  void cancel_per_try() {
    if (per_try_timer) env().timers->cancel(*per_try_timer);
    per_try_timer.reset();
  }

  void on_attempt_result(const Endpoint& e, TransportResult tr) {
    cancel_per_try();
    release_retry();
    in_flight_to = nullptr;
    overcount += tr.overcount;
    upstream_mtls = tr.connected && !tr.plaintext && !tls_disabled(*decision.cluster);
    answered_by_sidecar = tr.connected && !tr.plaintext;
    result.dry_run = std::move(tr.dry_run);
    result.authz = std::move(tr.authz);
    HttpResponse response;
    if (tr.connected && !take_response(tr, response)) tr.failure = transport_failure::kInvalidResponse;
    else if (tr.connected) tr.failure.clear();
    if (!tr.failure.empty() || !tr.connected) {
      on_upstream_reset(e, upstream_reset_of(tr.failure));
      return;
    }
    // router.cc onUpstreamHeaders: a gRPC request's grpc-status in the
    // response headers (Trailers-Only) is what outlier detection counts,
    // as grpcToHttpStatus maps it; one in trailers is not seen.
    std::optional<int> header_grpc_status = grpc ? grpc_status_in_headers(response) : std::nullopt;
    record_outlier(e, header_grpc_status ? grpc_to_http_status(*header_grpc_status) : response.status, Outcome::kResponse);
    if ((retriable_status(response.status) || retriable_grpc(response)) && retry_else_flag()) return;
    result.served_by = &e;
    add_upstream_service_time(response, env().clock->now() - router_start - overcount);
    // router.cc onUpstreamHeaders: "Append routing cookies", before the
    // route's response header operations; a local reply carries none.
    for (const std::string& cookie : routing_set_cookies) response.headers.add("set-cookie", cookie);
    for (const auto& [name, value] : decision.cors_response_headers) response.headers.set(name, value);
    apply_response_ops(response);
    respond(std::move(response));
  }

  // An attempt given up on had connected (meshsim models no connect time):
  // mTLS unless the DestinationRule disables it or the pod has no sidecar.
  void attempt_timed_out() {
    upstream_mtls = !tls_disabled(*decision.cluster) && !(attempt_reset && attempt_reset->plaintext_server());
  }

  void on_per_try_timeout(const Endpoint& e) {
    attempt_timed_out();
    close_stream(attempt_generation);  // Envoy resets the upstream stream
    if (attempt_reset) attempt_reset->reset();
    ++attempt_generation;  // abandon the attempt in flight
    per_try_timer.reset();
    in_flight_to = nullptr;
    release_retry();
    // Outlier detection sees the timeout as a 504 (router.cc
    // updateOutlierDetection(LocalOriginTimeout, timeout_response_code_)).
    record_outlier(e, 504, Outcome::kTimeout);
    // router.cc maybeRetryReset: RetryStatus::NoRetryLimitExceeded sets URX.
    if (retries_local_reset() && retry_else_flag()) return;
    flags.push_back("UT");
    respond_local(504, kTimeoutBody, timeout_grpc_code());
  }

  void on_global_timeout() {
    global_timer.reset();
    if (finished) return;
    if (in_flight_to != nullptr) attempt_timed_out();
    close_stream(attempt_generation);
    // router.cc onResponseTimeout resets the upstream request in flight (one
    // already answered, or none during a back-off, is not affected).
    if (attempt_reset) attempt_reset->reset();
    ++attempt_generation;
    cancel_per_try();
    // router.cc onResponseTimeout charges the attempt in flight as a
    // LocalOriginTimeout with the 504 it answers.
    if (in_flight_to != nullptr) record_outlier(*in_flight_to, 504, Outcome::kTimeout);
    flags.push_back("UT");
    respond_local(504, kTimeoutBody, timeout_grpc_code());
  }

  // 14 from httpToGrpcStatus(504) unless the Envoy guard says DEADLINE_EXCEEDED.
  std::optional<int> timeout_grpc_code() {
    if (env().grpc_timeout_code == GrpcTimeoutCode::kDeadlineExceeded) return 4;
    return std::nullopt;
  }

  // Envoy encodes the response downstream before the upstream request is
  // released back to the pool, so a client that sends its next request at
  // once can still find the pool full (istio.io circuit-breaking task: 503s
  // already at two connections with maxConnections: 1, pending 1). The
  // release runs as the next event at the same instant: a closed-loop client
  // overflows at most once per completed request.
  void respond(HttpResponse response) {
    if (needs_translation(response.protocol, downstream_protocol))
      translate_response(response, downstream_protocol);  // back on the hop the app spoke
    if (!async_client) sidecar->add_connection_manager_headers(response, sidecar->outbound_server_name());
    result.response = std::move(response);
    finish();
    if (holds_slot) {
      env().timers->post([self = ref()] {
        if (*self->alive) self->release_slot();
      });
    }
  }

  void finish() {
    if (finished) return;
    finished = true;
    release_retry();
    if (global_timer) env().timers->cancel(*global_timer);
    cancel_per_try();
    cancel_connect_timer();
    result.flags = join_flags(flags);
    // The result points into this call's snapshot (served_by, mirrored_to,
    // its route and cluster), which a push may have replaced: it keeps it.
    result.snapshot = table;
    result.route_ref = decision.route;
    result.routed_cluster = decision.cluster;
    result.owned_cluster = decision.owned_cluster;
    result.duration = env().clock->now() - start - overcount;
    result.overcount = overcount;
    if (!async_client) emit_telemetry();
    // Both leave this call first: the callback may release the last reference to it.
    auto callback = std::move(done);
    OutboundResult out = std::move(result);
    callback(std::move(out));
  }

  void emit_telemetry() {
    if (env().telemetry == nullptr || !result.response) return;
    TelemetryEvent ev;
    ev.reporter = TelemetryEvent::Reporter::kSource;
    const Endpoint* self = sidecar->self_;
    if (self) set_source(ev, *self);
    else ev.source_namespace = sidecar->ns_;
    // Istio's client-side peer (istio_stats.cc populatePeerInfo) is what
    // metadata exchange got back in the response of the upstream sidecar
    // (headers, over plain text too), else the upstream host's endpoint
    // metadata (extractEndpointMetadata):
    // the latest attempt's host, so also for a timeout (UT), a failed
    // connect (UF) or a pool overflow (UO). A request that reached no host
    // (NR, FI, UH) and a host outside the cluster have no peer: unknown.
    // The principals are the upstream TLS connection's certificates
    // (peer_san, local_san): unknown for plain text or no connection.
    if (const Endpoint* dst = upstream_host; dst && !dst->external) {
      const bool exchanged = result.served_by == dst && answered_by_sidecar;
      if (exchanged) set_destination(ev, *dst);
      else set_destination_from_endpoint_metadata(ev, *dst);
      ev.mtls = upstream_mtls;
      if (upstream_mtls) ev.destination_principal = dst->principal();
      else ev.destination_principal = {};  // set_destination's, without the certificate that shows it
      if (exchanged && upstream_mtls) ev.destination_peer_id = dst->telemetry_id;
    }
    if (self && ev.mtls) {
      ev.source_principal = self->principal();
      ev.source_peer_id = self->telemetry_id;
    }
    // PassthroughCluster and BlackHoleCluster name themselves in Istio's
    // metrics (istio.io blog "Monitoring blocked and passthrough external
    // service traffic"); a ServiceEntry cluster names its host.
    if (!decision.telemetry_service.empty()) ev.destination_service = decision.telemetry_service;
    else if (decision.cluster && !decision.cluster->telemetry_service.empty()) ev.destination_service = decision.cluster->telemetry_service;
    else if (decision.cluster && decision.cluster->service) {
      ev.destination_service = decision.cluster->service->fqdn;
      ev.destination_service_id = decision.cluster->service->fqdn_id;
    }
    // No cluster (a 404 NR): a sidecar falls back to the Host header; a
    // gateway does not (Istio sets disable_host_header_fallback for the
    // gateway listener class, pilot/pkg/model/telemetry.go), so "unknown".
    else if (gateway_listener == nullptr) ev.destination_service = strip_port(url_host);
    // The Service port of the cluster (a VirtualService may send to another
    // port than the one called), else the port the app called.
    ev.destination_port = static_cast<uint16_t>(decision.cluster && decision.cluster->port != 0 ? decision.cluster->port : port);
    if (decision.route) {
      const RouteRef& ref = *decision.route;
      std::string& route = sidecar->report_route_;
      // describe()'s resource and rule, without copying them out first.
      if (ref.vs || ref.gw) route.assign(ref.resource()).append(" ").append(ref.rule_name());
      else route.clear();
      ev.route = route;
    }
    ev.method = request.method;
    ev.path = request.target;
    ev.authority = request.authority;
    ev.response_code = result.response->status;
    ev.response_flags = result.flags;
    // Wire bytes, headers included, as istio-proxy records them: the
    // downstream (app-side) connection's bytes received and sent
    // (istio_stats.cc IstioStatsFilter::log, wireBytesReceived/Sent).
    ev.request_bytes = request_wire_bytes;
    ev.response_bytes = serialized_size(*result.response);
    ev.start = start;
    ev.duration = result.duration;
    ev.attempts = result.attempts;
    ev.trace_id = trace_id;
    ev.span_id = span_id;
    ev.parent_span_id = parent_span_id;
    ev.sampled = sampled;
    ev.request_id = request.headers.get("x-request-id").value_or("");
    ev.grpc = grpc;
    if (grpc) {
      ev.grpc_response_status = grpc_status_of(*result.response);
      ev.request_messages = grpc_message_count(request.body);
      ev.response_messages = grpc_message_count(result.response->body);
    }
    env().telemetry->record(ev);
  }
};

namespace {

// inbound_rbac and inbound_http_filters given what the snapshot answers for
// `self`. `sni`: the connection's, as its listener saw the handshake.
// A CUSTOM policy that asks an HTTP ext_authz provider sets `*check` and lets
// the request go on for now (the caller asks, then calls again with
// `custom_allowed`); a caller that cannot ask (`check` null) denies it.
std::optional<HttpResponse> rbac_of(const std::vector<const AuthorizationPolicy*>& policies,
                                    const std::vector<ExtensionProvider>& providers, const Endpoint& self, const PeerInfo& peer,
                                    std::string_view sni, uint32_t port, const HttpRequest& request, const RequestAuth* auth,
                                    std::vector<ShadowDecision>* dry_run, std::string* verdict,
                                    const ExtensionProvider** check = nullptr, bool custom_allowed = false) {
  if (policies.empty()) return std::nullopt;  // none selects the workload: allowed, nothing to build
  AuthzRequest a;
  a.sni = sni;  // a view: the peer outlives the request
  a.principal = peer.mtls ? peer.principal : "";
  a.source_namespace = peer.ns;
  a.source_ip = peer.ip;
  a.destination_ip = self.ip;
  a.destination_port = port;
  a.method = request.method;
  a.path = normalize_path(request.path());
  a.host = request.authority;
  a.headers = &request.headers;
  a.auth = auth;
  AuthzDecision decision = authorize(policies, a, providers, custom_allowed);
  if (decision.check != nullptr && check == nullptr)
    decision.note = "this proxy sends no ext_authz check (MSH1005); it denies what the policy matches";
  if (dry_run != nullptr) *dry_run = std::move(decision.shadow);
  if (verdict != nullptr) *verdict = decision.text();
  if (decision.check != nullptr && check != nullptr) {
    *check = decision.check;
    return std::nullopt;
  }
  if (decision.allowed) return std::nullopt;
  return text_reply(403, kRbacDeniedBody);
}

std::optional<HttpResponse> http_filters_of(const std::vector<JwtProvider>& providers,
                                            const std::vector<const AuthorizationPolicy*>& policies,
                                            const std::vector<ExtensionProvider>& ext_providers, const Endpoint& self,
                                            const PeerInfo& peer, std::string_view sni, uint32_t port, HttpRequest& request,
                                            int64_t now_s, std::vector<ShadowDecision>* dry_run, std::string* verdict,
                                            const ExtensionProvider** check = nullptr,
                                            std::optional<RequestAuth>* verified = nullptr) {
  std::optional<RequestAuth> request_auth;
  if (!providers.empty()) {
    JwtAuthnResult authn = authenticate_jwt(providers, request, now_s);
    if (authn.status != JwtStatus::kOk) return jwt_failure_reply(authn.status, request);
    request_auth = std::move(authn.auth);
  }
  auto refused = rbac_of(policies, ext_providers, self, peer, sni, port, request, request_auth ? &*request_auth : nullptr,
                         dry_run, verdict, check);
  if (verified != nullptr) *verified = std::move(request_auth);  // the RBAC filters after an ext_authz check read it
  return refused;
}

// Why a CUSTOM policy's provider with no Service denies (the verdict's tail).
std::string no_ext_authz_service(const ExtensionProvider& provider) {
  return ": no Service " + provider.service + " to send provider " + provider.name +
         "'s check to, so istiod denies what the policy matches (a ServiceEntry host is not simulated, MSH1005)";
}

// model.LookupCluster: "namespace/hostname", or a hostname one namespace
// has. Null when meshsim has no such Kubernetes Service.
const ServiceInfo* ext_authz_service(const RouteTable& table, std::string_view name) {
  size_t slash = name.find('/');
  const ServiceInfo* s = table.service(slash == std::string_view::npos ? name : name.substr(slash + 1));
  if (s != nullptr && slash != std::string_view::npos && s->ns != name.substr(0, slash)) return nullptr;
  return s;
}

}  // namespace

std::optional<HttpResponse> inbound_rbac(const RouteTable& table, const Endpoint& self, const PeerInfo& peer, uint32_t port,
                                         const HttpRequest& request, const RequestAuth* auth,
                                         std::vector<ShadowDecision>* dry_run, std::string* verdict) {
  return rbac_of(table.authorization_policies_for(self), table.mesh().extension_providers, self, peer, peer.sni, port,
                 request, auth, dry_run, verdict);
}

std::optional<HttpResponse> inbound_http_filters(const RouteTable& table, const Endpoint& self, const PeerInfo& peer,
                                                 uint32_t port, HttpRequest& request, int64_t now_s,
                                                 std::vector<ShadowDecision>* dry_run, std::string* verdict) {
  return http_filters_of(table.jwt_providers_for(self), table.authorization_policies_for(self),
                         table.mesh().extension_providers, self, peer, peer.sni, port, request, now_s, dry_run, verdict);
}

const Sidecar::InboundAnswers& Sidecar::inbound_answers(const std::shared_ptr<const RouteTable>& table, uint32_t port) {
  // The same snapshot (owner-equal: a freed one's address may be reused).
  if (answers_table_.owner_before(table) || table.owner_before(answers_table_)) {
    inbound_answers_.clear();
    answers_table_ = table;
  }
  for (const InboundAnswers& a : inbound_answers_)
    if (a.port == port) return a;
  InboundAnswers& a = inbound_answers_.emplace_back();
  a.port = port;
  a.service = table->inbound_service(*self_, port);
  // Only the Service's name, a view into the snapshot: the fallback reads
  // the endpoint when the report is made, and a live push edits it in place.
  a.report_service_id = a.service.empty() ? 0 : telemetry_text_id(a.service);
  a.protocol = inbound_port_protocol(*table, *self_, port, a.service, a.pool, a.service_port);
  a.jwt_providers = &table->jwt_providers_for(*self_);
  a.policies = table->authorization_policies_for(*self_);
  return a;
}

void Sidecar::outbound(HttpRequest&& request, std::string url_host, uint32_t port, std::function<void(OutboundResult&&)> done) {
  boost::intrusive_ptr<OutboundCall> call(new OutboundCall);
  call->sidecar = this;
  call->alive = alive_;
  call->table = env_.snapshot->get();
  call->request_wire_bytes = serialized_size(request);
  call->request = std::move(request);
  // Envoy's HCM takes the request off its codec: hop-by-hop fields end here
  // (conn_manager_utility.cc), whatever the protocol the app spoke.
  call->downstream_protocol = call->request.protocol;
  call->downstream_ip = identity_.ip;  // the app connects from its pod's address
  translate_request(call->request, call->downstream_protocol);
  call->grpc = is_grpc(call->request.headers);
  // Istio's default pathNormalization (BASE): Envoy routes and forwards the
  // normalized path (ConnectionManagerUtility::maybeNormalizePath).
  normalize_target(call->request);
  // The outbound listener does not use the remote address (listener.go
  // buildSidecarOutboundHTTPListenerOpts: features.UseRemoteAddress, off), so
  // its connection manager only adds x-forwarded-proto when the app sent
  // none, with the scheme of the app's plain-text connection
  // (conn_manager_utility.cc mutateRequestHeaders), before routing.
  if (!call->request.headers.has("x-forwarded-proto")) call->request.headers.set_checked("x-forwarded-proto", "http");
  call->url_host = std::move(url_host);
  call->port = port;
  call->done = std::move(done);
  call->start_call();
}

void Sidecar::send_ext_authz_check(const std::shared_ptr<const RouteTable>& table, const ExtensionProvider& provider,
                                   const ServiceInfo& service, HttpRequest&& check,
                                   std::function<void(OutboundResult&&)> done) {
  // The cluster istiod names, outbound|port||host, as this client's
  // DestinationRule shapes it (TLS, load balancing, outlier detection).
  // None (the port is not the Service's): ext_authz_http_impl.cc finds no
  // cluster and answers an error.
  const Cluster* cluster = table->cluster(service, provider.port, "", ns_);
  if (cluster == nullptr) {
    OutboundResult none;
    none.error = "no cluster outbound|" + std::to_string(provider.port) + "||" + service.fqdn;
    done(std::move(none));
    return;
  }
  boost::intrusive_ptr<OutboundCall> call(new OutboundCall);
  call->sidecar = this;
  call->alive = alive_;
  call->table = table;
  call->async_client = true;
  call->decision.cluster = cluster;
  // The http_service's server_uri timeout (0: none, as Envoy reads a zero
  // timeout); no retry policy.
  if (provider.timeout.count() > 0) call->decision.timeout = provider.timeout;
  // AsyncStreamImpl::sendHeaders: x-envoy-internal, and this proxy's
  // address appended to x-forwarded-for (send_xff).
  check.headers.set("x-envoy-internal", "true");
  if (auto xff = check.headers.get("x-forwarded-for")) check.headers.set("x-forwarded-for", std::string(*xff) + "," + identity_.ip);
  else check.headers.set("x-forwarded-for", identity_.ip);
  call->request_wire_bytes = serialized_size(check);
  call->request = std::move(check);
  call->downstream_ip = identity_.ip;
  call->url_host = service.fqdn;
  call->port = provider.port;
  call->done = std::move(done);
  call->start_call();
}

void Sidecar::gateway_inbound(std::string request_bytes, const PeerInfo& peer, uint32_t port,
                              std::function<void(TransportResult&&)> done) {
  const GatewayListener* listener = self_ ? env_.snapshot->current().gateway_routes().listener(*self_, port) : nullptr;
  HttpRequest request;
  DecodeOutcome outcome;
  if (listener != nullptr && listener->plaintext_http && !parse_request(request_bytes, request, &outcome)) {
    HttpResponse bad = text_reply(outcome.error_status ? outcome.error_status : 400, "");
    add_connection_manager_headers(bad, outbound_server_name());
    TransportResult tr;
    tr.connected = true;
    tr.response_bytes = serialize(bad);
    done(std::move(tr));
    return;
  }
  gateway_inbound_message(std::move(request), peer, port, std::move(done), request_bytes.size());
}

void Sidecar::gateway_inbound_message(HttpRequest&& request, const PeerInfo& peer, uint32_t port,
                                      std::function<void(TransportResult&&)> done, uint64_t wire_bytes) {
  auto table = env_.snapshot->get();
  const GatewayListener* listener = self_ ? table->gateway_routes().listener(*self_, port) : nullptr;
  if (listener == nullptr || !listener->plaintext_http) {
    // No server on the port: nothing listens. Only HTTPS/TLS servers: the
    // plain-text request fails their TLS handshake.
    TransportResult tr;
    tr.failure = listener == nullptr ? transport_failure::kRefused : transport_failure::kReset;
    done(std::move(tr));
    return;
  }
  if (wire_bytes == 0) wire_bytes = serialized_size(request);  // a decoded hop: as HTTP/1.1 would frame it
  // The reply goes back on the hop's protocol: bytes for HTTP/1.1, the
  // decoded message for HTTP/2.
  const WireProtocol hop = request.protocol;
  auto reply = [hop](TransportResult& tr, HttpResponse&& response) {
    if (needs_translation(response.protocol, hop)) translate_response(response, hop);
    if (hop == WireProtocol::kHttp1) tr.response_bytes = serialize(response);
    else tr.decoded = std::move(response);
  };
  // An edge proxy (use_remote_address): the downstream address joins
  // x-forwarded-for and x-forwarded-proto is the downstream scheme
  // (conn_manager_utility.cc mutateRequestHeaders).
  if (auto xff = request.headers.get("x-forwarded-for")) request.headers.set("x-forwarded-for", std::string(*xff) + "," + peer.ip);
  else request.headers.set("x-forwarded-for", peer.ip);
  request.headers.set("x-forwarded-proto", "http");
  // A gateway's listener runs the same inbound HTTP filters as a sidecar's
  // (Istio applies RequestAuthentication and AuthorizationPolicy to gateway
  // workloads by selector): jwt_authn, then RBAC, before routing.
  // The connection has no SNI: meshsim serves a gateway's plain-text HTTP
  // servers only (HTTPS and TLS servers refuse the hop above), and a
  // client's TLS to a gateway is not modeled; Envoy's requested_server_name
  // is empty then (RequestedServerNameMatcher matches "").
  int64_t now_s = env_.unix_now_us() / 1'000'000;
  std::vector<ShadowDecision> dry_run;
  std::string verdict;
  // A filter's local reply to the client.
  auto refuse = [this, reply](HttpResponse&& refused, std::vector<ShadowDecision>&& dry_run, std::string&& verdict,
                              const std::function<void(TransportResult&&)>& done) {
    add_connection_manager_headers(refused, outbound_server_name());
    TransportResult tr;
    tr.connected = true;
    tr.dry_run = std::move(dry_run);
    tr.authz = std::move(verdict);
    reply(tr, std::move(refused));
    done(std::move(tr));
  };
  // Once the filters let it through: routed by the Gateway's virtual hosts,
  // forwarded as a client would. `to_client`: headersToDownstreamOnAllow.
  auto route = [this, listener, port, wire_bytes, hop, reply](
                   std::shared_ptr<const RouteTable>&& table, HttpRequest&& request, const PeerInfo& peer,
                   std::function<void(TransportResult&&)>&& done,
                   std::vector<std::pair<std::string, std::string>>&& to_client) {
    boost::intrusive_ptr<OutboundCall> call(new OutboundCall);
    call->sidecar = this;
    call->alive = alive_;
    call->table = std::move(table);
    call->gateway_listener = listener;
    call->request_wire_bytes = wire_bytes;
    call->url_host = request.authority;
    call->downstream_protocol = hop;
    call->downstream_ip = peer.ip;  // the client, not this gateway
    call->request = std::move(request);
    if (hop != WireProtocol::kHttp1) translate_request(call->request, hop);
    call->grpc = is_grpc(call->request.headers);
    normalize_target(call->request);
    call->port = port;
    call->done = [done = std::move(done), reply, to_client = std::move(to_client)](OutboundResult&& out) {
      TransportResult tr;
      tr.proxy_flags = out.flags;
      tr.overcount = out.overcount;
      if (out.response) {
        tr.connected = true;
        for (const auto& [name, value] : to_client) out.response->headers.add(name, value);
        reply(tr, std::move(*out.response));
      } else {
        tr.failure = transport_failure::kReset;  // the gateway closes the client's connection
      }
      done(std::move(tr));
    };
    call->start_call();
  };
  const ExtensionProvider* check = nullptr;
  std::optional<RequestAuth> verified;
  if (auto refused = http_filters_of(table->jwt_providers_for(*self_), table->authorization_policies_for(*self_),
                                     table->mesh().extension_providers, *self_, peer, {}, port, request, now_s, &dry_run,
                                     &verdict, &check, &verified)) {
    refuse(std::move(*refused), std::move(dry_run), std::move(verdict), done);
    return;
  }
  if (check != nullptr) {
    // The CUSTOM policy's provider decides, as at a sidecar (inbound_message).
    // meshsim starts the gateway's span when it routes, after the filters
    // (Envoy's connection manager starts it before them): the check carries
    // no trace context.
    // No route for the request: the ext_authz filter skips the check
    // (ext_authz.cc decodeHeaders: no route -> skip_check_) and the router
    // answers 404 NR. Whether a route exists draws nothing at random.
    struct NoDraws : Random {
      uint64_t next() override { return 0; }
    } no_draws;
    ClientContext client;
    client.endpoint = self_;
    client.ns = ns_;
    client.labels = &labels_;
    client.gateway = true;
    HttpRequest probe = request;
    normalize_target(probe);
    RouteDecision routed = decide_gateway_route(*table, *listener, client, probe, no_draws);
    if (routed.kind == RouteDecision::Kind::kLocalReply && std::string_view(routed.flag) == "NR") {
      route(std::move(table), std::move(request), peer, std::move(done), {});
      return;
    }
    const ExtensionProvider& provider = *check;
    const ServiceInfo* service = ext_authz_service(*table, provider.service);
    if (service == nullptr) {
      verdict += no_ext_authz_service(provider);
      refuse(text_reply(403, kRbacDeniedBody), std::move(dry_run), std::move(verdict), done);
      return;
    }
    HttpRequest check_request = ext_authz_check_request(provider, request);
    send_ext_authz_check(
        table, provider, *service, std::move(check_request),
        [this, alive = std::weak_ptr<bool>(alive_), &provider, table, request = std::move(request), peer_copy = peer,
         done = std::move(done), verified = std::move(verified), verdict = std::move(verdict), port, refuse,
         route](OutboundResult&& answer) mutable {
          auto a = alive.lock();
          if (!a || !*a) return;
          ExtAuthzOutcome outcome = ext_authz_outcome(provider, answer.response, answer.error, request);
          std::vector<ShadowDecision> dry_run;
          if (outcome.reply) {
            refuse(std::move(*outcome.reply), std::move(dry_run), verdict + ": " + outcome.why, done);
            return;
          }
          std::string rest;
          auto refused = rbac_of(table->authorization_policies_for(*self_), table->mesh().extension_providers, *self_,
                                 peer_copy, {}, port, request, verified ? &*verified : nullptr, &dry_run, &rest, nullptr,
                                 /*custom_allowed=*/true);
          if (refused) {
            // The ext_authz filter adds its headers to whatever is encoded, a later filter's local reply too.
            for (const auto& [name, value] : outcome.to_client_on_allow) refused->headers.add(name, value);
            refuse(std::move(*refused), std::move(dry_run), verdict + ": " + outcome.why + "; then " + rest, done);
            return;
          }
          route(std::move(table), std::move(request), peer_copy, std::move(done), std::move(outcome.to_client_on_allow));
        });
    return;
  }
  route(std::move(table), std::move(request), peer, std::move(done), {});
}

namespace {

// One inbound request from the moment it is parsed to the app's answer: what
// the reply and the destination report need once the request itself has
// moved on to the app. One allocation holds it all.
struct InboundExchange {
  std::function<void(TransportResult&&)> done;
  TimePoint start;
  const Endpoint* peer_endpoint = nullptr;
  std::string peer_principal;  // empty without mTLS
  uint32_t peer_telemetry_id = 0, service_telemetry_id = 0;  // telemetry_ids.h, 0 when unknown
  uint16_t service_port = 0, target_port = 0;  // TelemetryEvent::destination_port, destination_target_port
  bool mtls = false;
  std::string method, target, authority, request_id;
  // The Service the request counts under, a view into `table`, which this keeps alive.
  std::shared_ptr<const RouteTable> table;
  std::string_view service;
  TraceId trace_id, span_id, parent_span;
  bool sampled = false;
  uint64_t request_bytes = 0;
  std::vector<ShadowDecision> dry_run;  // the RBAC filter's shadow verdicts
  std::string authz;                    // its enforced verdict in words (empty: no policy selects the workload)
  WireProtocol protocol = WireProtocol::kHttp1;  // of the hop from the peer
  bool grpc = false;
  uint64_t request_messages = 0;
  Duration overcount{0};  // what the app's calls overcounted (HttpResponse::overcount)
  // headersToDownstreamOnAllow from an ext_authz check: added to the app's response.
  std::vector<std::pair<std::string, std::string>> ext_authz_headers;
  bool answered = false;          // the app's response went back
  bool downstream_reset = false;  // the client's proxy gave up first: no response goes back

  // Sends the response back to the peer on the request's hop; returns its
  // wire size. The inbound listener's server_name is "istio-envoy"
  // (proxy_headers.go). A sidecar gone meanwhile (a push removed its pod)
  // adds nothing. An HTTP/2 hop carries the message decoded, trailers and
  // all; its size is counted as HTTP/1.1 would frame it (no HPACK model).
  uint64_t reply(Sidecar* sidecar, HttpResponse&& r) const {
    if (needs_translation(r.protocol, protocol)) translate_response(r, protocol);
    for (const auto& [name, value] : ext_authz_headers) r.headers.add(name, value);
    if (sidecar != nullptr) sidecar->add_connection_manager_headers(r, "istio-envoy");
    TransportResult tr;
    tr.connected = true;
    tr.dry_run = dry_run;
    tr.authz = authz;
    tr.overcount = overcount;
    uint64_t wire_bytes = 0;
    if (protocol == WireProtocol::kHttp1) {
      tr.response_bytes = serialize(r);
      wire_bytes = tr.response_bytes.size();
    } else {
      wire_bytes = serialized_size(r);
      tr.decoded = std::move(r);
    }
    done(std::move(tr));
    return wire_bytes;
  }
};

}  // namespace

void Sidecar::inbound(std::string request_bytes, const PeerInfo& peer, uint32_t port, const AppHandler& app,
                      std::function<void(TransportResult&&)> done, const std::shared_ptr<StreamReset>& client_reset) {
  HttpRequest request;
  DecodeOutcome outcome;
  if (!parse_request(request_bytes, request, &outcome)) {
    int status = outcome.error_status ? outcome.error_status : 400;  // 431, 501, ... as Envoy's codec answers
    InboundExchange x;
    x.done = std::move(done);
    x.reply(this, text_reply(status, reason_phrase(status)));
    return;
  }
  inbound_message(std::move(request), request_bytes.size(), peer, port, app, std::move(done), client_reset);
}

void Sidecar::inbound_message(HttpRequest&& request, uint64_t wire_bytes, const PeerInfo& peer, uint32_t port,
                              const AppHandler& app, std::function<void(TransportResult&&)> done,
                              const std::shared_ptr<StreamReset>& client_reset) {
  auto table = env_.snapshot->get();
  auto exchange = std::make_shared<InboundExchange>();
  InboundExchange& x = *exchange;
  x.done = std::move(done);
  x.start = env_.clock->now();
  x.protocol = request.protocol;  // the codec (or the peer sidecar) left no hop-by-hop field
  x.grpc = is_grpc(request.headers);
  if (x.grpc) x.request_messages = grpc_message_count(request.body);
  normalize_target(request);  // as on the outbound side: the inbound listener's HCM normalizes too
  if (self_ != nullptr && !peer.mtls && table->peer_authentication_mode(*self_, port) == "STRICT") {
    // STRICT mTLS: the plaintext connection is reset during the handshake.
    TransportResult tr;
    tr.failure = transport_failure::kReset;
    x.done(std::move(tr));
    return;
  }
  // The server span: a child of the caller's span, or a new trace for a
  // request from outside the mesh (Envoy's HCM starts one at ingress).
  // Fields that already hold the value they would be set to are left alone.
  Random& rng = *env_.random;
  TraceFields f(request.headers, kTraceFieldNames);
  // The inbound listener does not use the remote address either
  // (listener_inbound.go: useRemoteAddress false): x-forwarded-proto stays as
  // the caller's sidecar set it, and only a request without one gets the
  // scheme of its connection, https over Istio mTLS
  // (conn_manager_utility.cc mutateRequestHeaders).
  if (!f.has(kForwardedProto)) f.set(kForwardedProto, peer.mtls ? "https" : "http");
  if (auto caller_trace = f.get(kB3TraceId); caller_trace && !caller_trace->empty()) {
    x.trace_id.assign(*caller_trace);
  } else {
    x.trace_id.append_hex(rng.next());
    x.trace_id.append_hex(rng.next());
    f.set(kB3TraceId, x.trace_id);
  }
  x.parent_span.assign(f.get(kB3SpanId).value_or(""));
  x.span_id.append_hex(rng.next());
  f.set(kB3SpanId, x.span_id);
  if (x.parent_span.empty()) f.remove(kB3ParentSpanId);
  else f.set(kB3ParentSpanId, x.parent_span);
  if (auto id = f.get(kRequestId)) {
    x.request_id.assign(*id);
  } else {  // a UUID-shaped 8-4-4-4-12, as Envoy's request-id extension writes
    append_hex(x.request_id, rng.next() >> 32, 8);
    for (int group = 0; group < 3; ++group) {
      x.request_id += '-';
      append_hex(x.request_id, rng.next() >> 48, 4);
    }
    x.request_id += '-';
    append_hex(x.request_id, rng.next() >> 16, 12);
    f.set(kRequestId, x.request_id);
  }
  // The edge decides when the context carries no decision; the app passes it on.
  x.sampled = tracing_decision(f, env_.trace_sampling_percent);
  if (f.get(kB3Sampled) != (x.sampled ? "1" : "0")) f.set(kB3Sampled, x.sampled ? "1" : "0");
  f.set(kTraceparent, traceparent(header_scratch_, x.trace_id, x.span_id, x.sampled));
  // Peer metadata comes only from a caller with a sidecar (meshsim's
  // sidecars always speak mTLS to each other): a plain-text caller is
  // `unknown` in every source_* label (istio/proxy istio_stats.cc
  // populatePeerInfo: no peer object, no peer SAN).
  if (peer.mtls) x.peer_endpoint = peer.endpoint;
  x.mtls = peer.mtls;
  const InboundAnswers* answers = self_ != nullptr ? &inbound_answers(table, port) : nullptr;
  x.target_port = static_cast<uint16_t>(port);
  if (answers != nullptr) {
    x.service = answers->service;
    x.service_telemetry_id = answers->report_service_id;
    x.service_port = static_cast<uint16_t>(answers->service_port);
    x.table = table;
  }
  if (peer.mtls) {
    x.peer_principal = peer.principal;
    x.peer_telemetry_id = peer.telemetry_id;
  }
  x.method = request.method;
  x.target = request.target;
  if (x.sampled) x.authority = request.authority;  // only a traced span reads it (http.url)
  // Wire bytes received from the peer, headers included (istio_stats.cc
  // IstioStatsFilter::log records the downstream wireBytesReceived).
  x.request_bytes = wire_bytes;

  // What a report needs of the response, taken before it leaves.
  struct Answer {
    int status = 0, grpc_status = -1;
    uint64_t messages = 0;
  };
  auto answer_of = [](const InboundExchange& x, const HttpResponse& r) {
    Answer a{r.status};
    if (x.grpc) {
      a.grpc_status = grpc_status_of(r);
      a.messages = grpc_message_count(r.body);
    }
    return a;
  };
  auto record = [this](const InboundExchange& x, const Answer& answer, std::string_view flags, uint64_t response_bytes) {
    int status = answer.status;
    if (env_.telemetry == nullptr || self_ == nullptr) return;
    TelemetryEvent ev;
    ev.reporter = TelemetryEvent::Reporter::kDestination;
    if (x.peer_endpoint) set_source(ev, *x.peer_endpoint);
    ev.source_principal = x.peer_principal;
    set_destination(ev, *self_);
    // The local certificate's SAN: none on a plain-text connection (istio_stats.cc: local_san empty -> unknown).
    if (!x.mtls) ev.destination_principal = {};
    // The destination reporter never reads the Host header (pilot telemetry.go
    // disables the host fallback for inbound sidecars): the service is the
    // inbound cluster's, i.e. one selecting this pod, else the workload's
    // canonical service (istio_stats.cc populatePeerInfo, server side).
    ev.destination_service = inbound_report_service(x.service, *self_);
    // The caller's number stands for its fields and principal only while
    // its endpoint still has it (`meshsim proxy` updates its pod in place).
    if (x.peer_endpoint && x.peer_endpoint->telemetry_id == x.peer_telemetry_id) ev.source_peer_id = x.peer_telemetry_id;
    if (x.mtls) ev.destination_peer_id = self_->telemetry_id;
    ev.destination_service_id = x.service_telemetry_id;
    ev.destination_port = x.service_port;
    ev.destination_target_port = x.target_port;
    ev.mtls = x.mtls;
    ev.method = x.method;
    ev.path = x.target;
    ev.authority = x.authority;
    ev.response_code = status;
    ev.response_flags = flags;
    ev.request_bytes = x.request_bytes;
    ev.response_bytes = response_bytes;
    ev.start = x.start;
    ev.duration = env_.clock->now() - x.start - x.overcount;
    ev.trace_id = x.trace_id;
    ev.span_id = x.span_id;
    ev.parent_span_id = x.parent_span;
    ev.sampled = x.sampled;
    ev.request_id = x.request_id;
    ev.grpc = x.grpc;
    ev.grpc_response_status = answer.grpc_status;
    ev.request_messages = x.request_messages;
    ev.response_messages = answer.messages;
    env_.telemetry->record(ev);
  };
  // Envoy's connection manager sets x-forwarded-client-cert before any
  // filter runs (conn_manager_utility.cc mutateXfccRequestHeader): an
  // ext_authz check or a header rule can read it.
  if (peer.mtls && self_ != nullptr) {
    std::string& xfcc = header_scratch_;  // By=spiffe://<this workload>;URI=spiffe://<the peer>
    xfcc.clear();
    xfcc.append("By=spiffe://").append(self_->principal()).append(";URI=spiffe://").append(peer.principal);
    request.headers.set("x-forwarded-client-cert", xfcc);
  }
  // The hop to the app speaks what the inbound cluster's port says.
  WireProtocol to_app = answers != nullptr ? upstream_protocol(answers->protocol, answers->pool, request.protocol, /*outbound=*/false)
                                           : request.protocol;
  // A filter's local reply goes back to the peer, reported with `flags`.
  auto refuse = [this, record, answer_of](InboundExchange& x, HttpResponse&& refused, std::string_view flags) {
    // A gRPC call gets Envoy's gRPC local reply: 200 with grpc-status 7
    // for RBAC's 403, 16 for jwt_authn's 401 (fact 71; grpc/status.cc).
    if (x.grpc) to_grpc_local_reply(refused);
    x.answered = true;  // a client reset watched during an ext_authz check comes too late now
    Answer answer = answer_of(x, refused);
    uint64_t sent = x.reply(this, std::move(refused));
    record(x, answer, flags, sent);
  };
  // The client's proxy gave up before an answer: the connection manager
  // ends the stream with no response sent, so the report says response code
  // 0 (istio/proxy istio_stats.cc onStreamComplete: responseCode().value_or(0);
  // Envoy access log: "0 means that the server never sent the beginning of a
  // response") and why: DC for an HTTP/1.1 hop, whose connection the client
  // closes (conn_manager_impl.cc onEvent ->
  // resetAllStreams(DownstreamConnectionTermination)), DR for an HTTP/2
  // RST_STREAM (ActiveStream::onResetStream, RemoteReset ->
  // DownstreamRemoteReset). Nothing was sent: no response bytes.
  auto watch_reset = [this, record](const std::shared_ptr<InboundExchange>& exchange,
                                    const std::shared_ptr<StreamReset>& client_reset) {
    client_reset->on_reset([this, record, weak = std::weak_ptr<InboundExchange>(exchange), alive = std::weak_ptr<bool>(alive_)] {
      auto x = weak.lock();
      auto a = alive.lock();
      if (!x || !a || !*a || x->answered) return;
      x->downstream_reset = true;
      record(*x, Answer{}, x->protocol == WireProtocol::kHttp1 ? "DC" : "DR", 0);
    });
  };
  // Once the filters let it through: the request to the app, its answer back to the peer.
  auto forward = [this, record, answer_of, to_app, watch_reset](std::shared_ptr<InboundExchange>&& exchange,
                                                                HttpRequest&& request, const PeerInfo& peer,
                                                                const AppHandler& app,
                                                                const std::shared_ptr<StreamReset>& client_reset) {
    if (needs_translation(request.protocol, to_app)) translate_request(request, to_app);
    std::weak_ptr<bool> alive = alive_;
    if (client_reset) watch_reset(exchange, client_reset);
    app(std::move(request), peer, [this, record, answer_of, exchange = std::move(exchange), alive = std::move(alive)](HttpResponse&& response) {
      auto a = alive.lock();
      bool here = a && *a;
      exchange->answered = true;
      exchange->overcount = response.overcount;
      if (here) add_upstream_service_time(response, env_.clock->now() - exchange->start - exchange->overcount);
      Answer answer = answer_of(*exchange, response);
      // After a reset the reply still travels, unread: the client counts the
      // attempt over when it arrives (attempt_over), as before.
      uint64_t sent = exchange->reply(here ? this : nullptr, std::move(response));
      if (here && !exchange->downstream_reset) record(*exchange, answer, "-", sent);
    });
  };
  if (answers != nullptr) {
    // Token lifetimes are checked against the simulated clock in Unix time.
    int64_t now_s = env_.unix_now_us() / 1'000'000;
    const ExtensionProvider* check = nullptr;
    std::optional<RequestAuth> verified;
    if (auto refused = http_filters_of(*answers->jwt_providers, answers->policies, table->mesh().extension_providers,
                                       *self_, peer, peer.sni, port, request, now_s, &x.dry_run, &x.authz, &check, &verified)) {
      refuse(x, std::move(*refused), "-");
      return;
    }
    if (check != nullptr) {
      // A CUSTOM policy's provider decides: the ext_authz filter sends the
      // check and holds the request until it answers (ext_authz.cc
      // decodeHeaders: StopAllIterationAndWatermark).
      const ExtensionProvider& provider = *check;
      const ServiceInfo* service = ext_authz_service(*table, provider.service);
      if (service == nullptr) {
        // model.LookupCluster fails: istiod builds the deny rules instead (getBadCustomDenyRules).
        x.authz += no_ext_authz_service(provider);
        refuse(x, text_reply(403, kRbacDeniedBody), "-");
        return;
      }
      // A client that gives up meanwhile destroys the filter, which cancels
      // the check (ext_authz.cc onDestroy): reported as below, nothing more.
      if (client_reset) watch_reset(exchange, client_reset);
      HttpRequest check_request = ext_authz_check_request(provider, request);
      // The check carries a child span of this request's span (RawHttpClientImpl::check spawnChild, injectContext).
      std::string span_id;
      append_hex(span_id, env_.random->next(), 16);
      check_request.headers.set("x-b3-traceid", x.trace_id);
      check_request.headers.set("x-b3-spanid", span_id);
      check_request.headers.set("x-b3-parentspanid", x.span_id);
      check_request.headers.set("x-b3-sampled", x.sampled ? "1" : "0");
      send_ext_authz_check(
          table, provider, *service, std::move(check_request),
          [this, alive = std::weak_ptr<bool>(alive_), &provider, exchange = std::move(exchange), request = std::move(request),
           peer_copy = peer, app_copy = app, client_reset, verified = std::move(verified), policies = answers->policies, port,
           refuse, forward](OutboundResult&& answer) mutable {
            auto a = alive.lock();
            if (!a || !*a) return;  // the sidecar went away meanwhile: nothing answers the peer
            InboundExchange& x = *exchange;
            if (x.downstream_reset) return;  // the check was cancelled
            std::string custom = std::move(x.authz);  // "checked by CUSTOM policy NS/NAME rule I"
            ExtAuthzOutcome outcome = ext_authz_outcome(provider, answer.response, answer.error, request);
            if (outcome.reply) {
              // Denied, or an error without failOpen: Envoy flags UAEX
              // (UnauthorizedExternalService) either way (ext_authz.cc onComplete).
              x.authz = custom + ": " + outcome.why;
              refuse(x, std::move(*outcome.reply), "UAEX");
              return;
            }
            x.ext_authz_headers = std::move(outcome.to_client_on_allow);
            // The DENY and ALLOW filters come after the CUSTOM ones.
            std::string rest;
            auto refused = rbac_of(policies, x.table->mesh().extension_providers, *self_, peer_copy, peer_copy.sni, port, request,
                                   verified ? &*verified : nullptr, &x.dry_run, &rest, nullptr, /*custom_allowed=*/true);
            x.authz = custom + ": " + outcome.why + "; then " + rest;
            if (refused) {
              refuse(x, std::move(*refused), "-");
              return;
            }
            forward(std::move(exchange), std::move(request), peer_copy, app_copy, client_reset);
          });
      return;
    }
  }
  forward(std::move(exchange), std::move(request), peer, app, client_reset);
}

}  // namespace meshsim::proxy
