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
// Asked per hop (a cluster's port protocol): compares in place, no copy.
inline IstioProtocol parse_istio_protocol(std::string_view name) {
  struct Known {
    std::string_view lower;
    IstioProtocol protocol;
  };
  static constexpr Known kKnown[] = {
      {"tcp", IstioProtocol::kTcp},     {"udp", IstioProtocol::kUdp},     {"grpc", IstioProtocol::kGrpc},
      {"grpc-web", IstioProtocol::kGrpcWeb}, {"http", IstioProtocol::kHttp}, {"http_proxy", IstioProtocol::kHttpProxy},
      {"http2", IstioProtocol::kHttp2}, {"https", IstioProtocol::kHttps}, {"tls", IstioProtocol::kTls},
      {"mongo", IstioProtocol::kMongo}, {"redis", IstioProtocol::kRedis}, {"mysql", IstioProtocol::kMysql},
  };
  auto lower = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); };
  for (const Known& k : kKnown) {
    if (k.lower.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; same && i < name.size(); ++i) same = lower(name[i]) == k.lower[i];
    if (same) return k.protocol;
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
  constexpr std::string_view kGrpcWeb = "grpc-web";
  if (name.size() >= kGrpcWeb.size() && parse_istio_protocol(name.substr(0, kGrpcWeb.size())) == IstioProtocol::kGrpcWeb)
    return IstioProtocol::kGrpcWeb;
  IstioProtocol p = parse_istio_protocol(name.substr(0, name.find('-')));
  if (p == IstioProtocol::kUnsupported && (port == 25 || port == 53 || port == 3306 || port == 27017))
    return IstioProtocol::kTcp;
  return p;
}

}  // namespace meshsim::proxy
