// librhonabwy (JWS signature checks for RequestAuthentication), opened on
// first use instead of linked. Linked, it made every meshsim process map and
// relocate its 37 dependencies (libcurl, GnuTLS, Kerberos, LDAP, ...) before
// main(): about 8 ms of the dynamic loader per process start
// (LD_DEBUG=statistics), paid by every command, every seed of a sweep and
// every subprocess of the tests, for a library only meshes with JWT rules use.
#pragma once

#include <rhonabwy.h>

namespace meshsim::proxy {

struct RhonabwyLibrary {
  decltype(&r_jwk_init) jwk_init = nullptr;
  decltype(&r_jwk_free) jwk_free = nullptr;
  decltype(&r_jwk_import_from_json_str) jwk_import_from_json_str = nullptr;
  decltype(&r_jws_init) jws_init = nullptr;
  decltype(&r_jws_free) jws_free = nullptr;
  decltype(&r_jws_advanced_compact_parsen) jws_advanced_compact_parsen = nullptr;
  decltype(&r_jws_verify_signature) jws_verify_signature = nullptr;
  bool loaded() const { return jws_verify_signature != nullptr; }
};

// The library's functions, resolved once (thread-safe). When it cannot be
// opened, says why on stderr once and returns an unloaded set: keys then
// import as null and verify nothing, so every token is refused.
const RhonabwyLibrary& rhonabwy();

}  // namespace meshsim::proxy
