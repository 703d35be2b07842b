// config/yaml_node (libyaml underneath) against yaml-cpp, which the loader
// used before issue 20: on every YAML file we have, both must read the same
// tree (kinds, scalars, tags, 0-based marks, map order), and on malformed
// text both must refuse.
#include "config/yaml_node.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "tests/test_data.h"

namespace meshsim::yaml {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string where(const std::string& at, const YAML::Node& n) {
  return at + " (yaml-cpp line " + std::to_string(n.Mark().line + 1) + ", column " + std::to_string(n.Mark().column + 1) + ")";
}

// Records the first difference between the trees; `at` names the node by path.
void compare(const YAML::Node& want, const Node& got, const std::string& at, int depth, std::string& diff) {
  if (!diff.empty()) return;
  if (depth > 200) return;  // an alias cycle (yaml-cpp allows those): the shape so far matched
  if (static_cast<int>(want.Type()) != static_cast<int>(got.Type())) {
    diff = where(at, want) + ": type " + std::to_string(want.Type()) + " vs " + std::to_string(got.Type());
    return;
  }
  if (!want.IsDefined()) return;
  YAML::Mark wm = want.Mark();
  Mark gm = got.Mark();
  if (wm.line != gm.line || wm.column != gm.column) {
    diff = where(at, want) + ": mark " + std::to_string(wm.line) + ":" + std::to_string(wm.column) + " vs " +
           std::to_string(gm.line) + ":" + std::to_string(gm.column);
    return;
  }
  if (want.IsNull()) return;  // yaml-cpp gives a null no tag and no text
  if (want.Tag() != got.Tag()) {
    diff = where(at, want) + ": tag \"" + want.Tag() + "\" vs \"" + got.Tag() + "\"";
    return;
  }
  if (want.IsScalar()) {
    if (want.Scalar() != got.Scalar()) diff = where(at, want) + ": scalar \"" + want.Scalar() + "\" vs \"" + got.Scalar() + "\"";
    return;
  }
  if (want.size() != got.size()) {
    diff = where(at, want) + ": size " + std::to_string(want.size()) + " vs " + std::to_string(got.size());
    return;
  }
  if (want.IsSequence()) {
    for (size_t i = 0; i < want.size(); ++i) compare(want[i], got[i], at + "[" + std::to_string(i) + "]", depth + 1, diff);
    return;
  }
  auto g = got.begin();
  for (auto w = want.begin(); w != want.end() && diff.empty(); ++w, ++g) {
    Node::Entry entry = *g;
    std::string key = w->first.IsScalar() ? w->first.Scalar() : "?";
    compare(w->first, entry.first, at + "{key " + key + "}", depth + 1, diff);
    compare(w->second, entry.second, at + "." + key, depth + 1, diff);
    // Lookup by key finds the first entry with it, as in yaml-cpp.
    if (diff.empty() && w->first.IsScalar()) {
      const YAML::Node& wanted = want;
      compare(wanted[key], got[key], at + "[\"" + key + "\"]", depth + 1, diff);
    }
  }
}

// "" when both read `text` alike, else the first difference.
std::string difference(const std::string& text) {
  std::vector<YAML::Node> want;
  std::string want_error;
  try {
    want = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    want_error = e.what();
  }
  std::vector<Node> got;
  std::string got_error;
  try {
    got = LoadAll(text);
  } catch (const Exception& e) {
    got_error = e.what();
  }
  if (!want_error.empty() || !got_error.empty()) {
    if (want_error.empty() || got_error.empty())
      return "only one refused: yaml-cpp \"" + want_error + "\", libyaml \"" + got_error + "\"";
    return "";
  }
  if (want.size() != got.size())
    return "documents: " + std::to_string(want.size()) + " vs " + std::to_string(got.size());
  std::string diff;
  for (size_t i = 0; i < want.size() && diff.empty(); ++i) compare(want[i], got[i], "doc" + std::to_string(i), 0, diff);
  // Load reads the first document only, in both.
  if (diff.empty()) compare(YAML::Load(text), Load(text), "Load", 0, diff);
  return diff;
}

int compare_files_under(const std::string& dir) {
  int files = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); ++it) {
    auto ext = it->path().extension();
    if (!it->is_regular_file() || (ext != ".yaml" && ext != ".yml")) continue;
    ++files;
    std::string diff = difference(read(it->path()));
    EXPECT_EQ(diff, "") << it->path().string();
  }
  return files;
}

TEST(YamlNode, ReadsThePublicTestDataAsYamlCppDoes) {
  std::string testdata = ::meshsim::testing::testdata_dir();
  if (testdata.empty()) GTEST_SKIP() << ::meshsim::testing::testdata_missing("");
  int files = compare_files_under(testdata);
  std::string conformance = ::meshsim::testing::conformance_dir();
  if (!conformance.empty()) files += compare_files_under(conformance);
  EXPECT_GT(files, 20);
}

TEST(YamlNode, ReadsOurScenariosAndExamplesAsYamlCppDoes) {
  int files = compare_files_under(std::string(MESHSIM_SOURCE_DIR) + "/scenarios") +
              compare_files_under(std::string(MESHSIM_SOURCE_DIR) + "/examples");
  EXPECT_GT(files, 5);
}

