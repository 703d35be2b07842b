#include "config/yaml_node.h"

#include <algorithm>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <yaml.h>

namespace meshsim::yaml {
namespace detail {

struct NodeData {
  uint8_t type = NodeType::Null;
  uint32_t tag = 0;    // 0 "" (null), 1 "?", 2 "!", then Tree::written_tags
  uint32_t first = 0;  // scalar: index into Tree::scalars; collection: into Tree::children
  uint32_t count = 0;  // items of a sequence, entries of a map (2 children each)
  meshsim::yaml::Mark mark;
};

// One document: every node in one vector, every child list back to back.
struct Tree {
  size_t refs = 0;
  std::vector<NodeData> nodes;
  std::vector<uint32_t> children;
  std::vector<std::string> scalars;
  std::vector<std::string> written_tags;  // explicit tags, from index kFirstWrittenTag on
  // Literal block scalars (`key: |`): node index, where the block's text begins.
  std::vector<std::pair<uint32_t, meshsim::yaml::Mark>> literal_blocks;
};

// Tag indexes shared by every tree: "" (null), "?" (plain) and "!" (quoted).
constexpr uint32_t kFirstWrittenTag = 3;

}  // namespace detail

namespace {

const std::string& empty_string() {
  static const std::string empty;
  return empty;
}

// Up to this many entries, a mapping's keys are compared pair by pair to
// find a repeat: no memory needed, and most mappings of a mesh have a handful
// of keys. Larger ones are sorted (n log n, so a hostile 100,000-key mapping
// stays cheap).
constexpr size_t kPairwiseKeyScanMax = 16;

// Entries that merge keys may copy into one document. An alias shares its
// node, but a merge copies the merged mapping's entries, so anchors that each
// merge the one before would grow the tree quadratically; hand-written
// manifests stay far below this.
constexpr size_t kMaxMergedEntriesPerDocument = 100000;

const char* kind_name(uint8_t type) {
  switch (type) {
    case NodeType::Null: return "null";
    case NodeType::Scalar: return "a scalar";
    case NodeType::Sequence: return "a list";
    default: return "a mapping";
  }
}

// yaml-cpp's IsNullString: an untagged plain scalar that reads as null.
bool null_text(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

Mark mark_of(const yaml_mark_t& m) {
  return {static_cast<int>(m.index), static_cast<int>(m.line), static_cast<int>(m.column)};
}

// The line and column of a byte offset (libyaml's reader errors give only the offset).
Mark mark_at_offset(std::string_view text, size_t offset) {
  Mark m{static_cast<int>(offset), 0, 0};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++m.line, m.column = 0;
    else ++m.column;
  }
  return m;
}

struct Event {
  yaml_event_t e;
  Event() { e.type = YAML_NO_EVENT; }
  ~Event() { yaml_event_delete(&e); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

}  // namespace

Exception::Exception(const Mark& at, const std::string& message, const Mark& context)
    : std::runtime_error(at.is_null() ? message
                                      : "line " + std::to_string(at.line + 1) + ", column " +
                                            std::to_string(at.column + 1) + ": " + message),
      mark(at),
      msg(message),
      context_mark(context) {}

std::string duplicate_key_message(std::string_view key, int first_line) {
  return "mapping key \"" + std::string(key) + "\" already defined at line " + std::to_string(first_line);
}

// Turns libyaml's events into trees, one document at a time.
class Builder {
 public:
  explicit Builder(std::string_view text) : text_(text) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~Builder() { yaml_parser_delete(&parser_); }
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  // The next document's root, or false at the end of the stream. A
  // document of `size_hint` bytes has about one node per 10 bytes.
  bool next(Node& out, size_t size_hint = 0) {
    for (;;) {
      Event ev;
      parse(ev);
      if (ev.e.type == YAML_STREAM_END_EVENT) return false;
      if (ev.e.type == YAML_DOCUMENT_START_EVENT) break;
    }
    merged_entries_ = 0;
    auto* tree = new detail::Tree;
    Node root(tree, 0);  // owns the tree from here on, even if parsing throws
    tree->nodes.reserve(size_hint / 10);
    tree->scalars.reserve(size_hint / 10);
    tree->children.reserve(size_hint / 10);
    build(*tree);
    out = std::move(root);
    return true;
  }

