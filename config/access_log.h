// Envoy access-log lines as Istio's sidecars write them, read back as the
// requests they record, for replaying real traffic (issue 17). Two formats:
//
// - istio-text: Istio's default TEXT format (meshConfig.accessLogFile with
//   accessLogEncoding TEXT), EnvoyTextLogFormat in istio/istio
//   pilot/pkg/model/telemetry_logging.go (Istio 1.9 onwards):
//     [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
//     %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
//     "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
//     %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
//     "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER%
//     %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
//     %REQUESTED_SERVER_NAME% %ROUTE_NAME%
//   optionally behind `kubectl logs --prefix`'s "[pod/NAME/CONTAINER] ", which
//   names the pod whose sidecar wrote the line (the caller of an outbound line).
// - envoy-json: one JSON object per line with the keys of Istio's JSON
//   encoding (EnvoyJSONLogFormatIstio, same file): start_time, method, path,
//   protocol, response_code, response_flags, user_agent, request_id,
//   authority, upstream_cluster …; the caller from source_workload /
//   workload, source_namespace / namespace, pod / pod_name, or a log
//   shipper's kubernetes.pod_name / kubernetes.namespace_name.
//
// Pure functions over text: no files, no clock (the fuzz target calls them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshsim::config {

enum class AccessLogFormat { kIstioText, kEnvoyJson };

// "istio-text" / "envoy-json", or nullopt.
std::optional<AccessLogFormat> access_log_format_from_name(std::string_view name);
const char* access_log_format_name(AccessLogFormat f);

// What one line records. Empty strings stand for Envoy's "-" (absent).
struct AccessLogEntry {
  int64_t start_unix_us = 0;
  std::string method, path, protocol;
  std::string authority, user_agent, request_id;
  int response_code = 0;
  std::string response_flags;    // "-" when none
  std::string upstream_cluster;  // "outbound|9080||reviews.default.svc.cluster.local"
  // The workload whose sidecar wrote the line, as far as the line says.
  std::string pod, workload, ns;
  bool inbound() const { return upstream_cluster.starts_with("inbound|"); }
};

struct AccessLogLineError {
  int column = 1;  // 1-based, in bytes
  std::string message;
};

// One line (without its newline). Returns the entry, or nullopt with `error`
// saying where and why. Never throws.
std::optional<AccessLogEntry> parse_istio_text_line(std::string_view line, AccessLogLineError* error);
std::optional<AccessLogEntry> parse_envoy_json_line(std::string_view line, AccessLogLineError* error);
std::optional<AccessLogEntry> parse_access_log_line(AccessLogFormat format, std::string_view line,
                                                    AccessLogLineError* error);

// A whole log. Blank lines are skipped; every other line is an entry, a bad
// line (with its line number), or a line that records no HTTP request to
// replay (a TCP connection, a callee's inbound record), counted by reason.
struct AccessLog {
  struct Line {
    int line = 0;  // 1-based
    AccessLogEntry entry;
  };
  struct BadLine {
    int line = 0;
    int column = 1;
    std::string message;
  };
  AccessLogFormat format = AccessLogFormat::kIstioText;
  std::vector<Line> entries;  // in file order
  std::vector<BadLine> bad;   // in file order
  int lines = 0;              // non-blank lines read
  int inbound = 0;            // inbound|… lines: the callee's record; the caller's outbound line replays it
  int not_http = 0;           // TCP connections ("- - -" request line)
  bool truncated = false;     // more than kAccessLogLinesMax lines: the rest was not read
};

// A replay is a test, not a load generator; a bigger log is cut here (and says so).
inline constexpr int kAccessLogLinesMax = 200'000;

// The format of a log when none is given: JSON when its first non-blank line starts with '{'.
AccessLogFormat detect_access_log_format(std::string_view text);

AccessLog parse_access_log(std::string_view text, AccessLogFormat format);

// "productpage-v1-6b746f74dc-9stvs" -> "productpage-v1": a Deployment's pod
// name is NAME-<replicaset hash>-<5 characters>; other names stay as they are.
std::string workload_of_pod(std::string_view pod);

}  // namespace meshsim::config
