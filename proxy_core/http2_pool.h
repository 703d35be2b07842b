// Envoy's upstream HTTP/2 connection pools for one cluster, in virtual time
// (source/common/conn_pool/conn_pool_base.cc; connection_pooling.rst,
// circuit_breaking.rst): one pool per host multiplexes streams over its
// connections; a connection takes streams up to its concurrent-stream limit
// (then it is busy) and up to max requests per connection (then it drains
// and closes with its last stream). A stream with no room queues as pending
// while a new connection opens, if the cluster's connection limit allows
// one (or the host has none at all). The cluster-wide circuit breakers:
// max_connections, max_pending_requests (queue full: overflow) and
// max_requests (active streams; checked when a stream attaches: overflow).
// Connections open at once (no connect latency is simulated).
//
// Istio's DestinationRule sets them (cluster_traffic_policy.go
// applyConnectionPool): tcp.maxConnections, http.http1MaxPendingRequests,
// http.http2MaxRequests, http.maxRequestsPerConnection,
// http.maxConcurrentStreams. No clock, no I/O: the sidecar calls it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "proxy_core/resources.h"

namespace meshsim::proxy {

struct Http2PoolLimits {
  int64_t max_connections = UINT32_MAX;  // Istio's default thresholds (getDefaultCircuitBreakerThresholds)
  int64_t max_pending = UINT32_MAX;
  int64_t max_requests = UINT32_MAX;
  int64_t max_requests_per_connection = 0;  // 0: unlimited
  int64_t max_concurrent_streams = 1024;    // Envoy's Http2ProtocolOptions default (http2_codec.h)
};
// The limits a DestinationRule's connectionPool sets (unset: Istio's defaults).
Http2PoolLimits http2_pool_limits(const std::optional<ConnectionPoolSettings>& pool);

class Http2Pools {
 public:
  // One stream on one connection of one host's pool.
  struct Stream {
    size_t host = 0;
    uint64_t connection = 0;
  };
  enum class Outcome { kAttached, kPending, kOverflow };
  // A stream waiting for room: `wanted` says whether its request still
  // wants it (a finished request is skipped, as Envoy cancels it);
  // `ready` gets the stream, or nothing when attaching overflowed max_requests.
  struct Waiter {
    std::function<bool()> wanted;
    std::function<void(std::optional<Stream>)> ready;
  };

  // A new stream to `host`: attached now (in *out), queued (waiter runs
  // later, from stream_closed), or refused (overflow: 503 UO).
  Outcome new_stream(size_t host, const Http2PoolLimits& limits, Stream* out, Waiter waiter);
  // The stream ended (response complete, or reset): a busy connection takes
  // the host's next pending stream; a drained one closes.
  void stream_closed(const Stream& stream, const Http2PoolLimits& limits);

  int64_t connections() const { return connections_; }
  int64_t connections_opened() const { return opened_; }
  int64_t active_streams() const { return active_streams_; }
  int64_t pending() const;
  // Connections open to `host` right now (busy, ready or draining).
  size_t connections_to(size_t host) const;

 private:
  struct Connection {
    uint64_t id = 0;
    int64_t active = 0;
    int64_t remaining = 0;  // requests this connection may still take; <0: unlimited
    bool draining = false;
  };
  struct HostPool {
    std::vector<Connection> connections;
    std::deque<Waiter> pending;
  };
  Connection* ready_connection(HostPool& pool, const Http2PoolLimits& limits);
  bool attach(Connection& c, size_t host, const Http2PoolLimits& limits, Stream* out);
  bool open_connection(HostPool& pool, const Http2PoolLimits& limits);
  void serve_pending(HostPool& pool, size_t host, const Http2PoolLimits& limits);

  std::map<size_t, HostPool> hosts_;
  int64_t connections_ = 0, opened_ = 0, active_streams_ = 0;
  uint64_t next_id_ = 0;
};

}  // namespace meshsim::proxy
