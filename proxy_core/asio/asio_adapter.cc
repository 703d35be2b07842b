#include "proxy_core/asio/asio_adapter.h"

#include <array>

namespace meshsim::proxy::asio {

using net::ip::tcp;

Timers::TimerId AsioTimers::schedule(Duration delay, std::function<void()> fn) {
  TimerId id = next_++;
  auto timer = std::make_shared<net::steady_timer>(io_, delay);
  timers_[id] = timer;
  timer->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& ec) {
    timers_.erase(id);
    if (!ec) fn();
  });
  return id;
}

void AsioTimers::cancel(TimerId id) {
  if (auto it = timers_.find(id); it != timers_.end()) it->second->cancel();
}

void AsioTransport::map(const std::string& endpoint_ip, uint32_t port, tcp::endpoint address) {
  addresses_[{endpoint_ip, port}] = address;
}

namespace {

// One request/response exchange on a fresh connection.
struct Exchange : std::enable_shared_from_this<Exchange> {
  tcp::socket socket;
  std::string request;
  std::array<char, 16 * 1024> buffer{};
  std::string received;
  ResponseDecoder decoder;
  std::function<void(TransportResult)> done;
  explicit Exchange(net::io_context& io) : socket(io) {}

  void fail(const std::string& why) {
    if (!done) return;
    auto d = std::move(done);
    done = nullptr;
    d({false, why, ""});
  }
  void start(tcp::endpoint to) {
    auto self = shared_from_this();
    socket.async_connect(to, [self](const boost::system::error_code& ec) {
      if (ec) return self->fail("connection failure");
      net::async_write(self->socket, net::buffer(self->request), [self](const boost::system::error_code& wec, size_t) {
        if (wec) return self->fail("connection reset");
        self->read();
      });
    });
  }
  void read() {
    auto self = shared_from_this();
    socket.async_read_some(net::buffer(buffer), [self](const boost::system::error_code& ec, size_t n) {
      if (ec) return self->fail("connection reset");
      self->received.append(self->buffer.data(), n);
      std::string_view view = self->received;
      DecodeOutcome outcome = self->decoder.feed(view);
      self->received.erase(0, self->received.size() - view.size());
      if (outcome.kind == DecodeOutcome::Kind::kError) return self->fail("invalid response");
      if (outcome.kind == DecodeOutcome::Kind::kNeedMore) return self->read();
      HttpResponse response = self->decoder.take();
      auto d = std::move(self->done);
      self->done = nullptr;
      d({true, "", serialize(response)});
    });
  }
};

}  // namespace

void AsioTransport::send(const Endpoint& to, uint32_t port, const PeerInfo&, std::string request_bytes,
                         std::function<void(TransportResult)> done) {
  auto it = addresses_.find({to.ip, port});
  if (it == addresses_.end()) {
    net::post(io_, [done] { done({false, "connection failure", ""}); });
    return;
  }
  auto exchange = std::make_shared<Exchange>(io_);
  exchange->request = std::move(request_bytes);
  exchange->done = std::move(done);
  exchange->start(it->second);
}

void AsioTransport::send_mirror(const Endpoint& to, uint32_t port, const PeerInfo& from, std::string request_bytes) {
  send(to, port, from, std::move(request_bytes), [](TransportResult) {});
}

struct HttpListener::Session : std::enable_shared_from_this<Session> {
  tcp::socket socket;
  HttpListener::Handler handler;
  ListenerLimits limits;
  RequestDecoder decoder;
  net::steady_timer idle;
  std::array<char, 16 * 1024> buffer{};
  std::string pending;
  std::shared_ptr<size_t> open;
  bool closing = false;

  Session(tcp::socket s, HttpListener::Handler h, ListenerLimits l, std::shared_ptr<size_t> counter)
      : socket(std::move(s)), handler(std::move(h)), limits(l), decoder(l.codec), idle(socket.get_executor()),
        open(std::move(counter)) {
    ++*open;
  }
  ~Session() { --*open; }

  void arm_idle() {
    idle.expires_after(limits.idle_timeout);
    std::weak_ptr<Session> weak = shared_from_this();
    idle.async_wait([weak](const boost::system::error_code& ec) {
      if (auto self = weak.lock(); self && !ec) {
        boost::system::error_code ignored;
        self->socket.close(ignored);
      }
    });
  }
  void do_read() {
    arm_idle();
    auto self = shared_from_this();
    socket.async_read_some(net::buffer(buffer), [self](const boost::system::error_code& ec, size_t n) {
      if (ec) return;
      self->pending.append(self->buffer.data(), n);
      self->on_bytes();
    });
  }
  void on_bytes() {
    std::string_view view = pending;
    DecodeOutcome outcome = decoder.feed(view);
    pending.erase(0, pending.size() - view.size());
    if (outcome.kind == DecodeOutcome::Kind::kNeedMore) return do_read();
    if (outcome.kind == DecodeOutcome::Kind::kError) {
      HttpResponse bad;
      bad.status = outcome.error_status;
      bad.body = reason_phrase(outcome.error_status);
      bad.headers.set("connection", "close");
      closing = true;
      return write(std::move(bad));
    }
    idle.cancel();
    HttpRequest request = decoder.take();
    closing = !decoder.keep_alive();
    // The response callback keeps the session alive while the handler works.
    auto self = shared_from_this();
    handler(std::move(request), [self](HttpResponse response) { self->write(std::move(response)); });
  }
  void write(HttpResponse response) {
    if (closing) response.headers.set("connection", "close");
    auto bytes = std::make_shared<std::string>(serialize(response));
    auto self = shared_from_this();
    net::async_write(socket, net::buffer(*bytes), [self, bytes](const boost::system::error_code& ec, size_t) {
      if (ec || self->closing) {
        boost::system::error_code ignored;
        self->socket.shutdown(tcp::socket::shutdown_both, ignored);
        self->idle.cancel();
        return;
      }
      if (!self->pending.empty()) return self->on_bytes();
      self->do_read();
    });
  }
};

HttpListener::HttpListener(net::io_context& io, tcp::endpoint bind, Handler handler, ListenerLimits limits)
    : io_(io), acceptor_(io, bind), handler_(std::move(handler)), limits_(limits) {
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
      std::make_shared<Session>(std::move(socket), handler_, limits_, open_connections_)->do_read();
    }
    do_accept();
  });
}

}  // namespace meshsim::proxy::asio
