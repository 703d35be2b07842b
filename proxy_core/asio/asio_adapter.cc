#include "proxy_core/asio/asio_adapter.h"

#include <algorithm>
#include <array>

#include <boost/smart_ptr/intrusive_ref_counter.hpp>

#include "proxy_core/http2_codec.h"
#include "proxy_core/upstream_reset.h"

namespace meshsim::proxy::asio {

using net::ip::tcp;

Timers::TimerId AsioTimers::schedule(Duration delay, std::function<void()> fn) {
  TimerId id = next_++;
  if (delay <= Duration::zero()) {
    // "Next event": a post, not a timer (re-arming the reactor's timerfd costs a syscall).
    posted_.insert(id);
    net::post(io_, [this, id, fn = std::move(fn)] {
      if (posted_.erase(id)) fn();  // absent: cancelled
    });
    return id;
  }
  auto timer = std::make_shared<net::steady_timer>(io_, delay);
  timers_[id] = timer;
  timer->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& ec) {
    timers_.erase(id);
    if (!ec) fn();
  });
  return id;
}

void AsioTimers::post(std::function<void()> fn) { net::post(io_, std::move(fn)); }

void AsioTimers::cancel(TimerId id) {
  if (auto it = timers_.find(id); it != timers_.end()) it->second->cancel();
  posted_.erase(id);
}

namespace {

// One upstream connection: writes a request, reads exactly one response,
// and reports whether it may carry another. It owns the request in flight
// and the callback, so the handlers capture one pointer.
struct UpstreamConnection {
  tcp::socket socket;
  tcp::endpoint address;
  std::array<char, 16 * 1024> buffer{};
  std::string received;  // bytes not yet fed to the decoder
  ResponseDecoder decoder;
  std::string request;
  std::function<void(TransportResult&&)> done;
  bool reused = false;
  bool got_bytes = false;
  UpstreamConnection(net::io_context& io, tcp::endpoint to) : socket(io), address(to) {}

  // Hands the result to the caller; the connection may carry the next request by then.
  void finish(TransportResult result) {
    auto callback = std::move(done);
    done = nullptr;
    callback(std::move(result));
  }
};

using ConnectionPtr = std::shared_ptr<UpstreamConnection>;
using Done = std::function<void(TransportResult&&)>;

}  // namespace

// Reference counts here are not atomic: one thread runs the io_context.
struct AsioTransport::Pool : boost::intrusive_ref_counter<AsioTransport::Pool, boost::thread_unsafe_counter> {
  net::io_context& io;
  size_t idle_max;
  std::map<tcp::endpoint, std::vector<ConnectionPtr>> idle;
  size_t opened = 0;
  Pool(net::io_context& context, size_t max) : io(context), idle_max(max) {}
  boost::intrusive_ptr<Pool> ref() { return boost::intrusive_ptr<Pool>(this); }

  void send(tcp::endpoint to, std::string request, Done done) {
    auto& stack = idle[to];
    ConnectionPtr connection;
    if (!stack.empty()) {
      connection = std::move(stack.back());
      stack.pop_back();
      connection->reused = true;
    } else {
      ++opened;
      connection = std::make_shared<UpstreamConnection>(io, to);
    }
    connection->request = std::move(request);
    connection->done = std::move(done);
    if (connection->reused) return write(std::move(connection));
    UpstreamConnection& c = *connection;
    c.socket.async_connect(to, [self = ref(), connection = std::move(connection)](
                                   const boost::system::error_code& ec) mutable {
      if (ec) {
        auto why = ec == net::error::connection_refused ? transport_failure::kRefused : transport_failure::kNoHost;
        return connection->finish({.connected = false, .failure = std::string(why)});
      }
      boost::system::error_code ignored;
      connection->socket.set_option(tcp::no_delay(true), ignored);
      self->write(std::move(connection));
    });
  }

  void write(ConnectionPtr connection) {
    UpstreamConnection& c = *connection;
    c.got_bytes = false;
    net::async_write(c.socket, net::buffer(c.request),
                     [self = ref(), connection = std::move(connection)](const boost::system::error_code& ec,
                                                                                    size_t) mutable {
                       if (ec) return self->failed(std::move(connection));
                       self->read(std::move(connection));
                     });
  }

