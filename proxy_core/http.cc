#include "proxy_core/http.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

namespace meshsim::proxy {

namespace {

// ASCII case folding without the C locale's per-call cost (header names are ASCII tokens).
constexpr unsigned char fold(unsigned char c) { return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c | 0x20) : c; }

}  // namespace

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(fold(c)); });
  return out;
}

std::optional<std::string_view> HeaderMap::get(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i)
    if (named(i, name)) return at(i).value;
  return std::nullopt;
}

std::optional<std::string> HeaderMap::get_joined(std::string_view name) const {
  std::optional<std::string> out;
  for (const Header h : all()) {
    if (!iequals(h.name, name)) continue;
    if (out) out->append(",").append(h.value);
    else out = std::string(h.value);
  }
  return out;
}

uint32_t HeaderMap::store(std::string_view s) {
  const char* base = text_.data();
  if (s.data() >= base && s.data() < base + text_.size()) {  // a view of our own text: copy by position
    size_t from = static_cast<size_t>(s.data() - base);
    text_.reserve(text_.size() + s.size());
    s = std::string_view(text_.data() + from, s.size());
  }
  auto at = static_cast<uint32_t>(text_.size());
  text_.append(s);
  return at;
}

void HeaderMap::set_field(std::string_view name, std::string_view value) {
  const Field& f = fields_[replace_field(name, value)];
  unfold_line_breaks(f.value_at, f.value_size);
}

size_t HeaderMap::replace_field(std::string_view name, std::string_view value) {
  // Replace the first field, drop any repeats.
  size_t i = 0;
  while (i < fields_.size() && !named(i, name)) ++i;
  if (i == fields_.size()) {
    add_checked(name, value);
    return i;
  }
  replace_value(i, value);
  // Repeats are rare: look for one before moving any field.
  size_t j = i + 1;
  while (j < fields_.size() && !named(j, name)) ++j;
  if (j == fields_.size()) return i;
  size_t kept = j;
  for (; j < fields_.size(); ++j) {
    if (named(j, name)) dead_bytes_ += fields_[j].name_size + fields_[j].value_size;
    else fields_[kept++] = fields_[j];
  }
  fields_.resize(kept);
  return i;
}

void HeaderMap::replace_value(size_t i, std::string_view value) {
  Field& field = fields_[i];
  if (value.size() <= field.value_size) {  // fits where the old value was
    dead_bytes_ += field.value_size - value.size();
    if (!value.empty()) std::memmove(text_.data() + field.value_at, value.data(), value.size());  // may be in text_ too
    field.value_size = static_cast<uint32_t>(value.size());
  } else {
    dead_bytes_ += field.value_size;
    uint32_t value_at = store(value);  // may move text_, not fields_
    fields_[i].value_at = value_at;
    fields_[i].value_size = static_cast<uint32_t>(value.size());
  }
}

void HeaderMap::reserve_more(size_t fields, size_t bytes) {
  fields_.reserve(fields_.size() + fields);
  text_.reserve(text_.size() + bytes);
}

void HeaderMap::adopt_block(std::string_view block, size_t room) {
  text_.reserve(block.size() + room);
  text_.assign(block);
  size_t live = 0;
  for (const Field& f : fields_) live += f.name_size + f.value_size;
  dead_bytes_ = block.size() - live;
}

void HeaderMap::unfold_line_breaks(uint32_t at, uint32_t size) {
  // Two vectorized scans; the per-character rewrite only when one is there.
  const char* value = text_.data() + at;
  if (!std::memchr(value, '\r', size) && !std::memchr(value, '\n', size)) return;
  for (uint32_t i = at; i < at + size; ++i)
    if (text_[i] == '\r' || text_[i] == '\n') text_[i] = ' ';
}

void HeaderMap::append_field(std::string_view name, std::string_view value) {
  add_checked(name, value);
  unfold_line_breaks(fields_.back().value_at, fields_.back().value_size);
}

