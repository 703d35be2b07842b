#include "reports/mesh_telemetry.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "proxy_core/hash.h"
#include "proxy_core/hosts.h"
#include "reports/span_export.h"
#include "reports/varint.h"
#include "sim/request_errors.h"

namespace meshsim::reports {

namespace {

using nlohmann::ordered_json;

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string or_unknown(std::string_view s) { return s.empty() ? "unknown" : std::string(s); }

std::string spiffe(std::string_view principal) {
  return principal.empty() ? "unknown" : "spiffe://" + std::string(principal);
}

// A graph node: the workload, with its version when the name does not already say it.
std::string node_of(std::string_view workload, std::string_view version) {
  if (workload.empty()) return "unknown";
  if (version.empty() || workload.ends_with("-" + std::string(version))) return std::string(workload);
  return fmt::format("{} ({})", workload, version);
}

std::string service_namespace(std::string_view fqdn) {
  auto first = fqdn.find('.');
  if (first == std::string_view::npos) return "unknown";
  auto second = fqdn.find('.', first + 1);
  return std::string(fqdn.substr(first + 1, second == std::string_view::npos ? std::string_view::npos : second - first - 1));
}

}  // namespace

// Istio's label set in the order its Prometheus output shows (istio/proxy
// stats plugin dimensions).
std::vector<std::pair<const char*, std::string>> istio_request_labels(const proxy::TelemetryEvent& e) {
  bool destination = e.reporter == proxy::TelemetryEvent::Reporter::kDestination;
  std::vector<std::pair<const char*, std::string>> l = {
      {"reporter", destination ? "destination" : "source"},
      {"source_workload", or_unknown(e.source_workload)},
      // The pod's canonical labels (route_table.h canonical_service_of), not app/version.
      {"source_canonical_service", or_unknown(e.source_canonical_service)},
      {"source_canonical_revision", e.source_canonical_revision.empty() ? "latest" : std::string(e.source_canonical_revision)},
      {"source_workload_namespace", or_unknown(e.source_namespace)},
      {"source_principal", spiffe(e.source_principal)},
      {"source_app", or_unknown(e.source_app)},
      {"source_version", or_unknown(e.source_version)},
      {"source_cluster", "Kubernetes"},
      {"destination_workload", or_unknown(e.destination_workload)},
      {"destination_workload_namespace", or_unknown(e.destination_namespace)},
      {"destination_principal", spiffe(e.destination_principal)},
      {"destination_app", or_unknown(e.destination_app)},
      {"destination_version", or_unknown(e.destination_version)},
      {"destination_service", or_unknown(e.destination_service)},
      {"destination_canonical_service", or_unknown(e.destination_canonical_service)},
      {"destination_canonical_revision",
       e.destination_canonical_revision.empty() ? "latest" : std::string(e.destination_canonical_revision)},
      {"destination_service_name", e.destination_service.empty() ? "unknown" : proxy::short_name(e.destination_service)},
      {"destination_service_namespace", e.destination_service.empty() ? "unknown" : service_namespace(e.destination_service)},
      // The source reporter takes it from the destination peer, unknown
      // when there is none (istio_stats.cc populatePeerInfo).
      {"destination_cluster", destination || !e.destination_workload.empty() ? "Kubernetes" : "unknown"},
      // istio_stats.cc: "grpc" for a gRPC request, "http" otherwise (HTTP/2 included).
      {"request_protocol", std::string(e.request_protocol())},
      {"response_code", std::to_string(e.response_code)},
      // Only gRPC requests carry a status (Envoy getGrpcStatus); empty otherwise.
      {"grpc_response_status", e.grpc_response_status < 0 ? "" : std::to_string(e.grpc_response_status)},
      {"response_flags", e.response_flags.empty() ? "-" : std::string(e.response_flags)},
      {"connection_security_policy", destination ? (e.mtls ? "mutual_tls" : "none") : "unknown"},
  };
  return l;
}

namespace {

// Rendered once per new label set, which in a large mesh is most of the
// events of a short run: appended in place (no format call, no escaped
// copy per label), the same text as escape_label would give.
std::string labels_of(const proxy::TelemetryEvent& e) {
  auto l = istio_request_labels(e);
  std::string out;
  for (const auto& [k, v] : l) {
    if (!out.empty()) out += ',';
    out.append(k).append("=\"");
    for (char c : v) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') out += "\\n";
      else out += c;
    }
    out += '"';
  }
  return out;
}

// What decides an event's label set, raw: building this is far cheaper than
// rendering the labels, which happens once per distinct set.
void identity_of(const proxy::TelemetryEvent& e, std::string& key) {
  const std::string_view fields[] = {e.source_workload,
                                     e.source_app,
                                     e.source_version,
                                     e.source_namespace,
                                     e.source_principal,
                                     e.source_canonical_service,
                                     e.source_canonical_revision,
                                     e.destination_workload,
                                     e.destination_namespace,
                                     e.destination_principal,
                                     e.destination_app,
                                     e.destination_version,
                                     e.destination_canonical_service,
                                     e.destination_canonical_revision,
                                     e.destination_service,
                                     e.response_flags};
  size_t size = 11 + 2 + 12;  // the response code (an int), the reporter and mTLS marks, the gRPC status
  for (std::string_view f : fields) size += f.size() + 1;  // and its separator
  key.resize(size);  // keeps its capacity: one write pass, no growth checks
  char* at = key.data();
  for (std::string_view f : fields) {
    if (!f.empty()) std::memcpy(at, f.data(), f.size());  // an empty view may be null
    at += f.size();
    *at++ = '\x1f';
  }
  at = std::to_chars(at, key.data() + key.size(), e.response_code).ptr;
  *at++ = e.reporter == proxy::TelemetryEvent::Reporter::kDestination ? 'd' : 's';
  *at++ = e.mtls ? 'm' : 'p';
  if (e.grpc) {
    *at++ = 'g';
    at = std::to_chars(at, key.data() + key.size(), e.grpc_response_status).ptr;
  }
  key.resize(static_cast<size_t>(at - key.data()));
}

// Counts the value in the first bucket whose bound holds it (the last is
// +Inf); Prometheus' cumulative `le` counts are summed when rendered.
// Returns the bucket's bit.
uint32_t observe(std::array<uint64_t, 20>& buckets, double value) {
  const auto& bounds = envoy_default_buckets();
  size_t i = 0;
  while (i < bounds.size() && value > bounds[i]) ++i;
  ++buckets[i];
  return uint32_t{1} << i;
}

}  // namespace

