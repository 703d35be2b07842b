// Tracing as Istio does it: the first Envoy on a request's path decides by
// percentage (meshConfig.defaultConfig.tracing.sampling, 1% by default) and
// the trace context carries the decision to every later Envoy; reports keep a
// bounded, deterministic sample of the sampled traces spread over every phase.
// Sources: envoy source/common/http/conn_manager_utility.cc
// mutateTracingRequestHeader (x-client-trace-id, x-envoy-force-trace, then
// x-request-id % 10000 against random_sampling), request_id/uuid
// UUIDRequestIDExtension::getInteger (the UUID's last 8 hex digits), the Zipkin
// tracer taking x-b3-sampled from the request when present.
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "proxy_core/sidecar.h"
#include "reports/mesh_telemetry.h"
#include "sim/scenario_runner.h"
#include "tests/sim/mesh_fixture.h"

namespace meshsim::reports {
namespace {

proxy::HeaderMap headers(std::initializer_list<std::pair<const char*, const char*>> fields) {
  proxy::HeaderMap h;
  for (const auto& [name, value] : fields) h.add(std::string_view(name), value);
  return h;
}

struct DecisionCase {
  const char* name;
  proxy::HeaderMap headers;
  double percent;
  bool traced;
};

TEST(TracingDecision, AsEnvoyMakesIt) {
  const DecisionCase cases[] = {
      // The context's decision wins either way (Zipkin tracer: x-b3-sampled).
      {"b3 sampled", headers({{"x-b3-sampled", "1"}}), 0, true},
      {"b3 not sampled", headers({{"x-b3-sampled", "0"}, {"x-request-id", "00000000-0000-4000-a000-000000000000"}}), 100, false},
      {"b3 debug", headers({{"x-b3-sampled", "d"}}), 0, true},
      // W3C: the traceparent's sampled flag.
      {"traceparent 01", headers({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}), 0, true},
      {"traceparent 00", headers({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"}}), 100, false},
      // No decision yet: forced (mutateTracingRequestHeader).
      {"x-client-trace-id", headers({{"x-client-trace-id", "mine"}}), 0, true},
      {"x-envoy-force-trace", headers({{"x-envoy-force-trace", "true"}}), 0, true},
      // Random sampling on the request id's last 8 hex digits, mod 10000 < percent x 100.
      {"id 99 at 1%", headers({{"x-request-id", "ffffffff-ffff-4fff-afff-ffff00000063"}}), 1, true},
      {"id 100 at 1%", headers({{"x-request-id", "00000000-0000-4000-a000-000000000064"}}), 1, false},
      {"id 10099 at 1%", headers({{"x-request-id", "00000000-0000-4000-a000-000000002773"}}), 1, true},
      {"any id at 100%", headers({{"x-request-id", "00000000-0000-4000-a000-00000000270f"}}), 100, true},
      {"any id at 0%", headers({{"x-request-id", "00000000-0000-4000-a000-000000000000"}}), 0, false},
      // No usable request id: NotTraceable.
      {"no request id", headers({}), 100, false},
  };
  for (const auto& c : cases) EXPECT_EQ(proxy::tracing_decision(c.headers, c.percent), c.traced) << c.name;
}

struct Recorder : proxy::TelemetrySink {
  std::vector<proxy::StoredTelemetryEvent> events;
  void record(const proxy::TelemetryEvent& e) override { events.emplace_back(e); }
};

// The decision rides in the trace context: a request that arrives already
// decided is honoured by both sidecars, whatever their percentage says.
TEST(TracingDecision, HonouredDownstream) {
  for (auto [incoming, percent, traced] : {std::tuple{"0", 100.0, false}, std::tuple{"1", 0.0, true}}) {
    Recorder sink;
    sim::World world(sim::WorldOptions{1, proxy::Duration(0), proxy::kDefaultUnixEpochUs, percent});
    world.set_telemetry(&sink);
    std::vector<std::string> errors;
    ASSERT_TRUE(world.apply(testing::mesh_with(""), &errors));
    proxy::HttpRequest r;
    r.authority = "bar";
    r.headers.add("x-b3-sampled", incoming);
    auto out = world.call("default", "frontend-v1", r, "bar", 80);
    ASSERT_TRUE(out && out->upstream);
    ASSERT_EQ(sink.events.size(), 2u);
    for (const auto& e : sink.events) EXPECT_EQ(e.sampled, traced) << incoming;
    EXPECT_EQ(out->upstream->request.headers.get("x-b3-sampled"), incoming);
    EXPECT_EQ(out->upstream->request.headers.get("traceparent")->substr(53), traced ? "01" : "00");
  }
}

sim::Scenario demo() {
  auto loaded = config::load_scenario({std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml"});
  EXPECT_TRUE(loaded.scenario.has_value());
  return *loaded.scenario;
}

// Trace ids by the phase their earliest span starts in.
std::map<size_t, std::set<std::string>> traces_by_phase(const nlohmann::ordered_json& spans, const sim::RunResult& r) {
  std::map<std::string, int64_t> first;
  for (const auto& s : spans) {
    int64_t t = s.at("timestamp").get<int64_t>() - TelemetryOptions{}.epoch_us;
    auto [it, inserted] = first.emplace(s.at("traceId").get<std::string>(), t);
    if (!inserted) it->second = std::min(it->second, t);
  }
  std::map<size_t, std::set<std::string>> out;
  for (const auto& [id, t] : first)
    for (size_t i = 0; i < r.phases.size(); ++i)
      if (t >= r.phases[i].start.count() && t < r.phases[i].end.count()) out[i].insert(id);
  return out;
}

// Every phase in which sidecars saw traffic has traces in traces.json (the
// first phase runs before injection: no Envoy, so nothing to trace), and what
// is kept stays bounded however long the run.
TEST(TraceSampling, EveryPhaseOfTheDemoHasTraces) {
  sim::Scenario sc = demo();
  TelemetryOptions t;
  t.phase_starts_us = phase_starts_us(sc);
  t.traces_per_phase = 5;
  t.recent_traces = 5;
  MeshTelemetry telemetry(t);
  sim::RunOptions options;
  options.sinks.push_back(&telemetry);
  sim::RunResult r = sim::run_scenario(sc, options);
  auto spans = telemetry.zipkin();
  auto by_phase = traces_by_phase(spans, r);
  size_t meshed = 0;
  for (size_t i = 0; i < r.phases.size(); ++i) {
    uint64_t requests = 0;
    for (const auto& [name, s] : r.phases[i].services) requests += s.requests;
    if (requests == 0) continue;
    ++meshed;
    EXPECT_GE(by_phase[i].size(), 1u) << "phase " << i << " (" << r.phases[i].caption << ") has no trace";
  }
  EXPECT_GE(meshed, 9u);
  size_t kept = 0;
  for (const auto& [phase, ids] : by_phase) kept += ids.size();
  EXPECT_LE(kept, r.phases.size() * t.traces_per_phase + t.recent_traces);
  // Whole traces: every kept trace has its client and server spans.
  std::map<std::string, std::set<std::string>> kinds;
  for (const auto& s : spans) kinds[s.at("traceId")].insert(s.at("kind").get<std::string>());
  for (const auto& [id, k] : kinds) EXPECT_EQ(k.size(), 2u) << id;
}

// At Istio's default 1% the edge decides for the whole request: a trace is
// kept whole or not at all, and about 1 in 100 edge requests is traced.
TEST(TraceSampling, OnePercentIsDecidedOnceAtTheEdge) {
  sim::Scenario sc = demo();
  sc.trace_sampling_percent = 1;
  TelemetryOptions t;
  t.phase_starts_us = phase_starts_us(sc);
  t.traces_per_phase = 1000;
  MeshTelemetry telemetry(t);
  sim::RunOptions options;
  options.sinks.push_back(&telemetry);
  sim::RunResult r = sim::run_scenario(sc, options);
  auto spans = telemetry.zipkin();
  std::map<std::string, size_t> span_count;
  for (const auto& s : spans) ++span_count[s.at("traceId")];
  // The demo's page is frontend calling foo and bar: every kept trace has
  // frontend's server span and the calls below it, never a lone fragment.
  for (const auto& [id, n] : span_count) EXPECT_GE(n, 3u) << id;
  EXPECT_GT(span_count.size(), 10u);
  EXPECT_LT(span_count.size(), 80u);
}

// The reservoir is deterministic: traces.json is byte-identical per seed.
TEST(TraceSampling, TracesAreByteIdenticalPerSeed) {
  auto once = [] {
    sim::Scenario sc = demo();
    TelemetryOptions t;
    t.phase_starts_us = phase_starts_us(sc);
    MeshTelemetry telemetry(t);
    sim::RunOptions options;
    options.sinks.push_back(&telemetry);
    sim::run_scenario(sc, options);
    return telemetry.zipkin().dump();
  };
  EXPECT_EQ(once(), once());
}

}  // namespace
}  // namespace meshsim::reports
