// libFuzzer target: arbitrary text as a `meshsim say` sentence against the
// talk's mesh. Whatever the sentence, the interpreter must not crash, and
// the YAML it would apply must load without error (a sentence it accepts
// becomes valid Istio configuration, or nothing).
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/loader.h"
#include "config/say.h"
#include "tests/fixtures/fixture.h"

namespace {

const meshsim::config::LoadResult& talk_mesh() {
  static const meshsim::config::LoadResult mesh = meshsim::config::load({meshsim::fixtures::source("talk-mesh.yaml")});
  return mesh;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 512) return 0;  // a sentence, not a file
  std::string sentence(reinterpret_cast<const char*>(data), size);
  const auto& mesh = talk_mesh();
  meshsim::config::SayResult r = meshsim::config::interpret_say(sentence, mesh.resources, mesh.behaviors);
  if (!r.understood || r.yaml.empty()) return 0;
  auto applied = meshsim::config::load({{"say.yaml", r.yaml}});
  for (const auto& d : applied.diagnostics)
    if (d.severity == meshsim::config::Severity::kError) {  // say wrote invalid YAML
      std::fprintf(stderr, "say wrote YAML that does not load: %s\n%s\n", meshsim::config::format_diagnostic(d).c_str(), r.yaml.c_str());
      __builtin_trap();
    }
  return 0;
}
