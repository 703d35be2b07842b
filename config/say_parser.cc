#include "config/say_parser.h"

#include <algorithm>

#include <fmt/format.h>
#include <re2/re2.h>

#include "config/parse.h"
#include "config/say_lexer.h"
#include "config/say_mesh.h"
#include "config/say_slots.h"
#include "config/say_words.h"

namespace meshsim::config {
namespace {

using Kind = SayToken::Kind;

struct IntentHit {
  size_t pos;
  SayIntent intent;
  std::string word;
};

// A word that may name a service, where it stands.
struct NameAt {
  size_t pos;
  std::string name;
};

bool name_shaped(const SayToken& t) {
  static const RE2 kName(R"([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)");
  static const RE2 kDigits(R"([0-9]+)");
  return t.kind == Kind::kWord && t.text.size() <= 63 && RE2::FullMatch(t.text, kName) && !RE2::FullMatch(t.text, kDigits);
}

bool is_fault_family(SayIntent i) {
  return i == SayIntent::kDelay || i == SayIntent::kAbort || i == SayIntent::kRetry || i == SayIntent::kTimeout ||
         i == SayIntent::kMirror;
}

// "front end" when the mesh has "frontend" (or "front-end"): one name.
void join_split_names(SaySentence& s, const std::vector<std::string>& known) {
  for (size_t i = 0; i + 1 < s.tokens.size(); ++i) {
    if (s.tokens[i].kind != Kind::kWord || s.tokens[i + 1].kind != Kind::kWord) continue;
    for (const std::string& joined : {s.tokens[i].text + s.tokens[i + 1].text, s.tokens[i].text + "-" + s.tokens[i + 1].text})
      if (std::find(known.begin(), known.end(), joined) != known.end()) {
        s.tokens[i].text = joined;
        s.tokens[i].raw += " " + s.tokens[i + 1].raw;
        s.tokens.erase(s.tokens.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        s.used.pop_back();
        break;
      }
  }
}

std::vector<IntentHit> intent_hits(const SaySentence& s) {
  std::vector<IntentHit> hits;
  const auto& t = s.tokens;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].kind == Kind::kCount && (t[i].raw.find("retr") != std::string::npos || t[i].raw.find("attempt") != std::string::npos ||
                                      t[i].raw.find("tries") != std::string::npos)) {
      hits.push_back({i, SayIntent::kRetry, t[i].raw});
      continue;
    }
    if (t[i].kind != Kind::kWord) continue;
    size_t span = 1;
    SayIntent intent = say_intent_word(t[i].text, i + 1 < t.size() ? std::string_view(t[i + 1].text) : "", span);
    // "take the timeout off foo": a removal whose particle comes later.
    if (intent == SayIntent::kNone && t[i].text == "take")
      for (size_t k = i + 1; k < t.size(); ++k)
        if (s.word(k, "off") || s.word(k, "away")) intent = SayIntent::kReset;
    if (intent == SayIntent::kNone) continue;
    hits.push_back({i, intent, t[i].text});
    i += span - 1;
  }
  return hits;
}

bool has_kind(const SaySentence& s, Kind kind) {
  return std::any_of(s.tokens.begin(), s.tokens.end(), [&](const SayToken& t) { return t.kind == kind; });
}

