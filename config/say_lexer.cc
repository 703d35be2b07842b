#include "config/say_lexer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

#include <re2/re2.h>

namespace meshsim::config {
namespace {

using Kind = SayToken::Kind;

SayToken word(std::string text, std::string raw) {
  SayToken t;
  t.text = std::move(text);
  t.raw = std::move(raw);
  return t;
}

SayToken version(std::string text, std::string raw) {
  SayToken t = word(std::move(text), std::move(raw));
  t.kind = Kind::kVersion;
  return t;
}

SayToken numeric(Kind kind, double value, std::string raw) {
  SayToken t;
  t.kind = kind;
  t.value = value;
  t.raw = raw;
  t.text = std::move(raw);
  return t;
}

bool is_trailing_punct(char c) { return c == '.' || c == ',' || c == '!' || c == '?' || c == ';' || c == ')'; }

double duration_unit_ms(std::string_view unit) {
  if (unit == "ms" || unit == "msec" || unit == "msecs" || unit == "millisecond" || unit == "milliseconds") return 1;
  if (unit == "s" || unit == "sec" || unit == "secs" || unit == "second" || unit == "seconds") return 1000;
  if (unit == "m" || unit == "min" || unit == "mins" || unit == "minute" || unit == "minutes") return 60000;
  if (unit == "h" || unit == "hour" || unit == "hours") return 3600000;
  if (unit == "d" || unit == "day" || unit == "days") return 86400000;
  return 0;
}

// One whitespace-separated chunk: a number with its unit ("500ms", "50%",
// "80/20", "503s", "3x"), a version ("v2"), or a word.
SayToken classify(const std::string& chunk) {
  static const RE2 kNumberUnit(R"(([0-9]+(?:\.[0-9]+)?)([a-z%]*))");
  static const RE2 kRatio(R"([0-9]{1,3}(?:[/:-][0-9]{1,3})+)");
  static const RE2 kVersion(R"(v[0-9]{1,4})");
  std::string number, unit;
  if (RE2::FullMatch(chunk, kRatio)) {
    SayToken t = numeric(Kind::kRatio, 0, chunk);
    int n = 0;
    for (char c : chunk) {
      if (std::isdigit(static_cast<unsigned char>(c))) n = n * 10 + (c - '0');
      else t.ratio.push_back(n), n = 0;
    }
    t.ratio.push_back(n);
    return t;
  }
  if (RE2::FullMatch(chunk, kVersion)) return version(chunk, chunk);
  // At most 9 digits: a share, a duration or a code, never an overflow.
  if (RE2::FullMatch(chunk, kNumberUnit, &number, &unit) && number.size() <= 9) {
    double value = std::strtod(number.c_str(), nullptr);
    if (unit.empty()) return numeric(Kind::kNumber, value, chunk);
    if (unit == "%") return numeric(Kind::kPercent, value, chunk);
    if (unit == "x") return numeric(Kind::kCount, value, chunk);
    if (double ms = duration_unit_ms(unit); ms > 0) return numeric(Kind::kDuration, value * ms, chunk);
  }
  return word(chunk, chunk);
}

// Splits "end-user=jason", "end-user:", "bar's" into their parts.
void split_chunk(const std::string& chunk_in, std::vector<SayToken>& out) {
  std::string chunk = chunk_in;
  while (!chunk.empty() && is_trailing_punct(chunk.back())) chunk.pop_back();
  while (!chunk.empty() && (chunk.front() == '(' || chunk.front() == ',')) chunk.erase(0, 1);
  if (chunk.empty()) return;
  bool possessive = false;
  static const std::array<std::string_view, 6> kContractions = {"let's", "it's", "that's", "what's", "who's", "here's"};
  bool contraction = std::find(kContractions.begin(), kContractions.end(), chunk) != kContractions.end();
  for (std::string_view suffix : {"'s", "\xE2\x80\x99s"})
    if (!contraction && chunk.size() > suffix.size() && chunk.ends_with(suffix)) {
      chunk.resize(chunk.size() - suffix.size());
      possessive = true;
      break;
    }
  // A ':' or '=' inside a word separates a header from its value; a URL's
  // "://" stays whole.
  size_t sep = chunk.find_first_of(":=");
  if (sep != std::string::npos && chunk.find("://") == std::string::npos && !RE2::FullMatch(chunk, R"([0-9:]+)")) {
    std::string left = chunk.substr(0, sep), right = chunk.substr(sep + 1);
    while (!right.empty() && (right.front() == ':' || right.front() == '=')) right.erase(0, 1);
    if (!left.empty()) out.push_back(classify(left));
    SayToken p = word(std::string(1, chunk[sep]), std::string(1, chunk[sep]));
    p.kind = Kind::kPunct;
    out.push_back(p);
    if (!right.empty()) out.push_back(word(right, right));
  } else {
    out.push_back(classify(chunk));
  }
  if (possessive) {
    SayToken p = word("'s", "'s");
    p.kind = Kind::kPossessive;
    out.push_back(p);
  }
}

bool is(const std::vector<SayToken>& t, size_t i, std::string_view text) {
  return i < t.size() && t[i].kind == Kind::kWord && t[i].text == text;
}

// A number written as figures or as a word ("3", "three"), or -1.
double number_at(const std::vector<SayToken>& t, size_t i) {
  if (i >= t.size()) return -1;
  if (t[i].kind == Kind::kNumber) return t[i].value;
  if (t[i].kind == Kind::kWord) return number_word(t[i].text);
  return -1;
}

// Joins number + unit pairs and the word forms of numbers into slots.
std::vector<SayToken> merge(const std::vector<SayToken>& t) {
  std::vector<SayToken> out;
  for (size_t i = 0; i < t.size(); ++i) {
    double n = number_at(t, i);
    bool a = is(t, i, "a") || is(t, i, "an") || is(t, i, "one");
    // "half a second", "a half second", "half second"
    if ((is(t, i, "half") && is(t, i + 1, "a") && duration_unit_ms(i + 2 < t.size() ? t[i + 2].text : "") > 1)) {
      out.push_back(numeric(Kind::kDuration, duration_unit_ms(t[i + 2].text) / 2, "half a " + t[i + 2].text));
      i += 2;
      continue;
    }
    if (is(t, i, "half") && duration_unit_ms(i + 1 < t.size() ? t[i + 1].text : "") > 1) {
      out.push_back(numeric(Kind::kDuration, duration_unit_ms(t[i + 1].text) / 2, "half " + t[i + 1].text));
      i += 1;
      continue;
    }
    if (is(t, i, "a") && is(t, i + 1, "half") && duration_unit_ms(i + 2 < t.size() ? t[i + 2].text : "") > 1) {
      out.push_back(numeric(Kind::kDuration, duration_unit_ms(t[i + 2].text) / 2, "a half " + t[i + 2].text));
      i += 2;
      continue;
    }
    // "2 seconds", "500 ms", "a second", "one minute"
    if ((n >= 0 || a) && i + 1 < t.size() && t[i + 1].kind == Kind::kWord && duration_unit_ms(t[i + 1].text) > 0 &&
        (n >= 0 || t[i + 1].text == "second" || t[i + 1].text == "minute" || t[i + 1].text == "millisecond" ||
         t[i + 1].text == "hour" || t[i + 1].text == "day")) {
      double v = n >= 0 ? n : 1;
      out.push_back(numeric(Kind::kDuration, v * duration_unit_ms(t[i + 1].text), t[i].raw + " " + t[i + 1].raw));
      ++i;
      continue;
    }
    // "50 percent", "50 per cent", "ten percent", "50 %"
    if (n >= 0 && (is(t, i + 1, "percent") || is(t, i + 1, "pct") || is(t, i + 1, "%"))) {
      out.push_back(numeric(Kind::kPercent, n, t[i].raw + " percent"));
      ++i;
      continue;
    }
    if (n >= 0 && is(t, i + 1, "per") && is(t, i + 2, "cent")) {
      out.push_back(numeric(Kind::kPercent, n, t[i].raw + " per cent"));
      i += 2;
      continue;
    }
    // "3 times", "three retries", "5 attempts"
    if (n >= 0 && (is(t, i + 1, "times") || is(t, i + 1, "time") || is(t, i + 1, "retries") || is(t, i + 1, "retry") ||
                   is(t, i + 1, "attempts") || is(t, i + 1, "tries"))) {
      out.push_back(numeric(Kind::kCount, n, t[i].raw + " " + t[i + 1].raw));
      ++i;
      continue;
    }
    if (is(t, i, "once") || is(t, i, "twice") || is(t, i, "thrice")) {
      out.push_back(numeric(Kind::kCount, is(t, i, "once") ? 1 : is(t, i, "twice") ? 2 : 3, t[i].raw));
      continue;
    }
    // "one in ten", "1 out of 4": a share when it is a whole percentage.
    size_t of = is(t, i + 1, "in") ? i + 2 : is(t, i + 1, "out") && is(t, i + 2, "of") ? i + 3 : 0;
    if (n > 0 && of && number_at(t, of) >= n) {
      double m = number_at(t, of);
      double pct = 100.0 * n / m;
      if (pct == static_cast<int>(pct)) {
        out.push_back(numeric(Kind::kPercent, pct, t[i].raw + " in " + t[of].raw));
        i = of;
        continue;
      }
    }
    // Fractions: "half", "a tenth", "a quarter", "three quarters", "a fifth"
    static const std::array<std::pair<std::string_view, double>, 5> kFractions = {
        {{"half", 50}, {"tenth", 10}, {"quarter", 25}, {"fifth", 20}, {"quarters", 25}}};
    bool fraction = false;
    for (const auto& [name, pct] : kFractions) {
      size_t at = (a || (n > 0 && t[i].kind == Kind::kWord)) && is(t, i + 1, name) ? i + 1 : is(t, i, name) ? i : t.size();
      if (at == t.size()) continue;
      double times = at == i + 1 && n > 0 ? n : 1;
      out.push_back(numeric(Kind::kPercent, pct * times, at == i ? t[i].raw : t[i].raw + " " + t[at].raw));
      i = at;
      fraction = true;
      break;
    }
    if (fraction) continue;
    // "version 2", "version two", "version v2"
    if (is(t, i, "version") || is(t, i, "subset")) {
      double v = number_at(t, i + 1);
      if (v >= 0 && v == static_cast<int>(v)) {
        out.push_back(version("v" + std::to_string(static_cast<int>(v)), t[i].raw + " " + t[i + 1].raw));
        ++i;
        continue;
      }
    }
    out.push_back(t[i]);
  }
  return out;
}

}  // namespace

int number_word(std::string_view w) {
  static const std::array<std::string_view, 21> kWords = {
      "zero", "one",    "two",     "three",    "four",     "five",    "six",       "seven",    "eight",    "nine",
      "ten",  "eleven", "twelve",  "thirteen", "fourteen", "fifteen", "sixteen",   "seventeen", "eighteen", "nineteen",
      "twenty"};
  for (size_t i = 0; i < kWords.size(); ++i)
    if (kWords[i] == w) return static_cast<int>(i);
  if (w == "hundred") return 100;
  return -1;
}

std::vector<SayToken> lex_say(std::string_view sentence) {
  std::vector<SayToken> chunks;
  std::string chunk;
  auto flush = [&] {
    if (!chunk.empty() && chunks.size() <= kSayMaxTokens) split_chunk(chunk, chunks);
    chunk.clear();
  };
  for (char c : sentence) {
    if (std::isspace(static_cast<unsigned char>(c))) flush();
    else chunk += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  flush();
  if (chunks.size() > kSayMaxTokens) chunks.resize(kSayMaxTokens);
  return merge(chunks);
}

}  // namespace meshsim::config
