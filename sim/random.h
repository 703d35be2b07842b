// Seeded random streams. One root seed; every component forks its own
// stream by name, so one more draw in one place does not shift another
// (as TigerBeetle's VOPR does). SplitMix64: small, fast, identical on every
// platform, unlike std:: distributions.
#pragma once

#include <cstdint>
#include <string_view>

#include "proxy_core/env.h"
#include "proxy_core/hash.h"

namespace meshsim::sim {

class SplitMix64 final : public proxy::Random {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() override {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // A new independent stream derived from this seed and `name`.
  static SplitMix64 fork(uint64_t root_seed, std::string_view name) {
    SplitMix64 mixer(proxy::fnv1a(name, proxy::kFnvOffsetBasis ^ root_seed));
    return SplitMix64(mixer.next());
  }

 private:
  uint64_t state_;
};

}  // namespace meshsim::sim
