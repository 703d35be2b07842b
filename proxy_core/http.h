// HTTP/1.1 messages as the proxy core sees them. Header names keep the case
// they arrived with; every lookup is case-insensitive (RFC 9110 §5.1).
#pragma once

#include <array>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace meshsim::proxy {

// ASCII case-insensitive equality (header names are ASCII tokens). Inline:
// header lookups call it for every field, and most differ in length.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  size_t i = 0;
  // Names usually come in the case they are looked up in: eight bytes at a
  // time while they are equal, then byte by byte.
  for (; i + 8 <= a.size(); i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) break;
  }
  for (; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    unsigned char lower = x | 0x20;  // equal apart from case only for letters
    if (lower != (y | 0x20) || lower < 'a' || lower > 'z') return false;
  }
  return true;
}
std::string to_lower(std::string_view s);

// RFC 9110 tchar, as a table.
inline constexpr std::array<bool, 256> kTchar = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) t[c] = true;
  return t;
}();

// Whether `name` is an HTTP token (RFC 9110 §5.6.2), as a field name must be.
constexpr bool is_token(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!kTchar[static_cast<unsigned char>(c)]) return false;
  return true;
}

// A field name written in the program ("x-b3-traceid"): checked to be a
// token when the program is compiled, so the per-request edits of trace
// and routing headers do not check it again.
class FieldName {
 public:
  template <size_t N>
  consteval FieldName(const char (&name)[N]) : name_(name, N - 1) {  // NOLINT: implicit by design
    if (!is_token(name_)) throw "a header name must be an HTTP token";  // a compile error, never thrown
  }
  constexpr std::string_view view() const { return name_; }

 private:
  std::string_view name_;
};

// A header name known only at run time (from configuration or a request):
// anything that converts to std::string_view except a literal, which is a FieldName.
template <typename Name>
concept RuntimeFieldName = std::convertible_to<const Name&, std::string_view> && !std::is_array_v<Name>;

// One field, as views into its HeaderMap: valid until the map changes.
struct Header {
  std::string_view name;
  std::string_view value;
};

// The fields of a message in order. Names and values live back to back in
// one string, so a message's fields cost one allocation rather than one or
// two per field (every hop parses, edits and writes them).
class HeaderMap {
 public:
  // First value of `name`, or nullopt.
  std::optional<std::string_view> get(std::string_view name) const;
  // All values of `name` joined with "," (how Envoy presents repeated headers to matchers).
  std::optional<std::string> get_joined(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  // set() replaces every value; add() appends another field. Both keep the
  // map writable as it is: a name that is not an HTTP token is dropped and CR
  // or LF in a value becomes a space, so no field can split a message on the
  // wire (request smuggling) and the codec writes fields without checking them.
  template <RuntimeFieldName Name>
  void set(const Name& name, std::string_view value) {
    std::string_view checked = name;
    if (is_token(checked)) set_field(checked, value);
  }
  template <RuntimeFieldName Name>
  void add(const Name& name, std::string_view value) {
    std::string_view checked = name;
    if (is_token(checked)) append_field(checked, value);
  }
  void set(FieldName name, std::string_view value) { set_field(name.view(), value); }
  void add(FieldName name, std::string_view value) { append_field(name.view(), value); }
  // set() for a value already known to be safe to write, without the scan
  // for CR and LF: ids and numbers the proxy generates, or text taken from
  // fields of a HeaderMap. Trace headers are rewritten at every hop.
  void set_checked(FieldName name, std::string_view value) { replace_field(name.view(), value); }
  // add() for a field already known to be safe, without the checks: one the
  // HTTP parser accepted (Beast takes only token names and unfolds obs-fold)
  // or one copied from another HeaderMap.
  void add_checked(std::string_view name, std::string_view value);
  void remove(std::string_view name);
  void reserve_more(size_t fields, size_t bytes);  // room for that many more, at once
  // Field i, and set_checked() of field i when no other field has its name
  // (the value in place when it fits, else appended to the text; the field
  // keeps its place): for a pass that finds the few fields it edits once
  // (field_slots.h) instead of scanning the map per get or set.
  Header field(size_t i) const { return at(i); }
  void replace_value(size_t i, std::string_view value);
  // The HTTP/1.1 parser's path (whole_message_parser.cc): a header block
  // copied into an empty map at once instead of field by field. First
  // add_positioned() for each field kept, by its place in the block (fields
  // the parser accepted), then adopt_block() with the block itself and room
  // for the edits to come. The bytes between fields (": ", CRLF, fields the
  // parser keeps elsewhere) count as dead bytes.
  void add_positioned(uint32_t name_at, uint32_t name_size, uint32_t value_at, uint32_t value_size) {
    fields_.push_back({name_at, name_size, value_at, value_size});
  }
  void adopt_block(std::string_view block, size_t room);
  size_t size() const { return fields_.size(); }
  size_t bytes_held() const { return text_.size(); }  // names and values, with any dead bytes

  class Iterator {
   public:
    Iterator(const HeaderMap* map, size_t i) : map_(map), i_(i) {}
    Header operator*() const { return map_->at(i_); }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return i_ == other.i_; }

   private:
    const HeaderMap* map_;
    size_t i_;
  };
  struct Fields {
    const HeaderMap* map;
    Iterator begin() const { return {map, 0}; }
    Iterator end() const { return {map, map->size()}; }
  };
  Fields all() const { return {this}; }  // every field, in order

