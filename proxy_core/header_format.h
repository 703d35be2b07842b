// Envoy's substitution format strings in header values. Envoy parses every
// value a route adds or sets (request_headers_to_add, response_headers_to_add:
// what Istio makes of a VirtualService's and an HTTPRoute's header
// operations) as a format string: `%%` is a `%`, and `%COMMAND%`,
// `%COMMAND(ARG)%` or `%COMMAND(ARG):LENGTH%` is replaced by what the
// command names (router/header_parser.cc parseHttpHeaderFormatter ->
// formatter/substitution_formatter.cc SubstitutionFormatParser::parse,
// commandWithArgsRegex). meshsim parses a value once, when its rules load,
// and only values with a `%` at all: a plain value costs nothing per request.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy_core/http.h"

namespace meshsim::proxy {

struct HeaderOps;

// The commands meshsim substitutes, each what Envoy's provider answers
// (formatter/http_specific_formatter.cc, stream_info_formatter.cc).
enum class FormatCommand : uint8_t {
  kLiteral,                             // text (with %% already a single %)
  kRequestHeader,                       // REQ(name[?alt])[:N]: the request's first value, cut to N
  kResponseHeader,                      // RESP(name[?alt])[:N]: the response's; none while the request is routed
  kUpstreamCluster,                     // UPSTREAM_CLUSTER: the route's cluster, observabilityName()
  kUpstreamClusterRaw,                  // UPSTREAM_CLUSTER_RAW: its name() (Istio sets no alt_stat_name by default)
  kDownstreamRemoteAddressWithoutPort,  // the address the request came from: the app's pod, a gateway's client
  kProtocol,                            // PROTOCOL: the downstream protocol, "HTTP/1.1" or "HTTP/2"
  kHostname,                            // HOSTNAME: the proxy's host, the pod's name
  kStartTime,                           // START_TIME without a format: %Y-%m-%dT%H:%M:%E3SZ, UTC
  kUnsupported,                         // a command meshsim does not answer: sent as written (MSH0048)
};

struct FormatPiece {
  FormatCommand command = FormatCommand::kLiteral;
  std::string text;         // the literal; the header (lower case) for REQ/RESP; the command as written when unsupported
  std::string alternative;  // REQ(a?b): b, lower case
  std::optional<size_t> max_length;
};

struct HeaderFormat {
  std::vector<FormatPiece> pieces;
};

// What a format reads of the stream, besides its headers.
struct FormatContext {
  const HttpRequest* request = nullptr;  // REQ (pseudo-headers from the request line)
  const HeaderMap* response = nullptr;   // RESP; null while the request is routed
  std::string_view cluster;              // the cluster's name; empty: none yet (no substitution)
  WireProtocol protocol = WireProtocol::kHttp1;
  std::string_view downstream_ip;
  std::string_view hostname;
  int64_t start_unix_us = -1;  // < 0: unknown (no substitution)
};

struct ParsedHeaderFormat {
  // Null when the value is not a valid format (Envoy would refuse the
  // route; Istio's webhook refuses an unescaped `%`): the value stays as written.
  std::shared_ptr<const HeaderFormat> format;
  std::string error;
  std::vector<std::string> unsupported;  // commands meshsim sends as written, as in the value ("%FOO(x)%")
};

// Parses `value` as SubstitutionFormatParser::parse does.
ParsedHeaderFormat parse_header_format(std::string_view value);

// The value the format gives in `context`; a command with no value adds
// nothing (FormatterImpl with omit_empty_values, as header_parser.cc asks).
std::string format_header_value(const HeaderFormat& format, const FormatContext& context);

// The commands meshsim substitutes, for messages: "REQ(header), RESP(header), ...".
std::string_view supported_format_commands();

// Fills ops.set_formats/add_formats for the values that contain a `%`.
void compile_header_formats(HeaderOps& ops);

}  // namespace meshsim::proxy
