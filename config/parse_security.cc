// AuthorizationPolicy and PeerAuthentication, after istio/api
// security/v1beta1/authorization_policy.proto and peer_authentication.proto.
//
// Values are checked as Istio's admission webhook checks them
// (pkg/config/validation/validation.go ValidateAuthorizationPolicy, with
// pkg/config/security/security.go ValidateAttribute, ValidateIPs,
// ValidatePorts, CheckEmptyValues): a value Istio refuses would otherwise be
// loaded and never match, so a DENY rule would silently not be enforced.
#include <algorithm>
#include <array>
#include <cctype>

#include "config/istio_names.h"
#include "config/parse.h"

namespace meshsim::config {
namespace {

// A problem with one list element, or nullopt when Istio accepts it.
using ValueCheck = std::optional<std::string> (*)(const std::string&);

// CheckEmptyValues: Istio refuses "" in every string list of a rule.
std::optional<std::string> non_empty(const std::string& value) {
  if (value.empty()) return "empty value not allowed";
  return std::nullopt;
}

// ValidatePorts: a decimal number up to 65535 (strconv.ParseUint); a port
// name such as "http" or a range is refused.
std::optional<std::string> port_number(const std::string& value) {
  if (value.empty()) return non_empty(value);
  bool digits = value.size() <= 9 &&
                std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); });
  if (digits && std::stoul(value) <= 65535) return std::nullopt;
  return "bad port \"" + value + "\": a port must be a number from 0 to 65535 (port names are not accepted)";
}

// A string list whose elements `check` refuses are reported where they are.
std::vector<std::string> checked_list(YamlReader& r, const yaml::Node& n, const std::string& path, ValueCheck check) {
  std::vector<std::string> out;
  r.list(n, path, [&](const yaml::Node& item, const std::string& item_path) {
    auto value = r.str(item, item_path);
    if (!value) return;
    if (auto problem = check(*value)) r.error(item, item_path, *problem);
    out.push_back(std::move(*value));
  });
  return out;
}

// The attributes a `when` condition may name (security.go ValidateAttribute;
// istio.io "Authorization Policy Conditions"). A map attribute is a prefix
// followed by one [name].
struct ConditionAttribute {
  std::string_view name;
  bool is_map;
  ValueCheck check;
};

constexpr std::array<ConditionAttribute, 15> kConditionAttributes{{
    {"request.headers", true, non_empty},
    {"source.ip", false, ip_or_cidr},
    {"remote.ip", false, ip_or_cidr},
    {"source.namespace", false, non_empty},
    {"source.principal", false, non_empty},
    {"request.auth.principal", false, non_empty},
    {"request.auth.audiences", false, non_empty},
    {"request.auth.presenter", false, non_empty},
    {"request.auth.claims", true, non_empty},
    {"destination.ip", false, ip_or_cidr},
    {"destination.port", false, port_number},
    {"connection.sni", false, non_empty},
    {"source.serviceAccount", false, non_empty},
    {"request.experimental.inline.headers", true, non_empty},
    {"experimental.envoy.filters.", true, non_empty},
}};

std::string valid_condition_keys() {
  std::string out;
  for (const auto& a : kConditionAttributes) {
    if (!out.empty()) out += ", ";
    out += std::string(a.name) + (a.name.ends_with('.') ? "*" : "") + (a.is_map ? "[NAME]" : "");
  }
  return out;
}

// security.go validateMapKey: "a[b]" with a non-empty a and b.
bool is_map_key(std::string_view key) {
  auto open = key.find('[');
  return key.ends_with(']') && open != std::string_view::npos && open > 0 && open + 2 < key.size();
}

// Keys Istio once accepted and now refuses with a reason of its own.
std::optional<std::string> retired_condition_key(const std::string& key) {
  if (key == "destination.namespace") return "attribute " + key + " is replaced by the policy's metadata.namespace";
  if (key.starts_with("destination.labels")) return "attribute " + key + " is replaced by the workload selector";
  if (key == "destination.name" || key == "destination.user")
    return "deprecated attribute " + key + ": only supported in v1alpha1";
  return std::nullopt;
}

