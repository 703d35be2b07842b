// Plain data shared by the `meshsim export` writers: a Kubernetes document
// as written in the scenario files, and a file the export writes.
#pragma once

#include <string>
#include <vector>

namespace meshsim::sim {

// One document of mesh YAML, split and re-emitted by config/ (block YAML,
// quoting as written, comments dropped, the namespace filled in).
struct ManifestDocument {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string ns;    // empty for cluster-scoped kinds (Namespace, GatewayClass…)
  std::string yaml;  // the document, ending in a newline, without `---`
};

// A file of an export: a path relative to the output folder and its bytes.
struct ExportFile {
  std::string path;
  std::string content;
  bool executable = false;
};

}  // namespace meshsim::sim
