#include "proxy_core/jwt_authn.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "proxy_core/hosts.h"
#include "proxy_core/rhonabwy_library.h"

namespace meshsim::proxy {

using nlohmann::json;

std::string_view jwt_status_string(JwtStatus status) {
  // google/jwt_verify_lib src/status.cc getStatusString.
  switch (status) {
    case JwtStatus::kOk: return "OK";
    case JwtStatus::kJwtMissed: return "Jwt is missing";
    case JwtStatus::kJwtNotYetValid: return "Jwt not yet valid";
    case JwtStatus::kJwtExpired: return "Jwt is expired";
    case JwtStatus::kJwtBadFormat: return "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections";
    case JwtStatus::kJwtHeaderParseErrorBadBase64: return "Jwt header is an invalid Base64url encoded";
    case JwtStatus::kJwtHeaderParseErrorBadJson: return "Jwt header is an invalid JSON";
    case JwtStatus::kJwtHeaderBadAlg: return "Jwt header [alg] field is required and must be a string";
    case JwtStatus::kJwtHeaderNotImplementedAlg: return "Jwt header [alg] is not supported";
    case JwtStatus::kJwtHeaderBadKid: return "Jwt header [kid] field is not a string";
    case JwtStatus::kJwtPayloadParseErrorBadBase64: return "Jwt payload is an invalid Base64url encoded";
    case JwtStatus::kJwtPayloadParseErrorBadJson: return "Jwt payload is an invalid JSON";
    case JwtStatus::kJwtPayloadParseErrorIssNotString: return "Jwt payload [iss] field is not a string";
    case JwtStatus::kJwtPayloadParseErrorSubNotString: return "Jwt payload [sub] field is not a string";
    case JwtStatus::kJwtPayloadParseErrorIatNotInteger: return "Jwt payload [iat] field is not an integer";
    case JwtStatus::kJwtPayloadParseErrorNbfNotInteger: return "Jwt payload [nbf] field is not an integer";
    case JwtStatus::kJwtPayloadParseErrorExpNotInteger: return "Jwt payload [exp] field is not an integer";
    case JwtStatus::kJwtPayloadParseErrorJtiNotString: return "Jwt payload [jti] field is not a string";
    case JwtStatus::kJwtPayloadParseErrorAudNotString: return "Jwt payload [aud] field is not a string or string list";
    case JwtStatus::kJwtSignatureParseErrorBadBase64: return "Jwt signature is an invalid Base64url encoded";
    case JwtStatus::kJwtUnknownIssuer: return "Jwt issuer is not configured";
    case JwtStatus::kJwtAudienceNotAllowed: return "Audiences in Jwt are not allowed";
    case JwtStatus::kJwtVerificationFail: return "Jwt verification fails";
    case JwtStatus::kJwksParseError: return "Jwks is an invalid JSON";
    case JwtStatus::kJwksNoKeys: return "Jwks does not have [keys] field";
    case JwtStatus::kJwksBadKeys: return "[keys] in Jwks is not an array";
    case JwtStatus::kJwksNoValidKeys: return "Jwks doesn't have any valid public key";
    case JwtStatus::kJwksKidAlgMismatch: return "Jwks doesn't have key to match kid or alg from Jwt";
  }
  return "";
}

namespace {

// RFC 4648 §5 alphabet; '=' padding accepted, as absl::WebSafeBase64Unescape does.
std::optional<std::string> base64url_decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

// jwt.cc isImplemented.
bool alg_implemented(std::string_view alg) {
  static constexpr std::string_view kAlgs[] = {"ES256", "ES384", "ES512", "HS256", "HS384", "HS512", "RS256",
                                               "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"};
  return std::find(std::begin(kAlgs), std::end(kAlgs), alg) != std::end(kAlgs);
}

struct ParsedJwt {
  std::string header_b64, payload_b64;
  std::string alg, kid, iss, sub;
  int64_t nbf = 0, exp = 0;
  std::vector<std::string> audiences;
  json payload;
};

// An integer claim as struct_utils GetInt64 reads it: absent is fine, a
// non-number is WRONG_TYPE.
bool read_int(const json& j, const char* key, int64_t& out) {
  auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_number()) return false;
  out = it->is_number_float() ? static_cast<int64_t>(it->get<double>()) : it->get<int64_t>();
  return true;
}

bool read_string(const json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

// jwt_verify_lib src/jwt.cc Jwt::parseFromString, step by step.
JwtStatus parse_jwt(const std::string& token, ParsedJwt& out) {
  if (std::count(token.begin(), token.end(), '.') != 2) return JwtStatus::kJwtBadFormat;
  size_t d1 = token.find('.'), d2 = token.find('.', d1 + 1);
  std::string_view parts[3] = {std::string_view(token).substr(0, d1), std::string_view(token).substr(d1 + 1, d2 - d1 - 1),
                               std::string_view(token).substr(d2 + 1)};
  // absl::StrSplit(..., SkipEmpty()) must leave three parts.
  for (auto p : parts)
    if (p.empty()) return JwtStatus::kJwtBadFormat;
  out.header_b64 = parts[0];
  auto header_text = base64url_decode(parts[0]);
  if (!header_text) return JwtStatus::kJwtHeaderParseErrorBadBase64;
  json header = json::parse(*header_text, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return JwtStatus::kJwtHeaderParseErrorBadJson;
  if (!header.contains("alg") || !header["alg"].is_string()) return JwtStatus::kJwtHeaderBadAlg;
  out.alg = header["alg"].get<std::string>();
  if (!alg_implemented(out.alg)) return JwtStatus::kJwtHeaderNotImplementedAlg;
  if (!read_string(header, "kid", out.kid)) return JwtStatus::kJwtHeaderBadKid;
  out.payload_b64 = parts[1];
  auto payload_text = base64url_decode(parts[1]);
  if (!payload_text) return JwtStatus::kJwtPayloadParseErrorBadBase64;
  out.payload = json::parse(*payload_text, nullptr, false);
  if (out.payload.is_discarded() || !out.payload.is_object()) return JwtStatus::kJwtPayloadParseErrorBadJson;
  if (!read_string(out.payload, "iss", out.iss)) return JwtStatus::kJwtPayloadParseErrorIssNotString;
  if (!read_string(out.payload, "sub", out.sub)) return JwtStatus::kJwtPayloadParseErrorSubNotString;
  int64_t iat = 0;
  if (!read_int(out.payload, "iat", iat)) return JwtStatus::kJwtPayloadParseErrorIatNotInteger;
  if (!read_int(out.payload, "nbf", out.nbf)) return JwtStatus::kJwtPayloadParseErrorNbfNotInteger;
  if (!read_int(out.payload, "exp", out.exp)) return JwtStatus::kJwtPayloadParseErrorExpNotInteger;
  std::string jti;
  if (!read_string(out.payload, "jti", jti)) return JwtStatus::kJwtPayloadParseErrorJtiNotString;
  if (auto aud = out.payload.find("aud"); aud != out.payload.end()) {
    if (aud->is_string()) {
      out.audiences.push_back(aud->get<std::string>());
    } else if (aud->is_array()) {
      for (const auto& a : *aud) {
        if (!a.is_string()) return JwtStatus::kJwtPayloadParseErrorAudNotString;
        out.audiences.push_back(a.get<std::string>());
      }
    } else {
      return JwtStatus::kJwtPayloadParseErrorAudNotString;
    }
  }
  if (!base64url_decode(parts[2])) return JwtStatus::kJwtSignatureParseErrorBadBase64;
  return JwtStatus::kOk;
}

// jwt.cc verifyTimeConstraint with the default 60 s clock skew
// (kClockSkewInSecond; Istio sets no clock_skew_seconds).
JwtStatus verify_time(const ParsedJwt& jwt, int64_t now_s) {
  constexpr int64_t kClockSkewS = 60;
  if (now_s + kClockSkewS < jwt.nbf) return JwtStatus::kJwtNotYetValid;
  if (jwt.exp != 0 && now_s > jwt.exp + kClockSkewS) return JwtStatus::kJwtExpired;
  return JwtStatus::kOk;
}

// check_audience.cc: "http://"/"https://" and one trailing "/" are ignored.
std::string sanitize_audience(std::string aud) {
  for (std::string_view scheme : {"http://", "https://"})
    if (aud.starts_with(scheme)) {
      aud.erase(0, scheme.size());
      break;
    }
  if (!aud.empty() && aud.back() == '/') aud.pop_back();
  return aud;
}

bool audiences_allowed(const std::vector<std::string>& configured, const std::vector<std::string>& jwt_audiences) {
  if (configured.empty()) return true;
  for (const auto& a : jwt_audiences)
    for (const auto& c : configured)
      if (sanitize_audience(a) == sanitize_audience(c)) return true;
  return false;
}

}  // namespace

// ------------------------------------------------------------- key sets
JwtKeySet::~JwtKeySet() {
  for (auto& k : keys_)
    if (k.jwk != nullptr) rhonabwy().jwk_free(static_cast<jwk_t*>(k.jwk));
}

std::shared_ptr<const JwtKeySet> JwtKeySet::create(const std::string& jwks_json) {
  std::shared_ptr<JwtKeySet> set(new JwtKeySet);
  json j = json::parse(jwks_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    set->status_ = JwtStatus::kJwksParseError;
    return set;
  }
  if (!j.contains("keys")) {
    set->status_ = JwtStatus::kJwksNoKeys;
    return set;
  }
  if (!j["keys"].is_array()) {
    set->status_ = JwtStatus::kJwksBadKeys;
    return set;
  }
  for (const json& k : j["keys"]) {
    // jwks.cc: a key needs a string kty of a kind it implements, and the
    // fields of that kind; alg, when given, must fit the kind.
    if (!k.is_object() || !k.contains("kty") || !k["kty"].is_string()) continue;
    Key key;
    key.kty = k["kty"].get<std::string>();
    if (k.contains("kid") && k["kid"].is_string()) key.kid = k["kid"].get<std::string>();
    if (k.contains("alg") && k["alg"].is_string()) key.alg = k["alg"].get<std::string>();
    auto has_string = [&](const char* f) { return k.contains(f) && k[f].is_string(); };
    bool valid = false;
    if (key.kty == "RSA") valid = has_string("n") && has_string("e") && (key.alg.empty() || key.alg.starts_with("RS") || key.alg.starts_with("PS"));
    else if (key.kty == "EC") valid = has_string("x") && has_string("y") && (key.alg.empty() || key.alg.starts_with("ES"));
    else if (key.kty == "oct") valid = has_string("k") && (key.alg.empty() || key.alg.starts_with("HS"));
    else if (key.kty == "OKP") valid = has_string("x") && (key.alg.empty() || key.alg == "EdDSA");
    if (!valid) continue;
    jwk_t* jwk = nullptr;
    const RhonabwyLibrary& lib = rhonabwy();
    if (lib.loaded() && lib.jwk_init(&jwk) == RHN_OK && lib.jwk_import_from_json_str(jwk, k.dump().c_str()) != RHN_OK) {
      lib.jwk_free(jwk);
      jwk = nullptr;
    }
    key.jwk = jwk;
    set->keys_.push_back(std::move(key));
  }
  if (set->keys_.empty()) set->status_ = JwtStatus::kJwksNoValidKeys;
  return set;
}

std::string istio_fake_jwks(std::string_view jwks_uri) {
  std::string fake = "Error-IstiodFailedToFetchJwksUri-" + std::string(jwks_uri);
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string n;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : fake) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      n.push_back(kAlphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) n.push_back(kAlphabet[(acc << (6 - bits)) & 0x3F]);
  return R"({"keys":[ {"e":"AQAB","kid":"abc","kty":"RSA","n":")" + n + R"("}]})";
}

namespace {

// verify.cc verifyJwtWithoutTimeChecking: keys whose kid (when both have
// one) and alg (when the key has one) fit; none -> JwksKidAlgMismatch.
JwtStatus verify_signature(const std::string& token, const ParsedJwt& jwt, const JwtKeySet& keys) {
  if (keys.status() != JwtStatus::kOk) return keys.status();
  bool kid_alg_matched = false;
  const RhonabwyLibrary& lib = rhonabwy();
  jws_t* jws = nullptr;
  bool parsed = lib.loaded() && lib.jws_init(&jws) == RHN_OK &&
                lib.jws_advanced_compact_parsen(jws, token.data(), token.size(), R_PARSE_NONE, R_FLAG_IGNORE_REMOTE) == RHN_OK;
  JwtStatus result = JwtStatus::kJwtVerificationFail;
  for (const auto& key : keys.keys()) {
    if (!jwt.kid.empty() && !key.kid.empty() && key.kid != jwt.kid) continue;
    if (!key.alg.empty() && key.alg != jwt.alg) continue;
    kid_alg_matched = true;
    bool kind_fits = (key.kty == "RSA" && (jwt.alg.starts_with("RS") || jwt.alg.starts_with("PS"))) ||
                     (key.kty == "EC" && jwt.alg.starts_with("ES")) || (key.kty == "oct" && jwt.alg.starts_with("HS")) ||
                     (key.kty == "OKP" && jwt.alg == "EdDSA");
    if (parsed && kind_fits && key.jwk != nullptr && lib.jws_verify_signature(jws, static_cast<jwk_t*>(key.jwk), R_FLAG_IGNORE_REMOTE) == RHN_OK) {
      result = JwtStatus::kOk;
      break;
    }
  }
  if (jws != nullptr) lib.jws_free(jws);
  if (result == JwtStatus::kOk) return result;
  return kid_alg_matched ? JwtStatus::kJwtVerificationFail : JwtStatus::kJwksKidAlgMismatch;
}

// One token found in the request, and how to take it out again.
struct TokenLocation {
  std::string token;
  std::string header;  // the header it came from, or empty
  std::string param;   // the query parameter it came from, or empty
};

// extractor.cc ExtractorImpl::extract for one provider: header locations
// (each value of the header holding the prefix; the token starts at the
// first base64url character after it), then query parameters.
std::vector<TokenLocation> extract_tokens(const JwtProvider& p, const HttpRequest& request) {
  std::vector<TokenLocation> out;
  static constexpr std::string_view kTokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
  for (const auto& loc : p.from_headers) {
    for (const auto& h : request.headers.all()) {
      if (!iequals(h.name, loc.name)) continue;
      std::string_view value = h.value;
      if (!loc.prefix.empty()) {
        auto pos = value.find(loc.prefix);
        if (pos == std::string_view::npos) continue;
        auto start = value.find_first_of(kTokenChars, pos + loc.prefix.size());
        if (start != std::string_view::npos) value = value.substr(start);
      }
      out.push_back({std::string(value), to_lower(loc.name), ""});
    }
  }
  for (const auto& param : p.from_params)
    if (auto v = query_param(request.query(), param)) out.push_back({std::string(*v), "", param});
  return out;
}

void remove_token(HttpRequest& request, const TokenLocation& loc) {
  if (!loc.header.empty()) {
    request.headers.remove(loc.header);
    return;
  }
  // extractor.cc JwtParamLocation::removeJwt: the parameter leaves the query.
  std::string_view query = request.query();
  std::string kept;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::string_view name = pair.substr(0, pair.find('='));
    if (name != loc.param) kept += (kept.empty() ? "" : "&") + std::string(pair);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  std::string path(request.path());
  request.target = kept.empty() ? path : path + "?" + kept;
}

// authenticator.cc addJWTClaimToHeader: strings as they are, integers
// without a fraction, booleans as true/false; other kinds add nothing.
std::optional<std::string> claim_as_header(const json& payload, const std::string& claim) {
  const json* at = &payload;
  std::string_view rest = claim;
  while (true) {  // StructUtils::GetValue walks nested claims separated by '.'
    auto dot = rest.find('.');
    std::string key(rest.substr(0, dot));
    if (!at->is_object() || !at->contains(key)) return std::nullopt;
    at = &(*at)[key];
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
  }
  if (at->is_string()) return at->get<std::string>();
  if (at->is_boolean()) return at->get<bool>() ? "true" : "false";
  if (at->is_number_integer() || at->is_number_unsigned()) return at->dump();
  if (at->is_number_float()) {
    double v = at->get<double>(), whole;
    if (v >= 0 && std::modf(v, &whole) == 0 && v < 1.8e19) return std::to_string(static_cast<uint64_t>(v));
    return std::to_string(v);
  }
  return std::nullopt;
}

RequestAuth request_auth_of(const ParsedJwt& jwt, const JwtProvider& p) {
  RequestAuth auth;
  auth.principal = jwt.iss + "/" + jwt.sub;
  auth.audiences = jwt.audiences;
  if (auto azp = jwt.payload.find("azp"); azp != jwt.payload.end() && azp->is_string()) auth.presenter = azp->get<std::string>();
  auth.claims = jwt.payload;
  // normalize_payload_in_metadata.space_delimited_claims: "a b" -> ["a", "b"].
  for (const auto& name : p.space_delimited_claims) {
    auto it = auth.claims.find(name);
    if (it == auth.claims.end() || !it->is_string()) continue;
    json list = json::array();
    std::string_view s = it->get_ref<const std::string&>();
    while (!s.empty()) {
      auto sp = s.find(' ');
      if (sp != 0) list.push_back(std::string(s.substr(0, sp)));
      if (sp == std::string_view::npos) break;
      s = s.substr(sp + 1);
    }
    *it = std::move(list);
  }
  return auth;
}

// One provider's verifier (verifier.cc ProviderVerifierImpl + authenticator.cc):
// every token in its locations must verify; the last found is checked first.
JwtStatus verify_provider(const JwtProvider& p, HttpRequest& request, int64_t now_s, std::optional<RequestAuth>& auth) {
  // extractor.cc sanitizeHeaders: a client cannot forge the output headers.
  if (!p.forward_payload_header.empty()) request.headers.remove(p.forward_payload_header);
  for (const auto& c : p.claim_to_headers) request.headers.remove(c.header);
  std::vector<TokenLocation> tokens = extract_tokens(p, request);
  if (tokens.empty()) return JwtStatus::kJwtMissed;
  while (!tokens.empty()) {
    TokenLocation loc = std::move(tokens.back());
    tokens.pop_back();
    ParsedJwt jwt;
    JwtStatus s = parse_jwt(loc.token, jwt);
    // The location's issuer checker: an empty issuer allows every issuer.
    if (s == JwtStatus::kOk && !p.issuer.empty() && jwt.iss != p.issuer) s = JwtStatus::kJwtUnknownIssuer;
    if (s == JwtStatus::kOk) s = verify_time(jwt, now_s);
    if (s == JwtStatus::kOk && !audiences_allowed(p.audiences, jwt.audiences)) s = JwtStatus::kJwtAudienceNotAllowed;
    if (s == JwtStatus::kOk) s = p.keys ? verify_signature(loc.token, jwt, *p.keys) : JwtStatus::kJwksNoValidKeys;
    if (s != JwtStatus::kOk) return s;
    // authenticator.cc handleGoodJwt.
    if (!p.forward_payload_header.empty())
      request.headers.add(p.forward_payload_header, jwt.payload_b64);  // unpadded: Istio sets no pad_forward_payload_header
    for (const auto& c : p.claim_to_headers)
      if (auto v = claim_as_header(jwt.payload, c.claim); v && !v->empty()) request.headers.add(c.header, *v);
    if (!p.forward) remove_token(request, loc);
    auth = request_auth_of(jwt, p);
  }
  return JwtStatus::kOk;
}

// verifier.cc AnyVerifierImpl::onComplete: OK if a child is; otherwise an
// error other than JwtMissed/JwtUnknownIssuer wins, JwtUnknownIssuer beats
// JwtMissed; allow_missing turns JwtMissed into OK.
JwtStatus any_of(const std::vector<JwtStatus>& children, bool allow_missing) {
  JwtStatus final_status = JwtStatus::kJwtMissed;
  for (JwtStatus s : children) {
    if (s == JwtStatus::kOk) return s;
    if ((s != JwtStatus::kJwtMissed && s != JwtStatus::kJwtUnknownIssuer) || final_status == JwtStatus::kJwtMissed)
      final_status = s;
  }
  if (allow_missing && final_status == JwtStatus::kJwtMissed) return JwtStatus::kOk;
  return final_status;
}

}  // namespace

std::vector<JwtProvider> compile_jwt_providers(const std::vector<const RequestAuthentication*>& policies) {
  std::vector<JwtProvider> out;
  for (const auto* ra : policies) {
    for (size_t i = 0; i < ra->jwt_rules.size(); ++i) {
      const JwtRule& rule = ra->jwt_rules[i];
      JwtProvider p;
      p.issuer = rule.issuer;
      p.audiences = rule.audiences;
      // Inline keys win; a jwksUri meshsim cannot fetch gets Istio's fake key set.
      p.keys = JwtKeySet::create(!rule.jwks.empty() ? rule.jwks : istio_fake_jwks(rule.jwks_uri));
      p.from_headers = rule.from_headers;
      p.from_params = rule.from_params;
      if (rule.from_headers.empty() && rule.from_params.empty() && rule.from_cookies.empty()) {
        p.from_headers.push_back({"Authorization", "Bearer "});  // extractor.cc default locations
        p.from_params.push_back("access_token");
      }
      p.forward = rule.forward_original_token;
      p.forward_payload_header = rule.output_payload_to_header;
      p.claim_to_headers = rule.output_claim_to_headers;
      p.space_delimited_claims = rule.space_delimited_claims;
      for (const char* d : {"permission", "scope"})  // policy_applier.go buildSpaceDelimitedClaims
        if (std::find(p.space_delimited_claims.begin(), p.space_delimited_claims.end(), d) == p.space_delimited_claims.end())
          p.space_delimited_claims.push_back(d);
      p.source = "RequestAuthentication " + ra->header.meta.ns + "/" + ra->header.meta.name + " jwtRules[" + std::to_string(i) + "]";
      out.push_back(std::move(p));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.issuer < b.issuer; });
  return out;
}

JwtAuthnResult authenticate_jwt(const std::vector<JwtProvider>& providers, HttpRequest& request, int64_t now_s) {
  JwtAuthnResult result;
  if (providers.empty()) return result;
  // Istio sets bypass_cors_preflight: an OPTIONS request with Origin and
  // Access-Control-Request-Method passes unchecked (filter.cc decodeHeaders).
  if (request.method == "OPTIONS" && !request.headers.get("origin").value_or("").empty() &&
      !request.headers.get("access-control-request-method").value_or("").empty())
    return result;
  HttpRequest original = request;
  auto run = [&](const JwtProvider& p) { return verify_provider(p, request, now_s, result.auth); };
  if (providers.size() == 1) {
    result.status = any_of({run(providers[0])}, /*allow_missing=*/true);
  } else {
    // requires_any {P1, ..., Pn, requires_all {any{P1, allow_missing}, ...}}:
    // the group stops at the first OK child, as Envoy's does. A failed
    // provider changes nothing but the sanitized output headers, so the
    // requires_all branch reuses each provider's status.
    std::vector<JwtStatus> children;
    for (const auto& p : providers) {
      children.push_back(run(p));
      if (children.back() == JwtStatus::kOk) break;
    }
    if (children.back() != JwtStatus::kOk) {
      JwtStatus all = JwtStatus::kOk;
      for (JwtStatus s : std::vector<JwtStatus>(children)) {
        all = any_of({s}, true);
        if (all != JwtStatus::kOk) break;
      }
      children.push_back(all);
    }
    result.status = any_of(children, false);
  }
  if (result.status != JwtStatus::kOk) {
    request = std::move(original);
    result.auth.reset();
  }
  return result;
}

HttpResponse jwt_failure_reply(JwtStatus status, const HttpRequest& request) {
  HttpResponse r;
  r.status = status == JwtStatus::kJwtAudienceNotAllowed ? 403 : 401;
  r.body = std::string(jwt_status_string(status));
  r.headers.set("content-type", "text/plain");
  // Http::Utility::buildOriginalUri: x-forwarded-proto, host, path (256 bytes at most).
  std::string uri = std::string(request.headers.get("x-forwarded-proto").value_or("http")) + "://" + request.authority +
                    request.target.substr(0, 256);
  std::string value = "Bearer realm=\"" + uri + "\"";
  if (status != JwtStatus::kJwtMissed) value += ", error=\"invalid_token\"";
  r.headers.set("www-authenticate", value);
  return r;
}

}  // namespace meshsim::proxy
