// Which HTTP version a hop speaks, as Istio decides it per Service port, and
// the translation of a protocol-neutral message between HTTP/1.1 and HTTP/2
// framing rules. The sidecar calls these at its edges and never branches on
// the protocol elsewhere; a live transport hands the translated message to
// the codec of its `protocol` (HTTP/1.1 serializer or the HTTP/2 codec).
#pragma once

#include <string_view>

#include "proxy_core/http.h"
#include "proxy_core/resources.h"

namespace meshsim::proxy {

// Istio's protocol of a Service port (pkg/config/kube/conversion.go
// ConvertProtocol, pkg/config/protocol/instance.go): appProtocol when set
// (kubernetes.io/h2c = HTTP2), else the port name's prefix before '-'.
// Unknown names are sniffed (kAuto).
enum class PortProtocol { kHttp, kHttp2, kGrpc, kGrpcWeb, kTcp, kAuto };
PortProtocol port_protocol(const ServicePort& port);
// A protocol by its name alone (protocol/instance.go Parse, case-insensitive),
// as a ServiceEntry port gives it; unknown or empty names are sniffed (kAuto).
PortProtocol protocol_named(std::string_view name);
// IsHTTP2 (protocol/instance.go): http2, grpc, grpc-web.
inline bool forces_http2(PortProtocol p) {
  return p == PortProtocol::kHttp2 || p == PortProtocol::kGrpc || p == PortProtocol::kGrpcWeb;
}

// The protocol of the request a cluster sends upstream (istio
// pilot/pkg/networking/core/cluster_builder.go setUpstreamProtocol and
// cluster_traffic_policy.go applyConnectionPool/applyH2Upgrade):
// - an http2/grpc/grpc-web port: HTTP/2 whatever the client spoke (setH2Options);
// - a sniffed port on a sidecar, or DestinationRule useClientProtocol: the
//   downstream protocol (use_downstream_protocol_config);
// - h2UpgradePolicy UPGRADE on an http port: HTTP/2, on outbound clusters
//   only (applyTrafficPolicy: "if opts.direction != TrafficDirectionInbound
//   { applyH2Upgrade }"; shouldH2Upgrade returns false for inbound), while
//   the connection pool, useClientProtocol included, applies to both;
// - otherwise HTTP/1.1.
// `pool` is the DestinationRule's connectionPool.http in force, or null;
// `outbound` false for the server-side sidecar's inbound cluster (the app).
WireProtocol upstream_protocol(PortProtocol port, const ConnectionPoolSettings* pool, WireProtocol downstream,
                               bool outbound = true);

// Rewrites `request` for a hop of `to`, as Envoy's codecs and HTTP
// connection manager do (RFC 9113 §8.2-8.3.1, Envoy conn_manager_utility.cc):
// - hop-by-hop fields are dropped whatever the protocol: Connection,
//   Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, and with an
//   `Upgrade: h2c` also HTTP2-Settings (Envoy http1 codec_impl.cc: h2c
//   upgrades are ignored, envoy#7981);
// - TE survives only as `te: trailers` (RFC 9113 §8.2.2);
// - to HTTP/2: field names lowercased (§8.2); `authority` is :authority;
// - to HTTP/1.1: `authority` is Host; trailers travel only on HTTP/2 (the
//   HTTP/1.1 serializer frames with Content-Length).
// Values are never changed.
void translate_request(HttpRequest& request, WireProtocol to);
// Whether a message already fit for `from` needs translating for `to`: a
// change of protocol, or HTTP/2, whose lowercase rule header edits may break.
// An HTTP/1.1 message from the HTTP/1.1 codec has no hop-by-hop field left.
inline bool needs_translation(WireProtocol from, WireProtocol to) { return from != to || to == WireProtocol::kHttp2; }
// The same for a response on its way back over a hop of `to`.
void translate_response(HttpResponse& response, WireProtocol to);

// "http1" / "http2", the corpus's and `meshsim curl --json`'s names.
std::string_view wire_protocol_name(WireProtocol p);

}  // namespace meshsim::proxy
