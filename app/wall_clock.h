// The real clocks a live command reads, injected (as Envoy's TimeSource) so
// tests set the time instead of sleeping: a monotonic reading for intervals
// and the Unix time of timestamps. The system one is shared and stateless.
#pragma once

#include <chrono>
#include <cstdint>

namespace meshsim::app {

class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
  virtual int64_t unix_now_us() const = 0;
  // The machine's clocks.
  static const WallClock& system();
};

}  // namespace meshsim::app