  void read(ConnectionPtr connection) {
    UpstreamConnection& c = *connection;
    if (!c.got_bytes && c.request.starts_with("HEAD ")) c.decoder.expect_headers_only();
    c.socket.async_read_some(net::buffer(c.buffer), [self = ref(), connection = std::move(connection)](
                                                        const boost::system::error_code& ec, size_t n) mutable {
      if (ec) return self->failed(std::move(connection));
      self->on_bytes(std::move(connection), n);
    });
  }

  void on_bytes(ConnectionPtr connection, size_t n) {
    UpstreamConnection& c = *connection;
    c.got_bytes = true;
    // Decode straight from the read buffer; only a remainder is kept.
    std::string_view fresh(c.buffer.data(), n);
    if (!c.received.empty()) {
      c.received.append(fresh);
      fresh = c.received;
    }
    std::string_view view = fresh;
    DecodeOutcome outcome = c.decoder.feed(view);
    if (c.received.empty()) c.received.assign(view);
    else c.received.erase(0, c.received.size() - view.size());
    if (outcome.kind == DecodeOutcome::Kind::kError) return c.finish({.connected = false, .failure = std::string(transport_failure::kInvalidResponse)});
    if (outcome.kind == DecodeOutcome::Kind::kNeedMore) return read(std::move(connection));
    HttpResponse response = c.decoder.take();  // also resets the parser for the next response
    // Bytes beyond the response (pipelining the pool never asked for): do not reuse.
    if (c.decoder.keep_alive() && c.received.empty()) release(connection);
    // The response travels decoded; nobody needs its bytes a second time.
    c.finish({.connected = true, .decoded = std::move(response)});
  }

  void failed(ConnectionPtr connection) {
    if (connection->reused && !connection->got_bytes) {
      // Closed by the server while idle: the request never reached it. Its
      // idle siblings are likely just as stale.
      idle[connection->address].clear();
      return send(connection->address, std::move(connection->request), std::move(connection->done));
    }
    // Connected, then closed before a whole response: Envoy's
    // ConnectionTermination (codec_client.cc onEvent), bytes or not.
    connection->finish({.connected = false, .failure = std::string(transport_failure::kReset)});
  }

  void release(ConnectionPtr connection) {
    auto& stack = idle[connection->address];
    if (stack.size() < idle_max) stack.push_back(std::move(connection));
  }
};

AsioTransport::AsioTransport(net::io_context& io, size_t idle_per_address_max)
    : io_(io), http2_pool_(io), pool_(new Pool(io, idle_per_address_max)) {}

AsioTransport::~AsioTransport() { pool_->idle.clear(); }

size_t AsioTransport::connections_opened() const { return pool_->opened + http2_pool_.connections_opened(); }

void AsioTransport::map(const std::string& endpoint_ip, uint32_t port, tcp::endpoint address) {
  addresses_[{endpoint_ip, port}] = address;
}

void AsioTransport::send(const Endpoint& to, uint32_t port, const PeerInfo&, std::string request_bytes, Done done) {
  auto it = addresses_.find({to.ip, port});
  if (it == addresses_.end()) {
    net::post(io_, [done = std::move(done)] { done({.connected = false, .failure = "connection failure"}); });
    return;
  }
  if (std::find(http2_addresses_.begin(), http2_addresses_.end(), it->second) != http2_addresses_.end()) {
    // The sidecar hands over HTTP/1.1 bytes; the h2c hop carries the same message as a stream.
    HttpRequest request;
    if (!parse_request(request_bytes, request)) {
      net::post(io_, [done = std::move(done)] { done({.connected = false, .failure = "connection failure"}); });
      return;
    }
    return http2_pool_.send(it->second, std::move(request), std::move(done));
  }
  pool_->send(it->second, std::move(request_bytes), std::move(done));
}

void AsioTransport::send_http2(const Endpoint& to, uint32_t port, HttpRequest request, Done done) {
  auto it = addresses_.find({to.ip, port});
  if (it == addresses_.end()) {
    net::post(io_, [done = std::move(done)] { done({.connected = false, .failure = "connection failure"}); });
    return;
  }
  http2_pool_.send(it->second, std::move(request), std::move(done));
}

void AsioTransport::send_mirror(const Endpoint& to, uint32_t port, const PeerInfo& from, std::string request_bytes) {
  send(to, port, from, std::move(request_bytes), [](TransportResult) {});
}

