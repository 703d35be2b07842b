#include "tests/conformance/runner_live.h"

#include <chrono>

#include "app/wall_clock.h"

namespace meshsim::conformance {
namespace {

// Wire time is zero: the clock the network measures hops with never moves.
class FrozenWallClock final : public app::WallClock {
 public:
  std::chrono::steady_clock::time_point steady_now() const override { return {}; }
  int64_t unix_now_us() const override { return 0; }
};

const FrozenWallClock kFrozen;

}  // namespace

SocketHops::SocketHops() = default;
SocketHops::~SocketHops() = default;

void SocketHops::attach(sim::World& world) {
  network_ = std::make_unique<app::LoopbackNetwork>(io_, world, [] {}, kFrozen);
  world.set_network(network_.get());
}

void SocketHops::settle(sim::World& world) {
  auto& scheduler = world.scheduler();
  for (;;) {
    io_.restart();
    io_.poll();
    if (network_->legs_on_wire() > 0) {
      io_.restart();
      if (io_.run_one_for(std::chrono::seconds(10)) == 0) {
        stuck_ = true;
        return;
      }
      continue;
    }
    auto next = scheduler.next_at();
    if (!next) return;
    scheduler.run(*next);
  }
}

}  // namespace meshsim::conformance
