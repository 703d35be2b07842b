// Istio's protocol names and their classes, as one table: istio
// pkg/config/protocol/instance.go (Parse, IsHTTP, IsHTTP2, IsTLS, IsTCP) and
// pkg/config/kube/conversion.go ConvertProtocol, which names a Kubernetes
// Service port's protocol. The listener, routing and validation code ask
// this file instead of keeping lists of their own.
#pragma once

#include <cstdint>
#include <cstddef>
#include <string_view>

namespace meshsim::proxy {

enum class IstioProtocol { kUnsupported, kTcp, kUdp, kGrpc, kGrpcWeb, kHttp, kHttpProxy, kHttp2, kHttps, kTls, kMongo, kRedis, kMysql };

// instance.go Parse: strings.ToLower(name) against the known names; anything
// else (and "") is Unsupported, which the proxies sniff.
// Asked per hop (a cluster's port protocol): compares in place, no copy,
// only against the names of the same length.
inline bool equals_lower(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

inline IstioProtocol parse_istio_protocol(std::string_view name) {
  switch (name.size()) {
    case 3:
      if (equals_lower(name, "tcp")) return IstioProtocol::kTcp;
      if (equals_lower(name, "udp")) return IstioProtocol::kUdp;
      if (equals_lower(name, "tls")) return IstioProtocol::kTls;
      break;
    case 4:
      if (equals_lower(name, "http")) return IstioProtocol::kHttp;
      if (equals_lower(name, "grpc")) return IstioProtocol::kGrpc;
      break;
    case 5:
      if (equals_lower(name, "http2")) return IstioProtocol::kHttp2;
      if (equals_lower(name, "https")) return IstioProtocol::kHttps;
      if (equals_lower(name, "mongo")) return IstioProtocol::kMongo;
      if (equals_lower(name, "redis")) return IstioProtocol::kRedis;
      if (equals_lower(name, "mysql")) return IstioProtocol::kMysql;
      break;
    case 8:
      if (equals_lower(name, "grpc-web")) return IstioProtocol::kGrpcWeb;
      break;
    case 10:
      if (equals_lower(name, "http_proxy")) return IstioProtocol::kHttpProxy;
      break;
  }
  return IstioProtocol::kUnsupported;
}

inline bool is_http(IstioProtocol p) {
  return p == IstioProtocol::kHttp || p == IstioProtocol::kHttp2 || p == IstioProtocol::kHttpProxy ||
         p == IstioProtocol::kGrpc || p == IstioProtocol::kGrpcWeb;
}
inline bool is_http2(IstioProtocol p) {
  return p == IstioProtocol::kHttp2 || p == IstioProtocol::kGrpc || p == IstioProtocol::kGrpcWeb;
}
inline bool is_tls(IstioProtocol p) { return p == IstioProtocol::kHttps || p == IstioProtocol::kTls; }

// conversion.go ConvertProtocol: a UDP port is UDP whatever its name; an
// appProtocol, when set, replaces the name (kubernetes.io/h2c, /ws, /wss
// first); "grpc-web" is a prefix, otherwise the part before the first '-'
// is parsed; an unknown name on a well-known port (SMTP 25, DNS 53, MySQL
// 3306, MongoDB 27017) is TCP, never sniffed.
inline IstioProtocol convert_service_port_protocol(uint32_t port, std::string_view name, std::string_view k8s_protocol,
                                                   std::string_view app_protocol) {
  if (k8s_protocol == "UDP") return IstioProtocol::kUdp;
  if (!app_protocol.empty()) {
    name = app_protocol;
    if (name == "kubernetes.io/h2c") return IstioProtocol::kHttp2;
    if (name == "kubernetes.io/ws") return IstioProtocol::kHttp;
    if (name == "kubernetes.io/wss") return IstioProtocol::kHttps;
  }
  if (name.size() >= 8 && equals_lower(name.substr(0, 8), "grpc-web")) return IstioProtocol::kGrpcWeb;
  IstioProtocol p = parse_istio_protocol(name.substr(0, name.find('-')));
  if (p == IstioProtocol::kUnsupported && (port == 25 || port == 53 || port == 3306 || port == 27017))
    return IstioProtocol::kTcp;
  return p;
}

}  // namespace meshsim::proxy