std::vector<int64_t> phase_starts_us(const sim::Scenario& scenario) {
  // The cuts sim's runner makes its phases at: steps after zero, before the end.
  std::vector<int64_t> starts;
  for (const auto& step : scenario.timeline)
    if (step.at > sim::Duration(0) && step.at < scenario.duration) starts.push_back(step.at.count());
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  return starts;
}

TelemetryOptions telemetry_options_for(const sim::Scenario& scenario) {
  TelemetryOptions options;
  options.phase_starts_us = phase_starts_us(scenario);
  options.epoch_us = scenario.start_unix_us;
  options.scrape_interval_us = scenario.scrape_interval.count();
  return options;
}

const std::vector<double>& envoy_default_buckets() {
  static const std::vector<double> buckets = {0.5,   1,     5,     10,     25,     50,     100,     250,     500,    1000,
                                              2500,  5000,  10000, 30000,  60000,  300000, 600000,  1800000, 3600000};
  return buckets;
}

namespace {

// splitmix64's constants (Steele, Lea and Flood, "Fast splittable
// pseudorandom number generators", 2014); its finalizer moves every input
// bit into every output bit.
constexpr uint64_t kSplitmixGamma = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kSplitmixMultiplier1 = 0xbf58476d1ce4e5b9ull;
constexpr uint64_t kSplitmixMultiplier2 = 0x94d049bb133111ebull;

uint64_t splitmix_finalize(uint64_t h) {
  h = (h ^ (h >> 30)) * kSplitmixMultiplier1;
  h = (h ^ (h >> 27)) * kSplitmixMultiplier2;
  return h ^ (h >> 31);
}

}  // namespace

