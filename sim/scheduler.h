// Discrete-event scheduler over virtual time: integer microseconds, events at
// the same time run in insertion order (a sequence number next to the
// timestamp, as ns-3 does), and a hard limit on the number of events so a
// runaway scenario stops instead of spinning. Implements the proxy core's
// Clock and Timers. Single-threaded.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <unordered_set>
#include <vector>

#include "proxy_core/env.h"

namespace meshsim::sim {

using proxy::Duration;
using proxy::TimePoint;

class Scheduler final : public proxy::Clock, public proxy::Timers {
 public:
  // 200 million events is minutes of wall time; more means a runaway loop.
  static constexpr uint64_t kDefaultEventLimit = 200'000'000;

  explicit Scheduler(uint64_t event_limit = kDefaultEventLimit) : event_limit_(event_limit) {}

  TimePoint now() const override { return now_; }
  TimerId schedule(Duration delay, std::function<void()> fn) override;
  void cancel(TimerId id) override { cancelled_.insert(id); }

  // A flag another context (a signal handler) sets to stop the run between
  // two events; run() then returns false and interrupted() says why.
  void stop_when(const std::atomic<int>* flag) { stop_flag_ = flag; }
  bool interrupted() const { return interrupted_; }

  // Runs events until none are left or the next is after `until`, then sets
  // the clock to `until` (unless it is max). Returns false if the event limit
  // was hit or the stop flag was set.
  bool run(TimePoint until = TimePoint::max());
  bool empty() const { return queue_.size() == cancelled_.size(); }
  // When the earliest pending event is due (it may turn out cancelled).
  std::optional<TimePoint> next_at() const {
    if (queue_.empty()) return std::nullopt;
    return queue_.top().at;
  }
  uint64_t events_run() const { return events_run_; }

 private:
  // The heap orders small plain entries; the callbacks stay put in slots
  // (reused through a free list), so sifting never moves a std::function.
  struct Event {
    TimePoint at;
    uint64_t seq;
    uint32_t slot;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  std::vector<std::function<void()>> slots_;
  std::vector<uint32_t> free_slots_;
  std::unordered_set<TimerId> cancelled_;
  TimePoint now_{0};
  uint64_t next_seq_ = 1;
  uint64_t events_run_ = 0;
  uint64_t event_limit_;
  const std::atomic<int>* stop_flag_ = nullptr;
  bool interrupted_ = false;
};

}  // namespace meshsim::sim