std::string unknown_condition_key(const std::string& key) {
  std::array<std::string_view, kConditionAttributes.size()> names;
  std::transform(kConditionAttributes.begin(), kConditionAttributes.end(), names.begin(),
                 [](const auto& a) { return a.name; });
  // Compare the attribute part only: "request.header[x-debug]" is near
  // "request.headers", and the suggestion keeps the user's [x-debug].
  auto bracket = key.find('[');
  std::string hint = nearest(key.substr(0, bracket), names);
  std::string message = "unknown condition key \"" + key + "\"";
  if (!hint.empty()) {
    bool map = std::any_of(kConditionAttributes.begin(), kConditionAttributes.end(),
                           [&](const auto& a) { return a.name == hint && a.is_map; });
    if (map) hint += bracket == std::string::npos ? "[NAME]" : key.substr(bracket);
    message += "; did you mean \"" + hint + "\"?";
  }
  return message + " (valid keys: " + valid_condition_keys() + ")";
}

struct KeyVerdict {
  ValueCheck check = non_empty;  // how the key's values are checked
  std::optional<std::string> problem;
};

// ValidateAttribute's decision on the key; exact names, or a map prefix as
// Istio matches it (strings.HasPrefix) followed by validateMapKey.
KeyVerdict judge_condition_key(const std::string& key) {
  if (key.empty()) return {non_empty, "`key` must not be empty"};
  for (const auto& a : kConditionAttributes) {
    if (!a.is_map && key == a.name) return {a.check, std::nullopt};
    if (a.is_map && key.starts_with(a.name)) {
      if (is_map_key(key)) return {a.check, std::nullopt};
      return {a.check, "bad key \"" + key + "\": should have the form " + std::string(a.name) +
                           (a.name.ends_with('.') ? "*" : "") + "[NAME]"};
    }
  }
  if (auto retired = retired_condition_key(key)) return {non_empty, retired};
  return {non_empty, unknown_condition_key(key)};
}

std::optional<proxy::Labels> selector(YamlReader& r, const yaml::Node& n, const std::string& path) {
  if (!n || n.IsNull()) return std::nullopt;
  if (!r.fields(n, path, {"matchLabels"})) return std::nullopt;
  return r.str_map(n["matchLabels"], child(path, "matchLabels"));
}

// A serviceAccounts entry as pkg/config/security CheckServiceAccount takes
// it: "namespace/name", or "name" in the policy's namespace; no wildcard.
std::optional<std::string> service_account(const std::string& value) {
  if (value.empty()) return non_empty(value);
  if (value.find('*') != std::string::npos) return "wildcard not allowed in a service account";
  if (value.size() > 320) return "a service account is at most 320 characters";
  auto slash = value.find('/');
  if (slash != std::string::npos &&
      (value.find('/', slash + 1) != std::string::npos || slash == 0 || slash + 1 == value.size()))
    return "a service account is NAMESPACE/NAME or NAME (in the policy's namespace)";
  return std::nullopt;
}

// serviceAccounts (Istio 1.24+): entries as "namespace/name", a bare name
// in the policy's namespace (authz model generator.go srcServiceAccountGenerator).
std::vector<std::string> service_accounts(YamlReader& r, const yaml::Node& n, const std::string& path,
                                          const std::string& policy_ns) {
  constexpr size_t kMaxServiceAccounts = 16;  // CheckServiceAccount
  std::vector<std::string> out = checked_list(r, n, path, service_account);
  if (out.size() > kMaxServiceAccounts) r.error(n, path, "at most 16 service accounts, found " + std::to_string(out.size()));
  for (auto& sa : out)
    if (sa.find('/') == std::string::npos) sa = policy_ns + "/" + sa;
  return out;
}

