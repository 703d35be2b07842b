#include "proxy_core/http2_pool.h"

#include <algorithm>

#include "proxy_core/http2_codec.h"

namespace meshsim::proxy {

Http2PoolLimits http2_pool_limits(const std::optional<ConnectionPoolSettings>& pool) {
  Http2PoolLimits limits;
  limits.max_concurrent_streams = Http2Settings{}.max_concurrent_streams;
  if (!pool) return limits;
  // Istio sets each only when configured (> 0); otherwise its defaults stand.
  auto positive = [](const std::optional<int32_t>& v) { return v && *v > 0; };
  if (positive(pool->max_connections)) limits.max_connections = *pool->max_connections;
  if (positive(pool->http1_max_pending_requests)) limits.max_pending = *pool->http1_max_pending_requests;
  if (positive(pool->http2_max_requests)) limits.max_requests = *pool->http2_max_requests;
  if (positive(pool->max_requests_per_connection)) limits.max_requests_per_connection = *pool->max_requests_per_connection;
  if (positive(pool->max_concurrent_streams)) limits.max_concurrent_streams = *pool->max_concurrent_streams;
  return limits;
}

int64_t Http2Pools::pending() const {
  int64_t n = 0;
  for (const auto& [host, pool] : hosts_)
    for (const auto& w : pool.pending) n += w.wanted() ? 1 : 0;
  return n;
}

size_t Http2Pools::connections_to(size_t host) const {
  auto it = hosts_.find(host);
  return it == hosts_.end() ? 0 : it->second.connections.size();
}

// A connection that takes one more stream: not draining, under its
// concurrent-stream limit. The oldest such connection first.
Http2Pools::Connection* Http2Pools::ready_connection(HostPool& pool, const Http2PoolLimits& limits) {
  for (auto& c : pool.connections)
    if (!c.draining && c.active < limits.max_concurrent_streams) return &c;
  return nullptr;
}

// conn_pool_base.cc attachStreamToClient: max_requests is checked here
// (overflow), then the connection counts the stream; at max requests per
// connection it drains (no new streams, closes after its last one).
bool Http2Pools::attach(Connection& c, size_t host, const Http2PoolLimits& limits, Stream* out) {
  if (active_streams_ >= limits.max_requests) return false;
  ++c.active;
  ++active_streams_;
  if (c.remaining > 0 && --c.remaining == 0) c.draining = true;
  *out = Stream{host, c.id};
  return true;
}

// conn_pool_base.cc tryCreateNewConnection: within max_connections, or the
// host's first connection whatever the limit ("this upstream has no
// connections, always create one").
bool Http2Pools::open_connection(HostPool& pool, const Http2PoolLimits& limits) {
  if (connections_ >= limits.max_connections && !pool.connections.empty()) return false;
  Connection c;
  c.id = ++next_id_;
  c.remaining = limits.max_requests_per_connection > 0 ? limits.max_requests_per_connection : -1;
  pool.connections.push_back(c);
  ++connections_;
  ++opened_;
  return true;
}

Http2Pools::Outcome Http2Pools::new_stream(size_t host, const Http2PoolLimits& limits, Stream* out, Waiter waiter) {
  HostPool& pool = hosts_[host];
  if (Connection* c = ready_connection(pool, limits)) return attach(*c, host, limits, out) ? Outcome::kAttached : Outcome::kOverflow;
  // No room: the request would queue as pending while a connection opens
  // (newStream: pendingRequests().canCreate(), else overflow).
  if (pending() >= limits.max_pending) return Outcome::kOverflow;
  if (open_connection(pool, limits)) {
    serve_pending(pool, host, limits);  // older waiters of this host first
    if (Connection* c = ready_connection(pool, limits))
      return attach(*c, host, limits, out) ? Outcome::kAttached : Outcome::kOverflow;
  }
  pool.pending.push_back(std::move(waiter));
  return Outcome::kPending;
}

void Http2Pools::stream_closed(const Stream& stream, const Http2PoolLimits& limits) {
  auto it = hosts_.find(stream.host);
  if (it == hosts_.end()) return;
  HostPool& pool = it->second;
  auto c = std::find_if(pool.connections.begin(), pool.connections.end(),
                        [&stream](const Connection& x) { return x.id == stream.connection; });
  if (c == pool.connections.end()) return;
  --c->active;
  --active_streams_;
  // onStreamClosed: a draining connection closes with its last stream; a
  // busy one is ready again and takes pending streams.
  if (c->draining && c->active == 0) {
    pool.connections.erase(c);
    --connections_;
  }
  serve_pending(pool, stream.host, limits);
}

// onUpstreamReady (pending streams in arrival order); a connection that
// closed with pending streams left is replaced (onConnectionEvent).
void Http2Pools::serve_pending(HostPool& pool, size_t host, const Http2PoolLimits& limits) {
  while (!pool.pending.empty()) {
    if (!pool.pending.front().wanted()) {
      pool.pending.pop_front();
      continue;
    }
    Connection* c = ready_connection(pool, limits);
    if (c == nullptr && open_connection(pool, limits)) c = ready_connection(pool, limits);
    if (c == nullptr) return;
    Waiter w = std::move(pool.pending.front());
    pool.pending.pop_front();
    Stream s;
    if (attach(*c, host, limits, &s)) w.ready(s);
    else w.ready(std::nullopt);
  }
}

}  // namespace meshsim::proxy
