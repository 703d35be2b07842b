// gRPC as Envoy's HTTP layer sees it: a request whose content-type starts
// with application/grpc, a status in `grpc-status` (response headers for a
// Trailers-Only reply, else trailers), local replies as Trailers-Only HTTP
// 200, and `grpc-timeout` as a deadline. Pure functions over the
// protocol-neutral messages of http.h: the sidecar calls them without
// branching on the wire protocol.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "proxy_core/env.h"
#include "proxy_core/http.h"

namespace meshsim::proxy {

// Envoy Grpc::Common::isGrpcRequestHeaders (source/common/grpc/common.cc):
// content-type is application/grpc or starts with application/grpc+ / ;.
bool is_grpc(const HeaderMap& headers);

// The canonical gRPC code of a name as Istio's fault.abort.grpcStatus takes
// it ("UNAVAILABLE"; istio/istio pkg/util/grpc/codes.go), or nullopt.
std::optional<int> grpc_code_from_name(std::string_view name);

// Envoy Grpc::Utility::httpToGrpcStatus (source/common/grpc/status.cc):
// 400->13, 401->16, 403->7, 404->12, 429/502/503/504->14, else 2.
int http_to_grpc_status(int http_status);

// The grpc-status a client ends with, in Envoy's order (common.cc
// getGrpcStatus, as istio_stats reads it): trailers, then headers, then the
// HTTP status mapped (httpToGrpcStatus).
int grpc_status_of(const HttpResponse& response);
// The grpc-status carried in the response headers only (a Trailers-Only
// reply): all Envoy's retry logic reads (retry_state_impl.cc wouldRetryFromHeaders).
std::optional<int> grpc_status_in_headers(const HttpResponse& response);

// Envoy's local reply to a gRPC request (http/utility.cc prepareLocalReply /
// encodeLocalReply): `reply` (status + text body) becomes Trailers-Only:
// :status 200, content-type application/grpc, grpc-status = `explicit_code`
// or httpToGrpcStatus(status), grpc-message = the percent-encoded body when
// not empty, no body. The HTTP status is returned for the access log.
int to_grpc_local_reply(HttpResponse& reply, std::optional<int> explicit_code = std::nullopt);

// grpc-message encoding (PROTOCOL-HTTP2.md: percent-encode bytes outside
// 0x20-0x7E and '%') and its decoding.
std::string grpc_percent_encode(std::string_view text);
std::string grpc_percent_decode(std::string_view text);

// grpc-timeout "<1-8 digits><H|M|S|m|u|n>" (PROTOCOL-HTTP2.md); nullopt when
// malformed (Envoy then treats it as absent: Grpc::Common::getGrpcTimeout).
std::optional<Duration> parse_grpc_timeout(std::string_view value);
// Envoy's toGrpcTimeout as the router writes the effective timeout upstream
// (router.cc setTimeoutHeaders): whole milliseconds with unit "m"
// ("500m"), in the largest unit that keeps 8 digits.
std::string format_grpc_timeout(Duration timeout);

// The wire framing of one gRPC message: 1-byte compressed flag, 4-byte
// big-endian length, the bytes (PROTOCOL-HTTP2.md Length-Prefixed-Message).
std::string grpc_frame(std::string_view message);
// How many complete Length-Prefixed-Messages `body` holds (istio's
// request/response_messages_total count these, via Envoy's grpc_stats).
uint64_t grpc_message_count(std::string_view body);

// Which code a sidecar's route timeout answers a gRPC request with: 14
// (UNAVAILABLE, every Envoy without the runtime guard
// envoy.reloadable_features.grpc_timeout_returns_deadline_exceeded; Envoy
// test Http2IntegrationTest.GrpcRequestTimeout, istio/istio#45141) or 4
// (DEADLINE_EXCEEDED, Envoy PR #44479 with the guard on).
enum class GrpcTimeoutCode { kUnavailable = 14, kDeadlineExceeded = 4 };

}  // namespace meshsim::proxy
