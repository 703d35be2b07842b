// FNV-1a, 64-bit (http://www.isthe.com/chongo/tech/comp/fnv/): small, fast
// and stable across platforms and runs, for hashing that must be
// reproducible (consistent-hash keys, trace sampling, random stream names).
#pragma once

#include <cstdint>
#include <string_view>

namespace meshsim::proxy {

inline constexpr uint64_t kFnvOffsetBasis = 14695981039346656037ull;

constexpr uint64_t fnv1a(std::string_view bytes, uint64_t basis = kFnvOffsetBasis) {
  uint64_t h = basis;
  for (char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

}  // namespace meshsim::proxy
