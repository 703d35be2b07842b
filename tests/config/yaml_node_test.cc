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

// A repeated mapping key is refused at the second key, naming the line of
// the first, as go-yaml refuses it (yaml/go-yaml v3 decode.go, decoder's
// mapping(): keys compared by kind and text, "mapping key %#v already
// defined at line %d"); kubectl reads manifests with it and printed that
// error for a repeated readinessProbe field (k8up-io/k8up pull 452, kubectl
// 1.21). yaml-cpp kept the first value, so these left kSameTree.
struct RepeatedKeyCase {
  const char* name;
  std::string text;
  int line, column;  // 0-based, of the second key
  const char* key;
  int first_line;  // 1-based, as the message says it
};

void PrintTo(const RepeatedKeyCase& c, std::ostream* os) { *os << c.name; }

// A mapping of `keys` distinct keys k0.. with `repeat` written again after them.
std::string many_keys(int keys, const std::string& repeat) {
  std::string text;
  for (int i = 0; i < keys; ++i) text += "k" + std::to_string(i) + ": v\n";
  return text + repeat + ": again\n";
}

// `levels` block mappings deep, then a mapping repeating `route`.
std::string nested(int levels) {
  std::string text, indent;
  for (int i = 0; i < levels; ++i, indent += "  ") text += indent + "l" + std::to_string(i) + ":\n";
  return text + indent + "route: a\n" + indent + "match: b\n" + indent + "route: c\n";
}

const RepeatedKeyCase kRepeatedKeys[] = {
    {"top_level_block", "a: 1\nb: 2\na: 3\n", 2, 0, "a", 1},
    {"virtual_service_route",
     "spec:\n  http:\n  - route:\n    - destination: {host: a}\n    timeout: 1s\n    route: []\n", 5, 4, "route", 3},
    {"flow_mapping", "m: {a: 1, b: 2, a: 3}\n", 0, 16, "a", 1},
    {"flow_in_flow_sequence", "- [x, {k: 1, k: 2}]\n", 0, 13, "k", 1},
    {"block_in_sequence", "- name: a\n  port: 1\n- name: b\n  name: c\n", 3, 2, "name", 3},
    {"quoted_and_plain_text_alike", "'1': a\n1: b\n", 1, 0, "1", 1},
    {"null_value_then_repeat", "a:\nb: 1\na: 2\n", 2, 0, "a", 1},
    {"merge_key_twice", "<<: {a: 1}\n<<: {b: 2}\n", 1, 0, "<<", 1},
    {"eight_levels_deep", nested(8), 10, 16, "route", 9},
    {"forty_levels_deep", nested(40), 42, 80, "route", 41},
    // Past kPairwiseKeyScanMax the keys are sorted: the earliest repeat still wins.
    {"large_mapping", many_keys(40, "k7") + "k3: x\n", 40, 0, "k7", 8},
    {"large_mapping_two_repeats", many_keys(40, "k30") + "k2: again\n", 40, 0, "k30", 31},
};

class RepeatedKey : public ::testing::TestWithParam<RepeatedKeyCase> {};

TEST_P(RepeatedKey, IsRefusedAtTheSecondKeyNamingTheFirstLine) {
  const RepeatedKeyCase& c = GetParam();
  try {
    LoadAll(c.text);
    FAIL() << "accepted";
  } catch (const Exception& e) {
    EXPECT_EQ(e.mark.line, c.line) << e.what();
    EXPECT_EQ(e.mark.column, c.column) << e.what();
    EXPECT_EQ(e.msg, duplicate_key_message(c.key, c.first_line));
    EXPECT_EQ(e.duplicate_key, c.key);
    EXPECT_EQ(e.first_defined_at.line + 1, c.first_line);
  }
}

