// A read-only YAML node tree built from libyaml's event parser: the subset
// of yaml-cpp's Node API the loader uses, so parsing a 1,000-service tree
// costs a tenth of yaml-cpp's (issue 20). One document is one flat array of
// nodes; a Node is a pointer into it plus an index.
//
// Kept from yaml-cpp, because the loader and its tests rely on them:
// - 0-based line/column marks (Mark()), an alias is its anchor's node;
// - Tag(): "?" for a plain scalar or untagged collection, "!" for a quoted
//   or block scalar, the resolved tag when one is written, "" for null;
// - an untagged plain "", "~", "null", "Null" or "NULL" is a Null node;
// - a missing key or index gives an undefined node (`!node`), and indexing
//   a scalar throws Exception, as yaml-cpp's BadSubscript does.
// Unlike yaml-cpp, as go-yaml (so kubectl) reads a manifest:
// - a mapping that repeats a scalar key is an Exception at the second key;
// - YAML 1.1 merge keys (`<<: *base`, `<<: [*a, *b]`) are applied: the
//   mapping holds its own entries and the merged ones it does not override,
//   each node keeping the mark of where it was written.
// Unlike yaml-cpp, undefined nodes answer every accessor (false, "", 0).
//
// Nodes count references to their document without atomics: a document and
// its nodes stay on one thread (they never leave config/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace meshsim::yaml {

struct Mark {
  int pos = -1;
  int line = -1;    // 0-based
  int column = -1;  // 0-based
  bool is_null() const { return pos == -1 && line == -1 && column == -1; }
  static Mark null_mark() { return {}; }
};

// A syntax error (libyaml's problem text) or a misuse such as indexing a scalar.
class Exception : public std::runtime_error {
 public:
  Exception(const Mark& at, const std::string& message, const Mark& context = {});
  Mark mark;
  std::string msg;
  // Where the construct the error is in began ("while scanning a simple
  // key" that starts here), when libyaml says.
  Mark context_mark;
  // A repeated mapping key: the key and where it was first written, so a
  // caller that shifts lines (a document inside a file) can say it again.
  std::string duplicate_key;
  Mark first_defined_at;
};

// go-yaml's words for a repeated key, which kubectl prints:
// mapping key "route" already defined at line 6 (`first_line` 1-based).
std::string duplicate_key_message(std::string_view key, int first_line);

struct NodeType {
  enum value { Undefined, Null, Scalar, Sequence, Map };
};

namespace detail {
struct Tree;
}

class Node {
 public:
  Node() : Node(NodeType::Null) {}
  // A node that belongs to no document: Undefined or Null.
  explicit Node(NodeType::value type) : tree_(nullptr), index_(type == NodeType::Null ? 1 : 0) {}
  Node(const Node& other);
  Node(Node&& other) noexcept : tree_(other.tree_), index_(other.index_) { other.tree_ = nullptr; }
  Node& operator=(const Node& other);
  Node& operator=(Node&& other) noexcept;
  ~Node();
  // yaml-cpp's reset(): this handle now names `other`'s node.
  void reset(const Node& other) { *this = other; }

  NodeType::value Type() const;
  bool IsDefined() const { return Type() != NodeType::Undefined; }
  bool IsNull() const { return Type() == NodeType::Null; }
  bool IsScalar() const { return Type() == NodeType::Scalar; }
  bool IsSequence() const { return Type() == NodeType::Sequence; }
  bool IsMap() const { return Type() == NodeType::Map; }
  explicit operator bool() const { return IsDefined(); }
  bool operator!() const { return !IsDefined(); }

  // The text of a scalar; "" for anything else.
  const std::string& Scalar() const;
  const std::string& Tag() const;
  meshsim::yaml::Mark Mark() const;
  // For a literal block scalar (`key: |`), where its text's first line and
  // column are in the document (pos unset), so YAML written inside it can be
  // placed in the file; a null mark for any other node.
  meshsim::yaml::Mark LiteralBlockOrigin() const;
  // Entries of a map or items of a sequence; 0 otherwise.
  size_t size() const;

  // The first entry whose key is the scalar `key` (undefined when none).
  Node operator[](std::string_view key) const;
  Node operator[](const char* key) const { return (*this)[std::string_view(key)]; }
  Node operator[](const std::string& key) const { return (*this)[std::string_view(key)]; }
  // Item `i` of a sequence (a map: the entry whose key reads as `i`).
  template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
  Node operator[](I i) const {
    return item(i < 0 ? SIZE_MAX : static_cast<size_t>(i));
  }

  // Only std::string: the scalar's text; throws Exception when not a scalar.
  template <typename T>
  T as() const {
    static_assert(std::is_same_v<T, std::string>, "yaml::Node::as supports std::string only");
    return scalar_or_throw();
  }

  // Same node of the same document (an alias is its anchor's node).
  bool is(const Node& other) const { return tree_ == other.tree_ && index_ == other.index_; }

  // Iteration as in yaml-cpp: a map gives entries with .first (key) and
  // .second (value); a sequence gives its items (the entry is the item).
  class Entry;
  class const_iterator;
  const_iterator begin() const;
  const_iterator end() const;

 private:
  friend struct detail::Tree;
  friend class Builder;
  Node(detail::Tree* tree, uint32_t index);
  Node item(size_t i) const;
  std::string scalar_or_throw() const;

  detail::Tree* tree_;  // nullptr: a detached node, index_ 0 = Undefined, 1 = Null
  uint32_t index_;
};

class Node::Entry : public Node {
 public:
  Entry() = default;
  Entry(Node item, Node key, Node value) : Node(std::move(item)), first(std::move(key)), second(std::move(value)) {}
  Node first{NodeType::Undefined};
  Node second{NodeType::Undefined};
};

class Node::const_iterator {
 public:
  using value_type = Entry;
  using difference_type = std::ptrdiff_t;
  using reference = Entry;
  using pointer = void;
  using iterator_category = std::input_iterator_tag;

  const_iterator(const Node* parent, size_t at) : parent_(parent), at_(at) {}
  Entry operator*() const;
  const_iterator& operator++() {
    ++at_;
    return *this;
  }
  bool operator==(const const_iterator& o) const { return at_ == o.at_; }
  bool operator!=(const const_iterator& o) const { return at_ != o.at_; }

 private:
  const Node* parent_;
  size_t at_;
};

// The first document of `text` (a Null node when there is none); throws
// Exception on a syntax error in it.
Node Load(std::string_view text);
// Every document of `text`; throws Exception on the first syntax error.
std::vector<Node> LoadAll(std::string_view text);

}  // namespace meshsim::yaml
