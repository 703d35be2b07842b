// Reads one YAML document into typed resources: every accessor records the
// node's source position under its field path and reports type, enum,
// duration and regex problems as diagnostics instead of throwing.
// Lives only inside the loader; no yaml::Node leaves config/.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/yaml_node.h"

#include "config/diagnostics.h"
#include "proxy_core/resources.h"

namespace meshsim::config {

class YamlReader {
 public:
  YamlReader(std::string file, int line_offset, std::vector<Diagnostic>& out,
             proxy::FieldPositions& positions)
      : file_(std::move(file)), line_offset_(line_offset), out_(out), positions_(positions) {}

  void set_resource(std::string resource) { resource_ = std::move(resource); }
  int line_offset() const { return line_offset_; }
  void set_column_offset(int columns) { column_offset_ = columns; }

  proxy::SourcePos pos(const yaml::Node& node) const;
  proxy::SourcePos pos(const yaml::Mark& mark) const;
  void error(const yaml::Node& node, const std::string& path, const std::string& message);
  void error_at(const yaml::Mark& mark, const std::string& path, const std::string& message);

  // A reader for YAML written inside `block`, a literal block scalar
  // (`mesh: |`): its diagnostics and positions land on the file's lines.
  // For any other scalar (quoted, folded) the text's lines are not the
  // file's, and the reader places everything at `block` itself.
  YamlReader embedded(const yaml::Node& block) const;
  void warning(const yaml::Node& node, const std::string& code, const std::string& message);

  // A mapping whose keys must be among `known`; unknown keys are errors that
  // name the nearest valid key. Returns false (after reporting) if not a map.
  bool fields(const yaml::Node& node, const std::string& path,
              std::initializer_list<std::string_view> known);
  // A mapping with arbitrary keys (labels, header maps).
  bool is_map(const yaml::Node& node, const std::string& path);

  std::optional<std::string> str(const yaml::Node& node, const std::string& path);
  std::optional<int64_t> integer(const yaml::Node& node, const std::string& path,
                                 int64_t min, int64_t max);
  std::optional<uint32_t> port(const yaml::Node& node, const std::string& path) {
    auto v = integer(node, path, 1, 65535);
    return v ? std::optional<uint32_t>(static_cast<uint32_t>(*v)) : std::nullopt;
  }
  std::optional<double> number(const yaml::Node& node, const std::string& path, double min,
                               double max);
  std::optional<bool> boolean(const yaml::Node& node, const std::string& path);
  std::optional<proxy::Duration> duration(const yaml::Node& node, const std::string& path);
  // A duration agent.ValidateDuration takes (istio validation/agent):
  // at least 1ms and in whole milliseconds; Istio refuses "0s" and "1500us".
  std::optional<proxy::Duration> millisecond_duration(const yaml::Node& node, const std::string& path);
  // The same check on a duration already read from `node`: false (and an
  // error at `node`) when agent.ValidateDuration refuses it.
  bool validate_millisecond_duration(const yaml::Node& node, const std::string& path, proxy::Duration d);
  std::optional<proxy::Duration> gateway_duration(const yaml::Node& node, const std::string& path);
  std::optional<std::string> enumeration(const yaml::Node& node, const std::string& path,
                                         std::initializer_list<std::string_view> valid);
  // A string that must compile as an RE2 regular expression.
  std::optional<std::string> regex(const yaml::Node& node, const std::string& path);
  std::vector<std::string> str_list(const yaml::Node& node, const std::string& path);
  proxy::Labels str_map(const yaml::Node& node, const std::string& path);

  // Calls each(item, item_path) for every element of a sequence.
  template <typename F>
  void list(const yaml::Node& node, const std::string& path, F&& each) {
    if (!node || node.IsNull()) return;
    record(node, path);
    if (!node.IsSequence()) {
      error(node, path, "expected a list, found " + kind_of(node));
      return;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      std::string item_path = path + "[" + std::to_string(i) + "]";
      record(node[i], item_path);
      each(node[i], item_path);
    }
  }

  static std::string kind_of(const yaml::Node& node);
  void record(const yaml::Node& node, const std::string& path);

 private:
  std::string file_;
  int line_offset_;
  int column_offset_ = 0;
  // Set for an embedded text whose lines are not the file's: every position is this one.
  std::optional<proxy::SourcePos> fixed_pos_;
  std::string resource_;
  std::vector<Diagnostic>& out_;
  proxy::FieldPositions& positions_;
};

// Levenshtein distance (insert, delete, substitute one character).
size_t edit_distance(std::string_view a, std::string_view b);

// The valid choice nearest to `word` (Levenshtein, case-insensitive), or ""
// when nothing is close enough to be a plausible typo.
std::string nearest(std::string_view word, std::initializer_list<std::string_view> choices);
std::string nearest(std::string_view word, std::span<const std::string_view> choices);
std::string join_choices(std::initializer_list<std::string_view> choices);

// Joins a field path: child("spec", "http") == "spec.http".
inline std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

}  // namespace meshsim::config
