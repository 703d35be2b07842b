#include "sim/scheduler.h"

namespace meshsim::sim {

Scheduler::TimerId Scheduler::schedule(Duration delay, std::function<void()> fn) {
  if (delay.count() < 0) delay = Duration(0);
  TimerId id = next_seq_++;
  uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.push_back(std::move(fn));
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = std::move(fn);
  }
  queue_.push({now_ + delay, id, slot});
  return id;
}

bool Scheduler::run(TimePoint until) {
  while (!queue_.empty()) {
    if (queue_.top().at > until) break;
    if (stop_flag_ && stop_flag_->load(std::memory_order_relaxed) != 0) {
      interrupted_ = true;
      return false;
    }
    Event ev = queue_.top();
    queue_.pop();
    // The callback leaves its slot before it runs: it may schedule more.
    std::function<void()> fn = std::move(slots_[ev.slot]);
    slots_[ev.slot] = nullptr;
    free_slots_.push_back(ev.slot);
    // Usually none is cancelled: no hash lookup per event then.
    if (!cancelled_.empty())
      if (auto it = cancelled_.find(ev.seq); it != cancelled_.end()) {
        cancelled_.erase(it);
        continue;
      }
    if (++events_run_ > event_limit_) return false;
    now_ = ev.at;
    fn();
  }
  // The clock reaches `until` even when nothing happens there, so what a live
  // caller schedules next is relative to its own present.
  if (until != TimePoint::max() && until > now_) now_ = until;
  return true;
}

}  // namespace meshsim::sim