// The intent among the sentence's verbs: a removal said first decides
// ("remove the delay from bar"), then retry and mirror (their sentences
// often say "fail" or "send" too), then the first of the others, then route
// (whose words also serve as nouns: "traffic routing").
SayIntent choose_intent(const SaySentence& s, const std::vector<IntentHit>& hits) {
  static const RE2 kCodes(R"([0-9]{3}s)");
  bool status_like = has_kind(s, Kind::kNumber) || s.any_word({"unavailable"}) ||
                     std::any_of(s.tokens.begin(), s.tokens.end(), [](const SayToken& t) {
                       return t.kind == Kind::kDuration && RE2::FullMatch(t.raw, kCodes);
                     });
  if (hits.empty()) {
    if (status_like && s.any_word({"return", "returns", "respond", "answer", "reply", "unavailable"})) return SayIntent::kAbort;
    if (has_kind(s, Kind::kVersion)) return SayIntent::kRoute;
    return SayIntent::kNone;
  }
  auto any = [&](auto pred) { return std::any_of(hits.begin() + 1, hits.end(), pred); };
  const IntentHit& first = hits.front();
  bool stop_doing = first.word == "stop" && any([](const IntentHit& h) { return is_fault_family(h.intent); });
  if (first.intent == SayIntent::kReset || stop_doing) {
    if (any([](const IntentHit& h) { return h.intent == SayIntent::kDeny || h.intent == SayIntent::kAllow; }) ||
        s.any_word({"access", "policy", "authorizationpolicy", "denial"}))
      return SayIntent::kAllow;
    if (any([](const IntentHit& h) { return is_fault_family(h.intent) || h.intent == SayIntent::kRoute; }) ||
        s.any_word({"faults", "injection", "rule", "rules", "virtualservice", "split", "canary"}))
      return SayIntent::kResetRoute;
    return SayIntent::kReset;
  }
  for (SayIntent strong : {SayIntent::kRetry, SayIntent::kMirror})
    if (std::any_of(hits.begin(), hits.end(), [&](const IntentHit& h) { return h.intent == strong; })) return strong;
  for (const auto& h : hits) {
    if (h.intent == SayIntent::kRoute || h.intent == SayIntent::kReset) continue;
    // "let mobile users see v2": letting traffic somewhere is routing it.
    if (h.word == "let" && has_kind(s, Kind::kVersion)) return SayIntent::kRoute;
    // "fault" alone names no kind: "inject a 2s delay fault" is a delay.
    if (h.word == "fault" && !status_like) continue;
    return h.intent;
  }
  return SayIntent::kRoute;
}

// Queries: "get the frontend topology", "who calls bar", "how is bar routed".
std::optional<SayIntent> query_intent(const SaySentence& s, const std::vector<IntentHit>& hits) {
  bool starts = false;
  for (size_t i = 0; i < s.tokens.size() && i < 3; ++i)
    if (s.tokens[i].kind == Kind::kWord && say_query_word(s.tokens[i].text)) starts = true;
  if (!starts || has_kind(s, Kind::kVersion) || has_kind(s, Kind::kPercent) || has_kind(s, Kind::kDuration)) return std::nullopt;
  if (std::any_of(hits.begin(), hits.end(), [](const IntentHit& h) { return h.intent != SayIntent::kRoute; })) return std::nullopt;
  bool topology = false, route = false;
  for (const auto& t : s.tokens) {
    if (t.kind != Kind::kWord) continue;
    topology = topology || say_topology_word(t.text);
    route = route || say_route_noun(t.text);
  }
  if (topology) return SayIntent::kTopology;
  if (route) return SayIntent::kRouteQuery;
  if (s.word(0, "describe") || s.word(0, "show")) return SayIntent::kTopology;
  return std::nullopt;
}

bool preceded_by(const SaySentence& s, size_t pos, std::string_view word) {
  return (pos >= 1 && s.word(pos - 1, word)) || (pos >= 2 && s.word(pos - 2, word) && s.word(pos - 1, "the"));
}

// Between a caller and its target: "frontend calls bar", "frontend from
// calling bar", "allow frontend to call bar", "frontend's access to bar".
bool call_between(const SaySentence& s, size_t from, size_t to, bool bare_to) {
  static constexpr std::string_view kSkip[] = {"the",  "from",  "to",     "is",  "are", "can",  "cannot", "can't", "should",
                                               "any",  "more",  "longer", "its", "a",   "an",   "be",     "being", "able",
                                               "not",  "no",    "will",   "ever", "service", "svc", "app", "shouldn't", "when"};
  bool call = false, only_to = true;
  for (size_t k = from + 1; k < to; ++k) {
    const SayToken& t = s.tokens[k];
    if (t.kind == Kind::kPossessive) continue;
    if (t.kind != Kind::kWord) return false;
    if (say_call_word(t.text)) {
      call = true;
      only_to = false;
      continue;
    }
    if (std::find(std::begin(kSkip), std::end(kSkip), t.text) == std::end(kSkip)) return false;
    if (t.text != "to" && t.text != "the" && t.text != "service") only_to = false;
  }
  return call || (bare_to && only_to && to > from + 1);
}

std::string intent_name(SayIntent intent) {
  switch (intent) {
    case SayIntent::kRoute: return "a route";
    case SayIntent::kDeny: return "a block";
    case SayIntent::kAllow: return "an allow";
    case SayIntent::kDelay: return "a delay";
    case SayIntent::kAbort: return "an abort";
    case SayIntent::kRetry: return "retries";
    case SayIntent::kTimeout: return "a timeout";
    case SayIntent::kMirror: return "a mirror";
    default: return "a removal";
  }
}