std::optional<proxy::AuthzSource> source(YamlReader& r, const yaml::Node& s, const std::string& p,
                                         const std::string& policy_ns) {
  if (!s || !r.fields(s, p, {"principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals",
                             "namespaces", "notNamespaces", "ipBlocks", "notIpBlocks", "remoteIpBlocks",
                             "notRemoteIpBlocks", "serviceAccounts", "notServiceAccounts"}))
    return std::nullopt;
  proxy::AuthzSource src;
  auto list = [&](const char* field, ValueCheck check) { return checked_list(r, s[field], child(p, field), check); };
  src.principals = list("principals", non_empty);
  src.not_principals = list("notPrincipals", non_empty);
  src.request_principals = list("requestPrincipals", non_empty);
  src.not_request_principals = list("notRequestPrincipals", non_empty);
  src.namespaces = list("namespaces", non_empty);
  src.not_namespaces = list("notNamespaces", non_empty);
  src.ip_blocks = list("ipBlocks", ip_or_cidr);
  src.not_ip_blocks = list("notIpBlocks", ip_or_cidr);
  src.remote_ip_blocks = list("remoteIpBlocks", ip_or_cidr);
  src.not_remote_ip_blocks = list("notRemoteIpBlocks", ip_or_cidr);
  src.service_accounts = service_accounts(r, s["serviceAccounts"], child(p, "serviceAccounts"), policy_ns);
  src.not_service_accounts = service_accounts(r, s["notServiceAccounts"], child(p, "notServiceAccounts"), policy_ns);
  // validation.go ValidateAuthorizationPolicy: one way to name the peer.
  bool named_by_identity = !src.principals.empty() || !src.not_principals.empty() || !src.namespaces.empty() ||
                           !src.not_namespaces.empty();
  if (named_by_identity && (!src.service_accounts.empty() || !src.not_service_accounts.empty()))
    r.error(s, p, "cannot set serviceAccounts with namespaces or principals");
  return src;
}

std::optional<proxy::AuthzOperation> operation(YamlReader& r, const yaml::Node& o, const std::string& p) {
  if (!o || !r.fields(o, p, {"hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths"}))
    return std::nullopt;
  proxy::AuthzOperation op;
  auto list = [&](const char* field, ValueCheck check) { return checked_list(r, o[field], child(p, field), check); };
  op.hosts = list("hosts", non_empty);
  op.not_hosts = list("notHosts", non_empty);
  op.ports = list("ports", port_number);
  op.not_ports = list("notPorts", port_number);
  op.methods = list("methods", non_empty);
  op.not_methods = list("notMethods", non_empty);
  op.paths = list("paths", non_empty);
  op.not_paths = list("notPaths", non_empty);
  return op;
}

std::optional<proxy::AuthzCondition> condition(YamlReader& r, const yaml::Node& wn, const std::string& wp) {
  if (!r.fields(wn, wp, {"key", "values", "notValues"})) return std::nullopt;
  proxy::AuthzCondition c;
  std::string key_path = child(wp, "key");
  auto key = r.str(wn["key"], key_path);
  KeyVerdict verdict;
  if (!key) r.error(wn, wp, "a condition needs a key");
  else if (verdict = judge_condition_key(*key); verdict.problem) r.error(wn["key"], key_path, *verdict.problem);
  c.key = key.value_or("");
  c.values = checked_list(r, wn["values"], child(wp, "values"), verdict.check);
  c.not_values = checked_list(r, wn["notValues"], child(wp, "notValues"), verdict.check);
  // Without either list the condition would match every request.
  if (key && c.values.empty() && c.not_values.empty())
    r.error(wn, wp, "at least one of values or notValues must be set for key " + *key);
  return c;
}

std::optional<proxy::AuthzRule> rule(YamlReader& r, const yaml::Node& rn, const std::string& rp, const std::string& policy_ns) {
  if (!r.fields(rn, rp, {"from", "to", "when"})) return std::nullopt;
  proxy::AuthzRule out;
  r.list(rn["from"], child(rp, "from"), [&](const yaml::Node& fn, const std::string& fp) {
    if (!r.fields(fn, fp, {"source"})) return;
    if (auto s = source(r, fn["source"], child(fp, "source"), policy_ns)) out.from.push_back(std::move(*s));
  });
  r.list(rn["to"], child(rp, "to"), [&](const yaml::Node& tn, const std::string& tp) {
    if (!r.fields(tn, tp, {"operation"})) return;
    if (auto o = operation(r, tn["operation"], child(tp, "operation"))) out.to.push_back(std::move(*o));
  });
  r.list(rn["when"], child(rp, "when"), [&](const yaml::Node& wn, const std::string& wp) {
    if (auto c = condition(r, wn, wp)) out.when.push_back(std::move(*c));
  });
  return out;
}

}  // namespace

