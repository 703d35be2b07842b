// VirtualService, after istio/api networking/v1alpha3/virtual_service.proto.
#include <algorithm>
#include <cctype>
#include <limits>

#include "config/istio_names.h"
#include "config/parse.h"
#include "proxy_core/grpc.h"
#include "proxy_core/header_format.h"
#include "proxy_core/http.h"

namespace meshsim::config {
namespace {

// Standard or URL-safe base64, with or without '=' padding (Go protojson
// reads protobuf bytes so); nullopt on any other character or a lone
// trailing 6 bits.
std::optional<std::string> decode_base64(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : in) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
          : c == '+' || c == '-' ? 62 : c == '/' || c == '_' ? 63 : -1;
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  if (count >= 6) return std::nullopt;
  return out;
}


using proxy::StringMatch;

// pkg/util/grpc/codes.go SupportedGRPCStatus, for hints (proxy::grpc_code_from_name decides).
constexpr std::string_view kGrpcStatusNames[] = {
    "OK",           "CANCELLED",         "UNKNOWN",            "INVALID_ARGUMENT",    "DEADLINE_EXCEEDED",
    "NOT_FOUND",    "ALREADY_EXISTS",    "PERMISSION_DENIED",  "RESOURCE_EXHAUSTED",  "FAILED_PRECONDITION",
    "ABORTED",      "OUT_OF_RANGE",      "UNIMPLEMENTED",      "INTERNAL",            "UNAVAILABLE",
    "DATA_LOSS",    "UNAUTHENTICATED"};

// validation.go supportedCORSMethods: Go's net/http method constants and "*".
constexpr std::string_view kCorsMethods[] = {"GET",     "HEAD",    "POST",  "PUT", "PATCH",
                                              "DELETE",  "CONNECT", "OPTIONS", "TRACE", "*"};

// validation.go validHeaderNameRegex: an RFC 7230 token, "^[" + tchars + "]+$".
bool is_header_token(std::string_view name) {
  constexpr std::string_view kTchars = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](unsigned char c) {
    return std::isalnum(c) || kTchars.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// validation.go ValidateCORSHTTPHeaderName: a token, or "*".
std::optional<std::string> cors_header_name_problem(const std::string& name) {
  if (name.empty()) return "header name cannot be empty";
  if (name == "*" || is_header_token(name)) return std::nullopt;
  return "header name \"" + name + "\" is not a valid header name (an RFC 7230 token: letters, digits and !#$%&'*+-.^_`|~)";
}


// Which empty match strings Istio refuses: validateStringMatch an empty
// prefix or regex (headers, withoutHeaders, queryParams, scheme, method,
// authority), validateStringMatchRegexp an empty regex only (uri: Envoy's
// path prefix may be empty), validateAllowOrigins any, in its own words.
enum class EmptyMatch { kPrefixOrRegexRefused, kRegexRefused, kCallerChecks };

std::optional<StringMatch> string_match(YamlReader& r, const yaml::Node& n,
                                        const std::string& path, bool allow_empty, EmptyMatch empty) {
  if (!n) return std::nullopt;
  if (!r.fields(n, path, {"exact", "prefix", "regex"})) return std::nullopt;
  if (n.size() == 0) {
    if (allow_empty) return StringMatch{StringMatch::Kind::kPresent, ""};
    r.error(n, path, "a string match needs one of exact, prefix or regex");
    return std::nullopt;
  }
  if (n.size() > 1) r.error(n, path, "a string match takes only one of exact, prefix or regex");
  if (auto v = r.str(n["exact"], child(path, "exact"))) return StringMatch{StringMatch::Kind::kExact, *v};
  if (auto v = r.str(n["prefix"], child(path, "prefix"))) {
    if (v->empty() && empty == EmptyMatch::kPrefixOrRegexRefused) {
      r.error(n["prefix"], child(path, "prefix"), "prefix string match should not be empty");
      return std::nullopt;
    }
    return StringMatch{StringMatch::Kind::kPrefix, *v};
  }
  if (n["regex"]) {
    if (empty != EmptyMatch::kCallerChecks && n["regex"].IsScalar() && n["regex"].Scalar().empty()) {
      r.error(n["regex"], child(path, "regex"), "regex string match should not be empty");
      return std::nullopt;
    }
    // Istio turns `regex: "*"` into a presence match (route.go canBeConvertedToPresentMatch).
    if (n["regex"].IsScalar() && n["regex"].Scalar() == "*") {
      r.record(n["regex"], child(path, "regex"));
      return StringMatch{StringMatch::Kind::kRegex, "*"};
    }
    if (auto v = r.regex(n["regex"], child(path, "regex")))
      return StringMatch{StringMatch::Kind::kRegex, *v};
    return std::nullopt;
  }
  return StringMatch{StringMatch::Kind::kPresent, ""};
}

// validation.go ValidateHTTPHeaderNameOrJwtClaimRoute, for header match
// names: a JWT claim (@request.auth.claims.x, refused off gateways
// elsewhere), an HTTP/2 pseudo-header, or an RFC 7230 token.
std::optional<std::string> header_match_name_problem(const std::string& name) {
  if (name.empty()) return "header name cannot be empty";
  if (is_jwt_claim_route(name)) return std::nullopt;
  for (std::string_view pseudo : {":method", ":scheme", ":authority", ":path", ":status"})
    if (name == pseudo) return std::nullopt;
  if (is_header_token(name)) return std::nullopt;
  return "header name \"" + name + "\" is not a valid header name (an RFC 7230 token: letters, digits and " +
         "!#$%&'*+-.^_`|~; or :method, :scheme, :authority, :path, :status)";
}

// `lower_keys`: header names, matched case-insensitively and checked as
// header names; query parameter names are neither.
std::map<std::string, StringMatch> string_match_map(YamlReader& r, const yaml::Node& n,
                                                    const std::string& path, bool lower_keys) {
  std::map<std::string, StringMatch> out;
  if (!n || n.IsNull() || !r.is_map(n, path)) return out;
  for (const auto& e : n) {
    if (!e.first.IsScalar()) continue;
    std::string key = e.first.Scalar();
    std::string p = child(path, key);
    // virtualservice.go validateHTTPRouteMatchRequest, headers and withoutHeaders.
    if (lower_keys)
      if (auto problem = header_match_name_problem(key)) {
        r.error(e.first, p, *problem);
        continue;
      }
    if (e.second.IsNull()) {  // `name:` with nothing = presence
      out[lower_keys ? proxy::to_lower(key) : key] = StringMatch{StringMatch::Kind::kPresent, ""};
      continue;
    }
    if (auto m = string_match(r, e.second, p, true, EmptyMatch::kPrefixOrRegexRefused)) out[lower_keys ? proxy::to_lower(key) : key] = *m;
  }
  return out;
}

// The retry policies Istio's validateHTTPRetry accepts in retryOn
// (pkg/config/validation/validation.go supportedRetryOnPolicies): Envoy's
// x-envoy-retry-on and x-envoy-retry-grpc-on values (router_filter docs).
constexpr std::string_view kRetryOnPolicies[] = {
    "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx",
    "refused-stream", "retriable-status-codes", "retriable-headers", "envoy-ratelimited",
    "http3-post-connect-failure", "cancelled", "deadline-exceeded", "internal", "resource-exhausted",
    "unavailable"};

}  // namespace

// The codes Go's http.StatusText names: validateHTTPRetry accepts a number
// in retryOn only when StatusText(code) is not empty.
void warn_unsimulated_format(YamlReader& r, const yaml::Node& value) {
  if (!value || !value.IsScalar() || value.Scalar().find('%') == std::string::npos) return;
  for (const std::string& command : proxy::parse_header_format(value.Scalar()).unsupported)
    r.warning(value, "MSH0048",
              "header value \"" + value.Scalar() + "\": meshsim does not substitute " + command +
                  " and sends it as written, where Envoy substitutes it (or refuses the route for a command it does "
                  "not know); meshsim substitutes " + std::string(proxy::supported_format_commands()));
}

bool retry_on_accepts_status(int code) {
  constexpr int kNamed[] = {100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
                            300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405,
                            406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421,
                            422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504,
                            505, 506, 507, 508, 510, 511};
  return std::find(std::begin(kNamed), std::end(kNamed), code) != std::end(kNamed);
}

namespace {

// validateHTTPRetry reads a number with strconv.Atoi: an optional sign, then digits.
bool is_named_status_code(std::string_view token) {
  std::string_view digits = token.starts_with('+') || token.starts_with('-') ? token.substr(1) : token;
  if (digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }))
    return false;
  return !token.starts_with('-') && retry_on_accepts_status(std::stoi(std::string(digits)));
}

