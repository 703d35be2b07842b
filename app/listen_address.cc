#include "app/listen_address.h"

#include <charconv>

namespace meshsim::app {

std::optional<boost::asio::ip::tcp::endpoint> parse_address(const std::string& text, std::string* error) {
  auto colon = text.rfind(':');
  std::string host = colon == std::string::npos ? "" : text.substr(0, colon);
  std::string port_text = colon == std::string::npos ? text : text.substr(colon + 1);
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    *error = "bad port in \"" + text + "\" (expected HOST:PORT, :PORT or PORT)";
    return std::nullopt;
  }
  boost::system::error_code bad;
  auto ip = boost::asio::ip::make_address(host, bad);
  if (bad) {
    *error = "bad address \"" + host + "\" in \"" + text + "\" (expected an IP address or localhost)";
    return std::nullopt;
  }
  return boost::asio::ip::tcp::endpoint(ip, static_cast<uint16_t>(port));
}

}  // namespace meshsim::app
