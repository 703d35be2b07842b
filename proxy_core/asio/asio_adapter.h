// The proxy core on real sockets: Clock, Timers and Transport over
// Boost.Asio, and an HTTP/1.1 and h2c listener that feeds bytes to the same codec
// the simulated network uses. One io_context thread drives everything
// (the core is single-threaded). Every connection is bounded: header and
// body limits from CodecLimits, an idle timeout, a maximum connection count.
#pragma once

#include <chrono>
#include <utility>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>

#include <boost/asio.hpp>
#include <boost/smart_ptr/intrusive_ptr.hpp>

#include "proxy_core/asio/h2_upstream.h"
#include "proxy_core/codec.h"
#include "proxy_core/sidecar.h"

namespace meshsim::proxy::asio {

namespace net = boost::asio;

// The concurrency hint for an io_context that one thread runs, with nothing
// posted from elsewhere: Asio then takes no locks in its scheduler and reactor.
inline constexpr int kOneThread = BOOST_ASIO_CONCURRENCY_HINT_UNSAFE;

class AsioClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - start_);
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

class AsioTimers final : public Timers {
 public:
  explicit AsioTimers(net::io_context& io) : io_(io) {}
  TimerId schedule(Duration delay, std::function<void()> fn) override;
  void cancel(TimerId id) override;
  void post(std::function<void()> fn) override;

 private:
  net::io_context& io_;
  TimerId next_ = 1;
  std::map<TimerId, std::shared_ptr<net::steady_timer>> timers_;
  std::unordered_set<TimerId> posted_;  // zero-delay callbacks not yet run
};

// Maps endpoints to real addresses (127.0.0.1:port) and keeps a pool of
// idle keep-alive connections per address, as Envoy's and nginx's upstream
// pools do: a request takes an idle connection or opens one, and gives it
// back when the response allowed keep-alive. A request that fails on a reused
// connection before any response byte arrived (the server closed it while
// idle) is retried once on a fresh connection.
class AsioTransport final : public Transport {
 public:
  struct Pool;
  explicit AsioTransport(net::io_context& io, size_t idle_per_address_max = 128);
  ~AsioTransport() override;
  // Where `endpoint_ip:port` of the mesh lives on this host.
  void map(const std::string& endpoint_ip, uint32_t port, net::ip::tcp::endpoint address);
  // The server at `address` speaks HTTP/2 without TLS (h2c, prior knowledge):
  // requests to it travel as streams on shared connections (H2UpstreamPool).
  void use_http2(net::ip::tcp::endpoint address) { http2_addresses_.push_back(address); }
  void send(const Endpoint& to, uint32_t port, const PeerInfo& from, std::string request_bytes,
            std::function<void(TransportResult&&)> done) override;
  void send_mirror(const Endpoint& to, uint32_t port, const PeerInfo& from, std::string request_bytes) override;
  // `request` as a stream on an h2c connection to where `to:port` lives,
  // whatever use_http2() says of that address (a caller that knows the hop
  // is HTTP/2: meshsim serve's sidecar-to-sidecar hops).
  void send_http2(const Endpoint& to, uint32_t port, HttpRequest request, std::function<void(TransportResult&&)> done);
  // Connections opened so far (tests check that keep-alive reuses them).
  size_t connections_opened() const;

 private:
  net::io_context& io_;
  std::map<std::pair<std::string, uint32_t>, net::ip::tcp::endpoint> addresses_;
  std::vector<net::ip::tcp::endpoint> http2_addresses_;
  H2UpstreamPool http2_pool_;
  boost::intrusive_ptr<Pool> pool_;  // handlers in flight hold it too
};

struct ListenerLimits {
  CodecLimits codec;
  std::chrono::milliseconds idle_timeout{30'000};
  size_t connections_max = 1024;
};

// Accepts HTTP/1.1 connections and hands each request to `handler`;
// malformed requests get 400 (431/413 for oversize) and the connection closes.
// A connection that opens with the HTTP/2 preface is served as h2c (prior
// knowledge, as Envoy's codec auto-detection decides; `Upgrade: h2c` is not
// honoured): its streams reach the same handler concurrently, and bad input
// gets RST_STREAM or GOAWAY as Envoy's HTTP/2 codec sends them (http2_codec.h).
// A handler that answers with status 0 gives no answer: the connection is
// closed (HTTP/1.1) or the stream reset (HTTP/2), as a server that resets it.
class HttpListener {
 public:
  using Respond = std::function<void(HttpResponse&&)>;
  using Handler = std::function<void(HttpRequest&&, Respond)>;
  HttpListener(net::io_context& io, net::ip::tcp::endpoint bind, Handler handler, ListenerLimits limits = {});
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void close();

 private:
  struct Session;
  void do_accept();

  net::ip::tcp::acceptor acceptor_;
  Handler handler_;
  ListenerLimits limits_;
  std::shared_ptr<size_t> open_connections_ = std::make_shared<size_t>(0);
};

}  // namespace meshsim::proxy::asio