INSTANTIATE_TEST_SUITE_P(YamlNode, RepeatedKey, ::testing::ValuesIn(kRepeatedKeys),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(YamlNode, RepeatedKeyMessageIsKubectls) {
  EXPECT_EQ(duplicate_key_message("route", 6), "mapping key \"route\" already defined at line 6");
}

TEST(YamlNode, SameKeyInDifferentMappingsIsNoRepeat) {
  Node doc = Load("a: {k: 1}\nb: {k: 2}\nlist:\n- k: 3\n- k: 4\nA: case differs\n'a ': space differs\n" +
                  many_keys(40, "k40"));
  EXPECT_EQ(doc["b"]["k"].Scalar(), "2");
  EXPECT_EQ(doc["k40"].Scalar(), "again");
}

// Merge keys (YAML 1.1 merge type), as go-yaml applies them (decode.go's
// merge(): the mapping's own keys win, a list of mappings merges in order
// with earlier ones winning; anything but a mapping or a list of mappings is
// "map merge requires map or sequence of maps as the value").
std::vector<std::string> keys_of(const Node& map) {
  std::vector<std::string> keys;
  for (const auto& entry : map) keys.push_back(entry.first.Scalar());
  return keys;
}

TEST(YamlNode, MergeKeyCopiesTheAnchoredMappingKeepingItsMarks) {
  Node doc = Load("base: &b\n  a: 1\n  b: 2\nm:\n  <<: *b\n  c: 3\n");
  Node m = doc["m"];
  EXPECT_EQ(keys_of(m), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(m["a"].Scalar(), "1");
  EXPECT_FALSE(m["<<"]);
  EXPECT_EQ(m["b"].Mark().line, 2);  // where it was written, under base
  EXPECT_EQ(m["b"].Mark().column, 5);
  EXPECT_EQ(m["c"].Mark().line, 5);
  EXPECT_EQ(doc["base"].size(), 2u);  // the anchored mapping is unchanged
}

TEST(YamlNode, OwnKeysWinOverMergedOnesWrittenBeforeOrAfter) {
  Node m = Load("base: &b {a: 1, b: 2, c: 3}\nm:\n  a: own\n  <<: *b\n  c: own too\n")["m"];
  EXPECT_EQ(keys_of(m), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(m["a"].Scalar(), "own");
  EXPECT_EQ(m["b"].Scalar(), "2");
  EXPECT_EQ(m["c"].Scalar(), "own too");
}

TEST(YamlNode, MergeListEarlierMappingsWin) {
  Node m = Load("x: &x {a: x1, b: x2}\ny: &y {b: y2, c: y3, d: y4}\nm:\n  <<: [*x, *y, {d: inline}]\n  d: own\n")["m"];
  EXPECT_EQ(keys_of(m), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(m["b"].Scalar(), "x2");
  EXPECT_EQ(m["c"].Scalar(), "y3");
  EXPECT_EQ(m["d"].Scalar(), "own");
}

TEST(YamlNode, NestedMergesAndAliasesOfAMergedMapping) {
  Node doc = Load("a: &a {k1: 1, k2: a}\nb: &b {<<: *a, k2: b, k3: 3}\nc: {<<: *b, k4: 4}\nd: *b\n");
  EXPECT_EQ(keys_of(doc["c"]), (std::vector<std::string>{"k1", "k2", "k3", "k4"}));
  EXPECT_EQ(doc["c"]["k2"].Scalar(), "b");
  EXPECT_EQ(keys_of(doc["d"]), (std::vector<std::string>{"k1", "k2", "k3"}));
}

TEST(YamlNode, MergeKeyInsideMergedValuesTooAndTagged) {
  Node doc = Load("subsets:\n- &s1\n  name: v1\n  labels: {version: v1}\n- <<: *s1\n  name: v2\n"
                  "tagged: {!!merge <<: {a: 1}}\nquoted: {'<<': {a: 1}}\nempty: {<<: [], a: 1}\n");
  Node v2 = doc["subsets"][1];
  EXPECT_EQ(v2["name"].Scalar(), "v2");
  EXPECT_EQ(v2["labels"]["version"].Scalar(), "v1");
  EXPECT_EQ(v2["labels"].Mark().line, 3);
  EXPECT_EQ(doc["tagged"]["a"].Scalar(), "1");
  EXPECT_TRUE(doc["quoted"]["<<"].IsMap());  // a quoted key is no merge key
  EXPECT_EQ(doc["empty"].size(), 1u);
}

TEST(YamlNode, MergeOfAnythingButMappingsIsRefusedAtTheMergeKey) {
  const char* const refused[] = {
      "s: &s text\nm:\n  <<: *s\n", "s: &s [a]\nm:\n  <<: *s\n", "m:\n  <<:\n", "s: &s text\nm:\n  <<: [*s]\n",
      "m:\n  <<: [[a]]\n",
  };
  for (const char* text : refused) {
    try {
      Load(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Exception& e) {
      EXPECT_EQ(e.mark.column, 2) << text;
      EXPECT_NE(e.msg.find("takes a mapping or a list of mappings"), std::string::npos) << e.msg;
    }
  }
}

// Each anchor merges the one before and adds a key: anchor i copies i
// entries, so n anchors copy n^2/2. The bound refuses a chain past
// kMaxMergedEntriesPerDocument quickly instead of growing the tree.
std::string merge_chain(int anchors) {
  std::string text = "a0: &a0 {k0: 0}\n";
  for (int i = 1; i < anchors; ++i)
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " {<<: *a" + std::to_string(i - 1) + ", k" +
            std::to_string(i) + ": 0}\n";
  return text;
}

TEST(YamlNode, MergeExpansionIsBounded) {
  EXPECT_EQ(Load(merge_chain(100))["a99"].size(), 100u);
  try {
    Load(merge_chain(2000));
    FAIL() << "a quadratic merge chain was accepted";
  } catch (const Exception& e) {
    EXPECT_NE(e.msg.find("merge keys copy more than"), std::string::npos) << e.msg;
  }
  // A list of 1,000 empty mappings merged 200 times copies nothing, but
  // visits 200,000 items: counted too.
  std::string list = "l: &l [{}";
  for (int i = 1; i < 1000; ++i) list += ", {}";
  list += "]\n";
  std::string merges;
  for (int i = 0; i < 200; ++i) merges += "m" + std::to_string(i) + ": {<<: *l}\n";
  EXPECT_NO_THROW(Load(list + "m: {<<: *l}\n"));
  EXPECT_THROW(Load(list + merges), Exception);
}

}  // namespace
}  // namespace meshsim::yaml
