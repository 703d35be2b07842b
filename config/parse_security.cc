// AuthorizationPolicy and PeerAuthentication, after istio/api
// security/v1beta1/authorization_policy.proto and peer_authentication.proto.
#include "config/parse.h"

namespace meshsim::config {
namespace {

std::optional<proxy::Labels> selector(YamlReader& r, const yaml::Node& n, const std::string& path) {
  if (!n || n.IsNull()) return std::nullopt;
  if (!r.fields(n, path, {"matchLabels"})) return std::nullopt;
  return r.str_map(n["matchLabels"], child(path, "matchLabels"));
}

}  // namespace

void parse_authorization_policy(YamlReader& r, const yaml::Node& spec, proxy::AuthorizationPolicy& out) {
  using Action = proxy::AuthorizationPolicy::Action;
  if (!spec || spec.IsNull()) return;  // empty spec: ALLOW with no rules = deny all
  if (!r.fields(spec, "spec", {"selector", "targetRef", "targetRefs", "rules", "action", "provider"})) return;
  out.selector = selector(r, spec["selector"], "spec.selector");
  if (auto a = r.enumeration(spec["action"], "spec.action", {"ALLOW", "DENY", "AUDIT", "CUSTOM"})) {
    out.action = *a == "DENY" ? Action::kDeny : *a == "AUDIT" ? Action::kAudit
               : *a == "CUSTOM" ? Action::kCustom : Action::kAllow;
  }
  if (auto p = spec["provider"]; p && r.fields(p, "spec.provider", {"name"}))
    out.provider = r.str(p["name"], "spec.provider.name").value_or("");
  if (out.action == Action::kCustom && out.provider.empty())
    r.error(spec, "spec", "a CUSTOM policy needs provider.name");
  if (spec["targetRef"] || spec["targetRefs"])
    r.warning(spec, "MSH0010", "targetRef(s) attach policies to gateways/waypoints, which meshsim does not model");
  out.rules_present = static_cast<bool>(spec["rules"]) && !spec["rules"].IsNull();
  r.list(spec["rules"], "spec.rules", [&](const yaml::Node& rn, const std::string& rp) {
    proxy::AuthzRule rule;
    if (!r.fields(rn, rp, {"from", "to", "when"})) return;
    r.list(rn["from"], child(rp, "from"), [&](const yaml::Node& fn, const std::string& fp) {
      if (!r.fields(fn, fp, {"source"})) return;
      const yaml::Node s = fn["source"];
      std::string p = child(fp, "source");
      proxy::AuthzSource src;
      if (!s || !r.fields(s, p, {"principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals",
                                 "namespaces", "notNamespaces", "ipBlocks", "notIpBlocks", "remoteIpBlocks",
                                 "notRemoteIpBlocks", "serviceAccounts", "notServiceAccounts"}))
        return;
      src.principals = r.str_list(s["principals"], child(p, "principals"));
      src.not_principals = r.str_list(s["notPrincipals"], child(p, "notPrincipals"));
      src.request_principals = r.str_list(s["requestPrincipals"], child(p, "requestPrincipals"));
      src.not_request_principals = r.str_list(s["notRequestPrincipals"], child(p, "notRequestPrincipals"));
      src.namespaces = r.str_list(s["namespaces"], child(p, "namespaces"));
      src.not_namespaces = r.str_list(s["notNamespaces"], child(p, "notNamespaces"));
      src.ip_blocks = r.str_list(s["ipBlocks"], child(p, "ipBlocks"));
      src.not_ip_blocks = r.str_list(s["notIpBlocks"], child(p, "notIpBlocks"));
      src.remote_ip_blocks = r.str_list(s["remoteIpBlocks"], child(p, "remoteIpBlocks"));
      src.not_remote_ip_blocks = r.str_list(s["notRemoteIpBlocks"], child(p, "notRemoteIpBlocks"));
      // serviceAccounts (Istio 1.24+) is shorthand for principals in the trust domain.
      for (auto& sa : r.str_list(s["serviceAccounts"], child(p, "serviceAccounts"))) {
        auto slash = sa.find('/');
        if (slash != std::string::npos)
          src.principals.push_back("cluster.local/ns/" + sa.substr(0, slash) + "/sa/" + sa.substr(slash + 1));
      }
      for (auto& sa : r.str_list(s["notServiceAccounts"], child(p, "notServiceAccounts"))) {
        auto slash = sa.find('/');
        if (slash != std::string::npos)
          src.not_principals.push_back("cluster.local/ns/" + sa.substr(0, slash) + "/sa/" + sa.substr(slash + 1));
      }
      rule.from.push_back(std::move(src));
    });
    r.list(rn["to"], child(rp, "to"), [&](const yaml::Node& tn, const std::string& tp) {
      if (!r.fields(tn, tp, {"operation"})) return;
      const yaml::Node o = tn["operation"];
      std::string p = child(tp, "operation");
      proxy::AuthzOperation op;
      if (!o || !r.fields(o, p, {"hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths"}))
        return;
      op.hosts = r.str_list(o["hosts"], child(p, "hosts"));
      op.not_hosts = r.str_list(o["notHosts"], child(p, "notHosts"));
      op.ports = r.str_list(o["ports"], child(p, "ports"));
      op.not_ports = r.str_list(o["notPorts"], child(p, "notPorts"));
      op.methods = r.str_list(o["methods"], child(p, "methods"));
      op.not_methods = r.str_list(o["notMethods"], child(p, "notMethods"));
      op.paths = r.str_list(o["paths"], child(p, "paths"));
      op.not_paths = r.str_list(o["notPaths"], child(p, "notPaths"));
      rule.to.push_back(std::move(op));
    });
    r.list(rn["when"], child(rp, "when"), [&](const yaml::Node& wn, const std::string& wp) {
      if (!r.fields(wn, wp, {"key", "values", "notValues"})) return;
      proxy::AuthzCondition c;
      if (auto k = r.str(wn["key"], child(wp, "key"))) c.key = *k;
      else r.error(wn, wp, "a condition needs a key");
      c.values = r.str_list(wn["values"], child(wp, "values"));
      c.not_values = r.str_list(wn["notValues"], child(wp, "notValues"));
      rule.when.push_back(std::move(c));
    });
    out.rules.push_back(std::move(rule));
  });
}

void parse_peer_authentication(YamlReader& r, const yaml::Node& spec, proxy::PeerAuthentication& out) {
  if (!spec || spec.IsNull()) return;
  if (!r.fields(spec, "spec", {"selector", "mtls", "portLevelMtls"})) return;
  out.selector = selector(r, spec["selector"], "spec.selector");
  auto mode = [&](const yaml::Node& n, const std::string& p) -> std::string {
    if (!n || !r.fields(n, p, {"mode"})) return "";
    return r.enumeration(n["mode"], child(p, "mode"), {"UNSET", "DISABLE", "PERMISSIVE", "STRICT"}).value_or("");
  };
  out.mode = mode(spec["mtls"], "spec.mtls");
  if (auto pl = spec["portLevelMtls"]; pl && r.is_map(pl, "spec.portLevelMtls")) {
    for (const auto& e : pl) {
      std::string p = child("spec.portLevelMtls", e.first.Scalar());
      if (auto port = r.port(e.first, p)) out.port_level_mode[*port] = mode(e.second, p);
    }
  }
}

}  // namespace meshsim::config