size_t MeshTelemetry::IdentityHash::operator()(const std::string& identity) const {
  // One multiply-xorshift per 64-bit word, the tail zero-padded, the length
  // mixed in first; the finalizer at the end.
  uint64_t h = kSplitmixGamma ^ identity.size();
  const char* p = identity.data();
  size_t left = identity.size();
  for (; left >= 8; p += 8, left -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * kSplitmixMultiplier1;
    h ^= h >> 31;
  }
  if (left > 0) {
    uint64_t word = 0;
    std::memcpy(&word, p, left);
    h = (h ^ word) * kSplitmixMultiplier1;
    h ^= h >> 31;
  }
  return static_cast<size_t>(splitmix_finalize(h));
}

bool MeshTelemetry::numbered_identity(const proxy::TelemetryEvent& e, NumberedIdentity& key) {
  if (e.source_peer_id == 0 || e.destination_peer_id == 0 || e.destination_service_id == 0 || e.response_flags.size() > 8)
    return false;
  key.source = e.source_peer_id;
  key.destination = e.destination_peer_id;
  key.service = e.destination_service_id;
  key.response_code = e.response_code;
  key.grpc_status = e.grpc ? e.grpc_response_status : -1;
  key.marks = static_cast<uint32_t>(e.response_flags.size()) << 3 | (e.grpc ? 4u : 0u) | (e.mtls ? 2u : 0u) |
              (e.reporter == proxy::TelemetryEvent::Reporter::kDestination ? 1u : 0u);
  key.flags = 0;
  if (!e.response_flags.empty()) std::memcpy(&key.flags, e.response_flags.data(), e.response_flags.size());
  return true;
}

size_t MeshTelemetry::NumberedIdentityHash::operator()(const NumberedIdentity& key) const {
  // The finalizer over the fields folded two words at a time.
  uint64_t h = splitmix_finalize(uint64_t{key.source} << 32 | key.destination);
  h = splitmix_finalize(h ^ (uint64_t{key.service} << 32 | static_cast<uint32_t>(key.response_code)));
  h = splitmix_finalize(h ^ (uint64_t{static_cast<uint32_t>(key.grpc_status)} << 32 | key.marks));
  return static_cast<size_t>(splitmix_finalize(h ^ key.flags));
}

MeshTelemetry::Aggregates& MeshTelemetry::aggregates_of(const proxy::TelemetryEvent& e) {
  NumberedIdentity numbered;
  bool has_numbers = numbered_identity(e, numbered);
  if (has_numbers)
    if (auto it = series_by_number_.find(numbered); it != series_by_number_.end()) return it->second;
  identity_of(e, identity_scratch_);  // reuses its capacity: no allocation per event
  auto found = series_by_identity_.find(identity_scratch_);
  if (found == series_by_identity_.end()) {
    // First event of this label set: render it, and find its graph edge.
    auto [series, created] = series_.try_emplace(labels_of(e));
    // A new series was 0 at the last scrape taken (it starts there, so that
    // increase() over the file counts its first requests).
    if (created && scrapes_taken_ > 0) series->second.first_scrape = (scrapes_taken_ - 1) / scrape_stride_ * scrape_stride_;
    Aggregates aggregates{&series->second, nullptr};
    if (e.reporter == proxy::TelemetryEvent::Reporter::kDestination) {
      std::string from = node_of(e.source_workload, e.source_version);
      std::string to = node_of(e.destination_workload, e.destination_version);
      GraphEdge& edge = edges_[{from, to}];
      edge.from = from;
      edge.to = to;
      edge.to_service = proxy::short_name(e.destination_service);
      if (!e.source_app.empty()) node_app_[from] = std::string(e.source_app);
      if (!e.destination_app.empty()) node_app_[to] = std::string(e.destination_app);
      aggregates.edge = &edge;
    }
    found = series_by_identity_.emplace(identity_scratch_, aggregates).first;
  }
  if (has_numbers) return series_by_number_.emplace(numbered, found->second).first->second;
  return found->second;
}

