// Loads multi-document YAML the way `kubectl apply -f` does: documents in
// order, a document without a namespace goes to the default namespace, and a
// later document with the same kind/namespace/name replaces the earlier one.
// Never throws for bad input: every problem becomes a Diagnostic.
#pragma once

#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "proxy_core/resources.h"

namespace meshsim::config {

struct SourceText {
  std::string name;  // file path, or "<stdin>"
  std::string text;
};

struct LoadResult {
  proxy::Resources resources;
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

// Applies `sources` on top of `base` (empty by default) and returns the result.
LoadResult load(const std::vector<SourceText>& sources, const LoadOptions& options = {},
                proxy::Resources base = {});

}  // namespace meshsim::config
