// Loads multi-document YAML the way `kubectl apply -f` does: documents in
// order, a document without a namespace goes to the default namespace, and a
// later document with the same kind/namespace/name replaces the earlier one.
// Never throws for bad input: every problem becomes a Diagnostic.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "proxy_core/resources.h"
#include "sim/scenario.h"

namespace meshsim::config {

struct SourceText {
  std::string name;  // file path, or "<stdin>"
  std::string text;
  int line_offset = 0;    // where `text` starts inside `name` (inline YAML blocks)
  int column_offset = 0;
};

struct LoadResult {
  proxy::Resources resources;
  std::vector<sim::BehaviorRule> behaviors;  // meshsim.dev/v1alpha1 Behavior
  std::vector<sim::Scenario> scenarios;      // meshsim.dev/v1alpha1 Scenario (resources not yet attached)
  std::vector<Diagnostic> diagnostics;
  int documents = 0;  // non-empty documents seen
};

// Reads files, directories (their *.yaml, *.yml and *.json files, sorted by
// name, recursively) and "-" for stdin. Unreadable paths become diagnostics.
std::vector<SourceText> read_sources(const std::vector<std::string>& paths,
                                     std::vector<Diagnostic>& diagnostics);

struct LoadOptions {
  std::string default_namespace = "default";
};

struct ScenarioLoad {
  std::optional<sim::Scenario> scenario;  // with the files' mesh resources and Behaviors attached
  std::vector<Diagnostic> diagnostics;
};

// Loads scenario files: exactly one Scenario document, plus any mesh and
// Behavior documents (the mesh at t=0). Errors leave `scenario` empty.
ScenarioLoad load_scenario(const std::vector<std::string>& paths);

// Applies `sources` on top of `base` (empty by default) and returns the result.
LoadResult load(const std::vector<SourceText>& sources, const LoadOptions& options = {},
                proxy::Resources base = {});

}  // namespace meshsim::config