void MeshTelemetry::record(const proxy::TelemetryEvent& e) {
  if (options_.scrape_interval_us > 0) scrape_before(e.start.count() + e.duration.count());
  const Aggregates& found = aggregates_of(e);
  Series& s = *found.series;
  if (!s.changed) changed_.push_back(&s);
  s.changed = true;
  ++s.requests;
  // Written only when they change: the line stays clean for other reports.
  if (e.grpc && !s.grpc) s.grpc = true;
  if (e.request_messages != 0) s.request_messages += e.request_messages;
  if (e.response_messages != 0) s.response_messages += e.response_messages;
  double ms = static_cast<double>(e.duration.count()) / 1000.0;
  s.moved[0] |= observe(s.duration_buckets, ms);
  s.moved[1] |= observe(s.request_bytes_buckets, static_cast<double>(e.request_bytes));
  s.moved[2] |= observe(s.response_bytes_buckets, static_cast<double>(e.response_bytes));
  s.duration_sum += ms;
  s.request_bytes_sum += static_cast<double>(e.request_bytes);
  s.response_bytes_sum += static_cast<double>(e.response_bytes);

  // The service graph counts destination reports (as Kiali draws it).
  if (GraphEdge* edge = found.edge) {
    ++edge->requests;
    if (sim::is_error_report(e)) ++edge->errors;
    edge->mtls = edge->mtls || e.mtls;
    edge->latency.record(e.duration.count());
  }

  if (e.trace_id.empty() || !e.sampled) return;
  if (KeptTrace* trace = keep_trace(e); trace && trace->spans.size() < options_.spans_per_trace_max)
    trace->spans.push_back({PackedEvent(e)});
}

void MeshTelemetry::scrape_before(int64_t until_us) {
  // A scrape at T sees every request that ended at or before T.
  while (static_cast<int64_t>(scrapes_taken_) * options_.scrape_interval_us < until_us) {
    if (scrapes_taken_ % scrape_stride_ == 0) {
      for (Series* s : changed_) {
        s->history.push_moved(scrapes_taken_, static_cast<const Counts&>(*s), s->moved);
        s->moved[0] = s->moved[1] = s->moved[2] = 0;
        s->changed = false;
      }
      changed_.clear();
    }
    ++scrapes_taken_;
    int64_t series = static_cast<int64_t>(series_.size());
    if (series * (scrapes_taken_ / scrape_stride_ + 1) > std::max(options_.scrape_samples_max, series * 4)) thin_scrapes();
  }
}

void MeshTelemetry::thin_scrapes() {
  scrape_stride_ *= 2;
  for (auto& [labels, s] : series_) {
    s.first_scrape = s.first_scrape / scrape_stride_ * scrape_stride_;
    std::vector<Sample> history = s.history.decode(), kept;
    for (size_t i = 0; i < history.size(); ++i) {
      Sample& h = history[i];
      if (h.scrape % scrape_stride_ == 0) {
        kept.push_back(std::move(h));
        continue;
      }
      // The next kept scrape after h: a later sample at or before it supersedes h.
      uint32_t next = (h.scrape / scrape_stride_ + 1) * scrape_stride_;
      if (i + 1 < history.size() && history[i + 1].scrape <= next) continue;
      if (next < scrapes_taken_) {
        // Taken, and nothing changed between: h holds the values there.
        h.scrape = next;
        kept.push_back(std::move(h));
      } else {
        if (!s.changed) changed_.push_back(&s);
        s.changed = true;  // not taken yet: it records the values then
      }
    }
    s.history = {};
    for (const Sample& h : kept) s.history.push(h.scrape, h.counts);
    s.history.moved_since_last(s, s.moved);
  }
}