SayRefusal refuse(std::string message, std::vector<std::string> examples) { return {std::move(message), std::move(examples)}; }

std::string example_for(SayIntent intent) {
  switch (intent) {
    case SayIntent::kRoute: return "route all traffic to bar v1";
    case SayIntent::kDeny: return "block frontend from calling bar";
    case SayIntent::kAllow: return "allow frontend to call bar";
    case SayIntent::kDelay: return "add a 500ms delay to foo";
    case SayIntent::kAbort: return "abort 50% of bar requests with 503";
    case SayIntent::kRetry: return "retry bar requests 3 times";
    case SayIntent::kTimeout: return "set a 2s timeout on bar";
    case SayIntent::kMirror: return "mirror bar traffic to v2";
    case SayIntent::kTopology: return "get the frontend topology";
    case SayIntent::kRouteQuery: return "get the bar route";
    default: return "reset the bar service";
  }
}

}  // namespace

SayParse parse_say(std::string_view sentence, const proxy::Resources& mesh) {
  SaySentence s;
  s.tokens = lex_say(sentence);
  s.used.assign(s.tokens.size(), false);
  const std::vector<std::string> known = say_known_services(mesh);
  join_split_names(s, known);
  std::vector<IntentHit> hits = intent_hits(s);
  SayRequest r;
  auto refused = [](SayRefusal why) {
    SayParse p;
    p.refusal = std::move(why);
    return p;
  };
  if (auto q = query_intent(s, hits)) r.intent = *q;
  else r.intent = choose_intent(s, hits);
  if (r.intent == SayIntent::kNone) return {};
  for (const auto& h : hits)
    if (s.tokens[h.pos].kind == Kind::kWord) s.used[h.pos] = true;  // "3 retries" stays a count
  const std::string example = example_for(r.intent);
  bool query = r.intent == SayIntent::kTopology || r.intent == SayIntent::kRouteQuery;

  std::optional<SayRefusal> why;
  if (!query) {
    r.match = say_take_match(s, known, why);
    if (why) return refused(*why);
  }

  // Service names: the words left that are not meshsim's own.
  std::vector<NameAt> names;
  for (size_t i = 0; i < s.tokens.size(); ++i)
    if (!s.used[i] && name_shaped(s.tokens[i]) && !say_vocabulary(s.tokens[i].text)) names.push_back({i, s.tokens[i].text});
  if (!known.empty() && !query)
    for (const auto& n : names) {
      if (std::find(known.begin(), known.end(), n.name) != known.end()) continue;
      std::string near = say_nearest_name(n.name, known);
      if (!near.empty())
        return refused(refuse(fmt::format("There is no service \"{}\" in the mesh; did you mean \"{}\"?", n.name, near), {example}));
      return refused(refuse(fmt::format("There is no service \"{}\" in the mesh (services: {})", n.name, fmt::join(known, ", ")),
                            {example}));
    }
  if (query) {
    // Queries answer for any name: "There is no baz service in the mesh".
    if (names.empty()) return refused(refuse("Which service? e.g. \"" + example + "\"", {example}));
    r.service = names.front().name;
    SayParse p;
    p.request = r;
    return p;
  }

  // Who calls (the caller) and who is called (the target).
  bool removal = r.intent == SayIntent::kReset || r.intent == SayIntent::kResetRoute;
  bool access = r.intent == SayIntent::kDeny || r.intent == SayIntent::kAllow;
  std::vector<std::string> callers, targets;
  std::vector<bool> is_caller(names.size(), false);
  for (size_t i = 0; !removal && i + 1 < names.size(); ++i) {
    if (!call_between(s, names[i].pos, names[i + 1].pos, access)) continue;
    if (names[i].name == names[i + 1].name)
      return refused(refuse(fmt::format("{} cannot be both the caller and the service called", names[i].name), {example}));
    is_caller[i] = true;
  }
  for (size_t i = 0; !removal && i < names.size(); ++i)
    if (preceded_by(s, names[i].pos, "from")) is_caller[i] = true;
  // "frontend and curl from calling bar", "from frontend and curl":
  // callers listed together.
  auto listed = [&](size_t i) {  // names i and i + 1 are joined by "and"/"or"
    bool joined = false;
    for (size_t k = names[i].pos + 1; k < names[i + 1].pos; ++k) {
      if (s.word(k, "and") || s.word(k, "or")) joined = true;
      else if (!s.word(k, "the") && !s.word(k, "service")) return false;
    }
    return joined;
  };
  for (size_t i = names.size(); !removal && i-- > 1;)
    if (is_caller[i] && !is_caller[i - 1] && listed(i - 1)) is_caller[i - 1] = true;
  for (size_t i = 0; !removal && i + 1 < names.size(); ++i)
    if (is_caller[i] && !is_caller[i + 1] && listed(i)) is_caller[i + 1] = true;
  for (size_t i = 0; i < names.size(); ++i) {
    auto& list = is_caller[i] ? callers : targets;
    if (std::find(list.begin(), list.end(), names[i].name) == list.end()) list.push_back(names[i].name);
  }
  // "add a 2s delay to bar for frontend": with two, "for" marks the caller.
  if (targets.size() == 2 && callers.empty())
    for (size_t i = 0; i < names.size(); ++i)
      if (preceded_by(s, names[i].pos, "for")) {
        callers.push_back(names[i].name);
        targets.erase(std::find(targets.begin(), targets.end(), names[i].name));
        break;
      }
  // "mirror traffic from bar to v2": a lone "from" names the target.
  if (targets.empty() && callers.size() == 1 && !access) std::swap(targets, callers);
  if (callers.size() > 1 && !access)
    return refused(refuse(fmt::format("One caller at a time, please: {}?", fmt::join(callers, " or ")), {example}));
  if (targets.size() > 1)
    return refused(refuse(fmt::format("Which service do you mean: {}? One at a time, please", fmt::join(targets, " or ")), {example}));
  if (!callers.empty()) r.caller = callers.front();
  if (callers.size() > 1) r.more_callers.assign(callers.begin() + 1, callers.end());

  // Versions name their service when only one service has them.
  std::vector<std::string> named_versions;
  for (size_t i = 0; i < s.tokens.size(); ++i)
    if (!s.used[i] && s.tokens[i].kind == Kind::kVersion) named_versions.push_back(s.tokens[i].text);
  if (!targets.empty()) {
    r.service = targets.front();
  } else if (!named_versions.empty() && !known.empty()) {
    std::vector<std::string> having;
    for (const auto& svc : known) {
      auto versions = say_versions_of(svc, mesh);
      if (std::find(versions.begin(), versions.end(), named_versions.front()) != versions.end()) having.push_back(svc);
    }
    if (having.size() == 1) r.service = having.front();
    else if (having.size() > 1)
      return refused(refuse(fmt::format("Which service's {}: {}?", named_versions.front(), fmt::join(having, " or ")), {example}));
  }
  if (r.service.empty())
    return refused(refuse(known.empty() ? fmt::format("Which service? e.g. \"{}\"", example)
                                        : fmt::format("Which service? ({}) e.g. \"{}\"", fmt::join(known, ", "), example),
                          {example}));
  if (std::find(callers.begin(), callers.end(), r.service) != callers.end())
    return refused(refuse(fmt::format("{} cannot be both the caller and the service called", r.service), {example}));

  // A version the mesh does not run yet is allowed (a rule is often written
  // before the rollout, as Istio accepts it) but the answer says so.
  auto versions = say_versions_of(r.service, mesh);
  for (const auto& v : named_versions)
    if (!versions.empty() && std::find(versions.begin(), versions.end(), v) == versions.end() &&
        std::find(r.undeployed.begin(), r.undeployed.end(), v) == r.undeployed.end())
      r.undeployed.push_back(v);

  switch (r.intent) {
    case SayIntent::kRoute: {
      // "10% more": a change relative to a split we do not track.
      if (has_kind(s, Kind::kPercent) && s.any_word({"more", "less", "another", "additional", "fewer", "extra"}))
        return refused(refuse("Say the share each version should have in total (e.g. \"shift 30% of bar traffic to v2\"), "
                              "not a change to the current one",
                              {"shift 30% of bar traffic to v2"}));
      bool need_share = s.any_word({"split", "canary", "splitting"}) && !s.any_word({"all", "everything", "entire", "whole"});
      r.shares = say_take_shares(s, versions, need_share, why);
      if (why) return refused(*why);
      if (r.shares.empty())
        return refused(refuse(fmt::format("Which version of {} should the traffic go to? e.g. \"route all traffic to {} v1\"",
                                          r.service, r.service),
                              {"route all traffic to bar v1", "route mobile traffic to bar v2"}));
      break;
    }
    case SayIntent::kDeny:
    case SayIntent::kAllow:
      if (r.match)
        return refused(refuse(fmt::format("I can {} callers (services), not requests by {}; route them instead",
                                          r.intent == SayIntent::kDeny ? "block" : "allow", r.match->who),
                              {example, "route mobile traffic to bar v2"}));
      break;
    case SayIntent::kDelay:
      r.percent = say_take_percent(s, why, example);
      if (why) return refused(*why);
      r.duration_ms = say_take_duration(s, false);
      if (!r.duration_ms) return refused(refuse(fmt::format("How long a delay? e.g. \"delay {} by 2s\"", r.service), {example}));
      break;
    case SayIntent::kAbort:
      r.status = say_take_status(s);
      r.percent = say_take_percent(s, why, example);
      if (why) return refused(*why);
      if (!r.status)
        return refused(refuse(fmt::format("Which status code should the failed requests get? e.g. \"abort 50% of {} requests "
                                          "with 503\"",
                                          r.service),
                              {example}));
      break;
    case SayIntent::kRetry: {
      r.per_try_ms = say_take_duration(s, true);
      bool timeout_word = s.any_word({"timeout", "timeouts", "deadline"});
      auto d = say_take_duration(s, false);
      if (d && timeout_word) r.duration_ms = d;
      else if (d && !r.per_try_ms) r.per_try_ms = d;
      r.attempts = say_take_count(s);
      if (!r.attempts)
        return refused(refuse(fmt::format("How many times should requests to {} be retried? e.g. \"retry {} requests 3 times\"",
                                          r.service, r.service),
                              {example}));
      if (*r.attempts < 1 || *r.attempts > 100)
        return refused(refuse(fmt::format("{} retries: say from 1 to 100", *r.attempts), {example}));
      if (s.any_word({"5xx", "500s"}) || (s.any_word({"server"}) && s.any_word({"errors", "error"}))) r.retry_on = "5xx";
      else if (s.any_word({"gateway"})) r.retry_on = "gateway-error";
      else if (s.any_word({"connect", "connection"})) r.retry_on = "connect-failure";
      else if (auto code = say_take_status(s)) {
        if (!retry_on_accepts_status(*code))
          return refused(refuse(fmt::format("Istio retries on an HTTP status it names (e.g. 503), not {}", *code),
                                {fmt::format("retry {} 3 times on 503", r.service)}));
        r.retry_on = std::to_string(*code);
      }
      break;
    }
    case SayIntent::kTimeout:
      r.duration_ms = say_take_duration(s, false);
      if (!r.duration_ms)
        return refused(refuse(fmt::format("How long before requests to {} time out? e.g. \"set a 2s timeout on {}\"", r.service,
                                          r.service),
                              {example}));
      break;
    case SayIntent::kMirror: {
      r.percent = say_take_percent(s, why, example);
      if (why) return refused(*why);
      if (named_versions.empty())
        return refused(refuse(fmt::format("Mirror {}'s traffic to which version? e.g. \"mirror {} traffic to v2\"", r.service,
                                          r.service),
                              {example}));
      r.mirror_version = named_versions.back();
      for (size_t i = 0; i < s.tokens.size(); ++i)
        if (s.tokens[i].kind == Kind::kVersion) s.used[i] = true;
      std::string primary = named_versions.size() > 1 ? named_versions.front() : "";
      for (const auto& v : versions)
        if (primary.empty() && v != r.mirror_version) primary = v;
      if (primary.empty()) primary = r.mirror_version == "v1" ? "v2" : "v1";
      if (primary == r.mirror_version)
        return refused(refuse(fmt::format("{} cannot mirror to itself", primary), {example}));
      r.shares = {{primary, -1}};
      break;
    }
    default: break;
  }
  // A number or version the intent did not use means a second change in the
  // same sentence ("route 20% of bar to v2 with a 2s delay"): refuse rather
  // than carry out half of it.
  for (size_t i = 0; i < s.tokens.size(); ++i) {
    Kind k = s.tokens[i].kind;
    if (s.used[i] || k == Kind::kWord || k == Kind::kPunct || k == Kind::kPossessive) continue;
    return refused(refuse(fmt::format("I understood {} but not what \"{}\" is for; one change per sentence, please",
                                      intent_name(r.intent), s.tokens[i].raw),
                          {example}));
  }
  SayParse p;
  p.request = std::move(r);
  return p;
}

}  // namespace meshsim::config
