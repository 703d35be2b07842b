// What the mesh shows, aggregated as telemetry events arrive (no
// per-request storage): Istio's standard metrics with Envoy's default
// histogram buckets, sampled traces as Zipkin v2 spans, and the service
// graph derived from observed traffic only. Deterministic: ordered maps,
// times from the simulated clock.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy_core/telemetry.h"
#include "reports/compact_histogram.h"
#include "reports/packed_event.h"
#include "reports/span_export.h"
#include "sim/histogram.h"
#include "sim/scenario.h"

namespace meshsim::reports {

struct TelemetryOptions {
  // Which requests are traced is decided by the sidecars (event.sampled, at
  // the edge, as Envoy does); what is kept of the sampled traces is bounded
  // and spread over the whole run: a deterministic reservoir per phase (the
  // traces with the smallest id hashes) plus the most recent ones (live /traces).
  size_t traces_per_phase = 50;
  size_t recent_traces = 50;
  size_t spans_per_trace_max = 64;
  // Where phases start, in simulated microseconds (timeline step times);
  // empty: the whole run is one phase.
  std::vector<int64_t> phase_starts_us;
  // Zipkin timestamps are microseconds since the Unix epoch; simulated time
  // starts here (2018-05-03T00:00:00Z, the week of the talk) so files are
  // byte-identical across runs.
  int64_t epoch_us = 1525305600LL * 1000000;
  // Wall microseconds per simulated one in timestamps (span_export.h
  // UnixTime): 1/--speed in `serve`, so spans and samples carry wall time.
  double wall_per_sim = 1.0;
  // > 0: every series is sampled each this many simulated microseconds, for
  // the OpenMetrics file (write_openmetrics); 0: only the current values.
  int64_t scrape_interval_us = 0;
  // The kept scrapes are bounded by resolution, not by time: at most about
  // this many samples (~0.5 KB each, 2 MB) across all series, or 4 per
  // series in a larger mesh; past that, every other kept scrape is dropped
  // (a series' values at the ones left stay exact) and one in twice as many
  // is kept from then on (issue 20).
  int64_t scrape_samples_max = 4096;
};

struct GraphEdge {
  std::string from, to;  // "workload (version)" nodes
  std::string to_service;
  uint64_t requests = 0, errors = 0;
  bool mtls = false;
  // sim::LatencyHistogram's buckets and percentiles, packed: an edge's
  // latencies spread over decades as a long run meets its tails (issue 20).
  CompactHistogram latency{sim::LatencyHistogram::kDefaultPrecisionBits};
};

// The istio_requests_total labels of one report, in Istio's order.
std::vector<std::pair<const char*, std::string>> istio_request_labels(const proxy::TelemetryEvent& event);

class MeshTelemetry final : public proxy::TelemetrySink {
 public:
  explicit MeshTelemetry(TelemetryOptions options = {}) : options_(options) {}
  void record(const proxy::TelemetryEvent& event) override;
  int64_t epoch_us() const { return options_.epoch_us; }
  UnixTime unix_time() const { return {options_.epoch_us, options_.wall_per_sim}; }

  // Prometheus text exposition (metrics.prom / GET /metrics).
  std::string prometheus() const;
  // OpenMetrics text with one timestamped sample of every series per scrape
  // interval, from the epoch up to `end_us` of simulated time, then `# EOF`
  // (metrics.om.txt, for `promtool tsdb create-blocks-from openmetrics`).
  void write_openmetrics(std::ostream& out, int64_t end_us) const;
  // Zipkin v2 JSON: an array of spans (traces.json).
  nlohmann::ordered_json zipkin() const;
  // The same spans as OTLP/HTTP JSON, an ExportTraceServiceRequest (traces.otlp.json).
  nlohmann::ordered_json otlp() const;
  // The service graph (from destination-side reports, as Kiali draws it).
  const std::map<std::pair<std::string, std::string>, GraphEdge>& edges() const { return edges_; }
  std::string dot(double run_seconds) const;
  std::string mermaid(double run_seconds) const;
  std::string graph_text(double run_seconds) const;
  // "What does frontend depend on?": services called by workloads of `app`.
  std::vector<std::string> dependencies(const std::string& app) const;
  // One sampled trace, the first with the most spans, ordered by start time.
  std::vector<proxy::StoredTelemetryEvent> sample_trace() const;
  // The same as text lines (a waterfall).
  std::vector<std::string> sample_trace_waterfall() const;

 private:
  struct Counts {
    uint64_t requests = 0;
    // Per bucket (not cumulative), the last one +Inf: see observe().
    std::array<uint64_t, 20> duration_buckets{}, request_bytes_buckets{}, response_bytes_buckets{};
    double duration_sum = 0, request_bytes_sum = 0, response_bytes_sum = 0;
    bool grpc = false;  // gRPC requests: the message counters apply
    uint64_t request_messages = 0, response_messages = 0;
  };
  // The counts at a scrape, kept only when they changed since the one before.
  struct Sample {
    uint32_t scrape;
    Counts counts;
  };
  // A series' samples in scrape order, each stored as the change from the
  // one before (varints; a bitmask of the buckets that moved; sums XORed):
  // about 40 bytes instead of 540, so the samples a long run keeps up to
  // its budget do not show in its memory (issue 20).
  class SampleLog {
   public:
    void push(uint32_t scrape, const Counts& counts);
    // The same, given the buckets that differ from the last sample pushed
    // (bit i of moved[k]: bucket i of the k-th histogram): reads and
    // updates those only, not three whole histograms twice.
    void push_moved(uint32_t scrape, const Counts& counts, const uint32_t (&moved)[3]);
    // Which buckets of `counts` differ from the last sample pushed.
    void moved_since_last(const Counts& counts, uint32_t (&moved)[3]) const;
    size_t size() const { return size_; }
    std::vector<Sample> decode() const;
    // Reads the samples in order.
    class Reader {
     public:
      explicit Reader(const SampleLog& log) : log_(log) { peek(); }
      bool done() const { return read_ == log_.size_; }
      uint32_t scrape() const { return scrape_; }  // of the next sample
      const Counts& take();  // the next sample's counts, valid until the next take()
     private:
      void peek();
      const SampleLog& log_;
      size_t pos_ = 0, read_ = 0;
      uint32_t scrape_ = 0;
      Counts counts_{};
    };

