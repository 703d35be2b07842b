// Splits mesh YAML into documents for `meshsim export`, each re-emitted as
// block YAML that keeps every scalar's type (a quoted "2" stays a string),
// with metadata.namespace filled in for namespaced kinds the way
// `kubectl apply -n NS` would place them. Comments are dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/manifest.h"

#include "config/yaml_node.h"

namespace meshsim::config {

// `node` as block YAML with each scalar quoted as written (see above); a
// map leaves out its first entry with key `drop_key`.
std::string block_yaml(const yaml::Node& node, std::string_view drop_key = {});

// Documents of `text` in order; empty documents are skipped. Throws
// yaml::Exception on a syntax error (the loader reports those first).
std::vector<sim::ManifestDocument> manifest_documents(const std::string& text, const std::string& default_namespace);

// True for the kinds that have no namespace.
bool cluster_scoped_kind(const std::string& kind);

}  // namespace meshsim::config