 private:
  void parse(Event& ev) {
    if (yaml_parser_parse(&parser_, &ev.e)) return;
    Mark at = parser_.error == YAML_READER_ERROR ? mark_at_offset(text_, parser_.problem_offset)
                                                  : mark_of(parser_.problem_mark);
    std::string message = parser_.problem ? parser_.problem : "invalid YAML";
    if (parser_.context) message += std::string(" ") + parser_.context;
    throw Exception(at, message, parser_.context ? mark_of(parser_.context_mark) : Mark());
  }

  // A literal block's text starts on the line after its `|` indicator, at
  // the indentation of its first line that is not blank (libyaml strips
  // exactly that much from every line; an explicit indentation indicator,
  // `|2`, is not read here). Text line k, column c is then file line
  // origin.line + k, column origin.column + c.
  Mark literal_block_origin(const yaml_mark_t& indicator) const {
    // libyaml's index counts characters, not bytes: find the line by number.
    size_t at = 0;
    for (size_t line = 0; line < indicator.line && at != std::string_view::npos; ++line) {
      at = text_.find('\n', at);
      if (at != std::string_view::npos) ++at;
    }
    if (at != std::string_view::npos) at = text_.find('\n', at);
    Mark origin{-1, static_cast<int>(indicator.line) + 1, 0};
    while (at != std::string_view::npos && at + 1 < text_.size()) {
      size_t line = at + 1;
      size_t indent = text_.find_first_not_of(' ', line);
      if (indent == std::string_view::npos) break;
      if (text_[indent] != '\n' && text_[indent] != '\r') {
        origin.column = static_cast<int>(indent - line);
        break;
      }
      at = indent;
    }
    return origin;
  }

  // Where yaml-cpp places an empty value (`key:` with nothing): at the token
  // after it, which libyaml has peeked at but not consumed.
  const yaml_mark_t& next_token_mark(const yaml_mark_t& fallback) const {
    if (parser_.token_available && parser_.tokens.head != parser_.tokens.tail) return parser_.tokens.head->start_mark;
    return fallback;
  }

  static uint32_t tag_index(detail::Tree& tree, const yaml_char_t* tag, uint32_t implicit) {
    if (tag == nullptr) return implicit;
    std::string_view t(reinterpret_cast<const char*>(tag));
    if (t == "?") return 1;
    if (t == "!") return 2;
    for (size_t i = 0; i < tree.written_tags.size(); ++i)
      if (tree.written_tags[i] == t) return detail::kFirstWrittenTag + static_cast<uint32_t>(i);
    tree.written_tags.emplace_back(t);
    return detail::kFirstWrittenTag + static_cast<uint32_t>(tree.written_tags.size() - 1);
  }

