// RequestAuthentication, after istio/api
// security/v1beta1/request_authentication.proto (JWTRule, JWTHeader,
// ClaimToHeader).
#include "config/parse.h"
#include "proxy_core/jwt_authn.h"

namespace meshsim::config {

void parse_request_authentication(YamlReader& r, const yaml::Node& spec, proxy::RequestAuthentication& out) {
  if (!spec || spec.IsNull()) return;  // no rules: nothing is checked
  if (!r.fields(spec, "spec", {"selector", "targetRef", "targetRefs", "jwtRules"})) return;
  if (auto s = spec["selector"]; s && !s.IsNull() && r.fields(s, "spec.selector", {"matchLabels"}))
    out.selector = r.str_map(s["matchLabels"], "spec.selector.matchLabels");
  out.target_refs = parse_policy_target_refs(r, spec);
  r.list(spec["jwtRules"], "spec.jwtRules", [&](const yaml::Node& n, const std::string& p) {
    if (!r.fields(n, p, {"issuer", "audiences", "jwksUri", "jwks", "fromHeaders", "fromParams", "fromCookies",
                         "outputPayloadToHeader", "outputClaimToHeaders", "forwardOriginalToken",
                         "spaceDelimitedClaims", "timeout"}))
      return;
    proxy::JwtRule rule;
    rule.path = p;
    rule.issuer = r.str(n["issuer"], child(p, "issuer")).value_or("");
    // Istio's validation (pkg/config/validation ValidateRequestAuthentication): issuer is required.
    if (rule.issuer.empty()) r.error(n, child(p, "issuer"), "is required");
    rule.audiences = r.str_list(n["audiences"], child(p, "audiences"));
    rule.jwks_uri = r.str(n["jwksUri"], child(p, "jwksUri")).value_or("");
    rule.jwks = r.str(n["jwks"], child(p, "jwks")).value_or("");
    if (!rule.jwks.empty())
      if (auto status = proxy::JwtKeySet::create(rule.jwks)->status(); status != proxy::JwtStatus::kOk)
        r.error(n["jwks"], child(p, "jwks"), "is not a usable key set: " + std::string(proxy::jwt_status_string(status)));
    if (rule.jwks.empty())
      // istiod fetches jwksUri (or the issuer's OpenID discovery document);
      // meshsim is offline, so it does what istiod does when the fetch fails:
      // a fake key set that rejects every token (jwks_resolver.go CreateFakeJwks).
      r.warning(n, "MSH0040",
                std::string(child(p, rule.jwks_uri.empty() ? "issuer" : "jwksUri")) + ": meshsim cannot fetch " +
                    (rule.jwks_uri.empty() ? "the issuer's OpenID discovery document" : "\"" + rule.jwks_uri + "\"") +
                    " offline; every token for issuer \"" + rule.issuer +
                    "\" will be rejected with 401 as when istiod's fetch fails. Give the keys inline in `jwks` to verify them");
    r.list(n["fromHeaders"], child(p, "fromHeaders"), [&](const yaml::Node& h, const std::string& hp) {
      if (!r.fields(h, hp, {"name", "prefix"})) return;
      proxy::JwtHeaderLocation loc;
      loc.name = r.str(h["name"], child(hp, "name")).value_or("");
      loc.prefix = r.str(h["prefix"], child(hp, "prefix")).value_or("");
      if (loc.name.empty()) r.error(h, child(hp, "name"), "is required");
      else rule.from_headers.push_back(std::move(loc));
    });
    rule.from_params = r.str_list(n["fromParams"], child(p, "fromParams"));
    rule.from_cookies = r.str_list(n["fromCookies"], child(p, "fromCookies"));
    if (!rule.from_cookies.empty())
      r.warning(n["fromCookies"], "MSH0041", "fromCookies is not simulated: tokens in cookies are not extracted");
    rule.output_payload_to_header = r.str(n["outputPayloadToHeader"], child(p, "outputPayloadToHeader")).value_or("");
    r.list(n["outputClaimToHeaders"], child(p, "outputClaimToHeaders"), [&](const yaml::Node& c, const std::string& cp) {
      if (!r.fields(c, cp, {"header", "claim"})) return;
      proxy::ClaimToHeader ch;
      ch.header = r.str(c["header"], child(cp, "header")).value_or("");
      ch.claim = r.str(c["claim"], child(cp, "claim")).value_or("");
      if (!ch.header.empty() && !ch.claim.empty()) rule.output_claim_to_headers.push_back(std::move(ch));
    });
    rule.forward_original_token = r.boolean(n["forwardOriginalToken"], child(p, "forwardOriginalToken")).value_or(false);
    rule.space_delimited_claims = r.str_list(n["spaceDelimitedClaims"], child(p, "spaceDelimitedClaims"));
    if (n["timeout"]) r.duration(n["timeout"], child(p, "timeout"));  // JWKS fetch timeout: nothing is fetched
    out.jwt_rules.push_back(std::move(rule));
  });
}

}  // namespace meshsim::config
