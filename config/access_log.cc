#include "config/access_log.h"

#include <algorithm>
#include <cctype>
#include <iterator>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "config/timestamp.h"

namespace meshsim::config {
namespace {

struct Token {
  std::string_view text;
  bool quoted = false;
  int column = 1;  // of its first byte (the quote, when quoted)
};

bool fail(AccessLogLineError* error, size_t offset, std::string message) {
  if (error) *error = {static_cast<int>(offset) + 1, std::move(message)};
  return false;
}

std::string dash_empty(std::string_view s) { return s == "-" ? std::string() : std::string(s); }

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 3 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_token_char(char c) {  // RFC 9110 tchar
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Space-separated fields; a field starting with '"' runs to the next '"'
// followed by a space or the end (Envoy does not escape quotes in TEXT
// logs, so a quote inside a user agent is kept).
bool tokenize(std::string_view line, size_t i, std::vector<Token>& out, AccessLogLineError* error) {
  constexpr size_t kFieldsMax = 64;  // the default format has 22; a line of thousands is not a log line
  while (i < line.size()) {
    if (line[i] == ' ') {
      ++i;
      continue;
    }
    if (out.size() >= kFieldsMax) return fail(error, i, fmt::format("more than {} fields", kFieldsMax));
    Token t;
    t.column = static_cast<int>(i) + 1;
    if (line[i] == '"') {
      size_t end = i + 1;
      while (true) {
        end = line.find('"', end);
        if (end == std::string_view::npos) return fail(error, i, "a quoted field has no closing quote");
        if (end + 1 == line.size() || line[end + 1] == ' ') break;
        ++end;
      }
      t.text = line.substr(i + 1, end - i - 1);
      t.quoted = true;
      i = end + 1;
    } else {
      size_t end = line.find(' ', i);
      if (end == std::string_view::npos) end = line.size();
      t.text = line.substr(i, end - i);
      i = end;
    }
    out.push_back(t);
  }
  return true;
}

// Istio's default TEXT format, field by field after [%START_TIME%]; true = quoted.
struct TextField {
  const char* name;
  bool quoted;
};
constexpr TextField kTextFields[] = {
    {"request line (\"METHOD PATH PROTOCOL\")", true},
    {"response code", false},
    {"response flags", false},
    {"response code details", false},
    {"connection termination details", false},
    {"upstream transport failure reason", true},
    {"bytes received", false},
    {"bytes sent", false},
    {"duration", false},
    {"upstream service time", false},
    {"x-forwarded-for", true},
    {"user agent", true},
    {"request id", true},
    {"authority", true},
    {"upstream host", true},
    {"upstream cluster", false},
};
constexpr size_t kTextFieldsRequired = std::size(kTextFields);

}  // namespace

std::optional<AccessLogFormat> access_log_format_from_name(std::string_view name) {
  if (name == "istio-text") return AccessLogFormat::kIstioText;
  if (name == "envoy-json") return AccessLogFormat::kEnvoyJson;
  return std::nullopt;
}

const char* access_log_format_name(AccessLogFormat f) {
  return f == AccessLogFormat::kEnvoyJson ? "envoy-json" : "istio-text";
}

std::optional<AccessLogEntry> parse_istio_text_line(std::string_view line, AccessLogLineError* error) {
  AccessLogEntry e;
  size_t i = 0;
  // `kubectl logs --prefix`: "[pod/NAME/CONTAINER] ".
  if (line.starts_with("[pod/")) {
    size_t close = line.find(']');
    if (close == std::string_view::npos) return fail(error, 0, "a [pod/NAME/CONTAINER] prefix has no closing ]"), std::nullopt;
    std::string_view inside = line.substr(5, close - 5);
    e.pod = std::string(inside.substr(0, inside.find('/')));
    if (e.pod.empty()) return fail(error, 5, "the [pod/NAME/CONTAINER] prefix names no pod"), std::nullopt;
    i = close + 1;
    while (i < line.size() && line[i] == ' ') ++i;
  }
  if (i >= line.size() || line[i] != '[')
    return fail(error, i, "expected [START_TIME], the first field of Istio's default access-log format"), std::nullopt;
  size_t close = line.find(']', i);
  if (close == std::string_view::npos) return fail(error, i, "[START_TIME has no closing ]"), std::nullopt;
  std::string time_error;
  auto start = parse_rfc3339_us(line.substr(i + 1, close - i - 1), &time_error);
  if (!start) return fail(error, i + 1, "start time: " + time_error), std::nullopt;
  e.start_unix_us = *start;
  std::vector<Token> tokens;
  if (!tokenize(line, close + 1, tokens, error)) return std::nullopt;
  for (size_t f = 0; f < kTextFieldsRequired; ++f) {
    if (f >= tokens.size())
      return fail(error, line.size(), fmt::format("the line ends before the {} (field {} after the start time)", kTextFields[f].name, f + 1)),
             std::nullopt;
    if (tokens[f].quoted != kTextFields[f].quoted)
      return fail(error, static_cast<size_t>(tokens[f].column - 1),
                  fmt::format("expected the {} {}quoted, got {}", kTextFields[f].name, kTextFields[f].quoted ? "" : "un",
                              tokens[f].quoted ? "a quoted field" : "\"" + std::string(tokens[f].text.substr(0, 40)) + "\"")),
             std::nullopt;
  }
  // The request line: "- - -" for a TCP connection.
  std::string_view request = tokens[0].text;
  size_t s1 = request.find(' '), s2 = s1 == std::string_view::npos ? s1 : request.find(' ', s1 + 1);
  if (s2 == std::string_view::npos || request.find(' ', s2 + 1) != std::string_view::npos)
    return fail(error, static_cast<size_t>(tokens[0].column), "the request line is not \"METHOD PATH PROTOCOL\""), std::nullopt;
  std::string_view method = request.substr(0, s1), path = request.substr(s1 + 1, s2 - s1 - 1);
  if (method != "-" && !std::all_of(method.begin(), method.end(), is_token_char))
    return fail(error, static_cast<size_t>(tokens[0].column), fmt::format("\"{}\" is not an HTTP method", method)), std::nullopt;
  if (method != "-" && !(path.starts_with("/") || path == "*" || path == "-"))
    return fail(error, static_cast<size_t>(tokens[0].column) + s1 + 1, fmt::format("the path \"{}\" does not start with /", path)),
           std::nullopt;
  e.method = dash_empty(method);
  e.path = dash_empty(path);
  e.protocol = dash_empty(request.substr(s2 + 1));
  if (!all_digits(tokens[1].text))
    return fail(error, static_cast<size_t>(tokens[1].column - 1),
                fmt::format("the response code \"{}\" is not a number", tokens[1].text.substr(0, 20))),
           std::nullopt;
  e.response_code = std::stoi(std::string(tokens[1].text));
  e.response_flags = std::string(tokens[2].text);
  e.user_agent = dash_empty(tokens[11].text);
  e.request_id = dash_empty(tokens[12].text);
  e.authority = dash_empty(tokens[13].text);
  e.upstream_cluster = dash_empty(tokens[15].text);
  return e;
}

namespace {

// A JSON value as text: strings as they are ("-" = absent), numbers as digits.
std::string json_text(const nlohmann::json& v) {
  if (v.is_string()) return dash_empty(v.get_ref<const std::string&>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  return "";
}

std::string first_text(const nlohmann::json& o, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = o.find(k);
    if (it != o.end()) {
      std::string s = json_text(*it);
      if (!s.empty()) return s;
    }
  }
  return "";
}

}  // namespace

std::optional<AccessLogEntry> parse_envoy_json_line(std::string_view line, AccessLogLineError* error) {
  nlohmann::json o;
  try {
    o = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& ex) {
    size_t at = ex.byte > 0 ? ex.byte - 1 : 0;
    std::string what = ex.what();
    if (auto colon = what.rfind(": "); colon != std::string::npos) what = what.substr(colon + 2);
    return fail(error, std::min(at, line.size()), "not JSON: " + what), std::nullopt;
  } catch (const std::exception& ex) {
    return fail(error, 0, std::string("not JSON: ") + ex.what()), std::nullopt;
  }
  if (!o.is_object()) return fail(error, 0, "expected a JSON object, one per line"), std::nullopt;
  AccessLogEntry e;
  std::string start = first_text(o, {"start_time", "startTime", "timestamp"});
  if (start.empty()) return fail(error, 0, "no start_time"), std::nullopt;
  std::string time_error;
  auto us = parse_rfc3339_us(start, &time_error);
  if (!us) return fail(error, 0, "start_time \"" + start.substr(0, 40) + "\": " + time_error), std::nullopt;
  e.start_unix_us = *us;
  e.method = first_text(o, {"method"});
  e.path = first_text(o, {"path"});
  e.protocol = first_text(o, {"protocol"});
  if (!e.method.empty() && !std::all_of(e.method.begin(), e.method.end(), is_token_char))
    return fail(error, 0, fmt::format("method \"{}\" is not an HTTP method", e.method.substr(0, 20))), std::nullopt;
  if (!e.method.empty() && !(e.path.starts_with("/") || e.path == "*"))
    return fail(error, 0, fmt::format("path \"{}\" does not start with /", e.path.substr(0, 40))), std::nullopt;
  std::string code = first_text(o, {"response_code"});
  if (!code.empty()) {
    if (!all_digits(code)) return fail(error, 0, fmt::format("response_code \"{}\" is not a number", code.substr(0, 20))), std::nullopt;
    e.response_code = std::stoi(code);
  }
  e.response_flags = first_text(o, {"response_flags"});
  e.user_agent = first_text(o, {"user_agent"});
  e.request_id = first_text(o, {"request_id", "x_request_id"});
  e.authority = first_text(o, {"authority"});
  e.upstream_cluster = first_text(o, {"upstream_cluster"});
  e.workload = first_text(o, {"source_workload", "workload"});
  e.ns = first_text(o, {"source_namespace", "namespace", "pod_namespace"});
  e.pod = first_text(o, {"pod", "pod_name"});
  if (auto k = o.find("kubernetes"); k != o.end() && k->is_object()) {  // Fluent Bit / Fluentd kubernetes metadata
    if (e.pod.empty()) e.pod = first_text(*k, {"pod_name"});
    if (e.ns.empty()) e.ns = first_text(*k, {"namespace_name"});
  }
  return e;
}

std::optional<AccessLogEntry> parse_access_log_line(AccessLogFormat format, std::string_view line, AccessLogLineError* error) {
  return format == AccessLogFormat::kEnvoyJson ? parse_envoy_json_line(line, error) : parse_istio_text_line(line, error);
}

AccessLogFormat detect_access_log_format(std::string_view text) {
  size_t i = text.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && text[i] == '{' ? AccessLogFormat::kEnvoyJson : AccessLogFormat::kIstioText;
}

AccessLog parse_access_log(std::string_view text, AccessLogFormat format) {
  AccessLog log;
  log.format = format;
  int number = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (log.lines >= kAccessLogLinesMax) {
      log.truncated = true;
      break;
    }
    ++log.lines;
    AccessLogLineError error;
    auto entry = parse_access_log_line(format, line, &error);
    if (!entry) {
      log.bad.push_back({number, error.column, std::move(error.message)});
      continue;
    }
    if (entry->method.empty()) {
      ++log.not_http;
      continue;
    }
    if (entry->inbound()) {
      ++log.inbound;
      continue;
    }
    log.entries.push_back({number, std::move(*entry)});
  }
  return log;
}

std::string workload_of_pod(std::string_view pod) {
  auto alnum = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
  };
  size_t last = pod.rfind('-');
  if (last == std::string_view::npos || last == 0) return std::string(pod);
  size_t hash = pod.rfind('-', last - 1);
  if (hash == std::string_view::npos || hash == 0) return std::string(pod);
  std::string_view suffix = pod.substr(last + 1), rs = pod.substr(hash + 1, last - hash - 1);
  // Kubernetes: a pod's generated suffix is 5 characters, a pod-template-hash up to 10.
  if (suffix.size() == 5 && alnum(suffix) && !rs.empty() && rs.size() <= 10 && alnum(rs)) return std::string(pod.substr(0, hash));
  return std::string(pod);
}

}  // namespace meshsim::config
