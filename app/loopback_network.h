// The simulated mesh's traffic over real sockets, for `meshsim serve`: every
// pod gets an HTTP listener on 127.0.0.1 (opened when first addressed), and
// each hop between sidecars travels on the protocol the sidecar chose for it
// (wire_protocol.h: a Service port named http2-*/grpc-* or with appProtocol
// http2/grpc/kubernetes.io/h2c is HTTP/2): HTTP/1.1 through the keep-alive
// pool, HTTP/2 as streams on h2c connections (prior knowledge, the HTTP/2
// codec), to that listener, which detects the protocol by the connection
// preface as Envoy does and hands the request to the pod's sidecar and app.
// What a TLS handshake would tell the receiver (the caller's identity for
// mTLS) rides along in-process, keyed by a hop id in one header that the
// receiving listener removes; a request from outside carries none and is
// plaintext. So does what the receiver's proxy knows of its answer
// (plaintext server, gateway flags, dry-run verdicts).
//
// Time: the simulated clock runs at --speed while bytes cross the sockets,
// so a hop's real network time would count `speed` times over. Each hop is
// timed on the wall clock (sent, arrived, answered, back) and on the
// simulated one; the result's TransportResult::overcount says by how much
// the simulated clock overcounted it, so latencies are simulated service
// time plus real network time at any speed. Single-threaded on the
// command's io_context.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/wall_clock.h"
#include "proxy_core/asio/asio_adapter.h"
#include "sim/world.h"

namespace meshsim::app {

class LoopbackNetwork final : public sim::World::Network {
 public:
  // `sync` brings the simulated clock up to the wall clock before a socket
  // event enters the mesh.
  LoopbackNetwork(boost::asio::io_context& io, sim::World& world, std::function<void()> sync,
                  const WallClock& clock = WallClock::system());
  ~LoopbackNetwork() override;

  void carry(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from, sim::World::HopRequest request,
             bool mirrored, std::function<void(proxy::TransportResult&&)> done) override;

  struct PodAddress {
    std::string pod;  // "namespace/pod"
    uint16_t port;
  };
  std::vector<PodAddress> pods() const;

  // What one hop took, measured when its answer is back.
  struct HopTime {
    std::string pod;            // "namespace/pod" it went to
    proxy::Duration network{0};    // wall time on the wire, both ways: the receiver's time excluded
    proxy::Duration simulated{0};  // simulated time the same transit took
    proxy::Duration overcount{0};  // reported to the caller: simulated - network, plus the receiver's own
    proxy::WireProtocol protocol = proxy::WireProtocol::kHttp1;  // as the listener decoded it
  };
  void on_hop(std::function<void(const HopTime&)> observer) { on_hop_ = std::move(observer); }

  // Hops with bytes on a socket now: sent and not yet arrived, or answered
  // and not yet back. (A hop whose receiver is still at work is not on the
  // wire.) Lets a test hold simulated time while bytes travel.
  size_t legs_on_wire() const;

 private:
  struct Pod;
  using WallTime = std::chrono::steady_clock::time_point;
  struct Hop {
    proxy::PeerInfo from;
    uint32_t port;
    bool mirrored;
    std::string pod;
    sim::TimePoint sent_sim;
    WallTime sent_wall;
    bool arrived = false, answered = false;
    sim::TimePoint arrived_sim{0}, answered_sim{0};
    WallTime arrived_wall, answered_wall;
    proxy::TransportResult answer;  // the receiver's, without its bytes
    proxy::WireProtocol protocol = proxy::WireProtocol::kHttp1;  // as the listener decoded it
  };
  Pod& pod_for(const proxy::Endpoint& to);
  // The hop's timing, folded into the caller's result.
  void settle(Hop& hop, proxy::TransportResult& tr);

  boost::asio::io_context& io_;
  sim::World& world_;
  std::function<void()> sync_;
  const WallClock& clock_;
  proxy::asio::AsioTransport transport_;
  std::map<std::string, std::unique_ptr<Pod>> pods_;  // by "namespace/pod"
  std::map<uint64_t, Hop> hops_;                       // in flight, by hop id
  uint64_t next_hop_ = 0;
  std::function<void(const HopTime&)> on_hop_;
};

}  // namespace meshsim::app
