// Envoy's jwt_authn filter as Istio configures it from RequestAuthentication
// (pilot/pkg/security/authn/policy_applier.go convertToEnvoyJwtConfig):
// one provider per jwtRule, sorted by issuer, and the requirement
// "a token, if present, must be valid; none is fine" (requires_any
// {provider, allow_missing}; with several providers the OR of each provider
// and the AND of {provider OR allow_missing}). Token parsing, time, issuer
// and audience checks follow google/jwt_verify_lib (jwt.cc, verify.cc,
// check_audience.cc) and Envoy's authenticator.cc/extractor.cc/verifier.cc;
// the signature itself is checked by librhonabwy against the inline JWKS.
// Compiled once per snapshot (JwtProviders), evaluated per request.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy_core/http.h"
#include "proxy_core/resources.h"

namespace meshsim::proxy {

// jwt_verify_lib's Status values that meshsim can produce; the text is
// getStatusString (src/status.cc), which Envoy sends as the 401/403 body.
enum class JwtStatus {
  kOk,
  kJwtMissed,
  kJwtNotYetValid,
  kJwtExpired,
  kJwtBadFormat,
  kJwtHeaderParseErrorBadBase64,
  kJwtHeaderParseErrorBadJson,
  kJwtHeaderBadAlg,
  kJwtHeaderNotImplementedAlg,
  kJwtHeaderBadKid,
  kJwtPayloadParseErrorBadBase64,
  kJwtPayloadParseErrorBadJson,
  kJwtPayloadParseErrorIssNotString,
  kJwtPayloadParseErrorSubNotString,
  kJwtPayloadParseErrorIatNotInteger,
  kJwtPayloadParseErrorNbfNotInteger,
  kJwtPayloadParseErrorExpNotInteger,
  kJwtPayloadParseErrorJtiNotString,
  kJwtPayloadParseErrorAudNotString,
  kJwtSignatureParseErrorBadBase64,
  kJwtUnknownIssuer,
  kJwtAudienceNotAllowed,
  kJwtVerificationFail,
  kJwksParseError,
  kJwksNoKeys,
  kJwksBadKeys,
  kJwksNoValidKeys,
  kJwksKidAlgMismatch,
};
std::string_view jwt_status_string(JwtStatus status);

// What a verified token tells later filters (Istio's request.auth.*
// attributes): principal "<iss>/<sub>", audiences, presenter (azp), claims.
struct RequestAuth {
  std::string principal;
  std::vector<std::string> audiences;
  std::string presenter;
  nlohmann::json claims = nlohmann::json::object();  // the payload, space-delimited claims split into lists
};

// A JWKS compiled once: each key's kid/alg/kty (for jwt_verify_lib's key
// selection) and the librhonabwy key that checks signatures.
class JwtKeySet {
 public:
  // Parses a JWKS JSON text as jwt_verify_lib jwks.cc does: invalid keys are
  // skipped; a set left without keys is JwksNoValidKeys.
  static std::shared_ptr<const JwtKeySet> create(const std::string& jwks_json);
  ~JwtKeySet();
  JwtKeySet(const JwtKeySet&) = delete;
  JwtKeySet& operator=(const JwtKeySet&) = delete;
  JwtStatus status() const { return status_; }
  size_t size() const { return keys_.size(); }

  struct Key {
    std::string kid, alg, kty;
    void* jwk = nullptr;  // librhonabwy's jwk_t, owned; null when it could not import the key (verifies nothing)
  };
  const std::vector<Key>& keys() const { return keys_; }

 private:
  JwtKeySet() = default;
  JwtStatus status_ = JwtStatus::kOk;
  std::vector<Key> keys_;
};

// The key set Istio hands Envoy when istiod cannot fetch a jwksUri
// (pilot/pkg/model/jwks_resolver.go CreateFakeJwks): one RSA key, kid "abc",
// that verifies nothing, so every token fails while a tokenless request passes.
std::string istio_fake_jwks(std::string_view jwks_uri);

// One jwtRule compiled into an Envoy JwtProvider.
struct JwtProvider {
  std::string issuer;
  std::vector<std::string> audiences;
  std::shared_ptr<const JwtKeySet> keys;
  std::vector<JwtHeaderLocation> from_headers;  // Authorization "Bearer " when no location is given
  std::vector<std::string> from_params;         // access_token when no location is given
  bool forward = false;
  std::string forward_payload_header;
  std::vector<ClaimToHeader> claim_to_headers;
  std::vector<std::string> space_delimited_claims;  // always includes scope and permission
  std::string source;  // "RequestAuthentication ns/name jwtRules[i]"
};

// The providers of every RequestAuthentication that selects a workload,
// sorted by issuer as Istio sorts its rules.
std::vector<JwtProvider> compile_jwt_providers(const std::vector<const RequestAuthentication*>& policies);

struct JwtAuthnResult {
  JwtStatus status = JwtStatus::kOk;  // not kOk: the request is rejected
  std::optional<RequestAuth> auth;    // set when a token was verified
};

// Runs the filter on `request` at Unix time `now_s`: verifies the tokens,
// removes verified tokens unless forwarded, sets the payload and claim
// headers. A failure leaves the request as it was.
JwtAuthnResult authenticate_jwt(const std::vector<JwtProvider>& providers, HttpRequest& request, int64_t now_s);

// Envoy's reply to a failed check (jwt_authn filter.cc onComplete): 401, or
// 403 for JwtAudienceNotAllowed, the status text as body, and
// `www-authenticate: Bearer realm="<original uri>", error="invalid_token"`.
HttpResponse jwt_failure_reply(JwtStatus status, const HttpRequest& request);

}  // namespace meshsim::proxy