struct HttpListener::Session : boost::intrusive_ref_counter<Session, boost::thread_unsafe_counter> {
  tcp::socket socket;
  HttpListener::Handler handler;
  ListenerLimits limits;
  RequestDecoder decoder;
  net::steady_timer idle;
  std::array<char, 16 * 1024> buffer{};
  std::string pending;  // received bytes not yet decoded
  std::string out;      // the response being written (its capacity is reused)
  std::shared_ptr<size_t> open;
  bool closing = false;  // close after the response being written
  bool answering_head = false;
  bool closed = false;
  bool waiting = false;  // for (the rest of) a request
  bool timer_armed = false;
  std::chrono::steady_clock::time_point deadline;
  // h2c with prior knowledge: decided by the connection's first bytes.
  bool protocol_known = false;
  std::unique_ptr<Http2ServerConnection> h2;
  size_t h2_in_flight = 0;  // requests handed to the handler, not yet answered
  bool h2_writing = false;

  Session(tcp::socket s, HttpListener::Handler h, ListenerLimits l, std::shared_ptr<size_t> counter)
      : socket(std::move(s)), handler(std::move(h)), limits(l), decoder(l.codec), idle(socket.get_executor()),
        open(std::move(counter)) {
    ++*open;
  }
  ~Session() { --*open; }
  boost::intrusive_ptr<Session> ref() { return boost::intrusive_ptr<Session>(this); }

