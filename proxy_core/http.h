// HTTP/1.1 messages as the proxy core sees them. Header names keep the case
// they arrived with; every lookup is case-insensitive (RFC 9110 §5.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshsim::proxy {

bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);

struct Header {
  std::string name;
  std::string value;
};

class HeaderMap {
 public:
  // First value of `name`, or nullopt.
  std::optional<std::string_view> get(std::string_view name) const;
  // All values of `name` joined with "," (how Envoy presents repeated headers to matchers).
  std::optional<std::string> get_joined(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  void set(std::string_view name, std::string_view value);  // replaces every value
  void add(std::string_view name, std::string_view value);  // appends another field
  void remove(std::string_view name);
  void reserve(size_t n);
  const std::vector<Header>& all() const { return headers_; }
  size_t size() const { return headers_.size(); }

 private:
  std::vector<Header> headers_;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query as sent (origin-form)
  std::string authority;     // Host header value
  HeaderMap headers;         // without Host (kept in `authority`)
  std::string body;

  std::string_view path() const;   // target without "?query"
  std::string_view query() const;  // after "?", without it; empty if none
};

struct HttpResponse {
  int status = 200;
  HeaderMap headers;
  std::string body;
};

// The value of query parameter `name` in `query` (the part after "?"), or
// nullopt if absent; a bare "name" has an empty value.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name);

const char* reason_phrase(int status);

// Percent-decoding of unreserved characters and dot-segment removal, as
// Envoy's normalize_path does before authorization (Istio's default BASE
// normalization; slashes are not merged).
std::string normalize_path(std::string_view path);

}  // namespace meshsim::proxy
