// The conformance runner's hops over real sockets (issue 19, live ≡
// virtual): every hop between instances goes through the LoopbackNetwork
// that `meshsim serve` uses, each pod an HTTP/1.1 + h2c listener on
// 127.0.0.1, the request encoded and parsed again by the codecs.
//
// Time stays simulated: the wall clock is frozen and the scheduler moves on
// only while no bytes are on a socket, so a hop's wire time is zero, as in
// the simulated network the conformance runner uses (link latency 0). What
// differs from the in-memory run is then the bytes path alone.
#pragma once

#include <memory>

#include <utility>  // Boost 1.74 asio/awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>

#include "app/loopback_network.h"
#include "tests/conformance/runner.h"

namespace meshsim::conformance {

class SocketHops final : public HopCarrier {
 public:
  SocketHops();
  ~SocketHops() override;
  void attach(sim::World& world) override;
  void settle(sim::World& world) override;
  // A hop that never came back within 10 s of wall time.
  bool stuck() const { return stuck_; }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<app::LoopbackNetwork> network_;
  bool stuck_ = false;
};

}  // namespace meshsim::conformance
