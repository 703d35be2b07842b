// Gateway API Gateway and ReferenceGrant, after kubernetes-sigs/gateway-api
// apis/v1/gateway_types.go and apis/v1beta1/referencegrant_types.go, with
// the checks their CRDs make (listener names unique, a hostname only on
// HTTP/HTTPS/TLS listeners and without a port or bare "*", TLS settings on
// HTTPS listeners, from: Selector needs a selector).
#include <algorithm>
#include <set>
#include <tuple>

#include "config/parse.h"

namespace meshsim::config {
namespace {

// gateway_types.go ProtocolType: the core values (and any domain-prefixed one).
constexpr std::string_view kCoreProtocols[] = {"HTTP", "HTTPS", "TLS", "TCP", "UDP"};

// PreciseHostname / Hostname (shared_types.go): RFC 1123 labels, an optional
// leading "*." wildcard label, no port, no IP address, not "*" alone.
std::string hostname_problem(std::string_view h) {
  if (h.empty()) return "hostname is empty";
  if (h == "*") return "hostname \"*\" is not allowed; leave hostname out to match every host";
  std::string_view rest = h.starts_with("*.") ? h.substr(2) : h;
  if (rest.find(':') != std::string_view::npos) return "hostname must not carry a port";
  if (rest.empty()) return "hostname has no label after \"*.\"";
  for (char c : rest)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.'))
      return "hostname may hold only lower-case letters, digits, '-' and '.' (an optional leading \"*.\")";
  if (rest.front() == '.' || rest.back() == '.' || rest.find("..") != std::string_view::npos) return "hostname has an empty label";
  return "";
}

proxy::LabelSelector label_selector(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::LabelSelector s;
  if (!r.fields(n, path, {"matchLabels", "matchExpressions"})) return s;
  s.match_labels = r.str_map(n["matchLabels"], child(path, "matchLabels"));
  r.list(n["matchExpressions"], child(path, "matchExpressions"), [&](const yaml::Node& e, const std::string& p) {
    if (!r.fields(e, p, {"key", "operator", "values"})) return;
    proxy::LabelSelectorRequirement req;
    req.key = r.str(e["key"], child(p, "key")).value_or("");
    req.op = r.enumeration(e["operator"], child(p, "operator"), {"In", "NotIn", "Exists", "DoesNotExist"}).value_or("");
    req.values = r.str_list(e["values"], child(p, "values"));
    if (req.key.empty()) r.error(e, p, "key is required");
    if ((req.op == "In" || req.op == "NotIn") && req.values.empty()) r.error(e, p, "operator " + req.op + " needs values");
    s.match_expressions.push_back(std::move(req));
  });
  return s;
}

void allowed_routes(YamlReader& r, const yaml::Node& n, const std::string& path, proxy::AllowedRoutes& out) {
  if (!n || n.IsNull() || !r.fields(n, path, {"namespaces", "kinds"})) return;
  if (auto ns = n["namespaces"]; ns && !ns.IsNull()) {
    std::string np = child(path, "namespaces");
    if (r.fields(ns, np, {"from", "selector"})) {
      out.from = r.enumeration(ns["from"], child(np, "from"), {"All", "Same", "Selector", "None"}).value_or("Same");
      if (auto sel = ns["selector"]; sel && !sel.IsNull()) out.selector = label_selector(r, sel, child(np, "selector"));
      if (out.from == "Selector" && !out.selector)
        r.error(ns, np, "from: Selector needs a selector (matchLabels or matchExpressions)");
    }
  }
  r.list(n["kinds"], child(path, "kinds"), [&](const yaml::Node& k, const std::string& p) {
    if (!r.fields(k, p, {"group", "kind"})) return;
    proxy::RouteGroupKind gk;
    if (auto g = r.str(k["group"], child(p, "group"))) gk.group = *g;
    gk.kind = r.str(k["kind"], child(p, "kind")).value_or("");
    if (gk.kind.empty()) r.error(k, p, "kind is required");
    out.kinds.push_back(std::move(gk));
  });
}

}  // namespace

void parse_k8s_gateway(YamlReader& r, const yaml::Node& spec, proxy::GwGateway& out) {
  if (!r.fields(spec, "spec", {"gatewayClassName", "listeners", "addresses", "infrastructure", "backendTLS",
                               "allowedListeners", "tls", "defaultScope"}))
    return;
  out.gateway_class_name = r.str(spec["gatewayClassName"], "spec.gatewayClassName").value_or("");
  if (out.gateway_class_name.empty()) r.error(spec, "spec.gatewayClassName", "is required");
  if (auto a = spec["addresses"]; a && a.IsSequence() && a.size() > 0) out.has_addresses = true;
  if (!spec["listeners"] || !spec["listeners"].IsSequence() || spec["listeners"].size() == 0)
    r.error(spec, "spec.listeners", "a Gateway needs at least one listener");
  std::set<std::string> names;
  std::set<std::tuple<uint32_t, std::string, std::string>> combinations;
  r.list(spec["listeners"], "spec.listeners", [&](const yaml::Node& n, const std::string& p) {
    if (!r.fields(n, p, {"name", "hostname", "port", "protocol", "tls", "allowedRoutes"})) return;
    proxy::GwListener l;
    l.path = p;
    l.name = r.str(n["name"], child(p, "name")).value_or("");
    if (l.name.empty()) r.error(n, p, "listener name is required");
    else if (!names.insert(l.name).second) r.error(n["name"], child(p, "name"), "listener name \"" + l.name + "\" is used twice");
    l.port = r.port(n["port"], child(p, "port")).value_or(0);
    if (!n["port"]) r.error(n, p, "port is required");
    l.protocol = r.str(n["protocol"], child(p, "protocol")).value_or("");
    bool core = std::find(std::begin(kCoreProtocols), std::end(kCoreProtocols), l.protocol) != std::end(kCoreProtocols);
    if (l.protocol.empty()) {
      r.error(n, p, "protocol is required (HTTP, HTTPS, TLS, TCP, UDP)");
    } else if (!core && l.protocol.find('/') == std::string::npos) {
      std::string near = nearest(l.protocol, {"HTTP", "HTTPS", "TLS", "TCP", "UDP"});
      r.error(n["protocol"], child(p, "protocol"),
              "unknown protocol \"" + l.protocol + "\" (valid: HTTP, HTTPS, TLS, TCP, UDP, or a domain-prefixed name)" +
                  (near.empty() ? "" : "; did you mean \"" + near + "\"?"));
    }
    if (auto h = n["hostname"]; h && !h.IsNull()) {
      l.hostname = r.str(h, child(p, "hostname")).value_or("");
      if (l.protocol == "TCP" || l.protocol == "UDP")
        r.error(h, child(p, "hostname"), "hostname must not be set on a " + l.protocol + " listener");
      else if (auto problem = hostname_problem(l.hostname); !problem.empty())
        r.error(h, child(p, "hostname"), problem + " (\"" + l.hostname + "\")");
    }
    if (auto tls = n["tls"]; tls && !tls.IsNull()) {
      std::string tp = child(p, "tls");
      if (r.fields(tls, tp, {"mode", "certificateRefs", "frontendValidation", "options"})) {
        std::string mode = r.enumeration(tls["mode"], child(tp, "mode"), {"Terminate", "Passthrough"}).value_or("Terminate");
        l.tls_terminate = mode == "Terminate";
        if (l.protocol == "HTTP" || l.protocol == "TCP" || l.protocol == "UDP")
          r.error(tls, tp, "tls must not be set on a " + l.protocol + " listener");
      }
    } else if (l.protocol == "HTTPS" || l.protocol == "TLS") {
      r.error(n, p, "a " + l.protocol + " listener needs tls settings");
    }
    allowed_routes(r, n["allowedRoutes"], child(p, "allowedRoutes"), l.allowed_routes);
    if (!combinations.emplace(l.port, l.protocol, l.hostname).second)
      r.warning(n, "MSH1020", "listener " + l.name + " repeats the port, protocol and hostname of another listener "
                              "(Gateway API: Conflicted; Istio drops the duplicate)");
    out.listeners.push_back(std::move(l));
  });
}

void parse_reference_grant(YamlReader& r, const yaml::Node& spec, proxy::ReferenceGrant& out) {
  if (!r.fields(spec, "spec", {"from", "to"})) return;
  r.list(spec["from"], "spec.from", [&](const yaml::Node& n, const std::string& p) {
    if (!r.fields(n, p, {"group", "kind", "namespace"})) return;
    proxy::ReferenceGrantFrom f;
    f.group = r.str(n["group"], child(p, "group")).value_or("");
    f.kind = r.str(n["kind"], child(p, "kind")).value_or("");
    f.ns = r.str(n["namespace"], child(p, "namespace")).value_or("");
    if (f.kind.empty()) r.error(n, p, "kind is required");
    if (f.ns.empty()) r.error(n, p, "namespace is required");
    out.from.push_back(std::move(f));
  });
  r.list(spec["to"], "spec.to", [&](const yaml::Node& n, const std::string& p) {
    if (!r.fields(n, p, {"group", "kind", "name"})) return;
    proxy::ReferenceGrantTo t;
    t.group = r.str(n["group"], child(p, "group")).value_or("");
    t.kind = r.str(n["kind"], child(p, "kind")).value_or("");
    t.name = r.str(n["name"], child(p, "name")).value_or("");
    if (t.kind.empty()) r.error(n, p, "kind is required");
    out.to.push_back(std::move(t));
  });
  if (out.from.empty()) r.error(spec, "spec.from", "a ReferenceGrant needs at least one from entry");
  if (out.to.empty()) r.error(spec, "spec.to", "a ReferenceGrant needs at least one to entry");
}

}  // namespace meshsim::config
