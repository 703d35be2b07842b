// Upstream HTTP/2 connection pools (proxy_core/http2_pool.h): a table of
// concurrent streams against Istio's connectionPool settings, each row
// naming its source. No clock: streams open and close in the order given.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proxy_core/http2_pool.h"

namespace meshsim::proxy {
namespace {

struct PoolRow {
  const char* name;
  const char* source;
  Http2PoolLimits limits;
  std::vector<size_t> hosts;  // one new stream per entry, to that host, none closed
  int attached, pending, overflow;
  int64_t connections;
};

Http2PoolLimits limits(int64_t max_connections, int64_t max_pending, int64_t max_requests, int64_t per_connection,
                       int64_t streams) {
  return Http2PoolLimits{max_connections, max_pending, max_requests, per_connection, streams};
}
constexpr int64_t kUnset = UINT32_MAX;

const PoolRow kRows[] = {
    {"defaults multiplex on one connection per host",
     "envoy connection_pooling.rst (HTTP/2: a single connection per host, streams multiplexed)",
     limits(kUnset, kUnset, kUnset, 0, 1024), {0, 0, 0, 0, 0}, 5, 0, 0, 1},
    {"one connection per host, whatever maxConnections",
     "envoy conn_pool_base.cc tryCreateNewConnection (an upstream with no connections always gets one)",
     limits(1, kUnset, kUnset, 0, 1024), {0, 1, 2}, 3, 0, 0, 3},
    {"maxConcurrentStreams full: another connection",
     "envoy conn_pool_base.cc attachStreamToClient (BUSY at the limit) + protocol.proto max_concurrent_streams",
     limits(kUnset, kUnset, kUnset, 0, 2), {0, 0, 0, 0, 0}, 5, 0, 0, 3},
    {"maxConcurrentStreams full and maxConnections reached: pending",
     "envoy circuit_breaking.rst (pending when no connection has capacity)",
     limits(1, kUnset, kUnset, 0, 2), {0, 0, 0, 0, 0}, 2, 3, 0, 1},
    {"pending queue full: overflow",
     "envoy conn_pool_base.cc newStream (pendingRequests().canCreate(), else Overflow; istio http1MaxPendingRequests)",
     limits(1, 1, kUnset, 0, 2), {0, 0, 0, 0, 0}, 2, 1, 2, 1},
    {"http2MaxRequests: active streams beyond it overflow",
     "envoy conn_pool_base.cc attachStreamToClient (requests().canCreate()); istio destination_rule.proto http2MaxRequests",
     limits(kUnset, kUnset, 3, 0, 1024), {0, 0, 1, 1, 0}, 3, 0, 2, 2},
    {"maxRequestsPerConnection: a connection drains after N streams",
     "envoy conn_pool_base.cc attachStreamToClient (remaining_streams_ 0: DRAINING); istio maxRequestsPerConnection",
     limits(kUnset, kUnset, kUnset, 2, 1024), {0, 0, 0, 0, 0}, 5, 0, 0, 3},
};

TEST(Http2Pool, ConcurrentStreamsAgainstTheLimits) {
  for (const PoolRow& row : kRows) {
    SCOPED_TRACE(std::string(row.name) + " [" + row.source + "]");
    Http2Pools pools;
    int attached = 0, pending = 0, overflow = 0;
    for (size_t host : row.hosts) {
      Http2Pools::Stream s;
      switch (pools.new_stream(host, row.limits, &s, {[] { return true; }, [](std::optional<Http2Pools::Stream>) {}})) {
        case Http2Pools::Outcome::kAttached: ++attached; break;
        case Http2Pools::Outcome::kPending: ++pending; break;
        case Http2Pools::Outcome::kOverflow: ++overflow; break;
      }
    }
    EXPECT_EQ(attached, row.attached);
    EXPECT_EQ(pending, row.pending);
    EXPECT_EQ(overflow, row.overflow);
    EXPECT_EQ(pools.connections(), row.connections);
  }
}

// A waiter and what it was given.
struct Waiting {
  bool wanted = true;
  int ready = 0, overflowed = 0;
  std::optional<Http2Pools::Stream> stream;
  Http2Pools::Waiter waiter() {
    return {[this] { return wanted; },
            [this](std::optional<Http2Pools::Stream> s) {
              if (s) ++ready, stream = s;
              else ++overflowed;
            }};
  }
};

TEST(Http2Pool, APendingStreamTakesTheFirstFreedSlotInArrivalOrder) {
  // envoy conn_pool_base.cc onStreamClosed (BUSY -> READY) then onUpstreamReady.
  Http2PoolLimits l = limits(1, kUnset, kUnset, 0, 1);
  Http2Pools pools;
  Http2Pools::Stream first;
  Waiting a, b;
  ASSERT_EQ(pools.new_stream(0, l, &first, a.waiter()), Http2Pools::Outcome::kAttached);
  Http2Pools::Stream unused;
  ASSERT_EQ(pools.new_stream(0, l, &unused, a.waiter()), Http2Pools::Outcome::kPending);
  ASSERT_EQ(pools.new_stream(0, l, &unused, b.waiter()), Http2Pools::Outcome::kPending);
  pools.stream_closed(first, l);
  EXPECT_EQ(a.ready, 1);
  EXPECT_EQ(b.ready, 0);
  EXPECT_EQ(pools.pending(), 1);
  pools.stream_closed(*a.stream, l);
  EXPECT_EQ(b.ready, 1);
  EXPECT_EQ(pools.connections_opened(), 1);
}

TEST(Http2Pool, ACancelledPendingStreamIsSkipped) {
  // envoy: the router cancels its pending stream when the request ends (ConnectionPool::Cancellable).
  Http2PoolLimits l = limits(1, 1, kUnset, 0, 1);
  Http2Pools pools;
  Http2Pools::Stream first, unused;
  Waiting gone, next;
  ASSERT_EQ(pools.new_stream(0, l, &first, gone.waiter()), Http2Pools::Outcome::kAttached);
  ASSERT_EQ(pools.new_stream(0, l, &unused, gone.waiter()), Http2Pools::Outcome::kPending);
  gone.wanted = false;  // e.g. its route timeout fired
  // The queue (max 1) no longer counts it.
  ASSERT_EQ(pools.new_stream(0, l, &unused, next.waiter()), Http2Pools::Outcome::kPending);
  pools.stream_closed(first, l);
  EXPECT_EQ(gone.ready, 0);
  EXPECT_EQ(next.ready, 1);
}

TEST(Http2Pool, ADrainedConnectionClosesWithItsLastStreamAndPendingGetANewOne) {
  // envoy conn_pool_base.cc onStreamClosed (DRAINING, no streams: close) and
  // onConnectionEvent (pending streams after a close: a new connection).
  Http2PoolLimits l = limits(1, kUnset, kUnset, 2, 1024);
  Http2Pools pools;
  Http2Pools::Stream s1, s2, unused;
  Waiting third;
  ASSERT_EQ(pools.new_stream(0, l, &s1, third.waiter()), Http2Pools::Outcome::kAttached);
  ASSERT_EQ(pools.new_stream(0, l, &s2, third.waiter()), Http2Pools::Outcome::kAttached);
  // Draining and at maxConnections 1: the third waits.
  ASSERT_EQ(pools.new_stream(0, l, &unused, third.waiter()), Http2Pools::Outcome::kPending);
  pools.stream_closed(s1, l);
  EXPECT_EQ(third.ready, 0);
  EXPECT_EQ(pools.connections(), 1);
  pools.stream_closed(s2, l);
  EXPECT_EQ(third.ready, 1);
  EXPECT_EQ(pools.connections(), 1);
  EXPECT_EQ(pools.connections_opened(), 2);
  EXPECT_NE(third.stream->connection, s1.connection);
}

TEST(Http2Pool, AttachingAPendingStreamStillChecksHttp2MaxRequests) {
  // envoy conn_pool_base.cc attachStreamToClient runs for pending streams too
  // (onUpstreamReady): over max_requests the pending stream fails with
  // Overflow. Here a config push lowered http2MaxRequests meanwhile.
  Http2PoolLimits l = limits(1, kUnset, 2, 0, 1);
  Http2Pools pools;
  Http2Pools::Stream s1, s2, unused;
  Waiting w;
  ASSERT_EQ(pools.new_stream(0, l, &s1, w.waiter()), Http2Pools::Outcome::kAttached);
  ASSERT_EQ(pools.new_stream(1, l, &s2, w.waiter()), Http2Pools::Outcome::kAttached);  // host 1's first connection
  ASSERT_EQ(pools.new_stream(0, l, &unused, w.waiter()), Http2Pools::Outcome::kPending);
  Http2PoolLimits lowered = limits(1, kUnset, 1, 0, 1);
  pools.stream_closed(s1, lowered);  // host 1's stream is still active: 1 of 1
  EXPECT_EQ(w.ready, 0);
  EXPECT_EQ(w.overflowed, 1);
  EXPECT_EQ(pools.pending(), 0);
  EXPECT_EQ(pools.active_streams(), 1);
}

TEST(Http2Pool, DestinationRuleSettingsMapAsIstioDoes) {
  // istio cluster_traffic_policy.go applyConnectionPool: set only when > 0.
  ConnectionPoolSettings cp;
  cp.max_connections = 3;
  cp.http1_max_pending_requests = 4;
  cp.http2_max_requests = 5;
  cp.max_requests_per_connection = 6;
  cp.max_concurrent_streams = 7;
  Http2PoolLimits l = http2_pool_limits(cp);
  EXPECT_EQ(l.max_connections, 3);
  EXPECT_EQ(l.max_pending, 4);
  EXPECT_EQ(l.max_requests, 5);
  EXPECT_EQ(l.max_requests_per_connection, 6);
  EXPECT_EQ(l.max_concurrent_streams, 7);
  Http2PoolLimits d = http2_pool_limits(std::nullopt);
  EXPECT_EQ(d.max_requests, kUnset);
  EXPECT_EQ(d.max_requests_per_connection, 0);
  EXPECT_EQ(d.max_concurrent_streams, 1024);  // protocol.proto since envoy#40716
}

}  // namespace
}  // namespace meshsim::proxy
