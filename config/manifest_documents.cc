#include "config/manifest_documents.h"

#include "config/yaml_node.h"

#include <cctype>
#include <cstdio>
#include <set>

namespace meshsim::config {
namespace {

// A plain key or value that YAML reads back as the same string.
bool plain_safe(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '/')) return false;
  return std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_' || s[0] == '/';
}

// Plain words YAML 1.1 (which kubectl's parser follows) reads as booleans or null.
bool reads_as_non_string(const std::string& s) {
  static const std::set<std::string> words = {"true", "false", "yes", "no", "on", "off", "y", "n", "null"};
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return words.count(lower) > 0;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// A scalar as written: plain stays plain (same type when read back), quoted
// or block text becomes a double-quoted string.
std::string scalar(const yaml::Node& n) {
  if (n.IsNull()) return "null";
  const std::string& s = n.Scalar();
  if (n.Tag() == "?" && s.find('\n') == std::string::npos) return s;
  return quoted(s);
}

// A value made here (the filled-in namespace): plain when safe.
std::string made_scalar(const std::string& s) { return plain_safe(s) && !reads_as_non_string(s) ? s : quoted(s); }

std::string key_text(const yaml::Node& k) {
  return k.IsScalar() && (k.Tag() == "?" || plain_safe(k.Scalar())) ? k.Scalar() : quoted(k.Scalar());
}

bool inline_value(const yaml::Node& v) { return !v.IsMap() && !v.IsSequence() ? true : v.size() == 0; }

std::string inline_text(const yaml::Node& v) {
  if (v.IsMap()) return "{}";
  if (v.IsSequence()) return "[]";
  return scalar(v);
}

// What a map prints differently from its document: its first entry with key
// `drop` left out (a Behavior's name), or metadata.namespace filled in
// right after the name, where people write it.
struct MapEdit {
  std::string_view drop;
  const std::string* ns = nullptr;
};

void emit(const yaml::Node& n, int indent, std::string& out);

bool has_key_from(const yaml::Node& n, size_t from, std::string_view key) {
  size_t i = 0;
  for (const auto& kv : n)
    if (i++ >= from && kv.first.IsScalar() && kv.first.Scalar() == key) return true;
  return false;
}

void emit_map_entries(const yaml::Node& n, int indent, bool first_inline, std::string& out, const MapEdit& edit = {}) {
  bool first = true;
  auto key_line = [&](const std::string& key) {
    if (!(first && first_inline)) out.append(static_cast<size_t>(indent), ' ');
    first = false;
    out += key + ":";
  };
  bool dropped = false, filled = false;
  size_t at = 0;
  for (const auto& kv : n) {
    ++at;
    std::string_view key = kv.first.IsScalar() ? std::string_view(kv.first.Scalar()) : std::string_view();
    if (!dropped && !edit.drop.empty() && kv.first.IsScalar() && key == edit.drop) {
      dropped = true;
      continue;
    }
    if (edit.ns && !filled && kv.first.IsScalar() && key == "namespace") {
      filled = true;  // an empty namespace written before the name takes the filled-in value
      if (has_key_from(n, at, "name")) {
        key_line(key_text(kv.first));
        out += " " + made_scalar(*edit.ns) + "\n";
        continue;
      }
    }
    key_line(key_text(kv.first));
    const yaml::Node& v = kv.second;
    if (inline_value(v)) {
      out += " " + inline_text(v) + "\n";
    } else if (v.IsMap()) {
      out += "\n";
      emit(v, indent + 2, out);
    } else {
      out += "\n";
      emit(v, indent, out);  // a list under a key at the key's indent, as kubectl prints it
    }
    if (edit.ns && !filled && kv.first.IsScalar() && key == "name") {
      key_line("namespace");
      out += " " + made_scalar(*edit.ns) + "\n";
      filled = true;
    }
  }
  if (edit.ns && !filled) {
    key_line("namespace");
    out += " " + made_scalar(*edit.ns) + "\n";
  }
}

// A document whose metadata gets `ns` filled in (see MapEdit).
void emit_document(const yaml::Node& doc, const std::string& ns, std::string& out) {
  bool filled = false;
  for (const auto& kv : doc) {
    out += key_text(kv.first) + ":";
    const yaml::Node& v = kv.second;
    if (!filled && kv.first.IsScalar() && kv.first.Scalar() == "metadata") {
      filled = true;
      out += "\n";
      emit_map_entries(v, 2, false, out, MapEdit{{}, &ns});
    } else if (inline_value(v)) {
      out += " " + inline_text(v) + "\n";
    } else if (v.IsMap()) {
      out += "\n";
      emit(v, 2, out);
    } else {
      out += "\n";
      emit(v, 0, out);
    }
  }
}

void emit(const yaml::Node& n, int indent, std::string& out) {
  if (n.IsMap()) {
    emit_map_entries(n, indent, false, out);
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      out.append(static_cast<size_t>(indent), ' ');
      if (inline_value(item)) {
        out += "- " + inline_text(item) + "\n";
      } else if (item.IsMap()) {
        out += "- ";
        emit_map_entries(item, indent + 2, true, out);
      } else {
        out += "-\n";
        emit(item, indent + 2, out);
      }
    }
  } else {
    out.append(static_cast<size_t>(indent), ' ');
    out += scalar(n) + "\n";
  }
}

std::string text_of(const yaml::Node& n, const char* key) {
  auto v = n[key];
  return v && v.IsScalar() ? v.Scalar() : "";
}

}  // namespace

std::string block_yaml(const yaml::Node& node, std::string_view drop_key) {
  std::string out;
  if (node.IsMap()) emit_map_entries(node, 0, false, out, MapEdit{drop_key, nullptr});
  else emit(node, 0, out);
  return out;
}

bool cluster_scoped_kind(const std::string& kind) {
  static const std::set<std::string> kinds = {
      "Namespace", "GatewayClass", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
      "StorageClass", "PriorityClass", "IngressClass", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
      "Node"};
  return kinds.count(kind) > 0;
}

std::vector<sim::ManifestDocument> manifest_documents(const std::string& text, const std::string& default_namespace) {
  std::vector<sim::ManifestDocument> out;
  for (yaml::Node doc : yaml::LoadAll(text)) {
    if (!doc.IsMap()) continue;
    sim::ManifestDocument d;
    d.api_version = text_of(doc, "apiVersion");
    d.kind = text_of(doc, "kind");
    yaml::Node meta = doc["metadata"];
    bool fill_namespace = false;
    if (meta && meta.IsMap()) {
      d.name = text_of(meta, "name");
      if (!cluster_scoped_kind(d.kind)) {
        d.ns = text_of(meta, "namespace");
        if (d.ns.empty()) {
          d.ns = default_namespace;
          fill_namespace = true;
        }
      }
    }
    if (fill_namespace) emit_document(doc, default_namespace, d.yaml);
    else emit(doc, 0, d.yaml);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace meshsim::config
