#include "config/say_words.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace meshsim::config {
namespace {

template <size_t N>
bool in(const std::string_view (&words)[N], std::string_view w) {
  return std::find(std::begin(words), std::end(words), w) != std::end(words);
}

struct IntentWord {
  std::string_view word;
  std::string_view next;  // "" for a single word
  SayIntent intent;
};

// Two-word phrases come first so "slow down" wins over "slow".
constexpr IntentWord kIntentWords[] = {
    {"slow", "down", SayIntent::kDelay},      {"time", "out", SayIntent::kTimeout},  {"times", "out", SayIntent::kTimeout},
    {"timed", "out", SayIntent::kTimeout},    {"timing", "out", SayIntent::kTimeout}, {"roll", "back", SayIntent::kReset},
    {"roll", "out", SayIntent::kRoute},       {"cut", "off", SayIntent::kDeny},      {"shut", "off", SayIntent::kDeny},
    {"lock", "out", SayIntent::kDeny},        {"take", "off", SayIntent::kReset},    {"take", "away", SayIntent::kReset},
    {"get", "rid", SayIntent::kReset},        {"turn", "off", SayIntent::kReset},    {"try", "again", SayIntent::kRetry},
    {"open", "up", SayIntent::kAllow},        {"give", "up", SayIntent::kTimeout},   {"gives", "up", SayIntent::kTimeout},
    {"return", "errors", SayIntent::kAbort},  {"throw", "errors", SayIntent::kAbort},
    // route
    {"route", "", SayIntent::kRoute},         {"routes", "", SayIntent::kRoute},     {"routing", "", SayIntent::kRoute},
    {"send", "", SayIntent::kRoute},          {"sends", "", SayIntent::kRoute},      {"sending", "", SayIntent::kRoute},
    {"shift", "", SayIntent::kRoute},         {"shifting", "", SayIntent::kRoute},   {"split", "", SayIntent::kRoute},
    {"splitting", "", SayIntent::kRoute},     {"move", "", SayIntent::kRoute},       {"moving", "", SayIntent::kRoute},
    {"canary", "", SayIntent::kRoute},        {"direct", "", SayIntent::kRoute},     {"steer", "", SayIntent::kRoute},
    {"point", "", SayIntent::kRoute},         {"switch", "", SayIntent::kRoute},     {"migrate", "", SayIntent::kRoute},
    {"divert", "", SayIntent::kRoute},        {"promote", "", SayIntent::kRoute},    {"pin", "", SayIntent::kRoute},
    {"balance", "", SayIntent::kRoute},       {"weight", "", SayIntent::kRoute},     {"forward", "", SayIntent::kRoute},
    // deny
    {"deny", "", SayIntent::kDeny},           {"denies", "", SayIntent::kDeny},      {"denying", "", SayIntent::kDeny},
    {"block", "", SayIntent::kDeny},          {"blocks", "", SayIntent::kDeny},      {"blocking", "", SayIntent::kDeny},
    {"forbid", "", SayIntent::kDeny},         {"reject", "", SayIntent::kDeny},      {"rejects", "", SayIntent::kDeny},
    {"stop", "", SayIntent::kDeny},           {"prevent", "", SayIntent::kDeny},     {"disallow", "", SayIntent::kDeny},
    {"refuse", "", SayIntent::kDeny},         {"ban", "", SayIntent::kDeny},         {"cut", "", SayIntent::kDeny},
    {"isolate", "", SayIntent::kDeny},        {"prohibit", "", SayIntent::kDeny},
    // allow
    {"allow", "", SayIntent::kAllow},         {"allows", "", SayIntent::kAllow},     {"permit", "", SayIntent::kAllow},
    {"permits", "", SayIntent::kAllow},       {"unblock", "", SayIntent::kAllow},    {"let", "", SayIntent::kAllow},
    {"grant", "", SayIntent::kAllow},         {"reopen", "", SayIntent::kAllow},     {"re-allow", "", SayIntent::kAllow},
    {"re-enable", "", SayIntent::kAllow},
    // delay
    {"delay", "", SayIntent::kDelay},         {"delays", "", SayIntent::kDelay},     {"delayed", "", SayIntent::kDelay},
    {"delaying", "", SayIntent::kDelay},      {"latency", "", SayIntent::kDelay},    {"lag", "", SayIntent::kDelay},
    {"slow", "", SayIntent::kDelay},          {"slower", "", SayIntent::kDelay},     {"slowdown", "", SayIntent::kDelay},
    // abort
    {"abort", "", SayIntent::kAbort},         {"aborts", "", SayIntent::kAbort},     {"aborting", "", SayIntent::kAbort},
    {"fail", "", SayIntent::kAbort},          {"fails", "", SayIntent::kAbort},      {"failing", "", SayIntent::kAbort},
    {"error", "", SayIntent::kAbort},         {"errors", "", SayIntent::kAbort},     {"failure", "", SayIntent::kAbort},
    {"failures", "", SayIntent::kAbort},      {"break", "", SayIntent::kAbort},      {"fault", "", SayIntent::kAbort},
    // retry
    {"retry", "", SayIntent::kRetry},         {"retries", "", SayIntent::kRetry},    {"retrying", "", SayIntent::kRetry},
    {"retried", "", SayIntent::kRetry},       {"reattempt", "", SayIntent::kRetry},
    // timeout
    {"timeout", "", SayIntent::kTimeout},     {"timeouts", "", SayIntent::kTimeout}, {"time-out", "", SayIntent::kTimeout},
    {"deadline", "", SayIntent::kTimeout},
    // mirror
    {"mirror", "", SayIntent::kMirror},       {"mirrors", "", SayIntent::kMirror},   {"mirroring", "", SayIntent::kMirror},
    {"mirrored", "", SayIntent::kMirror},     {"shadow", "", SayIntent::kMirror},    {"shadowing", "", SayIntent::kMirror},
    {"copy", "", SayIntent::kMirror},         {"copies", "", SayIntent::kMirror},    {"duplicate", "", SayIntent::kMirror},
    {"tee", "", SayIntent::kMirror},          {"clone", "", SayIntent::kMirror},
    // remove / restore / undo
    {"remove", "", SayIntent::kReset},        {"removes", "", SayIntent::kReset},    {"restore", "", SayIntent::kReset},
    {"undo", "", SayIntent::kReset},          {"reset", "", SayIntent::kReset},      {"clear", "", SayIntent::kReset},
    {"revert", "", SayIntent::kReset},        {"delete", "", SayIntent::kReset},     {"drop", "", SayIntent::kReset},
    {"rollback", "", SayIntent::kReset},      {"cancel", "", SayIntent::kReset},     {"lift", "", SayIntent::kReset},
    {"unset", "", SayIntent::kReset},         {"disable", "", SayIntent::kReset},    {"withdraw", "", SayIntent::kReset},
};

constexpr std::string_view kFillers[] = {
    "the", "a", "an", "to", "of", "for", "from", "into", "in", "on", "onto", "at", "by", "with", "without", "and", "or",
    "but", "all", "every", "each", "any", "some", "its", "it", "it's", "their", "them", "that", "this", "these", "those",
    "please", "pls", "kindly", "can", "could", "would", "you", "i", "we", "me", "us", "my", "our", "want", "wanna",
    "need", "like", "let's", "should", "must", "will", "shall", "be", "is", "are", "was", "were", "do", "does", "did",
    "make", "makes", "have", "has", "add", "adding", "inject", "injecting", "introduce", "put", "set", "apply",
    "configure", "give", "service", "services", "svc", "app", "apps", "application", "workload", "backend", "traffic",
    "requests", "request", "connections", "only", "just", "now", "also", "then", "so", "up", "down", "out", "off",
    "over", "back", "again", "instead", "rest", "remaining", "remainder", "other", "others", "everything", "everyone",
    "else", "new", "old", "current", "version", "versions", "subset", "percent", "percentage", "share", "between",
    "across", "evenly", "equally", "even", "when", "whenever", "if", "where", "which", "named", "called", "as", "than",
    "per", "try", "attempt", "attempts", "tries", "after", "before", "until", "max", "maximum", "most", "least",
    "there", "here", "not", "no", "rule", "rules", "policy", "policies", "faults", "injection", "header", "headers",
    "value", "equal", "equals", "exactly", "user", "users", "end-user", "client", "clients", "device", "devices",
    "phone", "phones", "browser", "browsers", "desktop", "mobile", "chrome", "firefox", "safari", "iphone", "iphones",
    "android", "ipad", "agent", "agents", "user-agent", "logged", "signed", "person", "people", "code", "status",
    "http", "response", "responses", "ok", "okay", "hey", "google", "istio", "mesh", "access", "calls", "call",
    "calling", "go", "goes", "get", "gets", "see", "sees", "return", "returns", "respond", "first", "then", "more",
    "less", "than", "about", "around", "roughly", "keep", "leave", "stay", "starting", "starts", "containing",
    "contains", "matching", "matches", "prefix", "end", "half", "whole", "entire", "immediately", "always", "while",
    "talk", "talks", "hit", "hits", "reach", "reaching", "use", "using", "incoming", "outgoing", "inbound",
    "everybody", "someone", "times", "time", "one", "once", "currently", "existing", "whose", "answer", "answers",
    "reply", "replies", "responds", "failed", "errored", "per-try", "pertry", "5xx", "gateway", "connect", "connection",
    "server", "via", "through", "it", "they", "goes", "going", "gone", "sent", "routed", "like", "soon", "right", "away",
    "everything", "calls", "visitors", "customers", "callers", "caller", "requests", "hello", "unavailable", "internal",
    "bad", "forbidden", "found", "too", "many", "unreachable", "able", "unable", "take",
};

constexpr std::string_view kQueryWords[] = {"get",     "show", "describe", "what",  "what's", "whats", "how",
                                                          "who",     "list", "display",  "tell",  "explain", "print", "which"};
constexpr std::string_view kTopologyWords[] = {"topology", "dependencies", "dependency", "depends", "depend",
                                                             "deps",     "calls",        "call",       "callers", "talks",
                                                             "graph",    "neighbours"};
constexpr std::string_view kRouteNouns[] = {"route", "routes", "routing", "routed", "rules"};
constexpr std::string_view kCallWords[] = {
    "call",   "calls",  "calling", "called",  "reach",   "reaches", "reaching",   "access",  "accesses", "accessing", "talk",
    "talks",  "talking", "hit",    "hits",    "hitting", "contact", "contacting", "connect", "connects", "connecting", "use"};

}  // namespace

SayIntent say_intent_word(std::string_view word, std::string_view next, size_t& span) {
  for (const auto& w : kIntentWords) {
    if (w.word != word) continue;
    if (!w.next.empty() && w.next != next) continue;
    span = w.next.empty() ? 1 : 2;
    return w.intent;
  }
  span = 1;
  return SayIntent::kNone;
}

bool say_vocabulary(std::string_view word) {
  size_t span = 0;
  return in(kFillers, word) || say_intent_word(word, "", span) != SayIntent::kNone || in(kQueryWords, word) ||
         in(kTopologyWords, word) || in(kRouteNouns, word) || in(kCallWords, word);
}

bool say_query_word(std::string_view word) { return in(kQueryWords, word); }
bool say_topology_word(std::string_view word) { return in(kTopologyWords, word); }
bool say_route_noun(std::string_view word) { return in(kRouteNouns, word); }
bool say_call_word(std::string_view word) { return in(kCallWords, word); }

}  // namespace meshsim::config
