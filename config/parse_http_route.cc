// Gateway API HTTPRoute (v1, v1beta1), after gateway-api apis/v1/httproute_types.go.
// Only Service parentRefs (GAMMA mesh mode) are routed; Gateway parents are
// accepted and reported as not modeled by the analyzer.
#include "config/parse.h"
#include "proxy_core/header_format.h"

#include <cctype>
#include <map>

namespace meshsim::config {
namespace {

// HTTPPathMatch's CEL rules (httproute_types.go), which the API server
// applies to Exact and PathPrefix values: an absolute path, not
// dot-segmented or double-slashed, of URL path characters only. Returns the
// first rule broken, in the CRD's order, or "" when the value passes.
std::string path_match_problem(std::string_view value) {
  if (!value.starts_with('/')) return "must be an absolute path, starting with '/'";
  for (std::string_view part : {"//", "/./", "/../", "%2f", "%2F", "#"})
    if (value.find(part) != std::string_view::npos) return "must not contain '" + std::string(part) + "'";
  for (std::string_view end : {"/..", "/."})
    if (value.ends_with(end)) return "must not end with '" + std::string(end) + "'";
  // ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$
  constexpr std::string_view kPunctuation = "-/._~!$&'()*+,;=:@";
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (std::isalnum(c) || kPunctuation.find(value[i]) != std::string_view::npos) continue;
    if (c == '%' && i + 2 < value.size() && std::isxdigit(static_cast<unsigned char>(value[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(value[i + 2]))) {
      i += 2;
      continue;
    }
    return "must hold only URL path characters (letters, digits, -/._~!$&'()*+,;=:@ and %XX escapes), "
           "not '" + std::string(1, value[i]) + "'";
  }
  return "";
}

std::vector<proxy::GwHeaderMatch> header_matches(YamlReader& r, const yaml::Node& n, const std::string& path) {
  std::vector<proxy::GwHeaderMatch> out;
  r.list(n, path, [&](const yaml::Node& h, const std::string& p) {
    if (!r.fields(h, p, {"type", "name", "value"})) return;
    proxy::GwHeaderMatch m;
    m.type = r.enumeration(h["type"], child(p, "type"), {"Exact", "RegularExpression"}).value_or("Exact");
    m.name = r.str(h["name"], child(p, "name")).value_or("");
    if (m.type == "RegularExpression") m.value = r.regex(h["value"], child(p, "value")).value_or("");
    else m.value = r.str(h["value"], child(p, "value")).value_or("");
    if (m.name.empty()) r.error(h, p, "name is required");
    out.push_back(m);
  });
  return out;
}

proxy::GwHeaderModifier header_modifier(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::GwHeaderModifier m;
  if (!r.fields(n, path, {"set", "add", "remove"})) return m;
  auto pairs = [&](const char* key, std::vector<std::pair<std::string, std::string>>& into) {
    r.list(n[key], child(path, key), [&](const yaml::Node& h, const std::string& p) {
      if (!r.fields(h, p, {"name", "value"})) return;
      into.emplace_back(r.str(h["name"], child(p, "name")).value_or(""), r.str(h["value"], child(p, "value")).value_or(""));
    });
  };
  pairs("set", m.set);
  pairs("add", m.add);
  m.remove = r.str_list(n["remove"], child(path, "remove"));
  for (const char* key : {"set", "add"})
    if (auto list = n[key]; list && list.IsSequence())
      for (size_t i = 0; i < list.size(); ++i)
        if (list[i].IsMap()) warn_unsimulated_format(r, list[i]["value"]);
  proxy::compile_header_formats(m);
  return m;
}

std::optional<proxy::GwPathModifier> path_modifier(YamlReader& r, const yaml::Node& n, const std::string& path) {
  if (!n || !r.fields(n, path, {"type", "replaceFullPath", "replacePrefixMatch"})) return std::nullopt;
  proxy::GwPathModifier m;
  m.type = r.enumeration(n["type"], child(path, "type"), {"ReplaceFullPath", "ReplacePrefixMatch"}).value_or("");
  if (m.type == "ReplaceFullPath") m.value = r.str(n["replaceFullPath"], child(path, "replaceFullPath")).value_or("");
  else m.value = r.str(n["replacePrefixMatch"], child(path, "replacePrefixMatch")).value_or("");
  // HTTPPathModifier's CEL rules: the value named for the type is set, and not the other one.
  for (auto [type, key] : {std::pair<std::string, std::string>{"ReplaceFullPath", "replaceFullPath"},
                           std::pair<std::string, std::string>{"ReplacePrefixMatch", "replacePrefixMatch"}}) {
    bool set = n[key] && !n[key].IsNull();
    if (set && m.type != type) r.error(n[key], child(path, key), key + " is set, so type must be " + type);
    if (!set && m.type == type) r.error(n["type"], child(path, "type"), "type " + type + " needs " + key);
  }
  return m;
}

void backend_ref(YamlReader& r, const yaml::Node& n, const std::string& path, proxy::GwBackendRef& b) {
  b.path = path;
  b.group = r.str(n["group"], child(path, "group")).value_or("");
  b.kind = r.str(n["kind"], child(path, "kind")).value_or("Service");
  b.name = r.str(n["name"], child(path, "name")).value_or("");
  b.ns = r.str(n["namespace"], child(path, "namespace")).value_or("");
  b.port = r.port(n["port"], child(path, "port"));
  if (auto w = r.integer(n["weight"], child(path, "weight"), 0, 1000000)) b.weight = static_cast<int32_t>(*w);
  if (b.name.empty()) r.error(n, path, "backendRef name is required");
  // BackendObjectReference's CEL rule (object_reference_types.go): a
  // Service has many ports and the reference must say which.
  if (b.group.empty() && b.kind == "Service" && (!n["port"] || n["port"].IsNull()))
    r.error(n, path, "a backendRef to a Service must have a port");
}

// The filter types a filters list may hold at most once (the "filter cannot
// be repeated" CEL rules of HTTPRouteRule.filters and HTTPBackendRef.filters
// in httproute_types.go; GRPCRoute's lists carry the two header-modifier
// ones, and its other types are refused by its enum anyway).
bool appears_at_most_once(std::string_view type) {
  return type == "RequestHeaderModifier" || type == "ResponseHeaderModifier" || type == "RequestRedirect" ||
         type == "URLRewrite" || type == "CORS";
}

// Each filter type and the field that holds its settings (HTTPRouteFilter).
constexpr std::pair<std::string_view, std::string_view> kFilterSettings[] = {
    {"RequestHeaderModifier", "requestHeaderModifier"},
    {"ResponseHeaderModifier", "responseHeaderModifier"},
    {"RequestRedirect", "requestRedirect"},
    {"URLRewrite", "urlRewrite"},
    {"RequestMirror", "requestMirror"},
    {"ExtensionRef", "extensionRef"},
    {"CORS", "cors"},
    {"ExternalAuth", "externalAuth"},
};

std::vector<proxy::GwFilter> filters(YamlReader& r, const yaml::Node& n, const std::string& path, GwRouteKind kind) {
  std::vector<proxy::GwFilter> out;
  std::map<std::string, std::string> first_of_type;  // type -> path of its first filter
  r.list(n, path, [&](const yaml::Node& f, const std::string& p) {
    bool grpc = kind == GwRouteKind::kGRPCRoute;
    // grpcroute_types.go GRPCRouteFilter: only these four types and fields.
    bool known = grpc ? r.fields(f, p, {"type", "requestHeaderModifier", "responseHeaderModifier", "requestMirror",
                                        "extensionRef"})
                      : r.fields(f, p, {"type", "requestHeaderModifier", "responseHeaderModifier", "requestRedirect",
                                        "urlRewrite", "requestMirror", "extensionRef", "cors", "externalAuth"});
    if (!known) return;
    proxy::GwFilter filter;
    filter.type = (grpc ? r.enumeration(f["type"], child(p, "type"),
                                        {"RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef"})
                        : r.enumeration(f["type"], child(p, "type"),
                                        {"RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect",
                                         "URLRewrite", "RequestMirror", "ExtensionRef", "CORS", "ExternalAuth"}))
                      .value_or("");
    if (!f["type"]) r.error(f, p, "type is required");
    // The union rules of HTTPRouteFilter and GRPCRouteFilter: the settings
    // named for the type are set, and no other filter's settings.
    for (auto [type, key] : kFilterSettings) {
      bool set = f[key] && !f[key].IsNull();
      if (set && !filter.type.empty() && filter.type != type)
        r.error(f[key], child(p, key), std::string(key) + " must not be set on a " + filter.type + " filter");
      if (!set && filter.type == type)
        r.error(f["type"], child(p, "type"), "a " + filter.type + " filter needs its " + std::string(key) + " settings");
    }
    if (appears_at_most_once(filter.type) && first_of_type.count(filter.type))
      r.error(f["type"], child(p, "type"),
              "a " + filter.type + " filter cannot be repeated in one filters list (the first is " +
                  first_of_type[filter.type] + ")");
    // A redirect answers the request before any rewrite would apply to it.
    for (auto [type, other] : {std::pair{"RequestRedirect", "URLRewrite"}, std::pair{"URLRewrite", "RequestRedirect"}})
      if (filter.type == type && first_of_type.count(other))
        r.error(f["type"], child(p, "type"),
                std::string("RequestRedirect and URLRewrite cannot be used together in one filters list (") + other +
                    " is " + first_of_type[other] + ")");
    first_of_type.emplace(filter.type, p);
    if (auto m = f["requestHeaderModifier"]) filter.request_header_modifier = header_modifier(r, m, child(p, "requestHeaderModifier"));
    if (auto m = f["responseHeaderModifier"]) filter.response_header_modifier = header_modifier(r, m, child(p, "responseHeaderModifier"));
    if (auto rr = f["requestRedirect"]; rr) {
      std::string rp = child(p, "requestRedirect");
      if (r.fields(rr, rp, {"scheme", "hostname", "path", "port", "statusCode"})) {
        proxy::GwRequestRedirect red;
        red.scheme = r.enumeration(rr["scheme"], child(rp, "scheme"), {"http", "https"}).value_or("");
        red.hostname = r.str(rr["hostname"], child(rp, "hostname")).value_or("");
        red.path = path_modifier(r, rr["path"], child(rp, "path"));
        red.port = r.port(rr["port"], child(rp, "port"));
        if (auto c = r.enumeration(rr["statusCode"], child(rp, "statusCode"), {"301", "302", "303", "307", "308"}))
          red.status_code = static_cast<uint32_t>(std::stoi(*c));
        filter.request_redirect = red;
      }
    }
    if (auto u = f["urlRewrite"]; u) {
      std::string up = child(p, "urlRewrite");
      if (r.fields(u, up, {"hostname", "path"})) {
        proxy::GwUrlRewrite rw;
        rw.hostname = r.str(u["hostname"], child(up, "hostname")).value_or("");
        rw.path = path_modifier(r, u["path"], child(up, "path"));
        filter.url_rewrite = rw;
      }
    }
    if (auto m = f["requestMirror"]; m) {
      std::string mp = child(p, "requestMirror");
      if (r.fields(m, mp, {"backendRef", "percent", "fraction"})) {
        proxy::GwRequestMirror mirror;
        if (auto b = m["backendRef"]; b && r.fields(b, child(mp, "backendRef"), {"group", "kind", "name", "namespace", "port"}))
          backend_ref(r, b, child(mp, "backendRef"), mirror.backend);
        if (auto pc = r.integer(m["percent"], child(mp, "percent"), 0, 100)) mirror.percent = static_cast<int32_t>(*pc);
        if (auto fr = m["fraction"]; fr && r.fields(fr, child(mp, "fraction"), {"numerator", "denominator"})) {
          auto num = r.integer(fr["numerator"], child(mp, "fraction.numerator"), 0, INT32_MAX).value_or(0);
          auto den = r.integer(fr["denominator"], child(mp, "fraction.denominator"), 1, INT32_MAX).value_or(100);
          mirror.fraction = std::make_pair(static_cast<int32_t>(num), static_cast<int32_t>(den));
        }
        filter.request_mirror = mirror;
      }
    }
    out.push_back(std::move(filter));
  });
  return out;
}

// node[key] when node is a mapping, nothing otherwise (operator[] throws on a scalar).
yaml::Node field_of(const yaml::Node& node, std::string_view key) {
  return node.IsMap() ? node[key] : yaml::Node(yaml::NodeType::Undefined);
}

struct PrefixReplacement {
  yaml::Node type;  // the "ReplacePrefixMatch" value
  std::string path;
};

// The filters of `list` whose `modifier` (requestRedirect or urlRewrite)
// replaces the matched prefix.
std::vector<PrefixReplacement> prefix_replacements(const yaml::Node& list, const std::string& path,
                                                   std::string_view modifier) {
  std::vector<PrefixReplacement> out;
  if (!list.IsSequence()) return out;
  for (size_t i = 0; i < list.size(); ++i) {
    yaml::Node modifier_path = field_of(field_of(list[i], modifier), "path");
    yaml::Node type = field_of(modifier_path, "type");
    if (type.IsScalar() && type.Scalar() == "ReplacePrefixMatch" && field_of(modifier_path, "replacePrefixMatch"))
      out.push_back({type, path + "[" + std::to_string(i) + "]." + std::string(modifier) + ".path.type"});
  }
  return out;
}

// HTTPRouteRule's four ReplacePrefixMatch rules (httproute_types.go): a
// redirect or rewrite that replaces the matched prefix needs its rule to
// match exactly one PathPrefix. A rule without matches has one by default,
// PathPrefix "/". Each rule is CEL's exists_one: it applies when exactly one
// of the rule's filters, or exactly one of its backendRefs, has such a filter.
void check_prefix_replacements(YamlReader& r, const yaml::Node& rule, const std::string& path,
                               const std::vector<proxy::GwRouteMatch>& matches) {
  const yaml::Node written = rule["matches"];
  if (!written || written.IsNull() || !written.IsSequence()) return;
  if (written.size() == 1 && matches.size() == 1 && matches[0].path_type == "PathPrefix") return;
  std::string found = written.size() != 1 ? "this rule has " + std::to_string(written.size()) + " matches"
                      : matches.size() == 1 ? "its match is of type " + matches[0].path_type
                                            : "";
  for (std::string_view modifier : {"requestRedirect", "urlRewrite"}) {
    std::vector<PrefixReplacement> hits;
    if (auto in_rule = prefix_replacements(rule["filters"], child(path, "filters"), modifier); in_rule.size() == 1)
      hits.push_back(in_rule[0]);
    std::vector<PrefixReplacement> in_backends;
    if (const yaml::Node backends = rule["backendRefs"]; backends.IsSequence())
      for (size_t i = 0; i < backends.size(); ++i) {
        std::string bp = child(path, "backendRefs[" + std::to_string(i) + "].filters");
        if (auto h = prefix_replacements(field_of(backends[i], "filters"), bp, modifier); h.size() == 1)
          in_backends.push_back(h[0]);
      }
    if (in_backends.size() == 1) hits.push_back(in_backends[0]);
    for (const PrefixReplacement& hit : hits)
      r.error(hit.type, hit.path,
              "ReplacePrefixMatch needs exactly one match in the rule, a PathPrefix path match" +
                  (found.empty() ? std::string() : "; " + found));
  }
}

// "RequestRedirect filter must not be used together with backendRefs": the
// redirect is the answer, the rule forwards nowhere.
void check_redirect_without_backends(YamlReader& r, const yaml::Node& rule, const std::string& path) {
  const yaml::Node backends = rule["backendRefs"], filters = rule["filters"];
  if (!backends.IsSequence() || backends.size() == 0 || !filters.IsSequence()) return;
  for (size_t i = 0; i < filters.size(); ++i)
    if (yaml::Node redirect = field_of(filters[i], "requestRedirect"); redirect && !redirect.IsNull())
      r.error(redirect, child(path, "filters[" + std::to_string(i) + "].requestRedirect"),
              "a RequestRedirect filter must not be used together with backendRefs (the redirect answers the request)");
}

}  // namespace

void parse_http_route(YamlReader& r, const yaml::Node& spec, proxy::GwHTTPRoute& out) {
  if (!r.fields(spec, "spec", {"parentRefs", "hostnames", "rules"})) return;
  r.list(spec["parentRefs"], "spec.parentRefs", [&](const yaml::Node& n, const std::string& p) {
    if (!r.fields(n, p, {"group", "kind", "namespace", "name", "sectionName", "port"})) return;
    proxy::ParentRef ref;
    if (auto g = r.str(n["group"], child(p, "group"))) ref.group = *g;
    if (auto k = r.str(n["kind"], child(p, "kind"))) ref.kind = *k;
    ref.ns = r.str(n["namespace"], child(p, "namespace")).value_or("");
    ref.name = r.str(n["name"], child(p, "name")).value_or("");
    ref.section_name = r.str(n["sectionName"], child(p, "sectionName")).value_or("");
    ref.port = r.port(n["port"], child(p, "port"));
    if (ref.name.empty()) r.error(n, p, "parentRef name is required");
    out.parent_refs.push_back(ref);
  });
  out.hostnames = r.str_list(spec["hostnames"], "spec.hostnames");
  r.list(spec["rules"], "spec.rules", [&](const yaml::Node& n, const std::string& p) {
    if (!r.fields(n, p, {"name", "matches", "filters", "backendRefs", "timeouts", "retry", "sessionPersistence"})) return;
    proxy::GwRouteRule rule;
    rule.path = p;
    rule.name = r.str(n["name"], child(p, "name")).value_or("");
    r.list(n["matches"], child(p, "matches"), [&](const yaml::Node& m, const std::string& mp) {
      if (!r.fields(m, mp, {"path", "headers", "queryParams", "method"})) return;
      proxy::GwRouteMatch match;
      if (auto path = m["path"]; path && r.fields(path, child(mp, "path"), {"type", "value"})) {
        match.path_type = r.enumeration(path["type"], child(mp, "path.type"), {"Exact", "PathPrefix", "RegularExpression"})
                              .value_or("PathPrefix");
        if (match.path_type == "RegularExpression") match.path_value = r.regex(path["value"], child(mp, "path.value")).value_or("/");
        else match.path_value = r.str(path["value"], child(mp, "path.value")).value_or("/");
        if (match.path_type != "RegularExpression")
          if (std::string problem = path_match_problem(match.path_value); !problem.empty())
            r.error(path["value"], child(mp, "path.value"),
                    match.path_type + " path \"" + match.path_value + "\" " + problem);
      }
      match.headers = header_matches(r, m["headers"], child(mp, "headers"));
      match.query_params = header_matches(r, m["queryParams"], child(mp, "queryParams"));
      match.method = r.enumeration(m["method"], child(mp, "method"),
                                   {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
                         .value_or("");
      rule.matches.push_back(match);
    });
    rule.filters = filters(r, n["filters"], child(p, "filters"), GwRouteKind::kHTTPRoute);
    r.list(n["backendRefs"], child(p, "backendRefs"), [&](const yaml::Node& b, const std::string& bp) {
      if (!r.fields(b, bp, {"group", "kind", "name", "namespace", "port", "weight", "filters"})) return;
      proxy::GwBackendRefWithFilters ref;
      backend_ref(r, b, bp, ref);
      ref.filters = filters(r, b["filters"], child(bp, "filters"), GwRouteKind::kHTTPRoute);
      rule.backend_refs.push_back(ref);
    });
    if (auto t = n["timeouts"]; t && r.fields(t, child(p, "timeouts"), {"request", "backendRequest"})) {
      rule.request_timeout = r.gateway_duration(t["request"], child(p, "timeouts.request"));
      rule.backend_request_timeout = r.gateway_duration(t["backendRequest"], child(p, "timeouts.backendRequest"));
      // HTTPRouteTimeouts' CEL rule; a request timeout of 0s means none.
      if (rule.request_timeout && rule.backend_request_timeout && rule.request_timeout->count() != 0 &&
          *rule.backend_request_timeout > *rule.request_timeout)
        r.error(t["backendRequest"], child(p, "timeouts.backendRequest"),
                "backendRequest timeout " + t["backendRequest"].Scalar() + " cannot be longer than the request timeout " +
                    t["request"].Scalar());
    }
    if (auto rt = n["retry"]; rt && r.fields(rt, child(p, "retry"), {"codes", "attempts", "backoff"})) {
      if (auto a = r.integer(rt["attempts"], child(p, "retry.attempts"), 0, 1000)) rule.retry_attempts = static_cast<int32_t>(*a);
      r.list(rt["codes"], child(p, "retry.codes"), [&](const yaml::Node& c, const std::string& cp) {
        if (auto code = r.integer(c, cp, 400, 599)) rule.retry_codes.push_back(static_cast<int32_t>(*code));
      });
      rule.retry_backoff = r.gateway_duration(rt["backoff"], child(p, "retry.backoff"));
    }
    check_prefix_replacements(r, n, p, rule.matches);
    check_redirect_without_backends(r, n, p);
    out.rules.push_back(std::move(rule));
  });
}

}  // namespace meshsim::config

namespace meshsim::config {

// The parts GRPCRoute shares with HTTPRoute (parse_grpc_route.cc).
std::vector<proxy::GwHeaderMatch> parse_gw_header_matches(YamlReader& r, const yaml::Node& n, const std::string& path) {
  return header_matches(r, n, path);
}
std::vector<proxy::GwFilter> parse_gw_filters(YamlReader& r, const yaml::Node& n, const std::string& path,
                                              GwRouteKind kind) {
  return filters(r, n, path, kind);
}
void parse_gw_backend_ref(YamlReader& r, const yaml::Node& n, const std::string& path, proxy::GwBackendRef& b) {
  backend_ref(r, n, path, b);
}
void parse_gw_parent_refs(YamlReader& r, const yaml::Node& spec, proxy::GwHTTPRoute& out) {
  r.list(spec["parentRefs"], "spec.parentRefs", [&](const yaml::Node& n, const std::string& p) {
    if (!r.fields(n, p, {"group", "kind", "namespace", "name", "sectionName", "port"})) return;
    proxy::ParentRef ref;
    if (auto g = r.str(n["group"], child(p, "group"))) ref.group = *g;
    if (auto k = r.str(n["kind"], child(p, "kind"))) ref.kind = *k;
    ref.ns = r.str(n["namespace"], child(p, "namespace")).value_or("");
    ref.name = r.str(n["name"], child(p, "name")).value_or("");
    ref.section_name = r.str(n["sectionName"], child(p, "sectionName")).value_or("");
    ref.port = r.port(n["port"], child(p, "port"));
    if (ref.name.empty()) r.error(n, p, "parentRef name is required");
    out.parent_refs.push_back(ref);
  });
}

}  // namespace meshsim::config
