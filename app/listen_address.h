// "HOST:PORT", ":PORT" or "PORT" -> a TCP endpoint (host defaults to 127.0.0.1).
#pragma once

#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>

namespace meshsim::app {

std::optional<boost::asio::ip::tcp::endpoint> parse_address(const std::string& text, std::string* error);

}  // namespace meshsim::app
