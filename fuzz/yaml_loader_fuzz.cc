// libFuzzer target: arbitrary bytes as a YAML file through the loader and the
// analyzer. Any crash, sanitizer report or uncaught exception is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/analyzer.h"
#include "config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto result = meshsim::config::load({{"fuzz.yaml", std::move(text)}});
  meshsim::config::analyze(result.resources);
  return 0;
}
