#include "config/manifest_documents.h"

#include <yaml-cpp/yaml.h>

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
std::string scalar(const YAML::Node& n) {
  if (n.IsNull()) return "null";
  const std::string& s = n.Scalar();
  if (n.Tag() == "?" && s.find('\n') == std::string::npos) return s;
  // Nodes made here (the filled-in namespace) have no tag: plain when safe.
  if (n.Tag().empty() && plain_safe(s) && !reads_as_non_string(s)) return s;
  return quoted(s);
}

std::string key_text(const YAML::Node& k) {
  return k.IsScalar() && (k.Tag() == "?" || plain_safe(k.Scalar())) ? k.Scalar() : quoted(k.Scalar());
}

bool inline_value(const YAML::Node& v) { return !v.IsMap() && !v.IsSequence() ? true : v.size() == 0; }

std::string inline_text(const YAML::Node& v) {
  if (v.IsMap()) return "{}";
  if (v.IsSequence()) return "[]";
  return scalar(v);
}

void emit(const YAML::Node& n, int indent, std::string& out);

void emit_map_entries(const YAML::Node& n, int indent, bool first_inline, std::string& out) {
  bool first = true;
  for (const auto& kv : n) {
    if (!(first && first_inline)) out.append(static_cast<size_t>(indent), ' ');
    first = false;
    out += key_text(kv.first) + ":";
    const YAML::Node& v = kv.second;
    if (inline_value(v)) {
      out += " " + inline_text(v) + "\n";
    } else if (v.IsMap()) {
      out += "\n";
      emit(v, indent + 2, out);
    } else {
      out += "\n";
      emit(v, indent, out);  // a list under a key at the key's indent, as kubectl prints it
    }
  }
}

void emit(const YAML::Node& n, int indent, std::string& out) {
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

std::string text_of(const YAML::Node& n, const char* key) {
  auto v = n[key];
  return v && v.IsScalar() ? v.Scalar() : "";
}

}  // namespace

std::string block_yaml(const YAML::Node& node) {
  std::string out;
  emit(node, 0, out);
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
  for (YAML::Node doc : YAML::LoadAll(text)) {
    if (!doc.IsMap()) continue;
    sim::ManifestDocument d;
    d.api_version = text_of(doc, "apiVersion");
    d.kind = text_of(doc, "kind");
    YAML::Node meta = doc["metadata"];
    if (meta && meta.IsMap()) {
      d.name = text_of(meta, "name");
      if (!cluster_scoped_kind(d.kind)) {
        d.ns = text_of(meta, "namespace");
        if (d.ns.empty()) {
          d.ns = default_namespace;
          // metadata.namespace right after the name, where people write it.
          YAML::Node rebuilt(YAML::NodeType::Map);
          for (const auto& kv : meta) {
            rebuilt[kv.first] = kv.second;
            if (kv.first.Scalar() == "name") rebuilt["namespace"] = default_namespace;
          }
          if (!rebuilt["namespace"]) rebuilt["namespace"] = default_namespace;
          doc["metadata"] = rebuilt;
        }
      }
    }
    emit(doc, 0, d.yaml);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace meshsim::config
