#include "proxy_core/wire_protocol.h"

#include <array>

namespace meshsim::proxy {

PortProtocol protocol_named(std::string_view p) {
  // protocol/instance.go Parse, case-insensitive.
  if (iequals(p, "http")) return PortProtocol::kHttp;
  if (iequals(p, "http2")) return PortProtocol::kHttp2;
  if (iequals(p, "grpc")) return PortProtocol::kGrpc;
  if (iequals(p, "grpc-web")) return PortProtocol::kGrpcWeb;
  if (iequals(p, "tcp") || iequals(p, "tls") || iequals(p, "https") || iequals(p, "mongo") || iequals(p, "mysql") ||
      iequals(p, "redis") || iequals(p, "udp"))
    return PortProtocol::kTcp;
  return PortProtocol::kAuto;
}

PortProtocol port_protocol(const ServicePort& port) {
  // conversion.go ConvertProtocol: appProtocol first (kubernetes.io/h2c -> HTTP2),
  // then the name; grpc-web is checked before the '-' split.
  if (!port.app_protocol.empty()) {
    if (port.app_protocol == "kubernetes.io/h2c") return PortProtocol::kHttp2;
    PortProtocol p = protocol_named(port.app_protocol);
    if (p != PortProtocol::kAuto) return p;
  }
  std::string_view name = port.name;
  if (name.size() >= 8 && iequals(name.substr(0, 8), "grpc-web")) return PortProtocol::kGrpcWeb;
  return protocol_named(name.substr(0, name.find('-')));
}

WireProtocol upstream_protocol(PortProtocol port, const ConnectionPoolSettings* pool, WireProtocol downstream,
                               bool outbound) {
  if (forces_http2(port)) return WireProtocol::kHttp2;
  // applyConnectionPool: useClientProtocol sets use_downstream_protocol and
  // skips the h2 upgrade; a sniffed port on a sidecar does the same.
  if (port == PortProtocol::kAuto || (pool && pool->use_client_protocol)) return downstream;
  // applyH2Upgrade: an HTTP port is upgraded when the DestinationRule says UPGRADE.
  if (outbound && port == PortProtocol::kHttp && pool && pool->h2_upgrade_policy == "UPGRADE") return WireProtocol::kHttp2;
  return WireProtocol::kHttp1;
}

namespace {

// RFC 9113 §8.2.2 / Envoy conn_manager_utility.cc: never forwarded.
constexpr std::array<std::string_view, 5> kHopByHop = {"connection", "keep-alive", "proxy-connection",
                                                      "transfer-encoding", "upgrade"};

bool is_hop_by_hop(std::string_view name) {
  for (std::string_view h : kHopByHop)
    if (iequals(name, h)) return true;
  return false;
}

bool has_upper(std::string_view name) {
  for (char c : name)
    if (c >= 'A' && c <= 'Z') return true;
  return false;
}

// One pass to find out whether anything needs doing: most messages need nothing.
void translate_fields(HeaderMap& headers, WireProtocol to) {
  bool drop = false, lower = false, h2c_upgrade = false, te = false;
  for (const Header h : headers.all()) {
    if (is_hop_by_hop(h.name)) {
      drop = true;
      if (iequals(h.name, "upgrade") && iequals(h.value, "h2c")) h2c_upgrade = true;
    } else if (iequals(h.name, "te")) {
      te = true;
    }
    if (to == WireProtocol::kHttp2 && has_upper(h.name)) lower = true;
  }
  if (!drop && !lower && !te) return;
  HeaderMap out;
  out.reserve_more(headers.size(), headers.bytes_held());
  for (const Header h : headers.all()) {
    if (is_hop_by_hop(h.name)) continue;
    if (h2c_upgrade && iequals(h.name, "http2-settings")) continue;
    if (iequals(h.name, "te")) {
      // Only "trailers" survives (RFC 9113 §8.2.2; gRPC needs it end to end).
      if (!iequals(h.value, "trailers")) continue;
      out.add_checked("te", "trailers");
      continue;
    }
    if (to == WireProtocol::kHttp2 && has_upper(h.name)) out.add_checked(to_lower(h.name), h.value);
    else out.add_checked(h.name, h.value);
  }
  headers = std::move(out);
}

}  // namespace

void translate_request(HttpRequest& request, WireProtocol to) {
  translate_fields(request.headers, to);
  request.protocol = to;
}

void translate_response(HttpResponse& response, WireProtocol to) {
  translate_fields(response.headers, to);
  response.protocol = to;
}

std::string_view wire_protocol_name(WireProtocol p) { return p == WireProtocol::kHttp2 ? "http2" : "http1"; }

}  // namespace meshsim::proxy