namespace {

// Counters as differences (modulo 2^64: exact either way), sums as the XOR
// of their bits (exact; the high bits of a growing sum rarely change).
uint64_t bits_of(double d) { return std::bit_cast<uint64_t>(d); }

template <size_t N>
void get_buckets(const std::vector<uint8_t>& in, size_t& pos, std::array<uint64_t, N>& into) {
  uint64_t moved = get_varint(in, pos);
  for (size_t i = 0; i < N; ++i)
    if (moved >> i & 1) into[i] += get_varint(in, pos);
}

}  // namespace

void MeshTelemetry::SampleLog::push(uint32_t scrape, const Counts& c) {
  uint32_t moved[3];
  moved_since_last(c, moved);
  push_moved(scrape, c, moved);
}

namespace {

// A histogram's buckets as the bitmask of those that moved, then each moved
// one's difference; brings `before` up to `now` there.
template <size_t N>
void put_moved_buckets(std::vector<uint8_t>& out, const std::array<uint64_t, N>& now, std::array<uint64_t, N>& before,
                       uint32_t moved) {
  put_varint(out, moved);
  for (uint32_t bits = moved; bits != 0; bits &= bits - 1) {
    size_t i = static_cast<size_t>(std::countr_zero(bits));
    put_varint(out, now[i] - before[i]);
    before[i] = now[i];
  }
}

template <size_t N>
uint32_t moved_buckets(const std::array<uint64_t, N>& now, const std::array<uint64_t, N>& before) {
  static_assert(N <= 32);
  uint32_t moved = 0;
  for (size_t i = 0; i < N; ++i)
    if (now[i] != before[i]) moved |= uint32_t{1} << i;
  return moved;
}

}  // namespace

void MeshTelemetry::SampleLog::push_moved(uint32_t scrape, const Counts& c, const uint32_t (&moved)[3]) {
  // Room for a few samples at once (10 to 40 bytes each) rather than growing
  // from one byte: seven allocations per series otherwise (issue 20).
  if (bytes_.capacity() == 0) bytes_.reserve(64);
  put_varint(bytes_, scrape - last_scrape_);
  put_varint(bytes_, c.requests - last_.requests);
  put_moved_buckets(bytes_, c.duration_buckets, last_.duration_buckets, moved[0]);
  put_moved_buckets(bytes_, c.request_bytes_buckets, last_.request_bytes_buckets, moved[1]);
  put_moved_buckets(bytes_, c.response_bytes_buckets, last_.response_bytes_buckets, moved[2]);
  put_varint(bytes_, bits_of(c.duration_sum) ^ bits_of(last_.duration_sum));
  put_varint(bytes_, bits_of(c.request_bytes_sum) ^ bits_of(last_.request_bytes_sum));
  put_varint(bytes_, bits_of(c.response_bytes_sum) ^ bits_of(last_.response_bytes_sum));
  bytes_.push_back(c.grpc ? 1 : 0);
  put_varint(bytes_, c.request_messages - last_.request_messages);
  put_varint(bytes_, c.response_messages - last_.response_messages);
  last_scrape_ = scrape;
  // Field by field, not `last_ = c`: put_moved_buckets brought the moved
  // buckets up to date, and rewriting all 60 would touch the cold lines a
  // scrape of a changed series is meant to skip. A field added to Counts is
  // added here too.
  last_.requests = c.requests;
  last_.duration_sum = c.duration_sum;
  last_.request_bytes_sum = c.request_bytes_sum;
  last_.response_bytes_sum = c.response_bytes_sum;
  last_.grpc = c.grpc;
  last_.request_messages = c.request_messages;
  last_.response_messages = c.response_messages;
  ++size_;
}

void MeshTelemetry::SampleLog::moved_since_last(const Counts& c, uint32_t (&moved)[3]) const {
  moved[0] = moved_buckets(c.duration_buckets, last_.duration_buckets);
  moved[1] = moved_buckets(c.request_bytes_buckets, last_.request_bytes_buckets);
  moved[2] = moved_buckets(c.response_bytes_buckets, last_.response_bytes_buckets);
}

void MeshTelemetry::SampleLog::Reader::peek() {
  if (!done()) scrape_ += static_cast<uint32_t>(get_varint(log_.bytes_, pos_));
}

