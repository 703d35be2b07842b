// gRPC and HTTP/2 rules of the protocol-neutral stream, as tables: every row
// names the Envoy, Istio, gRPC or RFC source it was taken from.
#include <gtest/gtest.h>

#include "proxy_core/grpc.h"
#include "proxy_core/wire_protocol.h"

namespace meshsim::proxy {
namespace {

TEST(Grpc, HttpStatusMapsAsEnvoysHttpToGrpcStatus) {
  // envoyproxy/envoy source/common/grpc/status.cc Utility::httpToGrpcStatus
  // (= grpc/grpc doc/http-grpc-status-mapping.md).
  struct Row {
    int http, grpc;
  } rows[] = {{400, 13}, {401, 16}, {403, 7}, {404, 12}, {429, 14}, {502, 14}, {503, 14}, {504, 14}, {500, 2}, {418, 2}, {200, 2}};
  for (const Row& r : rows) EXPECT_EQ(http_to_grpc_status(r.http), r.grpc) << r.http;
}

TEST(Grpc, CodeNamesAsIstioFaultGrpcStatusTakesThem) {
  // istio/istio pkg/util/grpc/codes.go: the 17 canonical names.
  EXPECT_EQ(grpc_code_from_name("OK"), 0);
  EXPECT_EQ(grpc_code_from_name("CANCELLED"), 1);
  EXPECT_EQ(grpc_code_from_name("DEADLINE_EXCEEDED"), 4);
  EXPECT_EQ(grpc_code_from_name("RESOURCE_EXHAUSTED"), 8);
  EXPECT_EQ(grpc_code_from_name("UNIMPLEMENTED"), 12);
  EXPECT_EQ(grpc_code_from_name("INTERNAL"), 13);
  EXPECT_EQ(grpc_code_from_name("UNAVAILABLE"), 14);
  EXPECT_EQ(grpc_code_from_name("UNAUTHENTICATED"), 16);
  EXPECT_EQ(grpc_code_from_name("14"), std::nullopt);  // names, not numbers (virtual_service.proto)
  EXPECT_EQ(grpc_code_from_name("unavailable"), std::nullopt);
}

TEST(Grpc, RequestIsGrpcByContentType) {
  // Envoy Grpc::Common::isGrpcRequestHeaders (source/common/grpc/common.cc).
  struct Row {
    const char* content_type;
    bool grpc;
  } rows[] = {{"application/grpc", true},        {"application/grpc+proto", true}, {"application/grpc;x=y", true},
              {"application/grpc-web", false},   {"application/json", false},      {"application/grpcx", false}};
  for (const Row& r : rows) {
    HeaderMap h;
    h.set("content-type", r.content_type);
    EXPECT_EQ(is_grpc(h), r.grpc) << r.content_type;
  }
  EXPECT_FALSE(is_grpc(HeaderMap()));
}

TEST(Grpc, LocalReplyIsTrailersOnly) {
  // Envoy http/utility.cc prepareLocalReply/encodeLocalReply; asserted by
  // MultiplexedIntegrationTest.GrpcRouterNotFound (200, application/grpc, 12).
  HttpResponse r;
  r.status = 503;
  r.body = "no healthy upstream";
  r.headers.set("content-type", "text/plain");
  EXPECT_EQ(to_grpc_local_reply(r), 503);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("content-type"), "application/grpc");
  EXPECT_EQ(r.headers.get("grpc-status"), "14");
  EXPECT_EQ(r.headers.get("grpc-message"), "no healthy upstream");
  EXPECT_TRUE(r.body.empty());
  HttpResponse not_found;
  not_found.status = 404;  // NR: empty body, so no grpc-message
  to_grpc_local_reply(not_found);
  EXPECT_EQ(not_found.headers.get("grpc-status"), "12");
  EXPECT_FALSE(not_found.headers.has("grpc-message"));
  HttpResponse fault;
  fault.status = 200;  // fault_filter.cc abortStatus: a grpc_status makes the HTTP status 200
  fault.body = "fault filter abort";
  to_grpc_local_reply(fault, 8);
  EXPECT_EQ(fault.headers.get("grpc-status"), "8");
}

TEST(Grpc, StatusIsReadFromTrailersThenHeadersThenHttpStatus) {
  // Envoy Grpc::Common::getGrpcStatus order (common.cc), as istio_stats reads it.
  HttpResponse r;
  r.trailers.set("grpc-status", "0");
  r.headers.set("grpc-status", "14");
  EXPECT_EQ(grpc_status_of(r), 0);
  EXPECT_EQ(grpc_status_in_headers(r), 14);  // retries look here only (retry_state_impl.cc wouldRetryFromHeaders)
  HttpResponse plain;
  plain.status = 503;
  EXPECT_EQ(grpc_status_of(plain), 14);
  EXPECT_EQ(grpc_status_in_headers(plain), std::nullopt);
}

TEST(Grpc, MessageIsPercentEncoded) {
  // grpc/grpc doc/PROTOCOL-HTTP2.md: Status-Message is percent-encoded outside 0x20-0x7E and '%'.
  EXPECT_EQ(grpc_percent_encode("RBAC: access denied"), "RBAC: access denied");
  EXPECT_EQ(grpc_percent_encode("50% off\n"), "50%25 off%0A");
  EXPECT_EQ(grpc_percent_decode("50%25 off%0A"), "50% off\n");
  EXPECT_EQ(grpc_percent_decode("bad %zz"), "bad %zz");
}

TEST(Grpc, TimeoutHeaderParsesAndFormatsAsEnvoy) {
  // PROTOCOL-HTTP2.md Timeout: 1-8 digits and a unit H M S m u n.
  EXPECT_EQ(parse_grpc_timeout("500m"), Duration(500'000));
  EXPECT_EQ(parse_grpc_timeout("1S"), Duration(1'000'000));
  EXPECT_EQ(parse_grpc_timeout("2M"), Duration(120'000'000));
  EXPECT_EQ(parse_grpc_timeout("1H"), Duration(3'600'000'000));
  EXPECT_EQ(parse_grpc_timeout("250u"), Duration(250));
  EXPECT_EQ(parse_grpc_timeout("123456789S"), std::nullopt);  // 9 digits
  EXPECT_EQ(parse_grpc_timeout("10"), std::nullopt);
  EXPECT_EQ(parse_grpc_timeout("1x"), std::nullopt);
  // Envoy Grpc::Common::toGrpcTimeout, as router.cc setTimeoutHeaders writes it upstream.
  EXPECT_EQ(format_grpc_timeout(Duration(500'000)), "500m");
  EXPECT_EQ(format_grpc_timeout(Duration(200'000)), "200m");
  EXPECT_EQ(format_grpc_timeout(Duration(10'000'000)), "10000m");
  EXPECT_EQ(format_grpc_timeout(std::chrono::hours(30 * 24)), "2592000S");  // 2.592e9 ms needs 10 digits
}

TEST(Grpc, MessagesAreLengthPrefixed) {
  // PROTOCOL-HTTP2.md Length-Prefixed-Message: flag byte, 4-byte big-endian length.
  EXPECT_EQ(grpc_frame(""), std::string(5, '\0'));
  EXPECT_EQ(grpc_frame("hi"), std::string("\0\0\0\0\2hi", 7));
  EXPECT_EQ(grpc_message_count(grpc_frame("a") + grpc_frame("") + grpc_frame("xyz")), 3u);
  EXPECT_EQ(grpc_message_count(grpc_frame("abc").substr(0, 6)), 0u);  // an incomplete message is not counted
}

ServicePort port(std::string name, std::string app_protocol = "", uint32_t number = 80, std::string k8s_protocol = "TCP") {
  ServicePort p;
  p.name = std::move(name);
  p.app_protocol = std::move(app_protocol);
  p.port = number;
  p.protocol = std::move(k8s_protocol);
  return p;
}

TEST(WireProtocol, PortProtocolAsIstioReadsIt) {
  // istio/istio pkg/config/kube/conversion.go ConvertProtocol and
  // pkg/config/protocol/instance.go Parse: a UDP port is UDP; appProtocol
  // replaces the name, kubernetes.io/h2c is HTTP2; then the prefix before
  // '-'; unknown names are sniffed except on wellKnownPorts.
  struct Row {
    ServicePort port;
    PortProtocol want;
  } rows[] = {
      {port("http"), PortProtocol::kHttp},
      {port("http-web"), PortProtocol::kHttp},
      {port("http2"), PortProtocol::kHttp2},
      {port("http2-api"), PortProtocol::kHttp2},
      {port("grpc"), PortProtocol::kGrpc},
      {port("grpc-echo"), PortProtocol::kGrpc},
      {port("grpc-web"), PortProtocol::kGrpcWeb},
      {port("GRPC"), PortProtocol::kGrpc},
      {port("auto-http"), PortProtocol::kAuto},
      {port(""), PortProtocol::kAuto},
      {port("tcp"), PortProtocol::kTcp},
      {port("http-web", "kubernetes.io/h2c"), PortProtocol::kHttp2},
      {port("http", "grpc"), PortProtocol::kGrpc},
      {port("grpc", "http"), PortProtocol::kHttp},
      // An appProtocol replaces the name even when Parse does not know it:
      // sniffed, not the name's protocol.
      {port("http", "custom"), PortProtocol::kAuto},
      {port("grpc", "grpc-web-text"), PortProtocol::kGrpcWeb},
      {port("tcp", "http-v1"), PortProtocol::kHttp},
      // The WebSocket appProtocols: kubernetes.io/ws is HTTP, /wss HTTPS (TLS: no HTTP listener).
      {port("web", "kubernetes.io/ws"), PortProtocol::kHttp},
      {port("http", "kubernetes.io/wss"), PortProtocol::kTcp},
      // Parse's other names: http_proxy is HTTP; https, tls and the databases are TCP.
      {port("http_proxy"), PortProtocol::kHttp},
      {port("https-api"), PortProtocol::kTcp},
      {port("mongo"), PortProtocol::kTcp},
      // A UDP port is UDP whatever its name (no HTTP listener).
      {port("http-dns", "", 53, "UDP"), PortProtocol::kTcp},
      // wellKnownPorts: an unknown name on SMTP, DNS, MySQL, MongoDB ports is TCP, never sniffed...
      {port("db", "", 3306), PortProtocol::kTcp},
      {port("", "", 27017), PortProtocol::kTcp},
      {port("mail", "", 25), PortProtocol::kTcp},
      // ...a known one keeps its protocol, and other ports are sniffed.
      {port("http", "", 3306), PortProtocol::kHttp},
      {port("db", "", 3307), PortProtocol::kAuto},
  };
  for (const Row& r : rows) EXPECT_EQ(port_protocol(r.port), r.want) << r.port.name << " / " << r.port.app_protocol;
}

TEST(WireProtocol, UpstreamProtocolAsIstioConfiguresTheCluster) {
  // istio/istio pilot/pkg/networking/core/cluster_builder.go setUpstreamProtocol
  // (IsHTTP2 -> setH2Options; sniffed port on a sidecar -> use_downstream_protocol)
  // and cluster_traffic_policy.go applyConnectionPool (useClientProtocol)
  // and applyH2Upgrade (h2UpgradePolicy UPGRADE on an HTTP port).
  constexpr auto h1 = WireProtocol::kHttp1;
  constexpr auto h2 = WireProtocol::kHttp2;
  ConnectionPoolSettings upgrade;
  upgrade.h2_upgrade_policy = "UPGRADE";
  ConnectionPoolSettings client;
  client.use_client_protocol = true;
  ConnectionPoolSettings both = upgrade;
  both.use_client_protocol = true;
  struct Row {
    PortProtocol port;
    const ConnectionPoolSettings* pool;
    WireProtocol downstream, want;
  } rows[] = {
      {PortProtocol::kHttp, nullptr, h2, h1},     {PortProtocol::kHttp, nullptr, h1, h1},
      {PortProtocol::kHttp2, nullptr, h1, h2},    {PortProtocol::kGrpc, nullptr, h1, h2},
      {PortProtocol::kGrpcWeb, nullptr, h1, h2},  {PortProtocol::kAuto, nullptr, h1, h1},
      {PortProtocol::kAuto, nullptr, h2, h2},     {PortProtocol::kHttp, &upgrade, h1, h2},
      {PortProtocol::kHttp, &client, h2, h2},     {PortProtocol::kHttp, &client, h1, h1},
      {PortProtocol::kHttp, &both, h1, h1},  // useClientProtocol skips the upgrade (Istio "use client protocol" test)
      {PortProtocol::kGrpc, &client, h1, h2},
  };
  for (const Row& r : rows)
    EXPECT_EQ(upstream_protocol(r.port, r.pool, r.downstream), r.want)
        << static_cast<int>(r.port) << " downstream " << wire_protocol_name(r.downstream);
  // The server side's inbound cluster: the connection pool applies
  // ("applicable for both inbound and outbound clusters"), the h2 upgrade
  // does not (applyTrafficPolicy: applyH2Upgrade only when not inbound).
  EXPECT_EQ(upstream_protocol(PortProtocol::kHttp, &upgrade, h1, /*outbound=*/false), h1);
  EXPECT_EQ(upstream_protocol(PortProtocol::kHttp, &upgrade, h2, /*outbound=*/false), h1);
  EXPECT_EQ(upstream_protocol(PortProtocol::kHttp, &client, h2, /*outbound=*/false), h2);
}

TEST(WireProtocol, TranslationDropsHopByHopAndLowercasesForHttp2) {
  // RFC 9113 §8.2 (lowercase names), §8.2.2 (connection-specific fields
  // never forwarded; TE only "trailers"); Envoy conn_manager_utility.cc
  // removes Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding,
  // Upgrade; Envoy http1 codec_impl.cc drops HTTP2-Settings with Upgrade: h2c
  // (test IgnoreUpgradeH2c, envoy#7981). Values are unchanged.
  HttpRequest r;
  r.headers.add("Connection", "Upgrade, HTTP2-Settings");
  r.headers.add("Upgrade", "h2c");
  r.headers.add("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA");
  r.headers.add("Keep-Alive", "timeout=5");
  r.headers.add("Proxy-Connection", "keep-alive");
  r.headers.add("X-Mixed-Case-Header", "MixedCaseValue");
  r.headers.add("TE", "trailers");
  translate_request(r, WireProtocol::kHttp2);
  EXPECT_EQ(r.protocol, WireProtocol::kHttp2);
  for (const char* gone : {"connection", "upgrade", "http2-settings", "keep-alive", "proxy-connection"})
    EXPECT_FALSE(r.headers.has(gone)) << gone;
  bool lower = false;
  for (const Header h : r.headers.all())
    if (h.name == "x-mixed-case-header") lower = h.value == "MixedCaseValue";
  EXPECT_TRUE(lower);
  EXPECT_EQ(r.headers.get("te"), "trailers");

  HttpRequest gzip;
  gzip.headers.add("TE", "gzip");
  gzip.headers.add("HTTP2-Settings", "kept without an h2c upgrade");
  translate_request(gzip, WireProtocol::kHttp1);
  EXPECT_FALSE(gzip.headers.has("te"));
  EXPECT_TRUE(gzip.headers.has("http2-settings"));
}

}  // namespace
}  // namespace meshsim::proxy
