// What the proxy core is handed instead of reading clocks, sockets or global
// random generators (see ../shared/STYLE.md). sim/ implements these over
// virtual time and an in-memory network; proxy_core/asio over real sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace meshsim::proxy {

using Duration = std::chrono::microseconds;
using TimePoint = std::chrono::microseconds;  // since the world's epoch

// The world's epoch in Unix time, unless a command says otherwise:
// 2018-05-03T00:00:00Z, the week of the talk, so runs are byte-identical.
inline constexpr int64_t kDefaultUnixEpochUs = 1525305600LL * 1000000;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class Timers {
 public:
  virtual ~Timers() = default;
  using TimerId = uint64_t;
  // Runs `fn` once after `delay`; events at the same time run in the order scheduled.
  virtual TimerId schedule(Duration delay, std::function<void()> fn) = 0;
  virtual void cancel(TimerId id) = 0;
  // The next event at the current time, never cancelled (cheaper where that matters).
  virtual void post(std::function<void()> fn) { schedule(Duration::zero(), std::move(fn)); }
};

class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t next() = 0;
  // Uniform in [0, bound); bound > 0. Multiply-shift, no modulo bias worth noting at 64 bits.
  uint64_t below(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
  }
};

}  // namespace meshsim::proxy