  // A request must arrive whole within idle_timeout of the connection
  // becoming idle, however slowly its bytes trickle in (a slow client cannot
  // hold a connection by sending a byte at a time). One timer per session,
  // re-armed only when it fires, so a request costs no timer syscall.
  void wait_for_request() {
    waiting = true;
    deadline = std::chrono::steady_clock::now() + limits.idle_timeout;
    if (!timer_armed) arm_timer(deadline);
    do_read();
  }
  void arm_timer(std::chrono::steady_clock::time_point at) {
    timer_armed = true;
    idle.expires_at(at);
    // The timer holds the session; every way a session ends cancels it.
    idle.async_wait([self = ref()](const boost::system::error_code& ec) {
      if (ec) return;
      self->timer_armed = false;
      if (self->closed) return;
      auto now = std::chrono::steady_clock::now();
      if (self->waiting && now >= self->deadline) {
        if (self->h2) return self->h2_idle_close();
        boost::system::error_code ignored;
        self->closed = true;
        self->socket.close(ignored);
        return;
      }
      self->arm_timer(self->waiting ? self->deadline : now + self->limits.idle_timeout);
    });
  }
  void do_read() {
    auto self = ref();
    socket.async_read_some(net::buffer(buffer), [self](const boost::system::error_code& ec, size_t n) {
      if (ec) {  // the client closed or reset the connection
        self->closed = true;
        self->idle.cancel();
        return;
      }
      self->on_bytes(std::string_view(self->buffer.data(), n));
    });
  }
  // Decodes straight from the read buffer when nothing is pending; only a
  // remainder is copied aside.
  void on_bytes(std::string_view fresh) {
    if (h2) return on_h2_bytes(fresh);
    if (!protocol_known) {
      // Envoy's codec auto-detection: HTTP/2 when the first bytes start
      // with the preface (h2c prior knowledge); `Upgrade: h2c` is not honoured.
      pending.append(fresh);
      std::optional<bool> is_h2 = starts_http2_preface(pending);
      if (!is_h2) return do_read();
      protocol_known = true;
      if (*is_h2) return start_h2();
      fresh = {};
    }
    if (!pending.empty()) {
      pending.append(fresh);
      fresh = pending;
    }
    std::string_view view = fresh;
    DecodeOutcome outcome = decoder.feed(view);
    if (pending.empty()) pending.assign(view);
    else pending.erase(0, pending.size() - view.size());
    if (outcome.kind == DecodeOutcome::Kind::kNeedMore) return do_read();
    if (outcome.kind == DecodeOutcome::Kind::kError) {
      HttpResponse bad;
      bad.status = outcome.error_status;
      bad.body = reason_phrase(outcome.error_status);
      bad.headers.set("connection", "close");
      closing = true;
      answering_head = false;
      return write(std::move(bad));
    }
    waiting = false;
    HttpRequest request = decoder.take();
    closing = !decoder.keep_alive();
    answering_head = request.method == "HEAD";
    // The response callback keeps the session alive while the handler works.
    auto self = ref();
    handler(std::move(request), [self](HttpResponse&& response) { self->write(std::move(response)); });
  }
  void start_h2() {
    // Streams answer independently, each in its own small write: Nagle's
    // algorithm would hold one behind the peer's delayed ACK.
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    Http2Settings settings;
    settings.header_bytes_max = limits.codec.header_bytes_max;
    settings.header_count_max = limits.codec.header_count_max;
    settings.body_bytes_max = limits.codec.body_bytes_max;
    h2 = std::make_unique<Http2ServerConnection>(settings);
    std::string first = std::move(pending);
    pending.clear();
    on_h2_bytes(first);
  }
  // Every request on the connection goes to the handler at once (streams
  // are concurrent); reading goes on while they are answered.
  void on_h2_bytes(std::string_view bytes) {
    Http2Status status = h2->receive(bytes);
    for (auto& [id, request] : h2->take_requests()) {
      ++h2_in_flight;
      handler(std::move(request), [self = ref(), id = id](HttpResponse&& response) { self->h2_respond(id, std::move(response)); });
    }
    h2->take_resets();  // a reset stream's late answer is dropped by the codec
    waiting = h2_in_flight == 0;
    deadline = std::chrono::steady_clock::now() + limits.idle_timeout;
    flush_h2();
    if (status.ok && !closed && !h2->finished()) do_read();
  }
  void h2_respond(uint32_t id, HttpResponse response) {
    if (closed) return;
    --h2_in_flight;
    if (h2_in_flight == 0) {
      waiting = true;
      deadline = std::chrono::steady_clock::now() + limits.idle_timeout;
    }
    if (response.status == 0) h2->reset(id, Http2Error::kInternalError);  // no answer: reset (HttpListener)
    else h2->respond(id, std::move(response));
    flush_h2();
  }
  // Idle with no stream open: GOAWAY(NO_ERROR), as Envoy's idle_timeout drains an HTTP/2 connection.
  void h2_idle_close() {
    closing = true;
    h2->shut_down();
    flush_h2();
  }
  // One write at a time; whatever the codec produced meanwhile goes next.
  void flush_h2() {
    if (closed || h2_writing) return;
    out.clear();
    h2->write_to(out);
    if (out.empty()) {
      if (h2->finished() || closing) close_now();
      return;
    }
    h2_writing = true;
    net::async_write(socket, net::buffer(out), [self = ref()](const boost::system::error_code& ec, size_t) {
      self->h2_writing = false;
      if (ec) return self->close_now();
      self->flush_h2();
    });
  }
  void close_now() {
    if (closed) return;
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    closed = true;
    idle.cancel();
  }
  void write(HttpResponse response) {
    if (response.status == 0) return close_now();  // no answer: the connection ends (HttpListener)
    if (closing) response.headers.set("connection", "close");
    serialize_into(out, response);
    // A response to HEAD has the GET response's headers and no body.
    if (answering_head) out.resize(out.size() - response.body.size());
    auto self = ref();
    net::async_write(socket, net::buffer(out), [self](const boost::system::error_code& ec, size_t) {
      if (ec || self->closing) {
        boost::system::error_code ignored;
        self->socket.shutdown(tcp::socket::shutdown_both, ignored);
        self->closed = true;
        self->idle.cancel();
        return;
      }
      self->waiting = true;
      self->deadline = std::chrono::steady_clock::now() + self->limits.idle_timeout;
      if (!self->pending.empty()) return self->on_bytes({});
      self->do_read();
    });
  }
};

HttpListener::HttpListener(net::io_context& io, tcp::endpoint bind, Handler handler, ListenerLimits limits)
    : acceptor_(io, bind), handler_(std::move(handler)), limits_(limits) {
  do_accept();
}

void HttpListener::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void HttpListener::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec) return;  // closed
    if (*open_connections_ >= limits_.connections_max) {
      boost::system::error_code ignored;
      socket.close(ignored);  // bounded: refuse beyond the limit
    } else {
      boost::intrusive_ptr<Session>(new Session(std::move(socket), handler_, limits_, open_connections_))->wait_for_request();
    }
    do_accept();
  });
}

}  // namespace meshsim::proxy::asio
