#include "sim/scheduler.h"

namespace meshsim::sim {

Scheduler::TimerId Scheduler::schedule(Duration delay, std::function<void()> fn) {
  if (delay.count() < 0) delay = Duration(0);
  TimerId id = next_seq_++;
  queue_.push({now_ + delay, id, std::move(fn)});
  return id;
}

bool Scheduler::run(TimePoint until) {
  while (!queue_.empty()) {
    if (queue_.top().at > until) break;
    // Moving out of top() is safe: pop() follows before the heap is used again.
    Event ev = std::move(const_cast<Event&>(queue_.top()));
    queue_.pop();
    if (auto it = cancelled_.find(ev.seq); it != cancelled_.end()) {
      cancelled_.erase(it);
      continue;
    }
    if (++events_run_ > event_limit_) return false;
    now_ = ev.at;
    ev.fn();
  }
  // The clock reaches `until` even when nothing happens there, so what a live
  // caller schedules next is relative to its own present.
  if (until != TimePoint::max() && until > now_) now_ = until;
  return true;
}

}  // namespace meshsim::sim
