#include "config/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <re2/re2.h>

#include "config/duration.h"
#include "proxy_core/http.h"

namespace meshsim::config {
namespace {



}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string nearest(std::string_view word, std::initializer_list<std::string_view> choices) {
  return nearest(word, std::span<const std::string_view>(choices.begin(), choices.size()));
}

std::string nearest(std::string_view word, std::span<const std::string_view> choices) {
  std::string w = proxy::to_lower(word);
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (std::string_view c : choices) {
    size_t d = edit_distance(w, proxy::to_lower(c));
    if (d < best_distance) best_distance = d, best = std::string(c);
  }
  // Plausible typo: at most a third of the word changed (and at least 1 edit allowed).
  size_t limit = std::max<size_t>(2, w.size() / 3);
  return best_distance <= limit ? best : "";
}

std::string join_choices(std::initializer_list<std::string_view> choices) {
  std::string out;
  for (std::string_view c : choices) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

proxy::SourcePos YamlReader::pos(const yaml::Node& node) const { return pos(node.Mark()); }

proxy::SourcePos YamlReader::pos(const yaml::Mark& mark) const {
  if (fixed_pos_) return *fixed_pos_;
  if (mark.is_null()) return {file_, 0, 0};
  return {file_, mark.line + 1 + line_offset_, mark.column + 1 + column_offset_};
}

YamlReader YamlReader::embedded(const yaml::Node& block) const {
  YamlReader inner(file_, line_offset_, out_, positions_);
  inner.resource_ = resource_;
  yaml::Mark origin = block.LiteralBlockOrigin();
  if (origin.is_null()) {
    inner.fixed_pos_ = pos(block);
  } else {
    inner.line_offset_ = line_offset_ + origin.line;
    inner.column_offset_ = column_offset_ + origin.column;
  }
  return inner;
}

void YamlReader::record(const yaml::Node& node, const std::string& path) {
  if (!node) return;
  yaml::Mark mark = node.Mark();
  if (mark.is_null()) return;
  if (fixed_pos_) positions_.record(path, fixed_pos_->file, fixed_pos_->line, fixed_pos_->column);
  else positions_.record(path, file_, mark.line + 1 + line_offset_, mark.column + 1 + column_offset_);
}

void YamlReader::error_at(const yaml::Mark& mark, const std::string& path, const std::string& message) {
  out_.push_back({Severity::kError, "MSH0001", resource_, pos(mark), path.empty() ? message : path + ": " + message});
}

void YamlReader::error(const yaml::Node& node, const std::string& path,
                       const std::string& message) {
  out_.push_back({Severity::kError, "MSH0001", resource_, pos(node),
                  path.empty() ? message : path + ": " + message});
}

void YamlReader::warning(const yaml::Node& node, const std::string& code,
                         const std::string& message) {
  out_.push_back({Severity::kWarning, code, resource_, pos(node), message});
}

std::string YamlReader::kind_of(const yaml::Node& node) {
  if (!node || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return "\"" + node.Scalar() + "\"";
}

bool YamlReader::is_map(const yaml::Node& node, const std::string& path) {
  record(node, path);
  if (node.IsMap()) return true;
  error(node, path, "expected a map, found " + kind_of(node));
  return false;
}

bool YamlReader::fields(const yaml::Node& node, const std::string& path,
                        std::initializer_list<std::string_view> known) {
  if (!is_map(node, path)) return false;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      error(entry.first, path, "a map key must be a plain string");
      continue;
    }
    const std::string& key = entry.first.Scalar();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string hint = nearest(key, known);
    std::string message = "unknown field \"" + key + "\"";
    message += hint.empty() ? " (valid fields: " + join_choices(known) + ")"
                            : "; did you mean \"" + hint + "\"?";
    error(entry.first, path, message);
  }
  return true;
}

std::optional<std::string> YamlReader::str(const yaml::Node& node, const std::string& path) {
  if (!node || node.IsNull()) return std::nullopt;
  record(node, path);
  if (!node.IsScalar()) {
    error(node, path, "expected a string, found " + kind_of(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<int64_t> YamlReader::integer(const yaml::Node& node, const std::string& path,
                                           int64_t min, int64_t max) {
  auto text = str(node, path);
  if (!text) return std::nullopt;
  const std::string& s = *text;
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  bool digits = i < s.size() && s.size() - i <= 18 &&
                std::all_of(s.begin() + static_cast<long>(i), s.end(),
                            [](unsigned char c) { return std::isdigit(c); });
  if (!digits) {
    error(node, path, "expected an integer, found \"" + s + "\"");
    return std::nullopt;
  }
  int64_t v = std::stoll(s);
  if (v < min || v > max) {
    error(node, path, "value " + s + " is out of range [" + std::to_string(min) + ", " +
                          std::to_string(max) + "]");
    return std::nullopt;
  }
  return v;
}

std::optional<double> YamlReader::number(const yaml::Node& node, const std::string& path,
                                         double min, double max) {
  auto text = str(node, path);
  if (!text) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text->c_str(), &end);
  if (text->empty() || end != text->c_str() + text->size() || !std::isfinite(v)) {
    error(node, path, "expected a number, found \"" + *text + "\"");
    return std::nullopt;
  }
  if (v < min || v > max) {
    error(node, path, "value " + *text + " is out of range [" + std::to_string(min).substr(0, 5) +
                          ", " + std::to_string(max).substr(0, 5) + "]");
    return std::nullopt;
  }
  return v;
}

std::optional<bool> YamlReader::boolean(const yaml::Node& node, const std::string& path) {
  auto text = str(node, path);
  if (!text) return std::nullopt;
  if (*text == "true" || *text == "True" || *text == "TRUE") return true;
  if (*text == "false" || *text == "False" || *text == "FALSE") return false;
  error(node, path, "expected true or false, found \"" + *text + "\"");
  return std::nullopt;
}

std::optional<proxy::Duration> YamlReader::duration(const yaml::Node& node,
                                                    const std::string& path) {
  auto text = str(node, path);
  if (!text) return std::nullopt;
  std::string why;
  auto d = parse_go_duration(*text, &why);
  if (!d) error(node, path, why);
  else if (d->count() < 0) {
    error(node, path, "duration must not be negative");
    return std::nullopt;
  }
  return d;
}

std::optional<proxy::Duration> YamlReader::millisecond_duration(const yaml::Node& node, const std::string& path) {
  auto d = duration(node, path);
  if (!d || !validate_millisecond_duration(node, path, *d)) return std::nullopt;
  return d;
}

bool YamlReader::validate_millisecond_duration(const yaml::Node& node, const std::string& path, proxy::Duration d) {
  if (d < std::chrono::milliseconds(1)) {
    error(node, path, "duration must be at least 1ms (Istio refuses shorter ones)");
    return false;
  }
  if (d.count() % 1000 != 0) {
    error(node, path, "duration must be whole milliseconds (Istio supports only ms precision)");
    return false;
  }
  return true;
}

std::optional<proxy::Duration> YamlReader::gateway_duration(const yaml::Node& node,
                                                            const std::string& path) {
  auto text = str(node, path);
  if (!text) return std::nullopt;
  std::string why;
  auto d = parse_gateway_duration(*text, &why);
  if (!d) error(node, path, why);
  return d;
}

std::optional<std::string> YamlReader::enumeration(const yaml::Node& node,
                                                   const std::string& path,
                                                   std::initializer_list<std::string_view> valid) {
  auto text = str(node, path);
  if (!text) return std::nullopt;
  if (std::find(valid.begin(), valid.end(), *text) != valid.end()) return text;
  std::string hint = nearest(*text, valid);
  error(node, path, "invalid value \"" + *text + "\"" +
                        (hint.empty() ? "" : "; did you mean \"" + hint + "\"?") +
                        " (valid values: " + join_choices(valid) + ")");
  return std::nullopt;
}

std::optional<std::string> YamlReader::regex(const yaml::Node& node, const std::string& path) {
  auto text = str(node, path);
  if (!text) return std::nullopt;
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(*text, options);
  if (!re.ok()) {
    error(node, path, "invalid RE2 regex \"" + *text + "\": " + re.error());
    return std::nullopt;
  }
  return text;
}

std::vector<std::string> YamlReader::str_list(const yaml::Node& node, const std::string& path) {
  std::vector<std::string> out;
  list(node, path, [&](const yaml::Node& item, const std::string& item_path) {
    if (auto s = str(item, item_path)) out.push_back(*s);
  });
  return out;
}

proxy::Labels YamlReader::str_map(const yaml::Node& node, const std::string& path) {
  proxy::Labels out;
  if (!node || node.IsNull() || !is_map(node, path)) return out;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) continue;
    if (auto v = str(entry.second, child(path, entry.first.Scalar())))
      out[entry.first.Scalar()] = *v;
  }
  return out;
}

}  // namespace meshsim::config
