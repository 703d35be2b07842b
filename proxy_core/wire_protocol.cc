#include "proxy_core/wire_protocol.h"

#include <array>

#include "proxy_core/istio_protocol.h"

namespace meshsim::proxy {

namespace {

// What the sidecar does with a port of each Istio protocol: HTTP/1.1, one of
// the HTTP/2 kinds, sniffed (Unsupported), or not HTTP at all (TCP, TLS,
// HTTPS, UDP, the databases: no HTTP listener, no HTTP filters).
PortProtocol port_protocol_of(IstioProtocol p) {
  switch (p) {
    case IstioProtocol::kHttp:
    case IstioProtocol::kHttpProxy: return PortProtocol::kHttp;
    case IstioProtocol::kHttp2: return PortProtocol::kHttp2;
    case IstioProtocol::kGrpc: return PortProtocol::kGrpc;
    case IstioProtocol::kGrpcWeb: return PortProtocol::kGrpcWeb;
    case IstioProtocol::kUnsupported: return PortProtocol::kAuto;
    default: return PortProtocol::kTcp;
  }
}

}  // namespace

PortProtocol protocol_named(std::string_view p) { return port_protocol_of(parse_istio_protocol(p)); }

PortProtocol port_protocol(const ServicePort& port) {
  return port_protocol_of(convert_service_port_protocol(port.port, port.name, port.protocol, port.app_protocol));
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