 private:
  struct Field {
    uint32_t name_at, name_size, value_at, value_size;
  };
  // Whether field i is called `name`: lengths first, the common mismatch.
  bool named(size_t i, std::string_view name) const {
    const Field& f = fields_[i];
    return f.name_size == name.size() && iequals(std::string_view(text_.data() + f.name_at, f.name_size), name);
  }
  Header at(size_t i) const {
    const Field& f = fields_[i];
    return {std::string_view(text_.data() + f.name_at, f.name_size), std::string_view(text_.data() + f.value_at, f.value_size)};
  }
  // Appends to text_ and returns where `s` now starts; `s` may point into text_ itself.
  uint32_t store(std::string_view s);
  // set() and add() once the name is known to be a token.
  void set_field(std::string_view name, std::string_view value);
  size_t replace_field(std::string_view name, std::string_view value);  // set without the value's check; its index
  void append_field(std::string_view name, std::string_view value);
  void unfold_line_breaks(uint32_t at, uint32_t size);  // CR and LF in text_[at, at+size) become spaces

  std::string text_;
  std::vector<Field> fields_;
  size_t dead_bytes_ = 0;  // in text_, left by replaced or removed fields
};

// The wire protocol a message travelled on. The sidecar's logic never branches
// on it: codecs translate at the edges (HTTP/1.1 and HTTP/2 framing), and
// telemetry reports it (request_protocol).
enum class WireProtocol { kHttp1, kHttp2 };

struct HttpRequest {
  WireProtocol protocol = WireProtocol::kHttp1;
  std::string method = "GET";
  std::string target = "/";  // path and query as sent (origin-form)
  std::string authority;     // Host header value
  HeaderMap headers;         // without Host (kept in `authority`)
  std::string body;
  HeaderMap trailers;  // after the body (HTTP/2 trailers, HTTP/1.1 chunked trailer fields)

  std::string_view path() const;   // target without "?query"
  std::string_view query() const;  // after "?", without it; empty if none
};

struct HttpResponse {
  WireProtocol protocol = WireProtocol::kHttp1;
  int status = 200;
  HeaderMap headers;
  std::string body;
  HeaderMap trailers;  // after the body; gRPC carries grpc-status here unless Trailers-Only
  // In-process only, never encoded: simulated time the path below this
  // response counted beyond what it took (TransportResult::overcount), handed
  // between an app and its sidecar so durations across it can subtract it.
  std::chrono::microseconds overcount{0};
};

// The value of query parameter `name` in `query` (the part after "?"), or
// nullopt if absent; a bare "name" has an empty value.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name);

const char* reason_phrase(int status);

// The IMF-fixdate of an HTTP Date field ("Thu, 03 May 2018 00:00:00 GMT",
// RFC 9110 5.6.7) for seconds since the Unix epoch.
std::string http_date(int64_t unix_seconds);

// Percent-decoding of unreserved characters and dot-segment removal, as
// Envoy's normalize_path does before authorization (Istio's default BASE
// normalization; slashes are not merged).
std::string normalize_path(std::string_view path);
// Envoy's normalize_path applied to the request itself, as Istio's default
// (BASE) configures every sidecar: the path is routed and forwarded
// normalized, the query kept as sent (envoy path_utility.cc
// PathTransformer::rfcNormalize). Costs nothing for a path with no dot
// segment and no percent-encoding. Returns whether the target changed.
bool normalize_target(HttpRequest& request);

}  // namespace meshsim::proxy