const MeshTelemetry::Counts& MeshTelemetry::SampleLog::Reader::take() {
  const auto& in = log_.bytes_;
  Counts& c = counts_;
  c.requests += get_varint(in, pos_);
  get_buckets(in, pos_, c.duration_buckets);
  get_buckets(in, pos_, c.request_bytes_buckets);
  get_buckets(in, pos_, c.response_bytes_buckets);
  c.duration_sum = std::bit_cast<double>(bits_of(c.duration_sum) ^ get_varint(in, pos_));
  c.request_bytes_sum = std::bit_cast<double>(bits_of(c.request_bytes_sum) ^ get_varint(in, pos_));
  c.response_bytes_sum = std::bit_cast<double>(bits_of(c.response_bytes_sum) ^ get_varint(in, pos_));
  c.grpc = in[pos_++] != 0;
  c.request_messages += get_varint(in, pos_);
  c.response_messages += get_varint(in, pos_);
  ++read_;
  peek();
  return c;
}

std::vector<MeshTelemetry::Sample> MeshTelemetry::SampleLog::decode() const {
  std::vector<Sample> out;
  out.reserve(size_);
  for (Reader r(*this); !r.done();) {
    uint32_t scrape = r.scrape();
    out.push_back({scrape, r.take()});
  }
  return out;
}

size_t MeshTelemetry::phase_of(int64_t start_us) const {
  const auto& starts = options_.phase_starts_us;
  return static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), start_us) - starts.begin());
}

MeshTelemetry::KeptTrace* MeshTelemetry::keep_trace(const proxy::TelemetryEvent& e) {
  auto it = traces_.find(e.trace_id);
  if (it != traces_.end()) return &it->second;
  // A trace not kept yet: its first span to finish (the innermost) decides.
  // The reservoir keeps the traces with the smallest id hashes of each phase:
  // a later span of an evicted trace hashes above what the reservoir keeps
  // now, so it is never mistaken for a new trace and kept as a fragment.
  uint64_t hash = proxy::fnv1a(e.trace_id);
  size_t phase = phase_of(e.start.count());
  if (reservoirs_.size() <= phase) reservoirs_.resize(phase + 1);
  auto& reservoir = reservoirs_[phase];
  bool to_reservoir = options_.traces_per_phase > 0 &&
                      (reservoir.size() < options_.traces_per_phase || hash < reservoir.rbegin()->first);
  bool to_recent = options_.recent_traces > 0;
  if (!to_reservoir && !to_recent) return nullptr;
  it = traces_.emplace(std::string(e.trace_id), KeptTrace{}).first;
  if (to_reservoir && reservoir.emplace(hash, it->first).second) {
    it->second.in_reservoir = true;
    if (reservoir.size() > options_.traces_per_phase) {
      auto largest = std::prev(reservoir.end());
      auto evicted = traces_.find(largest->second);
      reservoir.erase(largest);
      if (evicted != traces_.end()) {
        evicted->second.in_reservoir = false;
        release(evicted);
      }
    }
  }
  if (to_recent) {
    it->second.in_recent = true;
    recent_.push_back(it->first);
    if (recent_.size() > options_.recent_traces) {
      auto oldest = traces_.find(recent_.front());
      recent_.pop_front();
      if (oldest != traces_.end()) {
        oldest->second.in_recent = false;
        release(oldest);
      }
    }
  }
  auto kept = traces_.find(e.trace_id);  // the evictions above may have let it go
  return kept == traces_.end() ? nullptr : &kept->second;
}

void MeshTelemetry::release(std::map<std::string, KeptTrace, std::less<>>::iterator it) {
  if (!it->second.in_reservoir && !it->second.in_recent) traces_.erase(it);
}

