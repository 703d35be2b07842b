#include "proxy_core/authz.h"

#include <algorithm>

#include "proxy_core/hosts.h"

namespace meshsim::proxy {

bool authz_string_matches(std::string_view pattern, std::string_view value) {
  if (pattern == "*") return !value.empty();
  if (pattern.size() > 1 && pattern.back() == '*') return value.starts_with(pattern.substr(0, pattern.size() - 1));
  if (pattern.size() > 1 && pattern.front() == '*') return value.ends_with(pattern.substr(1));
  return pattern == value;
}

namespace {

std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 1;  // skip leading '/'
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool template_matches(const std::vector<std::string_view>& pattern, size_t pi, const std::vector<std::string_view>& path,
                      size_t si) {
  if (pi == pattern.size()) return si == path.size();
  if (pattern[pi] == "{**}") {
    // One or more segments, possibly empty: `/allow/admin/{**}` matches
    // `/allow/admin/` but not `/allow/admin`; `/store/{**}/cart` matches
    // `/store//cart` but not `/store/cart` (Istio authz_test.go path templating).
    for (size_t k = si + 1; k <= path.size(); ++k)
      if (template_matches(pattern, pi + 1, path, k)) return true;
    return false;
  }
  if (si == path.size()) return false;
  if (pattern[pi] == "{*}") return !path[si].empty() && template_matches(pattern, pi + 1, path, si + 1);
  return pattern[pi] == path[si] && template_matches(pattern, pi + 1, path, si + 1);
}

template <typename F>
bool any_of(const std::vector<std::string>& values, F&& f) {
  return std::any_of(values.begin(), values.end(), f);
}

// A field with positive and negative lists: positive must contain a match
// (when set), negative must contain none.
template <typename F>
bool field_matches(const std::vector<std::string>& positive, const std::vector<std::string>& negative, F&& matcher) {
  if (!positive.empty() && !any_of(positive, matcher)) return false;
  if (!negative.empty() && any_of(negative, matcher)) return false;
  return true;
}

bool ip_in_block(std::string_view block, std::string_view ip) {
  auto slash = block.find('/');
  if (slash == std::string_view::npos) return block == ip;
  auto parse = [](std::string_view s, uint32_t& out) {
    uint32_t v = 0;
    int parts = 0;
    size_t i = 0;
    while (i <= s.size() && parts < 4) {
      size_t dot = s.find('.', i);
      if (dot == std::string_view::npos) dot = s.size();
      uint32_t octet = 0;
      for (size_t k = i; k < dot; ++k) {
        if (s[k] < '0' || s[k] > '9') return false;
        octet = octet * 10 + static_cast<uint32_t>(s[k] - '0');
      }
      if (octet > 255 || dot == i) return false;
      v = (v << 8) | octet;
      ++parts;
      i = dot + 1;
    }
    out = v;
    return parts == 4;
  };
  uint32_t net = 0, addr = 0;
  if (!parse(block.substr(0, slash), net) || !parse(ip, addr)) return false;
  int bits = 0;
  for (char c : block.substr(slash + 1)) bits = bits * 10 + (c - '0');
  uint32_t mask = bits <= 0 ? 0 : bits >= 32 ? 0xFFFFFFFFu : ~((1u << (32 - bits)) - 1);
  return (net & mask) == (addr & mask);
}

// The namespace and name of a peer's mTLS identity (TRUST_DOMAIN/ns/NS/sa/SA),
// as views of it; nullopt for none.
std::optional<std::pair<std::string_view, std::string_view>> service_account_parts(std::string_view principal) {
  auto ns = principal.find("/ns/"), sa = principal.find("/sa/");
  if (ns == std::string_view::npos || sa == std::string_view::npos || sa < ns) return std::nullopt;
  return std::pair{principal.substr(ns + 4, sa - ns - 4), principal.substr(sa + 4)};
}

// "namespace/name" of a peer's mTLS identity, or nullopt for none.
std::optional<std::string> service_account_of(std::string_view principal) {
  auto parts = service_account_parts(principal);
  if (!parts) return std::nullopt;
  return std::string(parts->first) + "/" + std::string(parts->second);
}

bool source_matches(const AuthzSource& s, const AuthzRequest& r) {
  auto principal = [&](const std::string& p) { return !r.principal.empty() && authz_string_matches(p, r.principal); };
  auto ns = [&](const std::string& p) { return !r.principal.empty() && authz_string_matches(p, r.source_namespace); };
  auto ip = [&](const std::string& b) { return ip_in_block(b, r.source_ip); };
  // requestPrincipals: "<iss>/<sub>" of a verified JWT; none without one
  // (authorization_policy.proto Source.requestPrincipals).
  auto request_principal = [&](const std::string& p) {
    return r.auth != nullptr && authz_string_matches(p, r.auth->principal);
  };
  // Any trust domain (generator.go srcServiceAccountGenerator: spiffe://.+/ns/NS/(.+/|)sa/SA).
  auto account = [&](const std::string& ns_and_name) {
    auto parts = service_account_parts(r.principal);
    std::string_view want = ns_and_name;
    return parts && want.size() == parts->first.size() + 1 + parts->second.size() && want.starts_with(parts->first) &&
           want[parts->first.size()] == '/' && want.ends_with(parts->second);
  };
  return field_matches(s.principals, s.not_principals, principal) &&
         field_matches(s.service_accounts, s.not_service_accounts, account) &&
         field_matches(s.namespaces, s.not_namespaces, ns) && field_matches(s.ip_blocks, s.not_ip_blocks, ip) &&
         field_matches(s.remote_ip_blocks, s.not_remote_ip_blocks, ip) &&
         field_matches(s.request_principals, s.not_request_principals, request_principal);
}

bool operation_matches(const AuthzOperation& o, const AuthzRequest& r) {
  std::string host = to_lower(r.host);
  std::string host_no_port(strip_port(host));
  auto host_match = [&](const std::string& p) {
    std::string lp = to_lower(p);
    return authz_string_matches(lp, host) || authz_string_matches(lp, host_no_port);
  };
  auto port = [&](const std::string& p) { return p == std::to_string(r.destination_port); };
  auto method = [&](const std::string& p) { return authz_string_matches(p, r.method); };
  auto path = [&](const std::string& p) { return authz_path_matches(p, r.path); };
  return field_matches(o.hosts, o.not_hosts, host_match) && field_matches(o.ports, o.not_ports, port) &&
         field_matches(o.methods, o.not_methods, method) && field_matches(o.paths, o.not_paths, path);
}

// request.auth.claims[a][b] -> {"a", "b"}; empty when the key is not of that form.
std::vector<std::string> claim_path(std::string_view key) {
  std::vector<std::string> out;
  constexpr std::string_view kPrefix = "request.auth.claims";
  if (!key.starts_with(kPrefix)) return out;
  key.remove_prefix(kPrefix.size());
  while (!key.empty()) {
    auto close = key.find(']');
    if (key.front() != '[' || close == std::string_view::npos || close == 1) return {};
    out.emplace_back(key.substr(1, close - 1));
    key.remove_prefix(close + 1);
  }
  return out;
}

// The values a condition key has for this request: one for most keys,
// several for list claims and audiences, none when the attribute is absent.
std::optional<std::vector<std::string>> condition_values(const std::string& key, const AuthzRequest& r) {
  auto one = [](std::optional<std::string> v) -> std::optional<std::vector<std::string>> {
    if (!v) return std::nullopt;
    return std::vector<std::string>{std::move(*v)};
  };
  // request.experimental.inline.headers[...] reads the same headers (Envoy
  // matches them inline instead of through its header matcher).
  constexpr std::string_view kInlineHeaders = "request.experimental.inline.headers[";
  if ((key.starts_with("request.headers[") || key.starts_with(kInlineHeaders)) && key.ends_with("]")) {
    size_t open = key.find('[') + 1;
    std::string name = key.substr(open, key.size() - open - 1);
    if (!r.headers) return std::nullopt;
    auto v = r.headers->get_joined(name);
    if (!v && (iequals(name, "host") || name == ":authority")) return one(r.host);
    return one(v);
  }
  if (key == "source.ip" || key == "remote.ip") return one(r.source_ip);
  if (key == "source.namespace") return r.principal.empty() ? std::nullopt : one(r.source_namespace);
  if (key == "source.principal") return r.principal.empty() ? std::nullopt : one(r.principal);
  // source.serviceAccount: "namespace/name" of the peer's mTLS identity
  // (TRUST_DOMAIN/ns/NS/sa/SA), as source.serviceAccounts.
  if (key == "source.serviceAccount") return one(service_account_of(r.principal));
  if (key == "destination.ip") return one(r.destination_ip);
  if (key == "destination.port") return one(std::to_string(r.destination_port));
  // request.auth.*: attributes of the verified JWT (Istio conditions
  // reference); without one none of them exists.
  if (key.starts_with("request.auth.")) {
    if (r.auth == nullptr) return std::nullopt;
    if (key == "request.auth.principal") return one(r.auth->principal);
    if (key == "request.auth.audiences") return r.auth->audiences;
    if (key == "request.auth.presenter") return r.auth->presenter.empty() ? std::nullopt : one(r.auth->presenter);
    auto path = claim_path(key);
    if (path.empty()) return std::nullopt;
    const nlohmann::json* at = &r.auth->claims;
    for (const auto& k : path) {
      if (!at->is_object() || !at->contains(k)) return std::nullopt;
      at = &(*at)[k];
    }
    // Istio matches string claims and lists of strings (a list matches when
    // any element does: authz-jwt task, groups claim); other kinds never.
    std::vector<std::string> out;
    if (at->is_string()) out.push_back(at->get<std::string>());
    else if (at->is_array())
      for (const auto& e : *at)
        if (e.is_string()) out.push_back(e.get<std::string>());
    if (out.empty()) return std::nullopt;
    return out;
  }
  return std::nullopt;  // experimental.envoy.filters.*: not modeled, never match
}

bool condition_matches(const AuthzCondition& c, const AuthzRequest& r) {
  if (c.key == "connection.sni") {
    // A permission on the connection's SNI (generator.go connSNIGenerator ->
    // permission.go permissionRequestedServerName, the value through
    // matcher.StringMatcher: exact, "prefix*", "*suffix", "*" as ".+");
    // values OR'ed, notValues as Not(Or(...)) (model.go rule.permission).
    // Envoy matches the connection's requested server name, "" without SNI
    // (rbac matchers.cc RequestedServerNameMatcher::matches), so a plain-text
    // request matches no value and every notValues condition.
    auto match = [&](const std::string& p) { return authz_string_matches(p, r.sni); };
    return field_matches(c.values, c.not_values, match);
  }
  auto values = condition_values(c.key, r);
  bool ip_key = c.key == "source.ip" || c.key == "remote.ip" || c.key == "destination.ip";
  auto match = [&](const std::string& p) {
    if (!values) return false;
    return std::any_of(values->begin(), values->end(),
                       [&](const std::string& v) { return ip_key ? ip_in_block(p, v) : authz_string_matches(p, v); });
  };
  return field_matches(c.values, c.not_values, match);
}

bool rule_matches(const AuthzRule& rule, const AuthzRequest& r) {
  if (!rule.from.empty() && std::none_of(rule.from.begin(), rule.from.end(), [&](const auto& s) { return source_matches(s, r); }))
    return false;
  if (!rule.to.empty() && std::none_of(rule.to.begin(), rule.to.end(), [&](const auto& o) { return operation_matches(o, r); }))
    return false;
  return std::all_of(rule.when.begin(), rule.when.end(), [&](const auto& c) { return condition_matches(c, r); });
}

// The index of the first rule of `p` that matches, or -1.
int policy_match(const AuthorizationPolicy& p, const AuthzRequest& r) {
  // No rules: "the match will never occur" (spec: {} is allow-nothing).
  for (size_t i = 0; i < p.rules.size(); ++i)
    if (rule_matches(p.rules[i], r)) return static_cast<int>(i);
  return -1;
}

std::string name_of(const AuthorizationPolicy& p) { return p.header.meta.ns + "/" + p.header.meta.name; }

}  // namespace

bool authz_path_matches(std::string_view pattern, std::string_view path) {
  if (pattern.find('{') == std::string_view::npos) return authz_string_matches(pattern, path);
  if (pattern.empty() || pattern[0] != '/' || path.empty() || path[0] != '/') return false;
  return template_matches(split_segments(pattern), 0, split_segments(path), 0);
}

namespace {

// The Envoy RBAC policy id of the first (by name, as Envoy's engine keeps
// policies in a sorted map) matching rule of the dry-run policies with
// `action`; a policy without rules is one rule that never matches.
std::optional<std::string> shadow_match(const std::vector<const AuthorizationPolicy*>& policies,
                                        AuthorizationPolicy::Action action, const AuthzRequest& request) {
  std::optional<std::string> first;
  for (const auto* p : policies) {
    if (!p->dry_run || p->action != action) continue;
    for (size_t i = 0; i < p->rules.size(); ++i) {
      if (!rule_matches(p->rules[i], request)) continue;
      std::string id = "ns[" + p->header.meta.ns + "]-policy[" + p->header.meta.name + "]-rule[" + std::to_string(i) + "]";
      if (!first || id < *first) first = std::move(id);
    }
  }
  return first;
}

bool has_dry_run(const std::vector<const AuthorizationPolicy*>& policies, AuthorizationPolicy::Action action) {
  return std::any_of(policies.begin(), policies.end(), [&](const auto* p) { return p->dry_run && p->action == action; });
}

// The CUSTOM filters' verdict: a denial when the policies' provider is
// one istiod cannot build an ext_authz filter for (or one it can: meshsim
// runs no ext_authz check), nullopt to go on.
// Dry-run CUSTOM policies never deny (getBadCustomDenyRules covers the
// enforced rules only), but their provider counts towards "one per workload".
std::optional<AuthzDecision> custom_decision(const std::vector<const AuthorizationPolicy*>& policies,
                                             const AuthzRequest& request, const std::vector<ExtensionProvider>& providers) {
  using Action = AuthorizationPolicy::Action;
  std::vector<std::string_view> named;  // sorted, unique
  for (const auto* p : policies)
    if (p->action == Action::kCustom) named.push_back(p->provider);
  if (named.empty()) return std::nullopt;
  std::sort(named.begin(), named.end());
  named.erase(std::unique(named.begin(), named.end()), named.end());
  std::optional<std::string> problem;
  if (named.size() > 1) {
    // builder.go buildHTTP: more than one provider per workload (without
    // PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS, off by default) denies
    // for every one of them.
    problem = "the workload is selected by CUSTOM policies of more than one provider";
    for (auto n : named) *problem += std::string(n == named.front() ? " (" : ", ") + std::string(n);
    *problem += "); Istio allows one";
  } else {
    problem = bad_custom_provider(providers, named.front());
  }
  if (problem) *problem += ", so istiod denies what the policy matches";
  // A provider istiod builds an ext_authz filter for: an HTTP one is asked
  // (the caller sends the check); meshsim sends no gRPC check (README
  // fidelity table) and denies instead, never allows.
  const ExtensionProvider* usable = nullptr;
  if (!problem) {
    usable = &*std::find_if(providers.begin(), providers.end(), [&](const auto& p) { return p.name == named.front(); });
    if (usable->kind != ExtensionProvider::Kind::kExtAuthzHttp)
      problem = "ext_authz over gRPC is not simulated (MSH1005): meshsim denies what the policy matches where Istio "
                "would ask provider " + std::string(named.front());
  }
  for (const auto* p : policies) {
    if (p->dry_run || p->action != Action::kCustom) continue;
    if (int rule = policy_match(*p, request); rule >= 0) {
      if (!problem) {
        AuthzDecision d{false, name_of(*p), "checked by CUSTOM policy " + name_of(*p), {}};
        d.rule_index = rule;
        d.check = usable;
        return d;
      }
      AuthzDecision d{false, name_of(*p), "denied by CUSTOM policy " + name_of(*p), {}};
      d.rule_index = rule;
      d.note = *problem;
      return d;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> bad_custom_provider(const std::vector<ExtensionProvider>& providers, std::string_view provider) {
  // extauthz.go getExtAuthz: the provider must be defined and built without errors.
  auto it = std::find_if(providers.begin(), providers.end(), [&](const auto& p) { return p.name == provider; });
  if (it == providers.end())
    return "provider " + std::string(provider) + " is not defined in the mesh config's extensionProviders";
  if (!it->problem.empty()) return "provider " + std::string(provider) + " is invalid: " + it->problem;
  if (it->kind == ExtensionProvider::Kind::kOther)
    return "provider " + std::string(provider) + " is a " + (it->type.empty() ? "provider" : it->type) +
           " provider, not an ext_authz one";
  return std::nullopt;
}

bool ext_authz_header_listed(const std::vector<std::string>& patterns, std::string_view name) {
  for (const std::string& p : patterns) {
    std::string_view pattern = p;
    if (pattern.starts_with('*')) {
      pattern.remove_prefix(1);
      if (pattern.size() <= name.size() && iequals(name.substr(name.size() - pattern.size()), pattern)) return true;
    } else if (pattern.ends_with('*')) {
      pattern.remove_suffix(1);
      if (pattern.size() <= name.size() && iequals(name.substr(0, pattern.size()), pattern)) return true;
    } else if (iequals(pattern, name)) {
      return true;
    }
  }
  return false;
}

AuthzDecision authorize(const std::vector<const AuthorizationPolicy*>& policies, const AuthzRequest& request,
                        const std::vector<ExtensionProvider>& providers, bool custom_allowed) {
  using Action = AuthorizationPolicy::Action;
  // istio's CUSTOM filters come before the DENY and ALLOW ones
  // (authorization_policy.proto "CUSTOM, DENY and ALLOW"; builder.go build).
  if (!custom_allowed)
    if (auto custom = custom_decision(policies, request, providers)) return std::move(*custom);
  AuthzDecision shadow_only;
  // Istio builds one RBAC filter per action, DENY before ALLOW; dry-run
  // policies become that filter's shadow_rules, which Envoy evaluates before
  // its enforced rules and never acts on (builder.go build/buildHTTP,
  // rbac_filter.cc decodeHeaders).
  if (has_dry_run(policies, Action::kDeny)) {
    auto id = shadow_match(policies, Action::kDeny, request);
    shadow_only.shadow.push_back({"istio_dry_run_deny_", !id, id.value_or("")});
  }
  for (const auto* p : policies) {
    if (p->dry_run || p->action != Action::kDeny) continue;
    if (int rule = policy_match(*p, request); rule >= 0) {
      AuthzDecision d{false, name_of(*p), "denied by DENY policy " + name_of(*p), std::move(shadow_only.shadow)};
      d.rule_index = rule;
      return d;
    }
  }
  if (has_dry_run(policies, Action::kAllow)) {
    auto id = shadow_match(policies, Action::kAllow, request);
    shadow_only.shadow.push_back({"istio_dry_run_allow_", id.has_value(), id.value_or("")});
  }
  bool any_allow = false;
  for (const auto* p : policies) {
    if (p->dry_run || p->action != Action::kAllow) continue;
    any_allow = true;
    if (int rule = policy_match(*p, request); rule >= 0) {
      AuthzDecision d{true, name_of(*p), "allowed by ALLOW policy " + name_of(*p), std::move(shadow_only.shadow)};
      d.rule_index = rule;
      return d;
    }
  }
  if (any_allow) {
    AuthzDecision d{false, "", "no ALLOW policy matched", std::move(shadow_only.shadow)};
    for (const auto* p : policies)
      if (!p->dry_run && p->action == Action::kAllow) d.allow_policies.push_back(name_of(*p));
    return d;
  }
  return {true, "", "no ALLOW policy selects the workload", std::move(shadow_only.shadow)};
}

std::string AuthzDecision::text() const {
  if (rule_index >= 0) return reason + " rule " + std::to_string(rule_index) + (note.empty() ? "" : ": " + note);
  if (!allow_policies.empty()) {
    std::string names;
    for (const auto& n : allow_policies) names += (names.empty() ? "" : ", ") + n;
    return "denied: no rule of the ALLOW " + std::string(allow_policies.size() == 1 ? "policy " : "policies ") + names +
           " matched";
  }
  return reason;
}

}  // namespace meshsim::proxy
