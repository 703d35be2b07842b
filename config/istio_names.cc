#include "config/istio_names.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "proxy_core/istio_protocol.h"

namespace meshsim::config {
namespace {

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Go's netip.ParsePrefix takes decimal bits without sign or leading zero.
bool prefix_length_fits(std::string_view bits, int max_bits) {
  if (bits.empty() || bits.size() > 3 || (bits.size() > 1 && bits[0] == '0')) return false;
  if (!std::all_of(bits.begin(), bits.end(), [](unsigned char c) { return std::isdigit(c); })) return false;
  return std::stoi(std::string(bits)) <= max_bits;
}

// strconv.Atoi succeeds: an optional sign, then at least one digit.
bool go_atoi_parses(std::string_view text) {
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) text.remove_prefix(1);
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// The names protocol.Instance spells them with, for messages.
constexpr std::string_view kProtocolNames[] = {"HTTP", "HTTPS", "HTTP2", "GRPC",  "GRPC-Web", "HTTP_PROXY",
                                               "TCP",  "TLS",   "UDP",   "Mongo", "Redis",    "MySQL"};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool is_dns1123_label(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return alnum(c) || c == '-'; });
}

bool is_fqdn(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  // ValidateDNS1123Labels: the part after the last dot must not be a number.
  auto last_dot = name.rfind('.');
  if (go_atoi_parses(last_dot == std::string_view::npos ? name : name.substr(last_dot + 1))) return false;
  while (true) {
    auto dot = name.find('.');
    if (dot == std::string_view::npos) return name.empty() || is_dns1123_label(name);  // "istio.io." is fine
    if (!is_dns1123_label(name.substr(0, dot))) return false;
    name.remove_prefix(dot + 1);
  }
}

int ip_family(const std::string& text) {
  unsigned char buffer[16];
  if (inet_pton(AF_INET, text.c_str(), buffer) == 1) return 4;
  if (inet_pton(AF_INET6, text.c_str(), buffer) == 1) return 6;
  return 0;
}

bool is_ip_address(const std::string& text) {
  auto zone = text.find('%');
  if (zone == std::string::npos) return ip_family(text) != 0;
  return ip_family(text.substr(0, zone)) == 6 && zone + 1 < text.size();
}

std::optional<std::string> ip_or_cidr(const std::string& value) {
  if (value.empty()) return "empty value not allowed";
  auto slash = value.find('/');
  if (slash == std::string::npos) {
    if (is_ip_address(value)) return std::nullopt;
    return "bad IP address \"" + value + "\"";
  }
  int family = ip_family(value.substr(0, slash));
  if (family == 0) return "bad CIDR range \"" + value + "\": \"" + value.substr(0, slash) + "\" is not an IP address";
  int max_bits = family == 4 ? 32 : 128;
  if (!prefix_length_fits(std::string_view(value).substr(slash + 1), max_bits))
    return "bad CIDR range \"" + value + "\": the prefix length must be 0 to " + std::to_string(max_bits);
  return std::nullopt;
}

bool is_known_protocol(std::string_view name) {
  return proxy::parse_istio_protocol(name) != proxy::IstioProtocol::kUnsupported;
}

std::string known_protocols() {
  std::string out;
  for (std::string_view p : kProtocolNames) out += (out.empty() ? "" : ", ") + std::string(p);
  return out;
}

bool protocol_tells_hosts_apart(std::string_view name) {
  proxy::IstioProtocol p = proxy::parse_istio_protocol(name);
  return proxy::is_http(p) || proxy::is_tls(p);
}

bool dynamic_dns_protocol(std::string_view name) {
  using proxy::IstioProtocol;
  IstioProtocol p = proxy::parse_istio_protocol(name);
  return p == IstioProtocol::kHttp || p == IstioProtocol::kTls || p == IstioProtocol::kGrpc || p == IstioProtocol::kHttp2;
}

bool is_jwt_claim_route(std::string_view header) {
  constexpr std::string_view kPrefix = "@request.auth.claims";
  if (header.size() < kPrefix.size() || lower(header.substr(0, kPrefix.size())) != kPrefix) return false;
  std::string_view name = header.substr(kPrefix.size());
  if (name.starts_with('.')) return name.size() > 1;
  return name.starts_with('[') && name.ends_with(']') && name.size() > 2;
}

bool hosts_overlap(std::string_view a, std::string_view b) {
  bool a_wild = a.starts_with('*');
  bool b_wild = b.starts_with('*');
  if (a_wild && b_wild) return a.size() < b.size() ? b.substr(1).ends_with(a.substr(1)) : a.substr(1).ends_with(b.substr(1));
  if (a_wild) return b.ends_with(a.substr(1));
  if (b_wild) return a.ends_with(b.substr(1));
  return a == b;
}

}  // namespace meshsim::config
