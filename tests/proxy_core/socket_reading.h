// Test helper for the live listener tests: read what a peer sends until it
// closes the connection, bounded by a deadline (no sleeps).
#pragma once

#include <array>
#include <chrono>
#include <string>

#include <boost/asio.hpp>

namespace meshsim::testing {

// Reads until the peer closes or `limit` passes; "<still open>" marks the latter.
inline std::string read_until_closed(boost::asio::ip::tcp::socket& socket, std::chrono::seconds limit) {
  namespace net = boost::asio;
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + limit;
  socket.non_blocking(true);
  std::array<char, 4096> buf{};
  while (std::chrono::steady_clock::now() < deadline) {
    boost::system::error_code ec;
    size_t n = socket.read_some(net::buffer(buf), ec);
    got.append(buf.data(), n);
    if (ec == net::error::would_block) {
      socket.wait(net::ip::tcp::socket::wait_read, ec);
      continue;
    }
    if (ec) return got;
  }
  return got + "<still open>";
}

}  // namespace meshsim::testing
