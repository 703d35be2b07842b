#include "app/wall_clock.h"

namespace meshsim::app {

namespace {
class SystemWallClock final : public WallClock {
 public:
  std::chrono::steady_clock::time_point steady_now() const override { return std::chrono::steady_clock::now(); }
  int64_t unix_now_us() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
};
}  // namespace

const WallClock& WallClock::system() {
  static const SystemWallClock clock;
  return clock;
}

}  // namespace meshsim::app
