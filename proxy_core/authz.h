// AuthorizationPolicy evaluation as the server-side sidecar's RBAC filters do
// it (authorization_policy.proto, Envoy rbac_filter.cc): CUSTOM, then DENY,
// then ALLOW; once any ALLOW policy selects a workload, a request matching
// none of them is denied. A denial is answered 403 "RBAC: access denied".
// A CUSTOM policy whose provider istiod cannot use becomes a DENY over its
// rules (builder.go getBadCustomDenyRules).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proxy_core/http.h"
#include "proxy_core/jwt_authn.h"
#include "proxy_core/resources.h"

namespace meshsim::proxy {

// The attributes a policy can test, as the inbound sidecar sees them.
struct AuthzRequest {
  std::string principal;  // mTLS peer identity; empty for plaintext
  std::string source_namespace;
  std::string source_ip;
  std::string destination_ip;
  uint32_t destination_port = 0;  // the workload (target) port
  std::string method;
  std::string path;  // without the query, normalized
  std::string host;  // :authority
  const HeaderMap* headers = nullptr;
  const RequestAuth* auth = nullptr;  // the verified JWT, if any (request.auth.*, requestPrincipals)
  // The connection's TLS SNI (Envoy's requested_server_name), `connection.sni`;
  // empty for plain text. A view: the caller keeps the text alive.
  std::string_view sni;
};

// A dry-run (shadow) engine's verdict, as Envoy's RBAC filter stores it in
// its dynamic metadata (rbac_filter.cc): under the shadow_rules_stat_prefix
// Istio gives it (istio_dry_run_allow_ / istio_dry_run_deny_, authz
// model.go), `shadow_engine_result` allowed|denied and
// `shadow_effective_policy_id`, the matched policy "ns[NS]-policy[NAME]-rule[I]"
// (builder.go policyName), absent when none matched.
struct ShadowDecision {
  std::string prefix;     // istio_dry_run_deny_ | istio_dry_run_allow_
  bool allowed = true;
  std::string policy_id;  // empty when no dry-run policy matched
};

struct AuthzDecision {
  bool allowed = true;
  std::string policy;  // "ns/name" of the deciding policy, empty for default allow/deny
  std::string reason;  // "denied by DENY policy", "no ALLOW policy matched", …
  std::vector<ShadowDecision> shadow;  // dry-run verdicts, in filter order (DENY, then ALLOW)
  int rule_index = -1;  // of `policy`: its first rule that matched (-1: no policy decided)
  std::vector<std::string> allow_policies = {};  // "no ALLOW policy matched": the ALLOW policies that were tried
  // Why a CUSTOM policy decided as it did (its provider is undefined,
  // invalid or not run by meshsim); empty otherwise.
  std::string note = {};
  // A CUSTOM policy matched and istiod builds an envoyExtAuthzHttp filter
  // for its provider: the decision is the provider's, asked by an HTTP
  // check (`allowed` is false until it answers); DENY and ALLOW come after
  // it allows. Null otherwise.
  const ExtensionProvider* check = nullptr;

  // In words, for explanations: "denied by DENY policy default/deny-bar rule 0".
  std::string text() const;
};

// `providers`: the mesh config's extensionProviders, which CUSTOM policies
// name; with none, every CUSTOM policy's provider is undefined (it denies).
// `custom_allowed`: the ext_authz check allowed the request; the CUSTOM
// policies are passed over and DENY and ALLOW decide.
AuthzDecision authorize(const std::vector<const AuthorizationPolicy*>& policies, const AuthzRequest& request,
                        const std::vector<ExtensionProvider>& providers = {}, bool custom_allowed = false);

// Whether a header name is among an extension provider's patterns (exact,
// "prefix*", "*suffix"; case-insensitive: extauthz.go generateHeaders).
bool ext_authz_header_listed(const std::vector<std::string>& patterns, std::string_view name);

// Why istiod builds no ext_authz filter for CUSTOM policies naming
// `provider` and denies what their rules match instead (builder.go
// buildHTTP, getBadCustomDenyRules); nullopt when it builds one.
std::optional<std::string> bad_custom_provider(const std::vector<ExtensionProvider>& providers, std::string_view provider);

// Istio's string forms: exact, "prefix*", "*suffix", "*" (presence).
bool authz_string_matches(std::string_view pattern, std::string_view value);
// Paths also take Envoy URI templates: {*} one segment, {**} any remainder.
bool authz_path_matches(std::string_view pattern, std::string_view path);

}  // namespace meshsim::proxy
