// VirtualService, after istio/api networking/v1alpha3/virtual_service.proto.
#include <algorithm>
#include <cctype>

#include "config/parse.h"
#include "proxy_core/http.h"

namespace meshsim::config {
namespace {

using proxy::StringMatch;

std::optional<StringMatch> string_match(YamlReader& r, const yaml::Node& n,
                                        const std::string& path, bool allow_empty) {
  if (!n) return std::nullopt;
  if (!r.fields(n, path, {"exact", "prefix", "regex"})) return std::nullopt;
  if (n.size() == 0) {
    if (allow_empty) return StringMatch{StringMatch::Kind::kPresent, ""};
    r.error(n, path, "a string match needs one of exact, prefix or regex");
    return std::nullopt;
  }
  if (n.size() > 1) r.error(n, path, "a string match takes only one of exact, prefix or regex");
  if (auto v = r.str(n["exact"], child(path, "exact"))) return StringMatch{StringMatch::Kind::kExact, *v};
  if (auto v = r.str(n["prefix"], child(path, "prefix")))
    return StringMatch{StringMatch::Kind::kPrefix, *v};
  if (n["regex"]) {
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

std::map<std::string, StringMatch> string_match_map(YamlReader& r, const yaml::Node& n,
                                                    const std::string& path, bool lower_keys) {
  std::map<std::string, StringMatch> out;
  if (!n || n.IsNull() || !r.is_map(n, path)) return out;
  for (const auto& e : n) {
    if (!e.first.IsScalar()) continue;
    std::string key = e.first.Scalar();
    std::string p = child(path, key);
    if (e.second.IsNull()) {  // `name:` with nothing = presence
      out[lower_keys ? proxy::to_lower(key) : key] = StringMatch{StringMatch::Kind::kPresent, ""};
      continue;
    }
    if (auto m = string_match(r, e.second, p, true)) out[lower_keys ? proxy::to_lower(key) : key] = *m;
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
  d.subset = r.str(n["subset"], child(path, "subset")).value_or("");
  if (auto p = n["port"]; p && r.fields(p, child(path, "port"), {"number"}))
    d.port = r.port(p["number"], child(path, "port.number"));
  return d;
}

proxy::HeaderOps header_ops(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::HeaderOps ops;
  if (!n || !r.fields(n, path, {"set", "add", "remove"})) return ops;
  for (auto& [k, v] : r.str_map(n["set"], child(path, "set"))) ops.set.emplace_back(k, v);
  for (auto& [k, v] : r.str_map(n["add"], child(path, "add"))) ops.add.emplace_back(k, v);
  ops.remove = r.str_list(n["remove"], child(path, "remove"));
  return ops;
}

proxy::Headers headers(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::Headers h;
  if (!n || !r.fields(n, path, {"request", "response"})) return h;
  h.request = header_ops(r, n["request"], child(path, "request"));
  h.response = header_ops(r, n["response"], child(path, "response"));
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
  m.uri = string_match(r, n["uri"], child(path, "uri"), false);
  m.scheme = string_match(r, n["scheme"], child(path, "scheme"), false);
  m.method = string_match(r, n["method"], child(path, "method"), false);
  m.authority = string_match(r, n["authority"], child(path, "authority"), false);
  m.headers = string_match_map(r, n["headers"], child(path, "headers"), true);
  m.without_headers = string_match_map(r, n["withoutHeaders"], child(path, "withoutHeaders"), true);
  m.query_params = string_match_map(r, n["queryParams"], child(path, "queryParams"), false);
  m.port = r.port(n["port"], child(path, "port"));
  m.source_labels = r.str_map(n["sourceLabels"], child(path, "sourceLabels"));
  m.gateways = r.str_list(n["gateways"], child(path, "gateways"));
  m.ignore_uri_case = r.boolean(n["ignoreUriCase"], child(path, "ignoreUriCase")).value_or(false);
  m.source_namespace = r.str(n["sourceNamespace"], child(path, "sourceNamespace")).value_or("");
  m.stat_prefix = r.str(n["statPrefix"], child(path, "statPrefix")).value_or("");
  return m;
}

proxy::HTTPFaultInjection fault(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::HTTPFaultInjection f;
  if (!r.fields(n, path, {"delay", "abort"})) return f;
  if (auto d = n["delay"]; d) {
    std::string p = child(path, "delay");
    if (r.fields(d, p, {"fixedDelay", "exponentialDelay", "percentage", "percent"})) {
      proxy::FaultDelay delay;
      delay.fixed_delay = r.duration(d["fixedDelay"], child(p, "fixedDelay"));
      delay.exponential_delay = r.duration(d["exponentialDelay"], child(p, "exponentialDelay"));
      delay.percentage = percent(r, d["percentage"], child(p, "percentage"));
      if (auto pc = r.integer(d["percent"], child(p, "percent"), 0, 100))
        delay.percent = static_cast<int32_t>(*pc);
      if (!delay.fixed_delay && !delay.exponential_delay)
        r.error(d, p, "a delay fault needs fixedDelay");
      f.delay = delay;
    }
  }
  if (auto a = n["abort"]; a) {
    std::string p = child(path, "abort");
    if (r.fields(a, p, {"httpStatus", "grpcStatus", "http2Error", "percentage"})) {
      proxy::FaultAbort abort;
      if (auto s = r.integer(a["httpStatus"], child(p, "httpStatus"), 200, 599))
        abort.http_status = static_cast<int32_t>(*s);
      abort.grpc_status = r.str(a["grpcStatus"], child(p, "grpcStatus")).value_or("");
      abort.percentage = percent(r, a["percentage"], child(p, "percentage"));
      if (!a["httpStatus"] && !a["grpcStatus"] && !a["http2Error"])
        r.error(a, p, "an abort fault needs httpStatus or grpcStatus");
      f.abort = abort;
    }
  }
  return f;
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
    if (auto w = r.integer(d["weight"], child(p, "weight"), 0, 100))
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
      if (auto c = r.integer(red["redirectCode"], child(p, "redirectCode"), 300, 399))
        rr.redirect_code = static_cast<uint32_t>(*c);
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
        else if (auto s = r.str(b["bytes"], child(p, "body.bytes"))) resp.body = *s;
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
      }
      h.rewrite = w;
    }
  }
  h.timeout = r.duration(n["timeout"], child(path, "timeout"));
  if (auto rt = n["retries"]; rt) {
    std::string p = child(path, "retries");
    if (r.fields(rt, p, {"attempts", "perTryTimeout", "retryOn", "retryRemoteLocalities",
                         "retryIgnorePreviousHosts", "backoff"})) {
      proxy::HTTPRetry retry;
      retry.attempts = static_cast<int32_t>(r.integer(rt["attempts"], child(p, "attempts"), 0, 1000).value_or(0));
      retry.per_try_timeout = r.duration(rt["perTryTimeout"], child(p, "perTryTimeout"));
      retry.retry_on = retry_on(r, rt["retryOn"], child(p, "retryOn")).value_or("");
      retry.retry_remote_localities = r.boolean(rt["retryRemoteLocalities"], child(p, "retryRemoteLocalities"));
      retry.retry_ignore_previous_hosts =
          r.boolean(rt["retryIgnorePreviousHosts"], child(p, "retryIgnorePreviousHosts"));
      retry.backoff = r.duration(rt["backoff"], child(p, "backoff"));
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
  if (auto c = n["corsPolicy"]; c) {
    std::string p = child(path, "corsPolicy");
    if (r.fields(c, p, {"allowOrigin", "allowOrigins", "allowMethods", "allowHeaders",
                        "exposeHeaders", "maxAge", "allowCredentials", "unmatchedPreflights"})) {
      proxy::CorsPolicy cors;
      for (auto& o : r.str_list(c["allowOrigin"], child(p, "allowOrigin")))
        cors.allow_origins.push_back({StringMatch::Kind::kExact, o});
      r.list(c["allowOrigins"], child(p, "allowOrigins"), [&](const yaml::Node& o, const std::string& op) {
        if (auto m = string_match(r, o, op, false)) cors.allow_origins.push_back(*m);
      });
      cors.allow_methods = r.str_list(c["allowMethods"], child(p, "allowMethods"));
      cors.allow_headers = r.str_list(c["allowHeaders"], child(p, "allowHeaders"));
      cors.expose_headers = r.str_list(c["exposeHeaders"], child(p, "exposeHeaders"));
      cors.max_age = r.duration(c["maxAge"], child(p, "maxAge"));
      cors.allow_credentials = r.boolean(c["allowCredentials"], child(p, "allowCredentials"));
      cors.unmatched_preflights = r.enumeration(c["unmatchedPreflights"], child(p, "unmatchedPreflights"),
                                                {"UNSPECIFIED", "FORWARD", "IGNORE"}).value_or("");
      h.cors_policy = cors;
    }
  }
  h.headers = headers(r, n["headers"], child(path, "headers"));
  int actions = (h.route.empty() ? 0 : 1) + (h.redirect ? 1 : 0) + (h.direct_response ? 1 : 0);
  if (actions == 0 && !n["delegate"])
    r.error(n, path, "an HTTP route needs one of route, redirect or directResponse");
  if (actions > 1) r.error(n, path, "route, redirect and directResponse are mutually exclusive");
  if (actions > 0 && n["delegate"]) r.error(n, path, "delegate cannot be set together with route, redirect or directResponse");
  return h;
}

}  // namespace

void parse_virtual_service(YamlReader& r, const yaml::Node& spec, proxy::VirtualService& out) {
  const std::string path = "spec";
  if (!r.fields(spec, path, {"hosts", "gateways", "http", "tls", "tcp", "exportTo"})) return;
  out.hosts = r.str_list(spec["hosts"], "spec.hosts");
  // A VirtualService without hosts is a delegate (virtual_service.proto
  // Delegate): only a root VirtualService's `delegate` reaches it.
  out.gateways = r.str_list(spec["gateways"], "spec.gateways");
  out.export_to = r.str_list(spec["exportTo"], "spec.exportTo");
  r.list(spec["http"], "spec.http", [&](const yaml::Node& n, const std::string& p) {
    out.http.push_back(http_route(r, n, p));
  });
  // tls/tcp routes do not change HTTP behaviour; accepted and left unmodeled.
}

}  // namespace meshsim::config
