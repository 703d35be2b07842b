#include "config/timestamp.h"

#include <cctype>
#include <chrono>

namespace meshsim::config {

namespace {

// Reads exactly `width` digits at `at`; false if they are not all digits.
bool digits(std::string_view text, size_t& at, size_t width, int& out) {
  if (at + width > text.size()) return false;
  out = 0;
  for (size_t i = 0; i < width; ++i) {
    char c = text[at + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  at += width;
  return true;
}

bool expect(std::string_view text, size_t& at, std::string_view one_of) {
  if (at >= text.size() || one_of.find(text[at]) == std::string_view::npos) return false;
  ++at;
  return true;
}

}  // namespace

std::optional<int64_t> parse_rfc3339_us(std::string_view text, std::string* error) {
  // RFC 3339 section 5.6: full-date "T" partial-time time-offset.
  size_t at = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  bool ok = digits(text, at, 4, year) && expect(text, at, "-") && digits(text, at, 2, month) && expect(text, at, "-") &&
            digits(text, at, 2, day) && expect(text, at, "Tt ") && digits(text, at, 2, hour) && expect(text, at, ":") &&
            digits(text, at, 2, minute) && expect(text, at, ":") && digits(text, at, 2, second);
  int64_t micros = 0;
  if (ok && at < text.size() && text[at] == '.') {
    ++at;
    int64_t scale = 100000;
    size_t first = at;
    for (; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])); ++at, scale /= 10)
      micros += (text[at] - '0') * scale;  // digits past microseconds add nothing (scale 0)
    ok = at > first;
  }
  int64_t offset_minutes = 0;
  if (ok && at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (ok && at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int sign = text[at++] == '-' ? -1 : 1, oh = 0, om = 0;
    ok = digits(text, at, 2, oh) && expect(text, at, ":") && digits(text, at, 2, om) && oh < 24 && om < 60;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    ok = false;
  }
  using namespace std::chrono;
  year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                      std::chrono::day(static_cast<unsigned>(day))};
  ok = ok && at == text.size() && date.ok() && hour < 24 && minute < 60 && second < 61;  // 60: a leap second
  if (!ok) {
    *error = "expected an RFC 3339 time such as 2018-05-03T00:00:00Z, got \"" + std::string(text) + "\"";
    return std::nullopt;
  }
  int64_t seconds = sys_days(date).time_since_epoch() / std::chrono::seconds(1) + hour * 3600 + minute * 60 + second -
                    offset_minutes * 60;
  return seconds * 1'000'000 + micros;
}

}  // namespace meshsim::config