std::string unknown_retry_on(std::string_view token) {
  std::string message = "\"" + std::string(token) + "\" is not a valid retryOn policy";
  // A number is a status code Go does not name: "599" is not a typo of "5xx".
  bool number = !token.empty() && std::all_of(token.begin(), token.end(), [](unsigned char c) { return std::isdigit(c); });
  std::string hint = number ? "" : nearest(token, kRetryOnPolicies);
  if (!hint.empty()) message += "; did you mean \"" + hint + "\"?";
  if (token.find(' ') != std::string_view::npos)
    message += " (Istio splits retryOn at commas only: no spaces)";
  std::string valid;
  for (std::string_view p : kRetryOnPolicies) valid += std::string(valid.empty() ? "" : ", ") + std::string(p);
  return message + " (valid: an HTTP status code or " + valid + ")";
}

// retryOn as validateHTTPRetry checks it: each comma-separated policy is an
// HTTP status code or an Envoy retry policy; anything else would be dropped
// by the proxy and the route would retry less than written.
std::optional<std::string> retry_on(YamlReader& r, const yaml::Node& n, const std::string& path) {
  auto text = r.str(n, path);
  if (!text || text->empty()) return text;
  std::string_view rest = *text;
  bool valid = true;
  while (true) {
    auto comma = rest.find(',');
    std::string_view token = rest.substr(0, comma);
    bool known = std::find(std::begin(kRetryOnPolicies), std::end(kRetryOnPolicies), token) !=
                 std::end(kRetryOnPolicies);
    if (!known && !is_named_status_code(token)) {
      r.error(n, path, unknown_retry_on(token));
      valid = false;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return valid ? text : std::nullopt;
}

std::optional<proxy::Percent> percent(YamlReader& r, const yaml::Node& n, const std::string& path) {
  if (!n || !r.fields(n, path, {"value"})) return std::nullopt;
  auto v = r.number(n["value"], child(path, "value"), 0, 100);
  return proxy::Percent{v.value_or(0)};
}

proxy::Destination destination(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::Destination d;
  d.path = path;
  if (!r.fields(n, path, {"host", "subset", "port"})) return d;
  if (auto h = r.str(n["host"], child(path, "host"))) d.host = *h;
  else r.error(n, path, "destination.host is required");
  // validation.go validateDestination: "*" names no service.
  if (d.host == "*") r.error(n["host"], child(path, "host"), "invalid destination host *: a destination names one service");
  d.subset = r.str(n["subset"], child(path, "subset")).value_or("");
  // validateDestination -> validateSubsetName, as DestinationRule subset names.
  if (!d.subset.empty() && !is_dns1123_label(d.subset))
    r.error(n["subset"], child(path, "subset"),
            "subset name \"" + d.subset + "\" is invalid: Istio requires a DNS-1123 label (" + kDns1123LabelRule + ")");
  if (auto p = n["port"]; p && r.fields(p, child(path, "port"), {"number"}))
    d.port = r.port(p["number"], child(path, "port.number"));
  return d;
}

bool iequals(std::string_view a, std::string_view b) { return proxy::to_lower(std::string(a)) == proxy::to_lower(std::string(b)); }

// validation.go ValidateHTTPHeaderWithAuthorityOperationName (request set
// and add, `authority_allowed`) and ValidateHTTPHeaderOperationName (request
// remove, every response operation): Envoy does not let a route change
// pseudo-headers, and the authority only where a request header is written.
std::optional<std::string> header_operation_problem(const std::string& name, bool authority_allowed) {
  if (name.empty()) return "header name cannot be empty";
  bool authority = iequals(name, ":authority") || iequals(name, "host");
  if (authority && authority_allowed) return std::nullopt;
  if (iequals(name, "host")) return "invalid header \"" + name + "\": the Host header cannot be changed here";
  if (name.starts_with(':')) return "invalid header \"" + name + "\": header cannot have \":\" prefix";
  return std::nullopt;
}

void check_header_names(YamlReader& r, const yaml::Node& n, const std::string& path, bool request) {
  for (const char* op : {"set", "add"})
    if (auto map = n[op]; map && map.IsMap())
      for (const auto& e : map)
        if (auto problem = e.first.IsScalar() ? header_operation_problem(e.first.Scalar(), request) : std::nullopt)
          r.error(e.first, child(child(path, op), e.first.Scalar()), *problem);
  if (auto remove = n["remove"]; remove && remove.IsSequence())
    for (size_t i = 0; i < remove.size(); ++i)
      if (remove[i].IsScalar())
        if (auto problem = header_operation_problem(remove[i].Scalar(), false))
          r.error(remove[i], child(path, "remove") + "[" + std::to_string(i) + "]", *problem);
}

// validation.go ValidateHTTPHeaderValue: no control character but tab
// (httpHeaderValueRegexp), then header_value_validator.go validateHeaderValue,
// a port of Envoy's header_parser.cc: a '%' starts a %VARIABLE% (or
// %VAR(args)%) that must be closed, "%%" is a literal '%'. So "100%%" and
// "%HOSTNAME%" pass, "abc%123" and "%START_TIME%%" do not.
std::optional<std::string> header_value_problem(std::string_view value) {
  for (unsigned char c : value)
    if ((c <= 0x08) || (c >= 0x0A && c <= 0x1F) || c == 0x7F)
      return "header value configuration " + std::string(value) + " is invalid (a control character)";
  enum State { kLiteral, kVariableName, kExpectArray, kExpectString, kString, kExpectDelimiterOrEnd, kExpectArgsEnd,
               kExpectVariableEnd };
  State state = kLiteral;
  const std::string prefix = "header value configuration: invalid header configuration. ";
  for (size_t pos = 0; pos < value.size(); ++pos) {
    const char ch = value[pos];
    const bool has_next = pos + 1 < value.size();
    switch (state) {
      case kLiteral:
        if (ch != '%') break;
        if (!has_next) return prefix + "Un-escaped % (write %% for a literal %)";
        if (value[pos + 1] == '%') {
          ++pos;
          break;
        }
        state = kVariableName;
        break;
      case kVariableName:
        if (ch == '%') state = kLiteral;
        else if (ch == '(') state = kExpectArray;
        break;
      case kExpectArray:
        if (ch == '[') state = kExpectString;
        else if (ch != ' ') state = kString;
        break;
      case kExpectDelimiterOrEnd:
        if (ch == ',') state = kExpectString;
        else if (ch == ']') state = kExpectArgsEnd;
        else if (ch != ' ') return prefix + "Expecting ',', ']', or whitespace";
        break;
      case kExpectString:
        if (ch == '"') state = kString;
        else if (ch != ' ') return prefix + "Expecting '\"'";
        break;
      case kString:
        if (ch == '\\') {
          if (!has_next) return prefix + "Un-terminated backslash in JSON string";
          ++pos;
        } else if (ch == ')') {
          state = kExpectVariableEnd;
        } else if (ch == '"') {
          state = kExpectDelimiterOrEnd;
        }
        break;
      case kExpectArgsEnd:
        if (ch == ')') state = kExpectVariableEnd;
        else if (ch != ' ') return prefix + "Expecting ')' or whitespace";
        break;
      case kExpectVariableEnd:
        if (ch == '%') state = kLiteral;
        else if (ch != ' ') return prefix + "Expecting '%' or whitespace after";
        break;
    }
  }
  if (state != kLiteral)
    return prefix + "Un-terminated variable expression '" + std::string(value) + "' (write %% for a literal %)";
  return std::nullopt;
}

proxy::HeaderOps header_ops(YamlReader& r, const yaml::Node& n, const std::string& path, bool request) {
  proxy::HeaderOps ops;
  if (!n || !r.fields(n, path, {"set", "add", "remove"})) return ops;
  check_header_names(r, n, path, request);
  // virtualservice.go validateHTTPRoute and validation.go
  // validateHTTPRouteDestinations: ValidateHTTPHeaderValue on every set and add value.
  for (const char* op : {"set", "add"})
    if (auto map = n[op]; map && map.IsMap())
      for (const auto& e : map)
        if (e.first.IsScalar() && e.second.IsScalar())
          if (auto problem = header_value_problem(e.second.Scalar()))
            r.error(e.second, child(child(path, op), e.first.Scalar()), *problem);
  for (auto& [k, v] : r.str_map(n["set"], child(path, "set"))) ops.set.emplace_back(k, v);
  for (auto& [k, v] : r.str_map(n["add"], child(path, "add"))) ops.add.emplace_back(k, v);
  ops.remove = r.str_list(n["remove"], child(path, "remove"));
  for (const char* op : {"set", "add"})
    if (auto map = n[op]; map && map.IsMap())
      for (const auto& e : map) warn_unsimulated_format(r, e.second);
  proxy::compile_header_formats(ops);
  return ops;
}

proxy::Headers headers(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::Headers h;
  if (!n || !r.fields(n, path, {"request", "response"})) return h;
  h.request = header_ops(r, n["request"], child(path, "request"), true);
  h.response = header_ops(r, n["response"], child(path, "response"), false);
  return h;
}

proxy::HTTPMatchRequest match_request(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::HTTPMatchRequest m;
  if (!r.fields(n, path,
                {"name", "uri", "scheme", "method", "authority", "headers", "port", "sourceLabels",
                 "gateways", "queryParams", "ignoreUriCase", "withoutHeaders", "sourceNamespace",
                 "statPrefix"}))
    return m;
  m.name = r.str(n["name"], child(path, "name")).value_or("");
  m.uri = string_match(r, n["uri"], child(path, "uri"), false, EmptyMatch::kRegexRefused);
  m.scheme = string_match(r, n["scheme"], child(path, "scheme"), false, EmptyMatch::kPrefixOrRegexRefused);
  m.method = string_match(r, n["method"], child(path, "method"), false, EmptyMatch::kPrefixOrRegexRefused);
  m.authority = string_match(r, n["authority"], child(path, "authority"), false, EmptyMatch::kPrefixOrRegexRefused);
  m.headers = string_match_map(r, n["headers"], child(path, "headers"), true);
  m.without_headers = string_match_map(r, n["withoutHeaders"], child(path, "withoutHeaders"), true);
  m.query_params = string_match_map(r, n["queryParams"], child(path, "queryParams"), false);
  m.port = r.port(n["port"], child(path, "port"));
  m.source_labels = r.str_map(n["sourceLabels"], child(path, "sourceLabels"));
  m.gateways = r.str_list(n["gateways"], child(path, "gateways"));
  m.ignore_uri_case = r.boolean(n["ignoreUriCase"], child(path, "ignoreUriCase")).value_or(false);
  m.source_namespace = r.str(n["sourceNamespace"], child(path, "sourceNamespace")).value_or("");
  // virtualservice.go validateHTTPRouteMatchRequest: a namespace name is a DNS-1123 label.
  if (!m.source_namespace.empty() && !is_dns1123_label(m.source_namespace))
    r.error(n["sourceNamespace"], child(path, "sourceNamespace"),
            "sourceNamespace match \"" + m.source_namespace + "\" is invalid: a namespace is a DNS-1123 label (" +
                kDns1123LabelRule + ")");
  m.stat_prefix = r.str(n["statPrefix"], child(path, "statPrefix")).value_or("");
  return m;
}

proxy::HTTPFaultInjection fault(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::HTTPFaultInjection f;
  if (!r.fields(n, path, {"delay", "abort"})) return f;
  // validation.go validateHTTPFaultInjection.
  if (!n["delay"] && !n["abort"]) r.error(n, path, "a fault must have an abort, a delay or both");
  if (auto d = n["delay"]; d) {
    std::string p = child(path, "delay");
    if (r.fields(d, p, {"fixedDelay", "exponentialDelay", "percentage", "percent"})) {
      proxy::FaultDelay delay;
      delay.fixed_delay = r.millisecond_duration(d["fixedDelay"], child(p, "fixedDelay"));
      delay.exponential_delay = r.millisecond_duration(d["exponentialDelay"], child(p, "exponentialDelay"));
      // validateHTTPFaultInjectionDelay refuses it whatever its value.
      if (d["exponentialDelay"])
        r.error(d["exponentialDelay"], child(p, "exponentialDelay"), "exponentialDelay is not supported by Istio yet");
      delay.percentage = percent(r, d["percentage"], child(p, "percentage"));
      if (auto pc = r.integer(d["percent"], child(p, "percent"), 0, 100))
        delay.percent = static_cast<int32_t>(*pc);
      // validateHTTPFaultInjectionDelay accepts it; route.go translateFault drops it.
      if (!d["fixedDelay"] && !d["exponentialDelay"])
        r.warning(d, "MSH0046", "delay configured, but no fixedDelay: Istio accepts it and delays nothing");
      f.delay = delay;
    }
  }
  if (auto a = n["abort"]; a) {
    std::string p = child(path, "abort");
    if (r.fields(a, p, {"httpStatus", "grpcStatus", "http2Error", "percentage"})) {
      proxy::FaultAbort abort;
      if (auto s = r.integer(a["httpStatus"], child(p, "httpStatus"), 200, 599))
        abort.http_status = static_cast<int32_t>(*s);
      // validation.go validateGRPCStatus: a name in grpc.SupportedGRPCStatus,
      // the 17 codes of grpc/doc/statuscodes.md ("" too is refused).
      if (auto g = r.str(a["grpcStatus"], child(p, "grpcStatus"))) {
        if (proxy::grpc_code_from_name(*g)) {
          abort.grpc_status = *g;
        } else {
          std::string hint = nearest(*g, kGrpcStatusNames);
          r.error(a["grpcStatus"], child(p, "grpcStatus"),
                  "gRPC status \"" + *g + "\" is not supported" + (hint.empty() ? "" : "; did you mean \"" + hint + "\"?") +
                      " (valid: a code name of grpc/doc/statuscodes.md, such as NOT_FOUND or UNAVAILABLE)");
        }
      }
      abort.percentage = percent(r, a["percentage"], child(p, "percentage"));
      // validateHTTPFaultInjectionAbort only warns; nothing is aborted.
      if (!a["httpStatus"] && !a["grpcStatus"] && !a["http2Error"])
        r.warning(a, "MSH0046", "abort configured, but error type not set: Istio accepts it and aborts nothing");
      // validateHTTPFaultInjectionAbort refuses it whatever its value.
      if (a["http2Error"])
        r.error(a["http2Error"], child(p, "http2Error"), "HTTP/2 abort fault injection is not supported by Istio yet");
      f.abort = abort;
    }
  }
  return f;
}

// validation.go validateHTTPRedirect.
void check_redirect(YamlReader& r, const yaml::Node& n, const std::string& path, const proxy::HTTPRedirect& redirect,
                    const std::vector<proxy::HTTPMatchRequest>& matches) {
  if (!redirect.uri.empty() && !redirect.prefix_rewrite.empty())
    r.error(n, path, "redirect takes only one of uri or prefixRewrite");
  if (!redirect.prefix_rewrite.empty())
    for (const auto& m : matches)
      if (m.uri && m.uri->kind != StringMatch::Kind::kPrefix) {
        r.error(n["prefixRewrite"], child(path, "prefixRewrite"),
                "redirect prefixRewrite requires every uri match of the route to be a prefix match");
        break;
      }
  if (redirect.uri.empty() && redirect.prefix_rewrite.empty() && redirect.authority.empty() && !redirect.port &&
      redirect.derive_port.empty() && redirect.scheme.empty())
    r.error(n, path, "redirect must set uri, authority, scheme or port");
  if (!redirect.scheme.empty() && redirect.scheme != "http" && redirect.scheme != "https")
    r.error(n["scheme"], child(path, "scheme"), "redirect scheme must be \"http\" or \"https\"");
}

// validation.go validateAuthorityRewrite: rewrite.authority and the route's
// request headers host/:authority (set, then add) write one header; Istio
// refuses a second writer rather than pick one.
void check_authority_set_once(YamlReader& r, const yaml::Node& n, const std::string& path) {
  std::string current;
  if (auto rw = n["rewrite"]; rw && rw.IsMap() && rw["authority"] && rw["authority"].IsScalar())
    current = rw["authority"].Scalar();
  auto request = n["headers"] && n["headers"].IsMap() ? n["headers"]["request"] : yaml::Node();
  if (!request || !request.IsMap()) return;
  for (const char* op : {"set", "add"}) {
    auto map = request[op];
    if (!map || !map.IsMap()) continue;
    for (const auto& e : map) {
      if (!e.first.IsScalar()) continue;
      const std::string& name = e.first.Scalar();
      if (!iequals(name, "host") && !iequals(name, ":authority")) continue;
      std::string value = e.second.IsScalar() ? e.second.Scalar() : "";
      if (!current.empty()) {
        r.error(e.first, child(path, "headers.request." + std::string(op) + "." + name),
                "authority header cannot be set multiple times: have \"" + current + "\", attempting to set \"" +
                    value + "\"");
        return;
      }
      current = value;
    }
  }
}

proxy::HTTPRoute http_route(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::HTTPRoute h;
  h.path = path;
  if (!r.fields(n, path,
                {"name", "match", "route", "redirect", "directResponse", "delegate", "rewrite",
                 "timeout", "retries", "fault", "mirror", "mirrors", "mirrorPercent",
                 "mirrorPercentage", "corsPolicy", "headers"}))
    return h;
  h.name = r.str(n["name"], child(path, "name")).value_or("");
  r.list(n["match"], child(path, "match"), [&](const yaml::Node& m, const std::string& p) {
    h.match.push_back(match_request(r, m, p));
  });
  r.list(n["route"], child(path, "route"), [&](const yaml::Node& d, const std::string& p) {
    proxy::HTTPRouteDestination rd;
    if (!r.fields(d, p, {"destination", "weight", "headers"})) return;
    if (d["destination"]) rd.destination = destination(r, d["destination"], child(p, "destination"));
    else r.error(d, p, "route.destination is required");
    // validation.go validateWeight refuses only a negative weight: weights
    // are relative ("weight/(sum of all weights)", virtual_service.proto),
    // any int32.
    if (auto w = r.integer(d["weight"], child(p, "weight"), 0, std::numeric_limits<int32_t>::max()))
      rd.weight = static_cast<int32_t>(*w);
    rd.headers = headers(r, d["headers"], child(p, "headers"));
    h.route.push_back(std::move(rd));
  });
  if (auto red = n["redirect"]; red) {
    std::string p = child(path, "redirect");
    if (r.fields(red, p, {"uri", "authority", "port", "derivePort", "scheme", "redirectCode", "prefixRewrite"})) {
      proxy::HTTPRedirect rr;
      rr.uri = r.str(red["uri"], child(p, "uri")).value_or("");
      rr.prefix_rewrite = r.str(red["prefixRewrite"], child(p, "prefixRewrite")).value_or("");
      rr.authority = r.str(red["authority"], child(p, "authority")).value_or("");
      rr.port = r.port(red["port"], child(p, "port"));
      rr.derive_port = r.enumeration(red["derivePort"], child(p, "derivePort"),
                                     {"FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"})
                           .value_or("");
      rr.scheme = r.str(red["scheme"], child(p, "scheme")).value_or("");
      // validation.go validateHTTPRedirect: 0 is unset (route.go ApplyRedirect
      // answers 301), anything else must be 3xx.
      if (auto c = r.integer(red["redirectCode"], child(p, "redirectCode"), 0, std::numeric_limits<uint32_t>::max())) {
        if (*c != 0 && (*c < 300 || *c > 399))
          r.error(red["redirectCode"], child(p, "redirectCode"),
                  std::to_string(*c) + " is not a valid redirect code, must be 3xx");
        else if (*c != 0)
          rr.redirect_code = static_cast<uint32_t>(*c);
        // route.go ApplyRedirect translates 301, 302, 303, 307 and 308 only;
        // for another 3xx it logs "Redirect Code N is not yet supported" and
        // leaves the route without an action, which Envoy refuses
        // (route_components.proto Route: the action oneof is required): the
        // proxy rejects (NACKs) the whole route configuration holding it.
        if (*c >= 300 && *c <= 399 && *c != 301 && *c != 302 && *c != 303 && *c != 307 && *c != 308)
          r.warning(red["redirectCode"], "MSH0047",
                    "redirectCode " + std::to_string(*c) + ": Istio accepts it, but istiod builds no redirect for it "
                    "(only 301, 302, 303, 307 and 308) and Envoy rejects the route configuration holding the route "
                    "left without an action; meshsim answers " + std::to_string(*c) + " as written");
      }
      check_redirect(r, red, p, rr, h.match);
      h.redirect = rr;
    }
  }
  if (auto dr = n["directResponse"]; dr) {
    std::string p = child(path, "directResponse");
    if (r.fields(dr, p, {"status", "body"})) {
      proxy::HTTPDirectResponse resp;
      if (auto s = r.integer(dr["status"], child(p, "status"), 200, 599))
        resp.status = static_cast<uint32_t>(*s);
      else if (!dr["status"]) r.error(dr, p, "directResponse.status is required");
      if (auto b = dr["body"]; b && r.fields(b, child(p, "body"), {"string", "bytes"})) {
        if (auto s = r.str(b["string"], child(p, "body.string"))) resp.body = *s;
        else if (auto s = r.str(b["bytes"], child(p, "body.bytes"))) {
          // Protobuf bytes in JSON/YAML are base64, standard or URL-safe,
          // padded or not (protojson); Envoy sends the decoded bytes.
          if (auto decoded = decode_base64(*s)) resp.body = std::move(*decoded);
          else r.error(b["bytes"], child(p, "body.bytes"), "body.bytes is not base64: " + *s);
        }
      }
      h.direct_response = resp;
    }
  }
  if (auto dg = n["delegate"]; dg && r.fields(dg, child(path, "delegate"), {"name", "namespace"})) {
    proxy::DelegateRef ref;
    ref.name = r.str(dg["name"], child(path, "delegate.name")).value_or("");
    ref.ns = r.str(dg["namespace"], child(path, "delegate.namespace")).value_or("");
    if (ref.name.empty()) r.error(dg, child(path, "delegate"), "delegate.name is required");
    h.delegate = ref;
  }
  if (auto rw = n["rewrite"]; rw) {
    std::string p = child(path, "rewrite");
    if (r.fields(rw, p, {"uri", "authority", "uriRegexRewrite"})) {
      proxy::HTTPRewrite w;
      w.uri = r.str(rw["uri"], child(p, "uri"));
      w.authority = r.str(rw["authority"], child(p, "authority")).value_or("");
      if (auto rr = rw["uriRegexRewrite"];
          rr && r.fields(rr, child(p, "uriRegexRewrite"), {"match", "rewrite"})) {
        proxy::RegexRewrite regex_rewrite;
        regex_rewrite.match = r.regex(rr["match"], child(p, "uriRegexRewrite.match")).value_or("");
        regex_rewrite.rewrite = r.str(rr["rewrite"], child(p, "uriRegexRewrite.rewrite")).value_or("");
        w.uri_regex_rewrite = regex_rewrite;
        // validation.go validateURIRegexRewrite.
        if (!rr["match"] || !rr["rewrite"] || regex_rewrite.match.empty() || regex_rewrite.rewrite.empty())
          r.error(rr, child(p, "uriRegexRewrite"), "uriRegexRewrite needs both match and rewrite");
      }
      // validation.go validateHTTPRewrite; an empty uri counts as unset.
      bool uri = w.uri && !w.uri->empty();
      if (uri && rw["uriRegexRewrite"]) r.error(rw, p, "rewrite takes only one of uri or uriRegexRewrite");
      if (!uri && !rw["uriRegexRewrite"] && w.authority.empty())
        r.error(rw, p, "rewrite must set uri, uriRegexRewrite or authority");
      h.rewrite = w;
    }
  }
  h.timeout = r.millisecond_duration(n["timeout"], child(path, "timeout"));
  if (auto rt = n["retries"]; rt) {
    std::string p = child(path, "retries");
    if (r.fields(rt, p, {"attempts", "perTryTimeout", "retryOn", "retryRemoteLocalities",
                         "retryIgnorePreviousHosts", "backoff"})) {
      proxy::HTTPRetry retry;
      retry.attempts = static_cast<int32_t>(r.integer(rt["attempts"], child(p, "attempts"), 0, 1000).value_or(0));
      retry.per_try_timeout = r.millisecond_duration(rt["perTryTimeout"], child(p, "perTryTimeout"));
      retry.retry_on = retry_on(r, rt["retryOn"], child(p, "retryOn")).value_or("");
      retry.retry_remote_localities = r.boolean(rt["retryRemoteLocalities"], child(p, "retryRemoteLocalities"));
      retry.retry_ignore_previous_hosts =
          r.boolean(rt["retryIgnorePreviousHosts"], child(p, "retryIgnorePreviousHosts"));
      retry.backoff = r.millisecond_duration(rt["backoff"], child(p, "backoff"));
      // validation.go validateHTTPRetry: attempts 0 (also when unset)
      // disables retries, so a policy beside it is refused.
      if (retry.attempts == 0 && (rt["perTryTimeout"] || !retry.retry_on.empty() || rt["retryRemoteLocalities"]))
        r.error(rt, p, "http retry policy configured when attempts are set to 0 (disabled)");
      h.retries = retry;
    }
  }
  if (n["fault"]) h.fault = fault(r, n["fault"], child(path, "fault"));
  if (n["mirror"]) h.mirror = destination(r, n["mirror"], child(path, "mirror"));
  if (auto mp = r.integer(n["mirrorPercent"], child(path, "mirrorPercent"), 0, 100))
    h.mirror_percent = static_cast<int32_t>(*mp);
  h.mirror_percentage = percent(r, n["mirrorPercentage"], child(path, "mirrorPercentage"));
  r.list(n["mirrors"], child(path, "mirrors"), [&](const yaml::Node& m, const std::string& p) {
    if (!r.fields(m, p, {"destination", "percentage"})) return;
    proxy::HTTPMirrorPolicy policy;
    policy.destination = destination(r, m["destination"], child(p, "destination"));
    policy.percentage = percent(r, m["percentage"], child(p, "percentage"));
    h.mirrors.push_back(policy);
  });
  // virtualservice.go validateHTTPRouteConflict.
  if (n["mirror"] && !h.mirrors.empty())
    r.error(n["mirrors"], child(path, "mirrors"), "HTTP route cannot contain both mirror and mirrors");
  if (auto c = n["corsPolicy"]; c) {
    std::string p = child(path, "corsPolicy");
    if (r.fields(c, p, {"allowOrigin", "allowOrigins", "allowMethods", "allowHeaders",
                        "exposeHeaders", "maxAge", "allowCredentials", "unmatchedPreflights"})) {
      proxy::CorsPolicy cors;
      for (auto& o : r.str_list(c["allowOrigin"], child(p, "allowOrigin")))
        cors.allow_origins.push_back({StringMatch::Kind::kExact, o});
      r.list(c["allowOrigins"], child(p, "allowOrigins"), [&](const yaml::Node& o, const std::string& op) {
        auto m = string_match(r, o, op, false, EmptyMatch::kCallerChecks);
        // validation.go validateAllowOrigins: an empty exact, prefix or regex matches no origin.
        if (m && m->value.empty())
          r.error(o, op, "an empty string is not a valid match for CORS allow origins");
        else if (m)
          cors.allow_origins.push_back(*m);
      });
      // validation.go validateCORSHTTPMethod: Go's method names, upper case, or "*".
      r.list(c["allowMethods"], child(p, "allowMethods"), [&](const yaml::Node& m, const std::string& mp) {
        auto method = r.str(m, mp);
        if (!method) return;
        if (std::find(std::begin(kCorsMethods), std::end(kCorsMethods), *method) == std::end(kCorsMethods))
          r.error(m, mp, "\"" + *method + "\" is not a supported HTTP method (valid: GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE, *)");
        else
          cors.allow_methods.push_back(*method);
      });
      // validation.go ValidateCORSHTTPHeaderName, for allowHeaders and exposeHeaders.
      for (const char* field : {"allowHeaders", "exposeHeaders"}) {
        auto& names = std::string_view(field) == "allowHeaders" ? cors.allow_headers : cors.expose_headers;
        r.list(c[field], child(p, field), [&](const yaml::Node& hn, const std::string& hp) {
          auto name = r.str(hn, hp);
          if (!name) return;
          if (auto problem = cors_header_name_problem(*name)) r.error(hn, hp, *problem);
          else names.push_back(*name);
        });
      }
      // validation.go validateCORSPolicy: agent.ValidateDuration, then "max_age
      // duration is accurate only to seconds precision" (Envoy's max_age is whole seconds).
      cors.max_age = r.millisecond_duration(c["maxAge"], child(p, "maxAge"));
      if (cors.max_age && cors.max_age->count() % 1'000'000 != 0) {
        r.error(c["maxAge"], child(p, "maxAge"), "maxAge must be whole seconds (Istio: max_age duration is accurate only to seconds precision)");
        cors.max_age.reset();
      }
      cors.allow_credentials = r.boolean(c["allowCredentials"], child(p, "allowCredentials"));
      cors.unmatched_preflights = r.enumeration(c["unmatchedPreflights"], child(p, "unmatchedPreflights"),
                                                {"UNSPECIFIED", "FORWARD", "IGNORE"}).value_or("");
      h.cors_policy = cors;
    }
  }
  h.headers = headers(r, n["headers"], child(path, "headers"));
  check_authority_set_once(r, n, path);
  // validation.go validateHTTPRouteConflict: a redirect or a direct response
  // answers at the proxy, so there is no request left to fault or rewrite.
  if (const char* answer = n["redirect"] ? "redirect" : n["directResponse"] ? "directResponse" : nullptr)
    for (const char* field : {"fault", "rewrite"})
      if (n[field])
        r.error(n[field], child(path, field), std::string(field) + " cannot be set together with " + answer);
  int actions = (h.route.empty() ? 0 : 1) + (h.redirect ? 1 : 0) + (h.direct_response ? 1 : 0);
  if (actions == 0 && !n["delegate"])
    r.error(n, path, "an HTTP route needs one of route, redirect or directResponse");
  if (actions > 1) r.error(n, path, "route, redirect and directResponse are mutually exclusive");
  if (actions > 0 && n["delegate"]) r.error(n, path, "delegate cannot be set together with route, redirect or directResponse");
  return h;
}

// validation.go isGateway: no gateways, or "mesh" among them, binds the
// VirtualService to the sidecars.
bool bound_to_mesh(const proxy::VirtualService& vs) {
  return vs.gateways.empty() || std::find(vs.gateways.begin(), vs.gateways.end(), "mesh") != vs.gateways.end();
}

// validation.go ValidateVirtualService: a mesh-bound VirtualService may not
// take every host, and no two of its hosts may overlap (host.Name.Matches:
// "bar" twice, or "*.foo.com" with "*.com").
void check_hosts(YamlReader& r, const yaml::Node& hosts, const proxy::VirtualService& vs) {
  if (!hosts || !hosts.IsSequence() || hosts.size() != vs.hosts.size()) return;
  auto at = [&](size_t i) { return "spec.hosts[" + std::to_string(i) + "]"; };
  bool star = false;
  for (size_t i = 0; i < vs.hosts.size(); ++i)
    if (vs.hosts[i] == "*" && bound_to_mesh(vs)) {
      r.error(hosts[i], at(i), "wildcard host * is not allowed for virtual services bound to the mesh gateway");
      star = true;
    }
  if (star) return;  // Istio compares hosts only when each is valid.
  for (size_t j = 1; j < vs.hosts.size(); ++j)
    for (size_t i = 0; i < j; ++i)
      if (hosts_overlap(vs.hosts[i], vs.hosts[j])) {
        r.error(hosts[j], at(j), "duplicate hosts in virtual service: " + vs.hosts[i] + " & " + vs.hosts[j]);
        break;
      }
}

// validation.go ValidateVirtualService: JWT claims reach routing only at a
// gateway, where the RequestAuthentication runs before the route is chosen.
void refuse_jwt_claim_routes(YamlReader& r, const yaml::Node& http) {
  if (!http || !http.IsSequence()) return;
  for (size_t i = 0; i < http.size(); ++i) {
    auto matches = http[i].IsMap() ? http[i]["match"] : yaml::Node();
    if (!matches || !matches.IsSequence()) continue;
    for (size_t j = 0; j < matches.size(); ++j)
      for (const char* field : {"headers", "withoutHeaders"}) {
        auto headers = matches[j].IsMap() ? matches[j][field] : yaml::Node();
        if (!headers || !headers.IsMap()) continue;
        for (const auto& e : headers)
          if (e.first.IsScalar() && is_jwt_claim_route(e.first.Scalar()))
            r.error(e.first,
                    "spec.http[" + std::to_string(i) + "].match[" + std::to_string(j) + "]." + field + "." +
                        e.first.Scalar(),
                    "JWT claim based routing (key: " + e.first.Scalar() +
                        ") is only supported for gateway, and this VirtualService is bound to the mesh");
      }
  }
}

}  // namespace

void parse_virtual_service(YamlReader& r, const yaml::Node& spec, proxy::VirtualService& out) {
  const std::string path = "spec";
  if (!r.fields(spec, path, {"hosts", "gateways", "http", "tls", "tcp", "exportTo"})) return;
  out.hosts = r.str_list(spec["hosts"], "spec.hosts");
  // A VirtualService without hosts is a delegate (virtual_service.proto
  // Delegate): only a root VirtualService's `delegate` reaches it.
  out.gateways = r.str_list(spec["gateways"], "spec.gateways");
  check_hosts(r, spec["hosts"], out);
  if (bound_to_mesh(out)) refuse_jwt_claim_routes(r, spec["http"]);
  out.export_to = r.str_list(spec["exportTo"], "spec.exportTo");
  r.list(spec["http"], "spec.http", [&](const yaml::Node& n, const std::string& p) {
    out.http.push_back(http_route(r, n, p));
  });
  // tls/tcp routes do not change HTTP behaviour; accepted and left unmodeled.
}

}  // namespace meshsim::config
