// The simulated mesh's traffic over real sockets, for `meshsim serve`: every
// pod gets an HTTP listener on 127.0.0.1 (opened when first addressed), and
// each hop between sidecars travels as real HTTP/1.1 through the keep-alive
// pool to that listener, which hands it to the pod's sidecar and app.
// What a TLS handshake would tell the receiver (the caller's identity for
// mTLS) rides along in-process, keyed by a hop id in one header that the
// receiving listener removes; a request from outside carries none and is
// plaintext. Single-threaded on the command's io_context.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proxy_core/asio/asio_adapter.h"
#include "sim/world.h"

namespace meshsim::app {

class LoopbackNetwork final : public sim::World::Network {
 public:
  // `sync` brings the simulated clock up to the wall clock before a socket
  // event enters the mesh.
  LoopbackNetwork(boost::asio::io_context& io, sim::World& world, std::function<void()> sync);
  ~LoopbackNetwork() override;

  void carry(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from, std::string bytes, bool mirrored,
             std::function<void(proxy::TransportResult&&)> done) override;

  struct PodAddress {
    std::string pod;  // "namespace/pod"
    uint16_t port;
  };
  std::vector<PodAddress> pods() const;

 private:
  struct Pod;
  struct Hop {
    proxy::PeerInfo from;
    uint32_t port;
    bool mirrored;
  };
  Pod& pod_for(const proxy::Endpoint& to);

  boost::asio::io_context& io_;
  sim::World& world_;
  std::function<void()> sync_;
  proxy::asio::AsioTransport transport_;
  std::map<std::string, std::unique_ptr<Pod>> pods_;  // by "namespace/pod"
  std::map<uint64_t, Hop> hops_;                       // in flight, by hop id
  uint64_t next_hop_ = 0;
};

}  // namespace meshsim::app
