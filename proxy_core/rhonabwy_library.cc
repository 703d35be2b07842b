#include "proxy_core/rhonabwy_library.h"

#include <dlfcn.h>

#include <cstdio>

namespace meshsim::proxy {

namespace {

// The runtime name of the librhonabwy the header came from (its SONAME,
// major.minor, worked out by CMake from pkg-config): another version's
// functions could differ from the header's signatures.
constexpr const char* kSoname = MESHSIM_RHONABWY_SONAME;

template <typename Fn>
bool resolve(void* handle, const char* name, Fn& out) {
  out = reinterpret_cast<Fn>(dlsym(handle, name));
  return out != nullptr;
}

RhonabwyLibrary open_library() {
  RhonabwyLibrary lib;
  void* handle = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    std::fprintf(stderr, "meshsim: cannot open %s (%s): JWT signatures cannot be checked, every token is refused\n", kSoname,
                 dlerror());
    return lib;
  }
  bool all = resolve(handle, "r_jwk_init", lib.jwk_init) && resolve(handle, "r_jwk_free", lib.jwk_free) &&
             resolve(handle, "r_jwk_import_from_json_str", lib.jwk_import_from_json_str) &&
             resolve(handle, "r_jws_init", lib.jws_init) && resolve(handle, "r_jws_free", lib.jws_free) &&
             resolve(handle, "r_jws_advanced_compact_parsen", lib.jws_advanced_compact_parsen) &&
             resolve(handle, "r_jws_verify_signature", lib.jws_verify_signature);
  if (!all) {
    std::fprintf(stderr, "meshsim: %s lacks a function meshsim calls (%s): every JWT is refused\n", kSoname, dlerror());
    dlclose(handle);
    return RhonabwyLibrary{};
  }
  return lib;  // the handle stays open for the process's life
}

}  // namespace

const RhonabwyLibrary& rhonabwy() {
  static const RhonabwyLibrary library = open_library();
  return library;
}

}  // namespace meshsim::proxy