   private:
    std::vector<uint8_t> bytes_;
    size_t size_ = 0;
    uint32_t last_scrape_ = 0;
    Counts last_{};
  };
  struct Series : Counts {
    // Scrapes (index k: simulated time k * interval) from `first_scrape` on
    // have a sample; the first is 0 when the series began after it.
    uint32_t first_scrape = 0;
    bool changed = false;  // since the last kept scrape; then it is in changed_
    uint32_t moved[3] = {0, 0, 0};  // the buckets that differ from history's last sample
    SampleLog history;
  };
  // The series changed since the last kept scrape: a scrape visits these,
  // not every series of the mesh (issue 20). Map nodes do not move.
  std::vector<Series*> changed_;
  // Takes every scrape due before simulated time `until_us`.
  void scrape_before(int64_t until_us);
  // TelemetryOptions::scrape_samples_max bounds the kept scrapes.
  uint32_t scrape_stride_ = 1;  // a scrape k is kept when k % scrape_stride_ == 0
  void thin_scrapes();
  struct Span {
    PackedEvent event;  // a third of a StoredTelemetryEvent's memory (issue 20)
  };
  struct KeptTrace {
    std::vector<Span> spans;
    bool in_reservoir = false, in_recent = false;
  };
  // Keeps the trace of a sampled event, or says it is not kept (null).
  KeptTrace* keep_trace(const proxy::TelemetryEvent& e);
  void release(std::map<std::string, KeptTrace, std::less<>>::iterator it);
  size_t phase_of(int64_t start_us) const;
  TelemetryOptions options_;
  std::map<std::string, Series> series_;  // by rendered label set, in Istio's label order
  uint32_t scrapes_taken_ = 0;
  // Where an event's counts go, found once per distinct label set by the
  // event's raw fields (edge: null for source reports).
  struct Aggregates {
    Series* series;
    GraphEdge* edge;
  };
  // Eight bytes a step: std::hash takes a byte or so a step, and every
  // report hashes its ~150-byte identity (issue 20). Lookup only: no output
  // depends on the order.
  struct IdentityHash {
    size_t operator()(const std::string& identity) const;
  };
  std::unordered_map<std::string, Aggregates, IdentityHash> series_by_identity_;
  std::string identity_scratch_;
  // The same, for a report that carries the numbers of its identities
  // (telemetry_ids.h): found by 32 bytes built from the report itself,
  // without reading the endpoints' text. Filled from the lookup above.
  struct NumberedIdentity {
    uint32_t source, destination, service;
    int32_t response_code, grpc_status;
    uint32_t marks;  // reporter, mTLS, gRPC, and the response flags' length
    uint64_t flags;  // the response flags' bytes ("-", "UF,URX"), when at most 8
    bool operator==(const NumberedIdentity&) const = default;
  };
  struct NumberedIdentityHash {
    size_t operator()(const NumberedIdentity& key) const;
  };
  static bool numbered_identity(const proxy::TelemetryEvent& e, NumberedIdentity& key);
  std::unordered_map<NumberedIdentity, Aggregates, NumberedIdentityHash> series_by_number_;
  Aggregates& aggregates_of(const proxy::TelemetryEvent& e);
  std::map<std::string, KeptTrace, std::less<>> traces_;  // by trace id
  // Per phase, the kept traces by id hash: the largest is evicted first.
  std::vector<std::map<uint64_t, std::string>> reservoirs_;
  std::deque<std::string> recent_;  // trace ids, oldest first
  std::map<std::pair<std::string, std::string>, GraphEdge> edges_;
  std::map<std::string, std::string> node_app_;  // node -> app label
};

// Where the phases of a run of `scenario` start (its timeline's step times),
// for TelemetryOptions::phase_starts_us.
std::vector<int64_t> phase_starts_us(const sim::Scenario& scenario);
// Options for a run of `scenario`: its phases, its startTime as the epoch,
// its scrape interval.
TelemetryOptions telemetry_options_for(const sim::Scenario& scenario);

// istio_build's tag: the Istio release whose behaviour meshsim follows,
// marked so that no dashboard mistakes it for a real proxy.
inline constexpr const char* kIstioBuildTag = "1.31.0-meshsim";

// Envoy's default histogram buckets (HistogramSettingsImpl::defaultBuckets),
// which Istio's istio_request_duration_milliseconds and byte histograms use.
const std::vector<double>& envoy_default_buckets();

}  // namespace meshsim::reports