std::vector<proxy::PolicyTargetRef> parse_policy_target_refs(YamlReader& r, const yaml::Node& spec) {
  std::vector<proxy::PolicyTargetRef> out;
  auto one = [&](const yaml::Node& n, const std::string& p) {
    if (!r.fields(n, p, {"group", "kind", "name", "namespace"})) return;
    proxy::PolicyTargetRef ref;
    ref.group = r.str(n["group"], child(p, "group")).value_or("");
    ref.kind = r.str(n["kind"], child(p, "kind")).value_or("");
    ref.name = r.str(n["name"], child(p, "name")).value_or("");
    if (ref.name.empty()) r.error(n, p, "targetRef name must be set");
    if (!r.str(n["namespace"], child(p, "namespace")).value_or("").empty())
      r.error(n["namespace"], child(p, "namespace"),
              "targetRef namespace must not be set; cross namespace referencing is not supported");
    // validation.go allowedTargetRefs, by canonical group ("" is core).
    const bool gateway = ref.group == "gateway.networking.k8s.io" && (ref.kind == "Gateway" || ref.kind == "GatewayClass");
    const bool waypoint_only = (ref.group.empty() || ref.group == "core") && ref.kind == "Service";
    const bool service_entry = ref.group == "networking.istio.io" && ref.kind == "ServiceEntry";
    if (!gateway && !waypoint_only && !service_entry) {
      r.error(n, p, "targetRef must be to one of [core/v1/Service networking.istio.io/v1/ServiceEntry "
                    "gateway.networking.k8s.io/v1/Gateway gateway.networking.k8s.io/v1/GatewayClass] but was " +
                        ref.group + "/" + ref.kind);
      return;
    }
    // policyattachment.go ShouldAttachPolicy: a Service, ServiceEntry or
    // GatewayClass attaches the policy to waypoints, which exist only in
    // ambient mode.
    if (ref.kind != "Gateway")
      r.warning(n, "MSH0010", "a targetRef to a " + ref.kind +
                                  " attaches the policy to waypoints (ambient mode), which meshsim does not model: "
                                  "the policy applies to no workload here");
    out.push_back(std::move(ref));
  };
  // GetTargetRefs: targetRefs, else targetRef.
  if (auto refs = spec["targetRefs"]; refs && !refs.IsNull() && refs.size() > 0)
    r.list(refs, "spec.targetRefs", one);
  else if (auto ref = spec["targetRef"]; ref && !ref.IsNull())
    one(ref, "spec.targetRef");
  int set = (spec["selector"] && !spec["selector"].IsNull()) + (spec["targetRef"] && !spec["targetRef"].IsNull()) +
            (spec["targetRefs"] && spec["targetRefs"].size() > 0);
  if (set > 1) r.error(spec, "spec", "only one of targetRefs or workloadSelector can be set");
  return out;
}

void parse_authorization_policy(YamlReader& r, const yaml::Node& spec, const std::string& ns, proxy::AuthorizationPolicy& out) {
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
  out.target_refs = parse_policy_target_refs(r, spec);
  out.rules_present = static_cast<bool>(spec["rules"]) && !spec["rules"].IsNull();
  r.list(spec["rules"], "spec.rules", [&](const yaml::Node& rn, const std::string& rp) {
    if (auto parsed = rule(r, rn, rp, ns)) out.rules.push_back(std::move(*parsed));
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
    // validation.go ValidatePeerAuthentication: ports are a workload's, so
    // only a policy that selects workloads may name them.
    if (pl.size() == 0)
      r.error(pl, "spec.portLevelMtls", "port level mTLS, if defined, must have at least one element");
    else if (!out.selector || out.selector->empty())
      r.error(pl, "spec.portLevelMtls", "mesh/namespace peer authentication cannot have port level mTLS");
  }
}

}  // namespace meshsim::config
