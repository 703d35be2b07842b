// Gateway API HTTPRoute (v1, v1beta1), after gateway-api apis/v1/httproute_types.go.
// Only Service parentRefs (GAMMA mesh mode) are routed; Gateway parents are
// accepted and reported as not modeled by the analyzer.
#include "config/parse.h"

namespace meshsim::config {
namespace {

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
  return m;
}

std::optional<proxy::GwPathModifier> path_modifier(YamlReader& r, const yaml::Node& n, const std::string& path) {
  if (!n || !r.fields(n, path, {"type", "replaceFullPath", "replacePrefixMatch"})) return std::nullopt;
  proxy::GwPathModifier m;
  m.type = r.enumeration(n["type"], child(path, "type"), {"ReplaceFullPath", "ReplacePrefixMatch"}).value_or("");
  if (m.type == "ReplaceFullPath") m.value = r.str(n["replaceFullPath"], child(path, "replaceFullPath")).value_or("");
  else m.value = r.str(n["replacePrefixMatch"], child(path, "replacePrefixMatch")).value_or("");
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
}

std::vector<proxy::GwFilter> filters(YamlReader& r, const yaml::Node& n, const std::string& path) {
  std::vector<proxy::GwFilter> out;
  r.list(n, path, [&](const yaml::Node& f, const std::string& p) {
    if (!r.fields(f, p, {"type", "requestHeaderModifier", "responseHeaderModifier", "requestRedirect",
                         "urlRewrite", "requestMirror", "extensionRef", "cors", "externalAuth"}))
      return;
    proxy::GwFilter filter;
    filter.type = r.enumeration(f["type"], child(p, "type"),
                                {"RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite",
                                 "RequestMirror", "ExtensionRef", "CORS", "ExternalAuth"})
                      .value_or("");
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
      }
      match.headers = header_matches(r, m["headers"], child(mp, "headers"));
      match.query_params = header_matches(r, m["queryParams"], child(mp, "queryParams"));
      match.method = r.enumeration(m["method"], child(mp, "method"),
                                   {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
                         .value_or("");
      rule.matches.push_back(match);
    });
    rule.filters = filters(r, n["filters"], child(p, "filters"));
    r.list(n["backendRefs"], child(p, "backendRefs"), [&](const yaml::Node& b, const std::string& bp) {
      if (!r.fields(b, bp, {"group", "kind", "name", "namespace", "port", "weight", "filters"})) return;
      proxy::GwBackendRefWithFilters ref;
      backend_ref(r, b, bp, ref);
      ref.filters = filters(r, b["filters"], child(bp, "filters"));
      rule.backend_refs.push_back(ref);
    });
    if (auto t = n["timeouts"]; t && r.fields(t, child(p, "timeouts"), {"request", "backendRequest"})) {
      rule.request_timeout = r.gateway_duration(t["request"], child(p, "timeouts.request"));
      rule.backend_request_timeout = r.gateway_duration(t["backendRequest"], child(p, "timeouts.backendRequest"));
    }
    if (auto rt = n["retry"]; rt && r.fields(rt, child(p, "retry"), {"codes", "attempts", "backoff"})) {
      if (auto a = r.integer(rt["attempts"], child(p, "retry.attempts"), 0, 1000)) rule.retry_attempts = static_cast<int32_t>(*a);
      r.list(rt["codes"], child(p, "retry.codes"), [&](const yaml::Node& c, const std::string& cp) {
        if (auto code = r.integer(c, cp, 400, 599)) rule.retry_codes.push_back(static_cast<int32_t>(*code));
      });
      rule.retry_backoff = r.gateway_duration(rt["backoff"], child(p, "retry.backoff"));
    }
    out.rules.push_back(std::move(rule));
  });
}

}  // namespace meshsim::config

namespace meshsim::config {

// The parts GRPCRoute shares with HTTPRoute (parse_grpc_route.cc).
std::vector<proxy::GwHeaderMatch> parse_gw_header_matches(YamlReader& r, const yaml::Node& n, const std::string& path) {
  return header_matches(r, n, path);
}
std::vector<proxy::GwFilter> parse_gw_filters(YamlReader& r, const yaml::Node& n, const std::string& path) {
  return filters(r, n, path);
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
