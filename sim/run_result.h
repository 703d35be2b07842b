// What a scenario run observed: per-phase statistics (the spans between
// timeline steps) and each expectation with its observed value. Built by
// the runner from telemetry events and the traffic sources' own results;
// reports/ turns it into text and JSON.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/histogram.h"
#include "sim/scenario.h"

namespace meshsim::sim {

struct ServiceStats {
  uint64_t requests = 0;
  uint64_t errors = 0;  // is_error_report: no response, 4xx, 5xx, a gRPC status other than OK
  std::map<std::string, uint64_t> by_version;
  std::map<int, uint64_t> by_status;
  LatencyHistogram latency;
};

struct SourceStats {
  uint64_t requests = 0;
  uint64_t errors = 0;  // no response or status >= 400
  std::map<int, uint64_t> by_status;
  LatencyHistogram latency;
  std::map<std::string, uint64_t> bodies;  // distinct bodies, bounded
};

struct Phase {
  Duration start{0}, end{0};
  std::string caption, command;
  std::vector<std::string> notes;  // e.g. a rejected push and why
  // Adds a note; one that repeats the note just before it is counted on that
  // line ("... (3 times)") instead, so a `serve` taking a push every few
  // seconds for hours keeps one line, not one per push (issue 19's soak).
  void add_note(std::string note) {
    if (last_note_times_ > 0 && notes.size() == last_note_end_ && note == last_note_) {
      notes.back() = last_note_ + " (" + std::to_string(++last_note_times_) + " times)";
      return;
    }
    last_note_ = note;
    last_note_times_ = 1;
    notes.push_back(std::move(note));
    last_note_end_ = notes.size();
  }
  std::map<std::string, ServiceStats> services;  // by destination service short name, from the destination side
  std::map<std::string, SourceStats> sources;    // by traffic source

 private:
  std::string last_note_;  // as added, before its count
  uint64_t last_note_times_ = 0;
  size_t last_note_end_ = 0;  // notes.size() just after it was added: no other note since
};

struct ExpectationResult {
  std::string name;
  bool passed = false;
  // False when the run stopped (serve ended early) before the expectation's
  // window closed: not judged, neither held nor failed (JUnit <skipped>).
  bool reached = true;
  std::string observed;  // one line: value, sample size, interval
  uint64_t samples = 0;
  proxy::SourcePos pos;
};

struct RunResult {
  std::string scenario;
  std::string description;
  uint64_t seed = 0;
  Duration duration{0};  // what ran: less than the scenario's when stopped early
  std::vector<Phase> phases;
  std::vector<ExpectationResult> expectations;
  uint64_t requests = 0;  // sent by traffic sources
  uint64_t events = 0;    // scheduler events run
  bool event_limit_hit = false;
  // What an app's runaway guard refused (WorkloadApp::kMaxNestedArrivals:
  // a call cycle), or empty. The run failed: it modeled no real mesh there.
  std::string runaway;
  int interrupted_by = 0;  // the signal that stopped the run early (SIGINT, SIGTERM), or 0
  bool passed() const {
    if (event_limit_hit || interrupted_by != 0 || !runaway.empty()) return false;
    for (const auto& e : expectations)
      if (!e.passed && e.reached) return false;
    return true;
  }
};

}  // namespace meshsim::sim