std::string MeshTelemetry::prometheus() const {
  std::string out;
  out += "# HELP istio_requests_total Total requests handled by an Istio proxy.\n# TYPE istio_requests_total counter\n";
  for (const auto& [labels, s] : series_) out += fmt::format("istio_requests_total{{{}}} {}\n", labels, s.requests);
  // gRPC messages each way, from Envoy's grpc_stats filter state (Istio
  // standard metrics: istio_request_messages_total / istio_response_messages_total).
  if (std::any_of(series_.begin(), series_.end(), [](const auto& kv) { return kv.second.grpc; })) {
    out += "# HELP istio_request_messages_total gRPC messages sent by clients.\n# TYPE istio_request_messages_total counter\n";
    for (const auto& [labels, s] : series_)
      if (s.grpc) out += fmt::format("istio_request_messages_total{{{}}} {}\n", labels, s.request_messages);
    out += "# HELP istio_response_messages_total gRPC messages sent by servers.\n# TYPE istio_response_messages_total counter\n";
    for (const auto& [labels, s] : series_)
      if (s.grpc) out += fmt::format("istio_response_messages_total{{{}}} {}\n", labels, s.response_messages);
  }
  // Every istio-proxy publishes its version, gauge 1, labels component and tag
  // only (istio_stats.cc Config::recordVersion); Envoy's Prometheus output
  // lists gauges after counters. The mesh dashboard's version panel reads it.
  out += fmt::format("# HELP istio_build Istio component build info.\n# TYPE istio_build gauge\n"
                     "istio_build{{component=\"proxy\",tag=\"{}\"}} 1\n", kIstioBuildTag);
  auto histogram = [&](const char* name, const char* help, auto buckets_of, auto sum_of) {
    out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
    const auto& bounds = envoy_default_buckets();
    for (const auto& [labels, s] : series_) {
      const auto& buckets = buckets_of(s);
      uint64_t cumulative = 0;
      for (size_t i = 0; i < bounds.size(); ++i) {
        cumulative += buckets[i];
        out += fmt::format("{}_bucket{{{},le=\"{:g}\"}} {}\n", name, labels, bounds[i], cumulative);
      }
      out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, cumulative + buckets[bounds.size()]);
      out += fmt::format("{}_sum{{{}}} {:g}\n", name, labels, sum_of(s));
      out += fmt::format("{}_count{{{}}} {}\n", name, labels, s.requests);
    }
  };
  histogram("istio_request_duration_milliseconds", "Duration of requests in milliseconds.",
            [](const Series& s) -> const auto& { return s.duration_buckets; }, [](const Series& s) { return s.duration_sum; });
  histogram("istio_request_bytes", "Request sizes in bytes on the wire, headers included.",
            [](const Series& s) -> const auto& { return s.request_bytes_buckets; }, [](const Series& s) { return s.request_bytes_sum; });
  histogram("istio_response_bytes", "Response sizes in bytes on the wire, headers included.",
            [](const Series& s) -> const auto& { return s.response_bytes_buckets; }, [](const Series& s) { return s.response_bytes_sum; });
  return out;
}

ordered_json MeshTelemetry::zipkin() const {
  ordered_json spans = ordered_json::array();
  for (const auto& [trace_id, kept] : traces_)
    for (const Span& span : kept.spans) spans.push_back(zipkin_span(span.event.unpack(), unix_time()));
  return spans;
}

ordered_json MeshTelemetry::otlp() const {
  std::vector<proxy::StoredTelemetryEvent> events;
  for (const auto& [trace_id, kept] : traces_)
    for (const Span& span : kept.spans) events.push_back(span.event.unpack());
  std::vector<const proxy::StoredTelemetryEvent*> spans;
  for (const auto& e : events) spans.push_back(&e);
  return otlp_traces(spans, unix_time());
}

namespace {

std::string edge_label(const GraphEdge& e, double seconds) {
  double rps = seconds > 0 ? static_cast<double>(e.requests) / seconds : 0;
  double err = e.requests ? 100.0 * static_cast<double>(e.errors) / static_cast<double>(e.requests) : 0;
  return fmt::format("{:.1f} rps, {:.1f}% err, p50 {:.1f} ms, p99 {:.1f} ms{}", rps, err,
                     static_cast<double>(e.latency.percentile(50)) / 1000.0,
                     static_cast<double>(e.latency.percentile(99)) / 1000.0, e.mtls ? ", mTLS" : "");
}

}  // namespace

