// Envoy's jwt_authn filter as Istio configures it from RequestAuthentication.
// Each row cites the code or document that fixes the expectation. Keys and
// tokens are generated here (jwt_signer.h); none comes from Istio's samples.
#include <gtest/gtest.h>

#include "proxy_core/jwt_authn.h"
#include "tests/proxy_core/jwt_signer.h"

namespace meshsim::proxy {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1'525'305'600;  // meshsim's default epoch, 2018-05-03
const std::string kIssuer = "issuer@example.test";

testing::JwtSigner& rsa() {
  static testing::JwtSigner s("rsa-key-1");
  return s;
}

json claims(json extra = json::object()) {
  json c = {{"iss", kIssuer}, {"sub", "alice"}, {"exp", kNow + 3600}};
  for (auto& [k, v] : extra.items()) c[k] = v;
  return c;
}

RequestAuthentication policy(JwtRule rule) {
  RequestAuthentication ra;
  ra.header.meta = {"jwt", "foo", {}, {}};
  ra.jwt_rules.push_back(std::move(rule));
  return ra;
}

JwtRule rule_with_keys(std::string jwks = rsa().jwks()) {
  JwtRule r;
  r.issuer = kIssuer;
  r.jwks = std::move(jwks);
  return r;
}

HttpRequest request_with(std::string header, std::string value, std::string target = "/headers") {
  HttpRequest req;
  req.method = "GET";
  req.target = std::move(target);
  req.authority = "httpbin.foo:8000";
  if (!header.empty()) req.headers.add(header, value);
  return req;
}

JwtAuthnResult run(const JwtRule& rule, HttpRequest& req, int64_t now = kNow) {
  RequestAuthentication ra = policy(rule);
  return authenticate_jwt(compile_jwt_providers({&ra}), req, now);
}

struct StatusRow {
  const char* name;
  const char* source;
  std::string token;  // sent as "Authorization: Bearer <token>"; empty: no header
  JwtStatus expected;
  std::string body;   // Envoy's local reply body (jwt_verify_lib getStatusString)
};

class JwtStatusTable : public ::testing::TestWithParam<StatusRow> {};

TEST_P(JwtStatusTable, StatusAndReply) {
  const StatusRow& row = GetParam();
  HttpRequest req = request_with(row.token.empty() ? "" : "authorization", "Bearer " + row.token);
  JwtAuthnResult result = run(rule_with_keys(), req);
  EXPECT_EQ(result.status, row.expected) << row.source;
  if (row.expected == JwtStatus::kOk) return;
  HttpResponse reply = jwt_failure_reply(result.status, req);
  EXPECT_EQ(reply.body, row.body) << row.source;
  EXPECT_EQ(reply.status, row.expected == JwtStatus::kJwtAudienceNotAllowed ? 403 : 401) << row.source;
}

std::vector<StatusRow> status_rows() {
  std::string good = rsa().sign(claims());
  std::string tampered = good;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  std::string other_kid = "some-other-key";
  return {
      {"no_token_is_allowed", "policy_applier.go: requires_any {provider, allow_missing}; request_authentication.proto", "",
       JwtStatus::kOk, ""},
      {"valid_token", "authenticator.cc startVerify -> verifyKey -> handleGoodJwt", good, JwtStatus::kOk, ""},
      {"no_two_dots", "jwt_verify_lib jwt.cc parseFromString: exactly 2 dots (Istio task token 'invalidToken')",
       "invalidToken", JwtStatus::kJwtBadFormat, "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"},
      {"empty_section", "jwt.cc: StrSplit(SkipEmpty) must give 3 parts", "a..b", JwtStatus::kJwtBadFormat,
       "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"},
      {"header_not_base64url", "jwt.cc: WebSafeBase64Unescape(header) fails", "a+b.c.d",
       JwtStatus::kJwtHeaderParseErrorBadBase64, "Jwt header is an invalid Base64url encoded"},
      {"header_not_json", "jwt.cc: JsonStringToMessage(header) fails", "bm90LWpzb24.e30.c2ln",
       JwtStatus::kJwtHeaderParseErrorBadJson, "Jwt header is an invalid JSON"},
      {"alg_none", "jwt.cc isImplemented: 'none' is not an implemented alg", "eyJhbGciOiJub25lIn0.e30.c2ln",
       JwtStatus::kJwtHeaderNotImplementedAlg, "Jwt header [alg] is not supported"},
      {"tampered_signature", "verify.cc: a key matched kid/alg but the signature fails", tampered,
       JwtStatus::kJwtVerificationFail, "Jwt verification fails"},
      {"unknown_issuer", "authenticator.cc: isIssuerAllowed false -> JwtUnknownIssuer",
       rsa().sign(claims({{"iss", "someone-else"}})), JwtStatus::kJwtUnknownIssuer, "Jwt issuer is not configured"},
      {"expired_beyond_skew", "jwt.cc verifyTimeConstraint: now > exp + 60 s (kClockSkewInSecond)",
       rsa().sign(claims({{"exp", kNow - 61}})), JwtStatus::kJwtExpired, "Jwt is expired"},
      {"expired_within_skew", "jwt.cc verifyTimeConstraint: 60 s clock skew", rsa().sign(claims({{"exp", kNow - 30}})),
       JwtStatus::kOk, ""},
      {"not_yet_valid", "jwt.cc verifyTimeConstraint: now + 60 s < nbf", rsa().sign(claims({{"nbf", kNow + 120}})),
       JwtStatus::kJwtNotYetValid, "Jwt not yet valid"},
      {"exp_not_integer", "jwt.cc: GetInt64(exp) WRONG_TYPE", rsa().sign(claims({{"exp", "tomorrow"}})),
       JwtStatus::kJwtPayloadParseErrorExpNotInteger, "Jwt payload [exp] field is not an integer"},
      {"kid_not_in_jwks", "verify.cc: no key with the token's kid -> JwksKidAlgMismatch", rsa().sign(claims(), &other_kid),
       JwtStatus::kJwksKidAlgMismatch, "Jwks doesn't have key to match kid or alg from Jwt"},
  };
}

INSTANTIATE_TEST_SUITE_P(Envoy, JwtStatusTable, ::testing::ValuesIn(status_rows()),
                         [](const auto& info) { return std::string(info.param.name); });

// Envoy filter.cc onComplete: the local reply carries a Bearer challenge
// naming the original URI (Http::Utility::buildOriginalUri).
TEST(JwtAuthn, FailureReplyCarriesBearerChallenge) {
  HttpRequest req = request_with("authorization", "Bearer invalidToken");
  JwtAuthnResult result = run(rule_with_keys(), req);
  HttpResponse reply = jwt_failure_reply(result.status, req);
  EXPECT_EQ(reply.headers.get("www-authenticate").value_or(""),
            R"(Bearer realm="http://httpbin.foo:8000/headers", error="invalid_token")");
}

// request_authentication.proto forwardOriginalToken: "Default is false";
// authenticator.cc handleGoodJwt removes the token's header otherwise.
TEST(JwtAuthn, VerifiedTokenIsRemovedUnlessForwarded) {
  std::string token = rsa().sign(claims());
  HttpRequest removed = request_with("authorization", "Bearer " + token);
  ASSERT_EQ(run(rule_with_keys(), removed).status, JwtStatus::kOk);
  EXPECT_FALSE(removed.headers.has("authorization"));

  JwtRule forward = rule_with_keys();
  forward.forward_original_token = true;
  HttpRequest kept = request_with("authorization", "Bearer " + token);
  ASSERT_EQ(run(forward, kept).status, JwtStatus::kOk);
  EXPECT_EQ(kept.headers.get("authorization").value_or(""), "Bearer " + token);
}

// The identity later filters see (Istio request.auth.principal, .audiences, .presenter).
TEST(JwtAuthn, RequestIdentityIsIssuerSlashSubject) {
  HttpRequest req = request_with("authorization", "Bearer " + rsa().sign(claims({{"aud", "bookstore"}, {"azp", "web"}})));
  JwtAuthnResult result = run(rule_with_keys(), req);
  ASSERT_TRUE(result.auth);
  // authz-jwt task: "Istio constructs the requestPrincipal by combining the iss and sub of the JWT token with a / separator".
  EXPECT_EQ(result.auth->principal, kIssuer + "/alice");
  EXPECT_EQ(result.auth->audiences, std::vector<std::string>{"bookstore"});
  EXPECT_EQ(result.auth->presenter, "web");
}

// extractor.cc default locations: Authorization "Bearer ", then the
// access_token query parameter, which is removed from the path once verified.
TEST(JwtAuthn, AccessTokenQueryParameterIsTheSecondDefaultLocation) {
  HttpRequest req = request_with("", "", "/headers?x=1&access_token=" + rsa().sign(claims()) + "&y=2");
  JwtAuthnResult result = run(rule_with_keys(), req);
  EXPECT_EQ(result.status, JwtStatus::kOk);
  ASSERT_TRUE(result.auth);
  EXPECT_EQ(req.target, "/headers?x=1&y=2");
}

// A header without the prefix holds no token for that location (extractor.cc
// "value_prefix not found anywhere in value_str, so skip"): the request is
// tokenless and allowed.
TEST(JwtAuthn, BasicCredentialsAreNotAToken) {
  HttpRequest req = request_with("authorization", "Basic dXNlcjpwYXNz");
  JwtAuthnResult result = run(rule_with_keys(), req);
  EXPECT_EQ(result.status, JwtStatus::kOk);
  EXPECT_FALSE(result.auth);
}

// JWTRule.fromHeaders / fromParams replace the default locations
// (extractor.cc addProvider: defaults only when none is given).
TEST(JwtAuthn, FromHeadersAndFromParamsReplaceTheDefaults) {
  JwtRule rule = rule_with_keys();
  rule.from_headers = {{"x-jwt-assertion", ""}, {"x-auth", "Token "}};
  rule.from_params = {"my_token"};
  std::string token = rsa().sign(claims());
  HttpRequest in_header = request_with("x-jwt-assertion", token);
  EXPECT_TRUE(run(rule, in_header).auth);
  HttpRequest prefixed = request_with("x-auth", "Token " + token);
  EXPECT_TRUE(run(rule, prefixed).auth);
  HttpRequest in_param = request_with("", "", "/p?my_token=" + token);
  EXPECT_TRUE(run(rule, in_param).auth);
  HttpRequest bearer = request_with("authorization", "Bearer " + token);  // no longer a location
  JwtAuthnResult r = run(rule, bearer);
  EXPECT_EQ(r.status, JwtStatus::kOk);
  EXPECT_FALSE(r.auth);
}

// outputPayloadToHeader -> forward_payload_header (unpadded base64url, Istio
// sets no pad_forward_payload_header); outputClaimToHeaders ->
// claim_to_headers (authenticator.cc addJWTClaimToHeader: strings, integers,
// booleans; nested claims by '.'); both are first removed from the incoming
// request (extractor.cc sanitizeHeaders).
TEST(JwtAuthn, PayloadAndClaimsGoToHeaders) {
  JwtRule rule = rule_with_keys();
  rule.output_payload_to_header = "x-jwt-payload";
  rule.output_claim_to_headers = {{"x-jwt-sub", "sub"}, {"x-jwt-level", "org.level"}, {"x-jwt-admin", "admin"}};
  std::string token = rsa().sign(claims({{"org", {{"level", 3}}}, {"admin", true}}));
  HttpRequest req = request_with("authorization", "Bearer " + token);
  req.headers.add("x-jwt-sub", "forged");
  ASSERT_EQ(run(rule, req).status, JwtStatus::kOk);
  std::string payload = token.substr(token.find('.') + 1);
  payload = payload.substr(0, payload.find('.'));
  EXPECT_EQ(req.headers.get("x-jwt-payload").value_or(""), payload);
  EXPECT_EQ(req.headers.get_joined("x-jwt-sub").value_or(""), "alice");
  EXPECT_EQ(req.headers.get("x-jwt-level").value_or(""), "3");
  EXPECT_EQ(req.headers.get("x-jwt-admin").value_or(""), "true");
}

// check_audience.cc: any token audience in the configured list, ignoring
// scheme and trailing slash; a mismatch is 403 (filter.cc onComplete).
TEST(JwtAuthn, AudiencesMustIntersect) {
  JwtRule rule = rule_with_keys();
  rule.audiences = {"https://bookstore.example.com/"};
  HttpRequest ok = request_with("authorization", "Bearer " + rsa().sign(claims({{"aud", {"x", "bookstore.example.com"}}})));
  EXPECT_EQ(run(rule, ok).status, JwtStatus::kOk);
  HttpRequest bad = request_with("authorization", "Bearer " + rsa().sign(claims({{"aud", "other"}})));
  JwtAuthnResult r = run(rule, bad);
  EXPECT_EQ(r.status, JwtStatus::kJwtAudienceNotAllowed);
  EXPECT_EQ(jwt_failure_reply(r.status, bad).status, 403);
}

// jwks_resolver.go CreateFakeJwks: with only a jwksUri (not fetched
// offline) every token fails, a tokenless request still passes.
TEST(JwtAuthn, UnfetchedJwksUriRejectsEveryToken) {
  JwtRule rule;
  rule.issuer = kIssuer;
  rule.jwks_uri = "https://example.test/.well-known/jwks.json";
  HttpRequest token = request_with("authorization", "Bearer " + rsa().sign(claims()));
  EXPECT_EQ(run(rule, token).status, JwtStatus::kJwksKidAlgMismatch);  // the fake key's kid is "abc"
  // Without a kid every key is tried (verify.cc), and the fake one verifies nothing.
  std::string signed_token = rsa().sign(claims());
  std::string kidless_token = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9" + signed_token.substr(signed_token.find('.'));
  HttpRequest kidless = request_with("authorization", "Bearer " + kidless_token);
  EXPECT_EQ(run(rule, kidless).status, JwtStatus::kJwtVerificationFail);
  HttpRequest none = request_with("", "");
  EXPECT_EQ(run(rule, none).status, JwtStatus::kOk);
}

// verify.cc verifySignatureEC: ES256 tokens verify against EC keys.
TEST(JwtAuthn, Es256) {
  static testing::JwtSigner ec("ec-key-1", testing::JwtSigner::Kind::kEcP256);
  HttpRequest req = request_with("authorization", "Bearer " + ec.sign(claims()));
  EXPECT_EQ(run(rule_with_keys(ec.jwks()), req).status, JwtStatus::kOk);
}

// policy_applier.go: several providers become requires_any {P1, P2,
// requires_all {any{P1, allow_missing}, any{P2, allow_missing}}}: a token of
// either issuer passes, one of neither fails as JwtUnknownIssuer
// (verifier.cc AnyVerifierImpl prefers it over JwtMissed).
TEST(JwtAuthn, TwoIssuers) {
  static testing::JwtSigner second("second-key");
  RequestAuthentication ra = policy(rule_with_keys());
  JwtRule other;
  other.issuer = "second@example.test";
  other.jwks = second.jwks();
  ra.jwt_rules.push_back(other);
  auto providers = compile_jwt_providers({&ra});
  HttpRequest a = request_with("authorization", "Bearer " + rsa().sign(claims()));
  EXPECT_EQ(authenticate_jwt(providers, a, kNow).status, JwtStatus::kOk);
  HttpRequest b = request_with("authorization", "Bearer " + second.sign(claims({{"iss", "second@example.test"}})));
  JwtAuthnResult rb = authenticate_jwt(providers, b, kNow);
  EXPECT_EQ(rb.status, JwtStatus::kOk);
  ASSERT_TRUE(rb.auth);
  EXPECT_EQ(rb.auth->principal, "second@example.test/alice");
  HttpRequest c = request_with("authorization", "Bearer " + rsa().sign(claims({{"iss", "third"}})));
  EXPECT_EQ(authenticate_jwt(providers, c, kNow).status, JwtStatus::kJwtUnknownIssuer);
  HttpRequest none = request_with("", "");
  EXPECT_EQ(authenticate_jwt(providers, none, kNow).status, JwtStatus::kOk);
}

// filter.cc decodeHeaders: Istio sets bypass_cors_preflight.
TEST(JwtAuthn, CorsPreflightBypassesTheCheck) {
  HttpRequest req = request_with("authorization", "Bearer invalidToken");
  req.method = "OPTIONS";
  req.headers.add("origin", "https://a.example");
  req.headers.add("access-control-request-method", "GET");
  EXPECT_EQ(run(rule_with_keys(), req).status, JwtStatus::kOk);
}

// policy_applier.go buildSpaceDelimitedClaims: scope and permission are
// split into lists for request.auth.claims matching.
TEST(JwtAuthn, ScopeIsSpaceDelimited) {
  HttpRequest req = request_with("authorization", "Bearer " + rsa().sign(claims({{"scope", "read write"}})));
  JwtAuthnResult r = run(rule_with_keys(), req);
  ASSERT_TRUE(r.auth);
  EXPECT_EQ(r.auth->claims["scope"], json::array({"read", "write"}));
}

// jwks.cc: a key set that is not JSON / has no keys cannot verify anything.
TEST(JwtKeySet, BadSetsAreReported) {
  EXPECT_EQ(JwtKeySet::create("not json")->status(), JwtStatus::kJwksParseError);
  EXPECT_EQ(JwtKeySet::create("{}")->status(), JwtStatus::kJwksNoKeys);
  EXPECT_EQ(JwtKeySet::create(R"({"keys":{}})")->status(), JwtStatus::kJwksBadKeys);
  EXPECT_EQ(JwtKeySet::create(R"({"keys":[{"kty":"RSA"}]})")->status(), JwtStatus::kJwksNoValidKeys);
  EXPECT_EQ(JwtKeySet::create(rsa().jwks())->status(), JwtStatus::kOk);
}

}  // namespace
}  // namespace meshsim::proxy