// Shapes the loader meets, each read by both (our own snippets).
const char* const kSameTree[] = {
    "a: 1\nb: 'x'\nc: \"y\"\nd: |\n  block\ne: >\n  folded\n  text\n",
    "k:\nn: ~\nm: null\nN: Null\nU: NULL\ne: ''\nq: \"\"\n",
    "list:\n- a\n-\n- {x: 1, y: [1, 2]}\n- - nested\n  - seq\n",
    "indentless:\n- a\n- b: c\n  d: e\n",
    "base: &b {x: 1}\nuse: *b\nscalar: &s text\nagain: *s\n",
    "anchored: &m\n  k: v\ncopy: *m\n",
    "tagged: !!str 10\nlocal: !thing x\nbang: ! y\nseq: !!seq [a]\nmap: !!map {a: b}\n",
    "---\na: 1\n---\nb: 2\n...\n---\n",
    "--- text\n--- [1, 2]\n--- {a: b}\n",
    "# only a comment\n",
    "",
    "key with spaces: value with spaces\n\"quoted key\": 1\n? complex\n: value\n",
    "dup: 1\ndup: 2\n",
    "0: zero\n1: one\n",
    "multi: line\n  plain scalar\nnext: 'single ''quoted'' text'\n",
    "esc: \"tab\\there \\u00e9 \\x41\"\n",
    "  indented: doc\n  more: x\n",
    "mesh: |-\n  defaultConfig:\n    proxyMetadata:\n      A: \"true\"\n",
    "a:\n  b:\n    c:\n      d: [x, {y: z}]\n",
    "%YAML 1.1\n---\na: b\n",
    "empty_map: {}\nempty_seq: []\n",
    "win: dows\r\nline: ends\r\n",
    "[a, b]: flow key\n",
    "flow: {a: , b}\nseq: [a, b, ]\n",
    "last:\n",
    "- \n- x\n-\n",
    "a:\n  b:\n  c:\nd:\n",
};

TEST(YamlNode, SnippetsReadAsYamlCppReadsThem) {
  for (const char* text : kSameTree) EXPECT_EQ(difference(text), "") << text;
}

// Malformed text: both refuse, and ours says where.
const char* const kMalformed[] = {
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n",
    "a: {b: c\n",
    "a: b: c\n",
    "a: *nowhere\n",
    "a:\n  - b\n c: d\n",
    "{a: b}}\n",
    "a: [b, c\nd: e\n",
    "key: value\n\t- tab\n",
    "a: @reserved\n",
    "a: !<bad tag\n",
};

TEST(YamlNode, MalformedTextIsRefusedByBothWithAPosition) {
  for (const char* text : kMalformed) {
    bool cpp_refused = false;
    try {
      YAML::LoadAll(text);
    } catch (const YAML::Exception&) {
      cpp_refused = true;
    }
    EXPECT_TRUE(cpp_refused) << "yaml-cpp accepted: " << text;
    try {
      LoadAll(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Exception& e) {
      EXPECT_FALSE(e.mark.is_null()) << text;
      EXPECT_FALSE(e.msg.empty()) << text;
    }
  }
}

// yaml-cpp 0.7 reads these without a complaint; libyaml refuses them, as the
// YAML spec does (a quoted scalar must be closed; a document is one node).
const char* const kMalformedYamlCppAccepted[] = {
    "a: 'unterminated\n",
    "a: \"unterminated\n",
    "- a\nb: c\n",
};

TEST(YamlNode, MalformedTextYamlCppAcceptedIsRefusedNow) {
  for (const char* text : kMalformedYamlCppAccepted) EXPECT_THROW(LoadAll(text), Exception) << text;
}

TEST(YamlNode, AccessorsOnMissingAndDetachedNodes) {
  Node doc = Load("a: {b: c}\nlist: [x, y]\ns: text\n");
  EXPECT_FALSE(doc["missing"]);
  EXPECT_FALSE(doc["missing"]["deeper"].IsDefined());  // yaml-cpp would throw here; we answer
  EXPECT_FALSE(doc["list"]["key"]);
  EXPECT_EQ(doc["list"][1].Scalar(), "y");
  EXPECT_FALSE(doc["list"][2]);
  EXPECT_EQ(doc["missing"].size(), 0u);
  EXPECT_TRUE(doc["missing"].Mark().is_null());
  EXPECT_THROW(doc["s"]["x"], Exception);  // yaml-cpp's BadSubscript
  EXPECT_THROW(doc["a"].as<std::string>(), Exception);
  EXPECT_EQ(doc["a"]["b"].as<std::string>(), "c");
  EXPECT_TRUE(Node().IsNull());
  EXPECT_FALSE(Node(NodeType::Undefined).IsDefined());
  Node kept = doc["a"];
  doc = Node();  // the document lives while a node of it does
  EXPECT_EQ(kept["b"].Scalar(), "c");
}

TEST(YamlNode, RecursiveAliasIsAnErrorNotACycle) {
  EXPECT_THROW(Load("a: &x [1, *x]\n"), Exception);
}

}  // namespace
}  // namespace meshsim::yaml
