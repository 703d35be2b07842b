#include "proxy_core/asio/h2_upstream.h"

#include <array>
#include <string>
#include <utility>

#include "proxy_core/upstream_reset.h"

namespace meshsim::proxy::asio {

namespace net = boost::asio;
using net::ip::tcp;

// One upstream HTTP/2 connection; its handlers hold it through shared_from_this.
struct H2UpstreamPool::Connection : std::enable_shared_from_this<H2UpstreamPool::Connection> {
  tcp::socket socket;
  Http2ClientConnection codec;
  std::map<uint32_t, Done> waiting;  // stream id -> its caller
  std::array<char, 16 * 1024> buffer{};
  std::string out;
  bool connected = false;
  bool writing = false;
  bool dead = false;

  Connection(net::io_context& io, const Http2Settings& settings) : socket(io), codec(settings) {}

  bool can_take() const { return !dead && codec.can_submit(); }

  void connect(tcp::endpoint to) {
    socket.async_connect(to, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec)
        return self->fail_all(ec == net::error::connection_refused ? transport_failure::kRefused : transport_failure::kNoHost);
      boost::system::error_code ignored;
      self->socket.set_option(tcp::no_delay(true), ignored);
      self->connected = true;
      self->flush();
      self->read();
    });
  }

  // Writes whatever the codec has (preface, SETTINGS, requests, WINDOW_UPDATEs), one write at a time.
  void flush() {
    if (!connected || writing || dead) return;
    out.clear();
    codec.write_to(out);
    if (out.empty()) {
      if (codec.finished()) fail_all(transport_failure::kReset);  // drained after GOAWAY: nothing is waiting
      return;
    }
    writing = true;
    net::async_write(socket, net::buffer(out), [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
      self->writing = false;
      if (ec) return self->fail_all(transport_failure::kReset);
      self->flush();
    });
  }

  void read() {
    socket.async_read_some(net::buffer(buffer), [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
      if (ec) return self->fail_all(transport_failure::kReset);
      Http2Status status = self->codec.receive(std::string_view(self->buffer.data(), n));
      self->deliver();
      self->flush();
      if (!status.ok) return self->fail_all(transport_failure::kInvalidResponse);  // a protocol error: 502 UPE
      if (!self->dead) self->read();
    });
  }

  void deliver() {
    for (auto& [id, response] : codec.take_responses()) {
      auto node = waiting.extract(id);
      if (!node.empty()) node.mapped()({.connected = true, .decoded = std::move(response)});
    }
    for (const Http2Reset& reset : codec.take_resets()) {
      auto node = waiting.extract(reset.stream_id);
      if (!node.empty()) node.mapped()({.connected = false, .failure = std::string(transport_failure::kStreamReset)});
    }
  }

  void fail_all(std::string_view why) {
    if (dead && waiting.empty()) return;
    dead = true;
    boost::system::error_code ignored;
    socket.close(ignored);
    auto callers = std::exchange(waiting, {});
    for (auto& [id, done] : callers) done({.connected = false, .failure = std::string(why)});
  }
};

H2UpstreamPool::H2UpstreamPool(net::io_context& io, Http2Settings settings) : io_(io), settings_(settings) {}

H2UpstreamPool::~H2UpstreamPool() = default;

void H2UpstreamPool::send(tcp::endpoint to, HttpRequest request, Done done) {
  auto& list = connections_[to];
  std::erase_if(list, [](const auto& c) { return c->dead; });
  std::shared_ptr<Connection> connection;
  for (const auto& c : list)
    if (c->can_take()) {
      connection = c;
      break;
    }
  if (!connection) {
    ++opened_;
    connection = std::make_shared<Connection>(io_, settings_);
    list.push_back(connection);
    connection->connect(to);
  }
  uint32_t id = connection->codec.submit(std::move(request));
  if (id == 0) {
    net::post(io_, [done = std::move(done)] { done({.connected = false, .failure = std::string(transport_failure::kNoHost)}); });
    return;
  }
  connection->waiting.emplace(id, std::move(done));
  connection->flush();
}

}  // namespace meshsim::proxy::asio
