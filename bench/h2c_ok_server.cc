// A minimal upstream for bench/run-h2-peers.sh: answers every request with
// 200 "ok", over HTTP/1.1 or h2c (prior knowledge) on 127.0.0.1:PORT,
// on meshsim's own listener (no nghttpd on Debian without nghttp2-server).
// Usage: h2c_ok_server PORT
#include <cstdlib>

#include "proxy_core/asio/asio_adapter.h"

int main(int argc, char** argv) {
  namespace net = boost::asio;
  using namespace meshsim::proxy;
  if (argc < 2) return 2;
  net::io_context io(asio::kOneThread);
  asio::HttpListener listener(io, {net::ip::make_address("127.0.0.1"), static_cast<uint16_t>(std::atoi(argv[1]))},
                              [](HttpRequest, asio::HttpListener::Respond respond) {
                                HttpResponse r;
                                r.headers.add("content-type", "text/plain");
                                r.body = "ok";
                                respond(std::move(r));
                              });
  io.run();
}
