// How an attempt that got no response is reported, as Envoy's router does:
// the transports (simulated or live) say what happened to the connection in
// a TransportResult::failure string; the client sidecar turns it into the
// status, response flag, retry decision and the local reply's body.
//
// Envoy: codec_client.cc CodecClient::onEvent (a close before the
// connection is up is a Remote/LocalConnectionFailure, after it a
// ConnectionTermination); connection_impl.cc ("delayed connect error: " +
// strerror); router.cc Filter::onUpstreamReset (the body), utility.cc
// resetReasonToString and streamResetReasonToResponseFlag.
#pragma once

#include <string>
#include <string_view>

namespace meshsim::proxy {

// The TransportResult::failure words.
namespace transport_failure {
// Nothing listens on the port: the SYN is answered with a reset.
inline constexpr std::string_view kRefused = "connection refused";
// The address has no pod any more (an endpoint of an older snapshot).
inline constexpr std::string_view kNoHost = "connection failure";
// The client insists on TLS and the server speaks plain text: its bytes
// are not a TLS record (a DestinationRule's ISTIO_MUTUAL to a pod without
// a sidecar).
inline constexpr std::string_view kTlsHandshake = "TLS handshake failure";
// The connection was up and the server closed it before a response: a
// STRICT server's listener has no filter chain for plain text, a gateway
// port with only TLS servers, an upstream that hung up.
inline constexpr std::string_view kReset = "connection reset";
// The server's bytes are not an HTTP response.
inline constexpr std::string_view kInvalidResponse = "invalid response";
// The upstream reset the stream (HTTP/2 RST_STREAM) before a response.
inline constexpr std::string_view kStreamReset = "stream reset";
}  // namespace transport_failure

struct UpstreamReset {
  int status = 503;
  const char* flag = "UF";
  // Envoy's Http::StreamResetReason in words (resetReasonToString).
  const char* reason = "remote connection failure";
  // The connection's transport failure reason, empty when Envoy has none.
  const char* transport_failure = "";
  // A connect failure: retried by retryOn connect-failure and
  // reset-before-request too (retry_state_impl.cc wouldRetryFromReset).
  // Otherwise the request was sent: only reset, 5xx and gateway-error.
  bool before_connected = true;
};

inline UpstreamReset upstream_reset_of(std::string_view failure) {
  namespace tf = transport_failure;
  if (failure == tf::kReset) return {.flag = "UC", .reason = "connection termination", .before_connected = false};
  if (failure == tf::kInvalidResponse)  // codec_client.cc: protocol_error_ turns the close into ProtocolError
    return {.status = 502, .flag = "UPE", .reason = "protocol error", .before_connected = false};
  if (failure == tf::kStreamReset)  // RemoteReset: UR (streamResetReasonToResponseFlag)
    return {.flag = "UR", .reason = "remote reset", .before_connected = false};
  if (failure == tf::kRefused) return {.transport_failure = "delayed connect error: Connection refused"};
  // The TLS socket reads the plain-text server's first bytes as a record
  // and BoringSSL fails the handshake; the connection closes before it is up
  // (istio.io egress and mTLS troubleshooting logs: 503 UF,URX
  // remote_connection_failure|TLS_error:...WRONG_VERSION_NUMBER).
  if (failure == tf::kTlsHandshake)
    return {.transport_failure = "TLS_error:|268435703:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER:TLS_error_end"};
  return {};
}

// router.cc Filter::onUpstreamReset's local reply body; "retried and the
// latest" once a retry was made (is_retry_).
inline std::string upstream_reset_body(bool retried, std::string_view reason, std::string_view transport_failure) {
  std::string body = "upstream connect error or disconnect/reset before headers. ";
  if (retried) body += "retried and the latest ";
  body += "reset reason: ";
  body += reason;
  if (!transport_failure.empty()) {
    body += ", transport failure reason: ";
    body += transport_failure;
  }
  return body;
}

}  // namespace meshsim::proxy
