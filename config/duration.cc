#include "config/duration.h"

#include <cmath>
#include <cstdint>

namespace meshsim::config {
namespace {

struct Unit {
  std::string_view suffix;
  double micros;
};

constexpr Unit kUnits[] = {{"ns", 0.001}, {"us", 1}, {"\xC2\xB5s", 1}, {"\xCE\xBCs", 1},
                           {"ms", 1000},  {"s", 1e6}, {"m", 60e6},       {"h", 3600e6}};

}  // namespace

std::optional<proxy::Duration> parse_go_duration(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<proxy::Duration> {
    if (error) *error = "invalid duration \"" + std::string(text) + "\": " + why +
                        " (use Go syntax such as 7s, 0.5s, 100ms, 1h30m)";
    return std::nullopt;
  };
  std::string_view s = text;
  if (s.empty()) return fail("empty");
  bool negative = false;
  if (s.front() == '-' || s.front() == '+') {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return proxy::Duration{0};
  if (s.empty()) return fail("no number");
  double total_us = 0;
  while (!s.empty()) {
    size_t i = 0;
    double whole = 0, frac = 0, scale = 1;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i] - '0');
      ++i;
      digits = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        scale /= 10;
        frac += (s[i] - '0') * scale;
        ++i;
        digits = true;
      }
    }
    if (!digits) return fail("expected a number");
    s.remove_prefix(i);
    // The unit is the run of non-digit characters up to the next number.
    size_t unit_length = 0;
    while (unit_length < s.size() && !(s[unit_length] >= '0' && s[unit_length] <= '9') && s[unit_length] != '.')
      ++unit_length;
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits)
      if (s.substr(0, unit_length) == u.suffix) unit = &u;
    if (unit == nullptr) return fail(unit_length == 0 ? "missing unit" : "unknown unit \"" + std::string(s.substr(0, unit_length)) + "\"");
    s.remove_prefix(unit->suffix.size());
    total_us += (whole + frac) * unit->micros;
    if (total_us > 9.2e15) return fail("out of range");
  }
  auto us = static_cast<int64_t>(std::llround(total_us));
  return proxy::Duration{negative ? -us : us};
}

std::optional<proxy::Duration> parse_gateway_duration(std::string_view text, std::string* error) {
  // GEP-2257: up to four parts, each 1-5 digits followed by h, m, s or ms; no fractions.
  int parts = 0;
  size_t i = 0;
  bool ok = !text.empty();
  while (ok && i < text.size()) {
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
    if (digits == 0 || digits > 5) ok = false;
    if (ok && text.substr(i, 2) == "ms") i += 2;
    else if (ok && i < text.size() && (text[i] == 'h' || text[i] == 'm' || text[i] == 's')) ++i;
    else ok = false;
    ++parts;
  }
  if (!ok || parts > 4) {
    if (error) *error = "invalid Gateway API duration \"" + std::string(text) +
                        "\" (GEP-2257: 1-4 parts of up to 5 digits with h, m, s or ms, e.g. 1h30m, 500ms)";
    return std::nullopt;
  }
  return parse_go_duration(text, error);
}

}  // namespace meshsim::config
