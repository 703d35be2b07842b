// Upstream HTTP/2 over cleartext (h2c, prior knowledge) for the Asio
// transport: one connection per upstream address carries many concurrent
// streams, as Envoy's HTTP/2 connection pool does (docs arch_overview
// upstream/connection_pooling.rst): a request takes the first connection
// with room under the peer's SETTINGS_MAX_CONCURRENT_STREAMS, else a new one;
// a connection that received GOAWAY takes no new stream and closes when its
// last one ends. The bytes go through the sans-IO codec (proxy_core/http2_codec.h).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange
#include <vector>

#include <boost/asio.hpp>

#include "proxy_core/http2_codec.h"
#include "proxy_core/sidecar.h"

namespace meshsim::proxy::asio {

class H2UpstreamPool {
 public:
  using Done = std::function<void(TransportResult&&)>;
  struct Connection;
  explicit H2UpstreamPool(boost::asio::io_context& io, Http2Settings settings = {});
  ~H2UpstreamPool();
  // Sends `request` on a stream to `to`; `done` gets the decoded response,
  // or a failure when the connection fails or the stream is reset first.
  void send(boost::asio::ip::tcp::endpoint to, HttpRequest request, Done done);
  size_t connections_opened() const { return opened_; }

 private:
  boost::asio::io_context& io_;
  Http2Settings settings_;
  std::map<boost::asio::ip::tcp::endpoint, std::vector<std::shared_ptr<Connection>>> connections_;
  size_t opened_ = 0;
};

}  // namespace meshsim::proxy::asio
