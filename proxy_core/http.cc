#include "proxy_core/http.h"

#include <algorithm>
#include <cctype>

namespace meshsim::proxy {

namespace {

// ASCII case folding without the C locale's per-call cost (header names are ASCII tokens).
constexpr unsigned char fold(unsigned char c) { return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c | 0x20) : c; }

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x != y && fold(x) != fold(y)) return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(fold(c)); });
  return out;
}

std::optional<std::string_view> HeaderMap::get(std::string_view name) const {
  for (const Header& h : headers_)
    if (iequals(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

std::optional<std::string> HeaderMap::get_joined(std::string_view name) const {
  std::optional<std::string> out;
  for (const Header& h : headers_) {
    if (!iequals(h.name, name)) continue;
    if (out) *out += "," + h.value;
    else out = h.value;
  }
  return out;
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  // Replace the first field in place (no reallocation in the common case),
  // drop any repeats.
  auto first = std::find_if(headers_.begin(), headers_.end(), [&](const Header& h) { return iequals(h.name, name); });
  if (first == headers_.end()) {
    headers_.push_back({std::string(name), std::string(value)});
    return;
  }
  first->value.assign(value);
  auto rest = std::remove_if(first + 1, headers_.end(), [&](const Header& h) { return iequals(h.name, name); });
  headers_.erase(rest, headers_.end());
}

void HeaderMap::reserve(size_t n) { headers_.reserve(n); }

void HeaderMap::add(std::string_view name, std::string_view value) {
  headers_.push_back({std::string(name), std::string(value)});
}

void HeaderMap::remove(std::string_view name) {
  std::erase_if(headers_, [&](const Header& h) { return iequals(h.name, name); });
}

std::string_view HttpRequest::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view HttpRequest::query() const {
  std::string_view t = target;
  auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

std::optional<std::string_view> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
  }
  return std::nullopt;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 418: return "I'm a teapot";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
  }
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string normalize_path(std::string_view path) {
  // Decode unreserved percent-encodings (RFC 3986 §6.2.2.2), as Envoy does.
  std::string decoded;
  decoded.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size() && hex_value(path[i + 1]) >= 0 && hex_value(path[i + 2]) >= 0) {
      char c = static_cast<char>(hex_value(path[i + 1]) * 16 + hex_value(path[i + 2]));
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~') {
        decoded += c;
        i += 2;
        continue;
      }
    }
    decoded += path[i];
  }
  // Remove dot segments (RFC 3986 §5.2.4). Slashes are not merged: Istio's
  // default normalization (BASE) leaves `//` alone.
  std::vector<std::string_view> segments;
  std::string_view rest = decoded;
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  bool trailing_slash = false;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    trailing_slash = slash != std::string_view::npos && rest.empty();
    if (seg == ".") continue;
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(seg);
  }
  std::string out;
  for (auto seg : segments) {
    out += '/';
    out += seg;
  }
  if (out.empty() || trailing_slash) out += '/';
  return out;
}

}  // namespace meshsim::proxy