  // Events up to the end of the current document.
  void build(detail::Tree& tree) {
    struct Open {
      uint32_t node;
      size_t first_child;  // in `pending`
      std::string anchor;  // registered when the node is complete
    };
    std::vector<Open> open;
    std::vector<uint32_t> pending;  // children of the open collections, innermost last
    std::unordered_map<std::string, uint32_t> anchors;
    auto attach = [&](uint32_t index) {
      if (!open.empty()) pending.push_back(index);
    };
    auto add = [&](uint8_t type, const yaml_mark_t& m) {
      detail::NodeData d;
      d.type = type;
      d.mark = mark_of(m);
      tree.nodes.push_back(d);
      return static_cast<uint32_t>(tree.nodes.size() - 1);
    };
    auto anchor_name = [](const yaml_char_t* a) { return a ? std::string(reinterpret_cast<const char*>(a)) : std::string(); };
    for (;;) {
      Event ev;
      parse(ev);
      const yaml_event_t& e = ev.e;
      switch (e.type) {
        case YAML_DOCUMENT_END_EVENT:
          return;
        case YAML_SCALAR_EVENT: {
          std::string_view value(reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
          bool plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
          uint32_t index;
          if (plain && e.data.scalar.tag == nullptr && null_text(value)) {
            index = add(NodeType::Null, value.empty() && e.start_mark.index == e.end_mark.index ? next_token_mark(e.start_mark)
                                                                                                : e.start_mark);
          } else {
            index = add(NodeType::Scalar, e.start_mark);
            tree.nodes[index].tag = tag_index(tree, e.data.scalar.tag, plain ? 1 : 2);
            tree.nodes[index].first = static_cast<uint32_t>(tree.scalars.size());
            tree.scalars.emplace_back(value);
            if (e.data.scalar.style == YAML_LITERAL_SCALAR_STYLE)
              tree.literal_blocks.emplace_back(index, literal_block_origin(e.start_mark));
          }
          if (e.data.scalar.anchor) anchors[anchor_name(e.data.scalar.anchor)] = index;
          attach(index);
          break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
          bool map = e.type == YAML_MAPPING_START_EVENT;
          uint32_t index = add(map ? NodeType::Map : NodeType::Sequence, e.start_mark);
          tree.nodes[index].tag = tag_index(tree, map ? e.data.mapping_start.tag : e.data.sequence_start.tag, 1);
          attach(index);
          open.push_back({index, pending.size(),
                          anchor_name(map ? e.data.mapping_start.anchor : e.data.sequence_start.anchor)});
          break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
          Open& top = open.back();
          std::span<const uint32_t> children(pending.data() + top.first_child, pending.size() - top.first_child);
          if (e.type == YAML_MAPPING_END_EVENT) close_mapping(tree, top.node, children);
          else store_children(tree, top.node, children);
          pending.resize(top.first_child);
          if (!top.anchor.empty()) anchors[top.anchor] = top.node;
          open.pop_back();
          break;
        }
        case YAML_ALIAS_EVENT: {
          std::string name = anchor_name(e.data.alias.anchor);
          auto found = anchors.find(name);
          if (found == anchors.end()) {
            bool enclosing = false;
            for (const Open& o : open) enclosing = enclosing || o.anchor == name;
            throw Exception(mark_of(e.start_mark), enclosing ? "alias *" + name + " refers to a node that contains it"
                                                             : "unknown anchor *" + name);
          }
          attach(found->second);
          break;
        }
        default:
          break;
      }
    }
  }

  // Gives a complete collection its children (a mapping's alternate keys and values).
  static void store_children(detail::Tree& tree, uint32_t collection, std::span<const uint32_t> children) {
    detail::NodeData& d = tree.nodes[collection];
    d.first = static_cast<uint32_t>(tree.children.size());
    d.count = static_cast<uint32_t>(d.type == NodeType::Map ? children.size() / 2 : children.size());
    tree.children.insert(tree.children.end(), children.begin(), children.end());
  }

  // A complete mapping: refused when a key repeats, merge keys applied. The
  // mappings it merges are complete, so already merged themselves: one level
  // of copying, and no cycle (an alias never names a node still open).
  void close_mapping(detail::Tree& tree, uint32_t map, std::span<const uint32_t> entries) {
    reject_repeated_keys(tree, entries);
    for (size_t i = 0; i < entries.size(); i += 2) {
      if (!is_merge_key(tree, entries[i])) continue;
      std::vector<uint32_t> merged = merge_entries(tree, entries, i);
      store_children(tree, map, merged);
      return;
    }
    store_children(tree, map, entries);
  }

  static const std::string* key_text(const detail::Tree& tree, uint32_t key) {
    const detail::NodeData& k = tree.nodes[key];
    return k.type == NodeType::Scalar ? &tree.scalars[k.first] : nullptr;
  }

  // go-yaml compares keys by their text whatever their style ("1" repeats 1),
  // the merge key `<<` too; non-scalar keys are left alone.
  void reject_repeated_keys(const detail::Tree& tree, std::span<const uint32_t> entries) {
    size_t n = entries.size() / 2;
    if (n <= kPairwiseKeyScanMax) {
      for (size_t later = 1; later < n; ++later) {
        const std::string* text = key_text(tree, entries[2 * later]);
        if (text == nullptr) continue;
        for (size_t earlier = 0; earlier < later; ++earlier) {
          const std::string* other = key_text(tree, entries[2 * earlier]);
          if (other != nullptr && *other == *text) throw_repeated_key(tree, entries[2 * earlier], entries[2 * later]);
        }
      }
      return;
    }
    sorted_keys_.clear();
    for (size_t i = 0; i < n; ++i)
      if (const std::string* text = key_text(tree, entries[2 * i])) sorted_keys_.emplace_back(*text, i);
    std::sort(sorted_keys_.begin(), sorted_keys_.end());
    // The repeat earliest in the document, as the pairwise scan finds it.
    size_t first = 0, repeat = SIZE_MAX;
    for (size_t s = 1; s < sorted_keys_.size(); ++s)
      if (sorted_keys_[s].first == sorted_keys_[s - 1].first && sorted_keys_[s].second < repeat) {
        first = sorted_keys_[s - 1].second;
        repeat = sorted_keys_[s].second;
      }
    if (repeat != SIZE_MAX) throw_repeated_key(tree, entries[2 * first], entries[2 * repeat]);
  }

  [[noreturn]] static void throw_repeated_key(const detail::Tree& tree, uint32_t first, uint32_t repeat) {
    const std::string& key = *key_text(tree, repeat);
    Mark first_at = tree.nodes[first].mark;
    Exception error(tree.nodes[repeat].mark, duplicate_key_message(key, first_at.line + 1));
    error.duplicate_key = key;
    error.first_defined_at = first_at;
    throw error;
  }

  // A plain `<<` or one tagged !!merge; a quoted '<<' is an ordinary key.
  static bool is_merge_key(const detail::Tree& tree, uint32_t key) {
    const detail::NodeData& k = tree.nodes[key];
    if (k.type != NodeType::Scalar || tree.scalars[k.first] != "<<") return false;
    return k.tag == 1 ||
           (k.tag >= detail::kFirstWrittenTag &&
            tree.written_tags[k.tag - detail::kFirstWrittenTag] == "tag:yaml.org,2002:merge");
  }

  // The entries of a mapping whose key at `merge_at` is a merge key: its own
  // entries, and in the merge key's place each merged mapping's entries whose
  // key neither an own entry nor an earlier merged mapping has (go-yaml's
  // precedence). Merged nodes are shared, so they keep their marks.
  std::vector<uint32_t> merge_entries(const detail::Tree& tree, std::span<const uint32_t> entries, size_t merge_at) {
    std::unordered_set<std::string_view> taken;  // merge keys are rare: an allocation here is fine
    for (size_t i = 0; i < entries.size(); i += 2)
      if (const std::string* text = key_text(tree, entries[i])) taken.insert(*text);
    std::vector<uint32_t> out(entries.begin(), entries.begin() + static_cast<long>(merge_at));
    for_each_merged_mapping(tree, entries[merge_at], entries[merge_at + 1], [&](const detail::NodeData& source) {
      count_merged(tree, entries[merge_at], source.count);
      for (uint32_t e = 0; e < source.count; ++e) {
        uint32_t key = tree.children[source.first + 2 * e];
        const std::string* text = key_text(tree, key);
        if (text != nullptr && !taken.insert(*text).second) continue;
        out.push_back(key);
        out.push_back(tree.children[source.first + 2 * e + 1]);
      }
    });
    out.insert(out.end(), entries.begin() + static_cast<long>(merge_at) + 2, entries.end());
    return out;
  }

  // Calls each(mapping) for the merge key's value, or for each item of it
  // when it is a list; anything else is an error at the merge key.
  template <typename F>
  void for_each_merged_mapping(const detail::Tree& tree, uint32_t merge_key, uint32_t value, F&& each) {
    const detail::NodeData& v = tree.nodes[value];
    if (v.type == NodeType::Map) return each(v);
    if (v.type != NodeType::Sequence) throw_bad_merge(tree, merge_key, kind_name(v.type));
    count_merged(tree, merge_key, v.count);
    for (uint32_t i = 0; i < v.count; ++i) {
      const detail::NodeData& item = tree.nodes[tree.children[v.first + i]];
      if (item.type != NodeType::Map)
        throw_bad_merge(tree, merge_key, std::string("a list holding ") + kind_name(item.type));
      each(item);
    }
  }

  [[noreturn]] static void throw_bad_merge(const detail::Tree& tree, uint32_t merge_key, const std::string& found) {
    throw Exception(tree.nodes[merge_key].mark,
                    "merge key \"<<\" takes a mapping or a list of mappings, found " + found);
  }

  // Bounds the work merge keys cause (entries and list items visited).
  void count_merged(const detail::Tree& tree, uint32_t merge_key, size_t entries) {
    merged_entries_ += entries;
    if (merged_entries_ > kMaxMergedEntriesPerDocument)
      throw Exception(tree.nodes[merge_key].mark, "merge keys copy more than " +
                                                      std::to_string(kMaxMergedEntriesPerDocument) +
                                                      " entries into one document");
  }

  std::string_view text_;
  yaml_parser_t parser_;
  // Reused by every large mapping's repeat check, so it allocates once.
  std::vector<std::pair<std::string_view, size_t>> sorted_keys_;
  size_t merged_entries_ = 0;  // in the current document
};

Node::Node(detail::Tree* tree, uint32_t index) : tree_(tree), index_(index) {
  if (tree_) ++tree_->refs;
}

Node::Node(const Node& other) : tree_(other.tree_), index_(other.index_) {
  if (tree_) ++tree_->refs;
}

Node& Node::operator=(const Node& other) {
  if (other.tree_) ++other.tree_->refs;
  if (tree_ && --tree_->refs == 0) delete tree_;
  tree_ = other.tree_;
  index_ = other.index_;
  return *this;
}

Node& Node::operator=(Node&& other) noexcept {
  if (this == &other) return *this;
  if (tree_ && --tree_->refs == 0) delete tree_;
  tree_ = other.tree_;
  index_ = other.index_;
  other.tree_ = nullptr;
  return *this;
}

Node::~Node() {
  if (tree_ && --tree_->refs == 0) delete tree_;
}

NodeType::value Node::Type() const {
  if (!tree_) return index_ == 1 ? NodeType::Null : NodeType::Undefined;
  return static_cast<NodeType::value>(tree_->nodes[index_].type);
}

const std::string& Node::Scalar() const {
  if (!tree_ || tree_->nodes[index_].type != NodeType::Scalar) return empty_string();
  return tree_->scalars[tree_->nodes[index_].first];
}

const std::string& Node::Tag() const {
  static const std::string implicit[detail::kFirstWrittenTag] = {"", "?", "!"};
  if (!tree_) return implicit[0];
  uint32_t tag = tree_->nodes[index_].tag;
  return tag < detail::kFirstWrittenTag ? implicit[tag] : tree_->written_tags[tag - detail::kFirstWrittenTag];
}

Mark Node::LiteralBlockOrigin() const {
  if (tree_)
    for (const auto& [index, origin] : tree_->literal_blocks)
      if (index == index_) return origin;
  return meshsim::yaml::Mark::null_mark();
}

Mark Node::Mark() const { return tree_ ? tree_->nodes[index_].mark : meshsim::yaml::Mark::null_mark(); }

size_t Node::size() const {
  NodeType::value t = Type();
  return t == NodeType::Map || t == NodeType::Sequence ? tree_->nodes[index_].count : 0;
}

Node Node::operator[](std::string_view key) const {
  NodeType::value t = Type();
  if (t == NodeType::Scalar) throw Exception(Mark(), "operator[] call on a scalar (key: \"" + std::string(key) + "\")");
  if (t != NodeType::Map) return Node(NodeType::Undefined);
  const detail::NodeData& d = tree_->nodes[index_];
  for (uint32_t i = 0; i < d.count; ++i) {
    const detail::NodeData& k = tree_->nodes[tree_->children[d.first + 2 * i]];
    if (k.type == NodeType::Scalar && tree_->scalars[k.first] == key) return Node(tree_, tree_->children[d.first + 2 * i + 1]);
  }
  return Node(NodeType::Undefined);
}

Node Node::item(size_t i) const {
  NodeType::value t = Type();
  if (t == NodeType::Sequence) {
    const detail::NodeData& d = tree_->nodes[index_];
    return i < d.count ? Node(tree_, tree_->children[d.first + i]) : Node(NodeType::Undefined);
  }
  if (t == NodeType::Map && i != SIZE_MAX) return (*this)[std::to_string(i)];
  if (t == NodeType::Scalar) throw Exception(Mark(), "operator[] call on a scalar (key: \"" + std::to_string(i) + "\")");
  return Node(NodeType::Undefined);
}

std::string Node::scalar_or_throw() const {
  if (!IsScalar()) throw Exception(Mark(), "bad conversion");
  return Scalar();
}

Node::Entry Node::const_iterator::operator*() const {
  const detail::Tree* tree = parent_->tree_;
  const detail::NodeData& d = tree->nodes[parent_->index_];
  auto* t = const_cast<detail::Tree*>(tree);
  if (d.type == NodeType::Map)
    return Entry(Node(NodeType::Undefined), Node(t, tree->children[d.first + 2 * at_]),
                 Node(t, tree->children[d.first + 2 * at_ + 1]));
  return Entry(Node(t, tree->children[d.first + at_]), Node(NodeType::Undefined), Node(NodeType::Undefined));
}

Node::const_iterator Node::begin() const { return const_iterator(this, 0); }
Node::const_iterator Node::end() const { return const_iterator(this, size()); }

Node Load(std::string_view text) {
  Builder builder(text);
  Node root;
  if (!builder.next(root, text.size())) return Node();
  return root;
}

std::vector<Node> LoadAll(std::string_view text) {
  Builder builder(text);
  std::vector<Node> out;
  Node doc;
  while (builder.next(doc)) out.push_back(doc);
  return out;
}

}  // namespace meshsim::yaml