void HeaderMap::add_checked(std::string_view name, std::string_view value) {
  // Rewrite the text without its dead bytes once they dominate it, so a map
  // edited again and again stays as small as its fields.
  if (dead_bytes_ > 1024 && dead_bytes_ * 2 > text_.size()) {
    HeaderMap compact;
    compact.reserve_more(fields_.size() + 1, text_.size() - dead_bytes_ + name.size() + value.size());
    for (const Header h : all()) compact.add_checked(h.name, h.value);
    uint32_t name_at = compact.store(name);
    uint32_t value_at = compact.store(value);
    compact.fields_.push_back({name_at, static_cast<uint32_t>(name.size()), value_at, static_cast<uint32_t>(value.size())});
    *this = std::move(compact);
    return;
  }
  auto name_at = static_cast<uint32_t>(text_.size());
  if (text_.size() + name.size() + value.size() <= text_.capacity()) {
    // No reallocation: views into text_ stay valid, and append copies from
    // before the end (the parser's fields, and most edits, land here).
    text_.append(name);
    text_.append(value);
    fields_.push_back({name_at, static_cast<uint32_t>(name.size()), name_at + static_cast<uint32_t>(name.size()),
                       static_cast<uint32_t>(value.size())});
    return;
  }
  // Either view may point into text_: remember where before growing it.
  const char* base = text_.data();
  auto inside = [&](std::string_view s) { return s.data() >= base && s.data() < base + text_.size(); };
  bool name_inside = inside(name), value_inside = inside(value);
  size_t name_from = name_inside ? static_cast<size_t>(name.data() - base) : 0;
  size_t value_from = value_inside ? static_cast<size_t>(value.data() - base) : 0;
  text_.reserve(text_.size() + name.size() + value.size());
  if (name_inside) name = std::string_view(text_.data() + name_from, name.size());
  if (value_inside) value = std::string_view(text_.data() + value_from, value.size());
  text_.append(name);
  auto value_at = static_cast<uint32_t>(text_.size());
  text_.append(value);
  fields_.push_back({name_at, static_cast<uint32_t>(name.size()), value_at, static_cast<uint32_t>(value.size())});
}

void HeaderMap::remove(std::string_view name) {
  size_t j = 0;
  while (j < fields_.size() && !named(j, name)) ++j;  // usually absent: nothing moves
  size_t kept = j;
  for (; j < fields_.size(); ++j) {
    if (named(j, name)) dead_bytes_ += fields_[j].name_size + fields_[j].value_size;
    else fields_[kept++] = fields_[j];
  }
  fields_.resize(kept);
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

std::string http_date(int64_t unix_seconds) {
  // Days to a civil date: Howard Hinnant's days_from_civil, inverted.
  int64_t days = unix_seconds >= 0 ? unix_seconds / 86400 : (unix_seconds - 86399) / 86400;
  int64_t secs = unix_seconds - days * 86400;
  static constexpr const char* kWeekdays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};  // 1970-01-01 was a Thursday
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const char* weekday = kWeekdays[((days % 7) + 7) % 7];
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char out[40];
  int n = std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", weekday, static_cast<int>(day),
                        kMonths[month - 1], static_cast<int>(year), static_cast<int>(secs / 3600),
                        static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  return std::string(out, static_cast<size_t>(n));
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
    case 401: return "Unauthorized";  // jwt_authn's reply to a bad token
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 418: return "I'm a teapot";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
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
    if (seg == "." || seg == "..") {
      if (seg == ".." && !segments.empty()) segments.pop_back();
      trailing_slash = rest.empty();  // "/a/." and "/a/b/.." end in '/' (RFC 3986 §5.2.4)
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

bool normalize_target(HttpRequest& request) {
  std::string_view path = request.path();
  if (path.find('%') == std::string_view::npos && path.find("/.") == std::string_view::npos) return false;
  std::string normalized = normalize_path(path);
  if (normalized == path) return false;
  normalized.append(request.target, path.size());  // the query, as sent
  request.target = std::move(normalized);
  return true;
}

}  // namespace meshsim::proxy
