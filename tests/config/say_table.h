// Table rows for the `meshsim say` tests: a sentence and what it must
// produce, checked on the YAML read back with yaml-cpp (not on its text).
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "config/say.h"

namespace meshsim::config {

struct SayRow {
  const char* sentence;
  // "Kind/name": the document to check; "delete": `checks` is the key
  // deleted; "reply": `checks` is a fragment of the answer.
  const char* target;
  // "path=value; …" under the document's spec (metadata.name is the
  // target's); a path is dotted keys and list indexes, "size" counts a
  // list or map, value "-" means absent.
  const char* checks;
  const char* source;  // the Istio page (or the talk) the expectation follows
};

// The node at a dotted path ("http.0.route.1.weight"), or an undefined node.
inline YAML::Node say_node_at(YAML::Node node, const std::string& path, bool& size_asked) {
  std::stringstream parts(path);
  std::string part;
  size_asked = false;
  while (std::getline(parts, part, '.')) {
    if (part == "size") {
      size_asked = true;
      return node;
    }
    if (!node || !node.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    if (node.IsSequence()) {
      size_t i = std::stoul(part);
      if (i >= node.size()) return YAML::Node(YAML::NodeType::Undefined);
      node.reset(node[i]);
    } else if (node.IsMap()) {
      YAML::Node child = node[part];
      if (!child) return YAML::Node(YAML::NodeType::Undefined);
      node.reset(child);
    } else {
      return YAML::Node(YAML::NodeType::Undefined);
    }
  }
  return node;
}

inline std::string say_trim(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

inline void expect_say_row(const SayRow& row, const SayResult& r) {
  std::string target = row.target;
  if (target == "reply") {
    EXPECT_NE(r.reply.find(row.checks), std::string::npos) << r.reply;
    return;
  }
  if (target == "delete") {
    EXPECT_TRUE(r.yaml.empty()) << r.yaml;
    ASSERT_FALSE(r.delete_keys.empty());
    EXPECT_EQ(r.delete_keys.front(), row.checks);
    return;
  }
  std::string kind = target.substr(0, target.find('/')), name = target.substr(target.find('/') + 1);
  YAML::Node doc;
  for (const YAML::Node& d : YAML::LoadAll(r.yaml))
    if (d["kind"].as<std::string>() == kind && d["metadata"]["name"].as<std::string>() == name) doc.reset(d);
  ASSERT_TRUE(doc.IsDefined() && !doc.IsNull()) << "no " << target << " in\n" << r.yaml;
  std::stringstream checks(row.checks);
  std::string check;
  while (std::getline(checks, check, ';')) {
    check = say_trim(check);
    if (check.empty()) continue;
    std::string path = check.substr(0, check.find('=')), want = check.substr(check.find('=') + 1);
    bool size_asked = false;
    YAML::Node at = say_node_at(doc["spec"], path, size_asked);
    if (want == "-") {
      EXPECT_FALSE(at.IsDefined() && !at.IsNull()) << path << " should be absent in\n" << r.yaml;
      continue;
    }
    ASSERT_TRUE(at.IsDefined()) << path << " missing in\n" << r.yaml;
    std::string got = size_asked ? std::to_string(at.size()) : at.IsScalar() ? at.as<std::string>() : "(not a scalar)";
    EXPECT_EQ(got, want) << path << " in\n" << r.yaml;
  }
}

}  // namespace meshsim::config