std::string MeshTelemetry::dot(double seconds) const {
  std::string out = "digraph mesh {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n";
  std::set<std::string> nodes;
  for (const auto& [key, e] : edges_) nodes.insert(e.from), nodes.insert(e.to);
  for (const auto& n : nodes) out += fmt::format("  \"{}\";\n", escape_label(n));
  for (const auto& [key, e] : edges_)
    out += fmt::format("  \"{}\" -> \"{}\" [label=\"{}\"{}];\n", escape_label(e.from), escape_label(e.to), edge_label(e, seconds),
                       e.errors > 0 ? ", color=red" : "");
  return out + "}\n";
}

std::string MeshTelemetry::mermaid(double seconds) const {
  std::string out = "graph LR\n";
  std::map<std::string, std::string> ids;
  auto id = [&](const std::string& n) {
    auto [it, inserted] = ids.emplace(n, "n" + std::to_string(ids.size()));
    if (inserted) out += fmt::format("  {}[\"{}\"]\n", it->second, n);
    return it->second;
  };
  for (const auto& [key, e] : edges_) {
    std::string a = id(e.from), b = id(e.to);
    out += fmt::format("  {} -->|\"{}\"| {}\n", a, edge_label(e, seconds), b);
  }
  return out;
}

std::string MeshTelemetry::graph_text(double seconds) const {
  std::string out;
  for (const auto& [key, e] : edges_) out += fmt::format("  {} → {} ({})\n", e.from, e.to, edge_label(e, seconds));
  return out;
}

std::vector<std::string> MeshTelemetry::dependencies(const std::string& app) const {
  std::set<std::string> out;
  for (const auto& [key, e] : edges_) {
    auto it = node_app_.find(e.from);
    if (it != node_app_.end() && it->second == app) out.insert(e.to_service);
  }
  return {out.begin(), out.end()};
}

std::vector<proxy::StoredTelemetryEvent> MeshTelemetry::sample_trace() const {
  const std::vector<Span>* best = nullptr;
  for (const auto& [id, kept] : traces_)
    if (!best || kept.spans.size() > best->size()) best = &kept.spans;
  std::vector<proxy::StoredTelemetryEvent> events;
  if (!best) return events;
  for (const auto& s : *best) events.push_back(s.event.unpack());
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    if (a.start != b.start) return a.start < b.start;
    return a.reporter == proxy::TelemetryEvent::Reporter::kSource && b.reporter != proxy::TelemetryEvent::Reporter::kSource;
  });
  return events;
}

std::vector<std::string> MeshTelemetry::sample_trace_waterfall() const {
  std::vector<proxy::StoredTelemetryEvent> trace = sample_trace();
  std::vector<std::string> lines;
  if (trace.empty()) return lines;
  std::vector<const proxy::StoredTelemetryEvent*> events;
  for (const auto& e : trace) events.push_back(&e);
  int64_t t0 = events.front()->start.count(), t1 = t0;
  for (auto* e : events) t1 = std::max(t1, e->start.count() + e->duration.count());
  const int width = 40;
  for (auto* e : events) {
    bool server = e->reporter == proxy::TelemetryEvent::Reporter::kDestination;
    double span = std::max<int64_t>(1, t1 - t0);
    int left = static_cast<int>(width * static_cast<double>(e->start.count() - t0) / span);
    int len = std::max(1, static_cast<int>(width * static_cast<double>(e->duration.count()) / span));
    lines.push_back(fmt::format("  {:<34} {}{}{} {:>7.1f} ms",
                                fmt::format("{} {} → {}", server ? "server" : "client",
                                            server ? e->destination_workload : e->source_workload,
                                            proxy::short_name(e->destination_service)),
                                std::string(static_cast<size_t>(left), ' '), std::string(static_cast<size_t>(std::min(len, width - left)), '#'),
                                std::string(static_cast<size_t>(std::max(0, width - left - len)), ' '),
                                static_cast<double>(e->duration.count()) / 1000.0));
  }
  return lines;
}

}  // namespace meshsim::reports
