#include "config/say_slots.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <re2/re2.h>

#include "config/say_words.h"

namespace meshsim::config {
namespace {

using Kind = SayToken::Kind;

constexpr std::string_view kConnectors[] = {"is",    "are",    "=",      ":",          "equals",   "equal",    "to",
                                            "of",    "set",    "named",  "called",     "as",       "value",    "exactly",
                                            "with",  "containing", "contains", "matching", "matches", "starting", "starts",
                                            "prefix", "==",    "id",     "name",       "being",    "that",     "say",
                                            "says"};

bool connector(const SayToken& t) {
  return (t.kind == Kind::kWord || t.kind == Kind::kPunct) &&
         std::find(std::begin(kConnectors), std::end(kConnectors), t.text) != std::end(kConnectors);
}

bool name_shaped(const SayToken& t) {
  static const RE2 kName(R"([a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?)");
  return t.kind == Kind::kWord && t.text.size() <= 63 && RE2::FullMatch(t.text, kName);
}

std::string regex_escaped(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

struct AgentClass {
  std::string_view word;
  std::string_view regex;
  std::string_view who;
};

// User-Agent patterns: "mobile" as the talk's curl sends it and as phones'
// browsers include it; browsers by their engine names; products by the
// token their User-Agent strings carry.
constexpr AgentClass kAgents[] = {
    {"mobile", ".*[Mm]obile.*", "mobile clients"},
    {"browser", ".*(Mozilla|Chrome|Safari|Firefox).*", "browsers"},
    {"browsers", ".*(Mozilla|Chrome|Safari|Firefox).*", "browsers"},
    {"desktop", ".*(Mozilla|Chrome|Safari|Firefox).*", "browsers"},
    {"chrome", ".*Chrome.*", "Chrome browsers"},
    {"firefox", ".*Firefox.*", "Firefox browsers"},
    {"safari", ".*Safari.*", "Safari browsers"},
    {"iphone", ".*iPhone.*", "iPhones"},
    {"iphones", ".*iPhone.*", "iPhones"},
    {"ipad", ".*iPad.*", "iPads"},
    {"ipads", ".*iPad.*", "iPads"},
    {"android", ".*Android.*", "Android devices"},
};

const AgentClass* agent_class(std::string_view word) {
  for (const auto& a : kAgents)
    if (a.word == word) return &a;
  return nullptr;
}

SayMatch agent_match(const AgentClass& a) { return {"user-agent", "regex", std::string(a.regex), std::string(a.who), true}; }

// After `k`, skips connector words and returns the value's index (or size),
// noting whether they asked for a prefix or a substring.
size_t value_after(const SaySentence& s, size_t k, std::string& kind) {
  kind = "exact";
  while (k < s.tokens.size() && connector(s.tokens[k])) {
    const std::string& w = s.tokens[k].text;
    if (w == "starting" || w == "starts" || w == "prefix") kind = "prefix";
    if (w == "matching" || w == "matches") kind = "regex";
    if (w == "containing" || w == "contains") kind = "contains";
    ++k;
  }
  return k;
}

void mark(SaySentence& s, size_t from, size_t to) {
  for (size_t i = from; i <= to && i < s.used.size(); ++i) s.used[i] = true;
}

SayMatch header_match(const std::string& header, std::string kind, const std::string& value) {
  std::string v = value;
  if (kind == "contains") kind = "regex", v = ".*" + regex_escaped(value) + ".*";
  std::string who = header + (kind == "prefix" ? " starting with " : kind == "regex" && v != value ? " containing " : " ") + value;
  return {header, kind, v, who, false};
}

}  // namespace

bool SaySentence::any_word(std::initializer_list<std::string_view> words) const {
  for (const auto& t : tokens)
    if (t.kind == Kind::kWord && std::find(words.begin(), words.end(), t.text) != words.end()) return true;
  return false;
}

std::optional<SayMatch> say_take_match(SaySentence& s, const std::vector<std::string>& known,
                                       std::optional<SayRefusal>& refusal) {
  std::vector<SayMatch> found;
  const auto& t = s.tokens;
  std::string kind;
  for (size_t k = 0; k < t.size(); ++k) {
    if (s.used[k]) continue;
    // "header X V", "X header is V"
    if (s.word(k, "header") || s.word(k, "headers")) {
      bool before = k > 0 && !s.used[k - 1] && name_shaped(t[k - 1]) && !say_vocabulary(t[k - 1].text);
      size_t h = before ? k - 1 : k + 1;
      if (!before && (h >= t.size() || t[h].kind != Kind::kWord)) continue;
      size_t v = value_after(s, before ? k + 1 : k + 2, kind);
      if (v >= t.size()) continue;
      found.push_back(header_match(t[h].text, kind, t[v].raw));
      mark(s, std::min(h, k), v);
      continue;
    }
    // "x-canary: true", "end-user=jason"
    bool service_colon = k > 0 && std::find(known.begin(), known.end(), t[k - 1].text) != known.end();  // "bar: v2 25%"
    if (t[k].kind == Kind::kPunct && k > 0 && k + 1 < t.size() && !s.used[k - 1] && t[k - 1].kind == Kind::kWord &&
        !service_colon && !say_vocabulary(t[k - 1].text) && (t[k + 1].kind == Kind::kWord || t[k + 1].kind == Kind::kNumber)) {
      found.push_back(header_match(t[k - 1].text, "exact", t[k + 1].raw));
      mark(s, k - 1, k + 1);
      continue;
    }
    // "user agent X", "user-agent containing X"
    bool agent2 = s.word(k, "user") && (s.word(k + 1, "agent") || s.word(k + 1, "agents"));
    if (agent2 || s.word(k, "user-agent") || s.word(k, "useragent") || s.word(k, "agent") || s.word(k, "ua")) {
      size_t v = value_after(s, k + (agent2 ? 2 : 1), kind);
      if (v >= t.size() || t[v].kind != Kind::kWord) continue;
      if (const AgentClass* a = agent_class(t[v].text)) found.push_back(agent_match(*a));
      else found.push_back({"user-agent", "regex", ".*" + regex_escaped(t[v].raw) + ".*", "user agents containing " + t[v].raw, true});
      mark(s, k, v);
      continue;
    }
    // "end-user jason", "user jason", "users named jason", "logged in as jason"
    bool end_user = s.word(k, "end-user") || s.word(k, "enduser") || (s.word(k, "end") && s.word(k + 1, "user"));
    bool user = (s.word(k, "user") || s.word(k, "users")) && !(k > 0 && agent_class(t[k - 1].text));
    bool logged = (s.word(k, "logged") || s.word(k, "signed") || s.word(k, "log")) && s.word(k + 1, "in") && s.word(k + 2, "as");
    if (end_user || user || logged) {
      size_t v = logged ? k + 3 : value_after(s, k + (s.word(k, "end") ? 2 : 1), kind);
      if (v < t.size() && name_shaped(t[v]) && !say_vocabulary(t[v].text)) {
        found.push_back(header_match("end-user", "exact", t[v].raw));
        mark(s, k, v);
        continue;
      }
    }
  }
  // "jason's requests": someone who is not a service, by the mesh's names.
  for (size_t k = 0; !known.empty() && k + 2 < t.size(); ++k) {
    if (s.used[k] || !name_shaped(t[k]) || say_vocabulary(t[k].text) || t[k + 1].kind != Kind::kPossessive) continue;
    if (std::find(known.begin(), known.end(), t[k].text) != known.end()) continue;
    if (!(s.word(k + 2, "requests") || s.word(k + 2, "traffic") || s.word(k + 2, "calls"))) continue;
    found.push_back(header_match("end-user", "exact", t[k].raw));
    mark(s, k, k + 1);
  }
  // User-agent classes named on their own: "mobile traffic", "Chrome users".
  for (size_t k = 0; k < t.size(); ++k) {
    if (s.used[k] || t[k].kind != Kind::kWord) continue;
    if (const AgentClass* a = agent_class(t[k].text)) {
      found.push_back(agent_match(*a));
      s.used[k] = true;
    }
  }
  // The same condition said twice ("mobile traffic from mobile users") is one.
  std::vector<SayMatch> distinct;
  for (const auto& m : found)
    if (std::none_of(distinct.begin(), distinct.end(),
                     [&](const SayMatch& d) { return d.header == m.header && d.value == m.value; }))
      distinct.push_back(m);
  if (distinct.size() > 1) {
    refusal = SayRefusal{fmt::format("One condition at a time, please: {} and {} would need two rules", distinct[0].who,
                                     distinct[1].who),
                         {"route mobile traffic to bar v2", "route traffic with header end-user jason to bar v2"}};
    return std::nullopt;
  }
  if (distinct.empty()) return std::nullopt;
  return distinct[0];
}

std::vector<SayShare> say_take_shares(SaySentence& s, const std::vector<std::string>& known_versions, bool need_share,
                                      std::optional<SayRefusal>& refusal) {
  const auto& t = s.tokens;
  std::vector<size_t> versions, percents;
  size_t ratio = t.size();
  std::string other;  // "from v1", "the rest on v1"
  for (size_t k = 0; k < t.size(); ++k) {
    if (s.used[k]) continue;
    if (t[k].kind == Kind::kPercent) percents.push_back(k);
    if (t[k].kind == Kind::kRatio && ratio == t.size()) ratio = k;
    if (t[k].kind != Kind::kVersion) continue;
    bool from = false;
    for (std::string_view w : {"from", "off"})
      from = from || (k >= 1 && s.word(k - 1, w)) || (k >= 2 && s.word(k - 2, w) && s.word(k - 1, "the"));
    bool rest = false;
    for (size_t back = 1; back <= 3 && back <= k; ++back)
      for (std::string_view w : {"rest", "remainder", "else", "remaining", "others"})
        if (s.word(k - back, w)) rest = true;
    if ((from || rest) && other.empty() && ratio == t.size()) {
      other = t[k].text;
      s.used[k] = true;
    } else {
      versions.push_back(k);
    }
  }
  for (size_t k : versions) s.used[k] = true;
  for (size_t k : percents) s.used[k] = true;
  std::vector<SayShare> out;
  auto refuse = [&](std::string message) {
    refusal = SayRefusal{std::move(message), {"shift 20% of bar traffic to v2", "split bar traffic 80/20 between v1 and v2"}};
    return std::vector<SayShare>{};
  };
  for (size_t i = 0; i < versions.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (t[versions[i]].text == t[versions[j]].text) return refuse(fmt::format("{} is named twice", t[versions[i]].text));
  if (ratio != t.size()) {
    s.used[ratio] = true;
    std::vector<size_t> all = versions;
    if (all.size() != t[ratio].ratio.size())
      return refuse(fmt::format("{} gives {} shares but the sentence names {} version{}", t[ratio].raw, t[ratio].ratio.size(),
                                all.size(), all.size() == 1 ? "" : "s"));
    for (size_t i = 0; i < all.size(); ++i) out.push_back({t[all[i]].text, static_cast<double>(t[ratio].ratio[i])});
  } else if (percents.empty()) {
    if (versions.empty()) return {};
    bool evenly = s.any_word({"evenly", "equally", "even"});
    if (versions.size() == 1 && (!need_share || !other.empty())) return {{t[versions[0]].text, 100}};
    if (versions.size() == 1)
      return refuse(fmt::format("How much of the traffic should go to {}? Say a share, e.g. \"10%\"", t[versions[0]].text));
    if (!evenly || 100 % versions.size() != 0)
      return refuse(fmt::format("How much of the traffic should each of {} get? Say the shares, e.g. \"80/20\" or \"evenly\"",
                                fmt::join(std::vector<std::string>{t[versions[0]].text, t[versions[1]].text}, " and ")));
    for (size_t k : versions) out.push_back({t[k].text, 100.0 / static_cast<double>(versions.size())});
  } else if (percents.size() == versions.size()) {
    for (size_t i = 0; i < versions.size(); ++i) out.push_back({t[versions[i]].text, t[percents[i]].value});
    if (out.size() == 1 && out[0].percent < 100) {
      std::string rest = other;
      for (const auto& v : known_versions)
        if (rest.empty() && v != out[0].version) rest = v;
      if (rest.empty()) rest = out[0].version == "v1" ? "v2" : "v1";
      if (rest == out[0].version) return refuse(fmt::format("{} cannot keep the rest of its own traffic", rest));
      out.insert(out.begin(), SayShare{rest, 100 - out[0].percent});
    }
  } else if (versions.empty()) {
    return refuse(fmt::format("Which version should get {}?", t[percents[0]].raw));
  } else {
    return refuse(fmt::format("{} share{} for {} version{}: say which version gets which share", percents.size(),
                              percents.size() == 1 ? "" : "s", versions.size(), versions.size() == 1 ? "" : "s"));
  }
  double sum = 0;
  for (const auto& share : out) {
    if (share.percent > 100) return refuse(fmt::format("A share cannot be more than 100% ({}% for {})", share.percent, share.version));
    if (share.percent != std::floor(share.percent))
      return refuse(fmt::format("Istio route weights are whole percentages ({}% for {})", share.percent, share.version));
    sum += share.percent;
  }
  if (sum != 100) {
    std::vector<std::string> parts;
    for (const auto& share : out) parts.push_back(fmt::format("{}% to {}", share.percent, share.version));
    return refuse(fmt::format("The shares add up to {}%, not 100% ({})", sum, fmt::join(parts, ", ")));
  }
  return out;
}

std::optional<double> say_take_percent(SaySentence& s, std::optional<SayRefusal>& refusal, const std::string& example) {
  std::optional<double> out;
  for (size_t k = 0; k < s.tokens.size(); ++k) {
    if (s.used[k] || s.tokens[k].kind != Kind::kPercent) continue;
    s.used[k] = true;
    if (out) {
      refusal = SayRefusal{fmt::format("Two shares ({}% and {}%): which one?", *out, s.tokens[k].value), {example}};
      return std::nullopt;
    }
    out = s.tokens[k].value;
  }
  if (out && *out > 100) {
    refusal = SayRefusal{fmt::format("A share cannot be more than 100% ({}%)", *out), {example}};
    return std::nullopt;
  }
  return out;
}

std::optional<double> say_take_duration(SaySentence& s, bool per_try) {
  const auto& t = s.tokens;
  size_t marker = t.size();
  for (size_t k = 0; k < t.size(); ++k)
    if (s.word(k, "per-try") || s.word(k, "pertry") ||
        ((s.word(k, "per") || s.word(k, "each")) && (s.word(k + 1, "try") || s.word(k + 1, "attempt") || s.word(k + 1, "retry"))))
      marker = k;
  size_t best = t.size();
  for (size_t k = 0; k < t.size(); ++k) {
    if (s.used[k] || t[k].kind != Kind::kDuration) continue;
    size_t distance = k > marker ? k - marker : marker - k;
    bool near = marker < t.size() && distance <= 3;
    if (per_try != near) continue;
    if (best == t.size()) best = k;
  }
  if (best == t.size()) return std::nullopt;
  s.used[best] = true;
  return t[best].value;
}

std::optional<int> say_take_status(SaySentence& s) {
  static const RE2 kCodes(R"([0-9]{3}s)");
  const auto& t = s.tokens;
  for (size_t k = 0; k < t.size(); ++k) {
    if (s.used[k]) continue;
    bool number = t[k].kind == Kind::kNumber && t[k].value >= 100 && t[k].value <= 999 && t[k].value == std::floor(t[k].value);
    bool plural = t[k].kind == Kind::kDuration && RE2::FullMatch(t[k].raw, kCodes);  // "503s" are codes, not seconds
    if (number || plural) {
      s.used[k] = true;
      return static_cast<int>(number ? t[k].value : std::stoi(t[k].raw));
    }
  }
  // Statuses by their reason phrases (RFC 9110 section 15).
  struct Phrase {
    std::string_view first, second;
    int status;
  };
  static constexpr Phrase kPhrases[] = {{"unavailable", "", 503}, {"internal", "", 500},       {"bad", "gateway", 502},
                                        {"forbidden", "", 403},   {"not", "found", 404},       {"too", "many", 429},
                                        {"server", "error", 500}, {"server", "errors", 500}};
  for (size_t k = 0; k < t.size(); ++k)
    for (const auto& p : kPhrases)
      if (!s.used[k] && s.word(k, p.first) && (p.second.empty() || s.word(k + 1, p.second))) {
        s.used[k] = true;
        return p.status;
      }
  return std::nullopt;
}

std::optional<int> say_take_count(SaySentence& s) {
  const auto& t = s.tokens;
  for (size_t k = 0; k < t.size(); ++k)
    if (!s.used[k] && t[k].kind == Kind::kCount) {
      s.used[k] = true;
      return static_cast<int>(t[k].value);
    }
  for (size_t k = 1; k < t.size(); ++k) {
    bool up_to = s.word(k - 1, "to") && k >= 2 && s.word(k - 2, "up");
    bool most = s.word(k - 1, "most") || s.word(k - 1, "max") || s.word(k - 1, "maximum");
    int n = t[k].kind == Kind::kNumber ? static_cast<int>(t[k].value) : number_word(t[k].text);
    if (!s.used[k] && (up_to || most) && n >= 0) {
      s.used[k] = true;
      return n;
    }
  }
  return std::nullopt;
}

}  // namespace meshsim::config
