#include "config/say.h"

#include <algorithm>

#include <fmt/format.h>

#include "config/loader.h"
#include "config/say_mesh.h"
#include "config/say_parser.h"
#include "config/say_yaml.h"
#include "config/yaml_reader.h"
#include "proxy_core/http.h"

namespace meshsim::config {
namespace {

using proxy::Resources;

// Istio rejects a zero fixedDelay or timeout (validation: durations of at
// least 1ms); a day is far beyond any rehearsal and keeps numbers sane.
constexpr double kDurationMinMs = 1;
constexpr double kDurationMaxMs = 24.0 * 3600 * 1000;

SayResult understood(std::string reply, std::string yaml, std::vector<std::string> deletes = {}) {
  SayResult r;
  r.understood = true;
  r.reply = std::move(reply);
  r.yaml = std::move(yaml);
  r.delete_keys = std::move(deletes);
  return r;
}

// Well-formed UTF-8 (RFC 3629): no stray continuation bytes, no truncated
// or overlong sequences, nothing past U+10FFFF, no surrogates.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 4;
    if (n == 4 || i + n >= s.size()) return false;  // a stray continuation byte, or cut short
    uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1f) : n == 2 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k <= n; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

SayResult refused(std::string message, std::vector<std::string> examples) {
  SayResult r;
  r.reply = std::move(message);
  r.reply += r.reply.ends_with('?') || r.reply.ends_with('.') ? " Nothing was changed." : ". Nothing was changed.";
  r.suggestions = std::move(examples);
  return r;
}

std::string policy_name(const std::vector<std::string>& froms, const std::string& svc) {
  return fmt::format("deny-{}-to-{}", froms.empty() ? "all" : fmt::format("{}", fmt::join(froms, "-")), svc);
}

// " from the frontend service", " from mobile clients", " with end-user jason".
std::string condition_words(const SayRequest& r) {
  std::string out;
  if (r.match) out += (r.match->agent ? " from " : " with ") + r.match->who;
  if (!r.caller.empty()) out += fmt::format(" {} the {} service", r.match ? "via" : "from", r.caller);
  return out;
}

std::string shares_words(const std::string& svc, const std::vector<SayShare>& shares) {
  std::vector<std::string> parts;
  for (const auto& s : shares) parts.push_back(fmt::format("{}% to {} {}", say_number(s.percent), svc, s.version));
  return fmt::format("{}", fmt::join(parts, ", "));
}

// A rule for the matched requests and one for everything else, or a single
// rule when the sentence names no condition.
std::vector<SayHttpRule> conditional(const SayRequest& r, SayHttpRule matched, std::vector<SayShare> otherwise) {
  if (!r.match && r.caller.empty()) return {std::move(matched)};
  matched.match = r.match;
  matched.caller = r.caller;
  SayHttpRule rest;
  rest.route = std::move(otherwise);
  return {std::move(matched), std::move(rest)};
}

SayResult route(const SayRequest& r, const Resources& mesh, const std::string& ns) {
  std::vector<SayShare> shares = r.shares;
  if (shares.size() == 1) shares[0].percent = -1;  // one destination: no weight
  std::vector<std::string> versions;
  for (const auto& s : r.shares) versions.push_back(s.version);
  SayHttpRule rule;
  rule.route = shares;
  bool conditional_route = r.match || !r.caller.empty();
  // Everything else stays on v1, as the talk's rule left it; when the
  // condition goes to v1 itself, everything else goes to the whole service.
  std::string fallback = versions.size() == 1 && versions[0] == "v1" ? "" : "v1";
  if (conditional_route && !fallback.empty() && std::find(versions.begin(), versions.end(), fallback) == versions.end())
    versions.insert(versions.begin(), fallback);
  std::string yaml = say_destination_rule(mesh, r.service, ns, versions) +
                     say_virtual_service(r.service, conditional(r, rule, {{fallback, -1}}));
  std::string reply;
  if (conditional_route) {
    reply = r.shares.size() == 1 ? fmt::format("Traffic {} will be routed to {} version {}", condition_words(r).substr(1),
                                               r.service, r.shares[0].version)
                                 : fmt::format("Traffic {} will be split: {}", condition_words(r).substr(1),
                                               shares_words(r.service, r.shares));
  } else if (r.shares.size() == 1) {
    reply = fmt::format("All traffic to the {} service will go to version {}", r.service, r.shares[0].version);
  } else if (r.shares.size() == 2) {
    reply = fmt::format("{}% of the {} service's traffic will go to version {}", say_number(r.shares[1].percent), r.service,
                        r.shares[1].version);
  } else {
    reply = fmt::format("The {} service's traffic will be split: {}", r.service, shares_words(r.service, r.shares));
  }
  return understood(reply, yaml);
}

SayResult deny_or_allow(const SayRequest& r, const Resources& mesh, const std::vector<sim::BehaviorRule>& behaviors,
                        const std::string& ns) {
  std::vector<std::string> froms = r.caller.empty() ? say_callers_of(r.service, mesh, behaviors) : std::vector<std::string>{r.caller};
  froms.insert(froms.end(), r.more_callers.begin(), r.more_callers.end());
  std::string who = froms.empty()        ? "every service"
                    : froms.size() == 1 ? fmt::format("the {} service", froms[0])
                                        : fmt::format("the {} services", fmt::join(froms, " and "));
  if (r.intent == SayIntent::kAllow)
    return understood(fmt::format("Access to the {} service is permitted from {}", r.service, who), "",
                      {"AuthorizationPolicy/" + ns + "/" + policy_name(froms, r.service)});
  std::vector<std::string> principals;
  for (const auto& f : froms) principals.push_back(fmt::format("cluster.local/ns/{}/sa/{}", ns, say_service_account_of(mesh, f, ns)));
  return understood(fmt::format("Access to the {} service is prohibited from {}", r.service, who),
                    say_deny_policy(policy_name(froms, r.service), r.service, principals));
}

std::optional<SayResult> bad_duration(double ms, const std::string& what, const std::string& example) {
  if (ms < kDurationMinMs) return refused(fmt::format("{} must be at least 1ms", what), {example});
  if (ms > kDurationMaxMs) return refused(fmt::format("{} of more than a day is surely a slip ({})", what, say_duration(ms)), {example});
  return std::nullopt;
}

SayResult fault(const SayRequest& r) {
  SayHttpRule rule;
  rule.route = {{"", -1}};
  rule.fault_percent = r.percent.value_or(100);
  std::string pct = say_number(rule.fault_percent);
  std::string reply;
  if (r.intent == SayIntent::kDelay) {
    if (auto bad = bad_duration(*r.duration_ms, "A delay", "add a 500ms delay to foo")) return *bad;
    rule.fault = "delay";
    rule.fault_setting = "fixedDelay: " + say_duration(*r.duration_ms);
    reply = fmt::format("Requests to the {} service{} will be delayed by {} ({}% of them)", r.service, condition_words(r),
                        say_duration(*r.duration_ms), pct);
  } else {
    // Istio's validation allows abort statuses 200-599 (pilot/pkg/config/
    // validation validateHTTPFaultInjectionAbort); the loader enforces it.
    if (*r.status < 200 || *r.status > 599)
      return refused(fmt::format("Istio aborts with an HTTP status from 200 to 599, not {}", *r.status),
                     {"abort 50% of bar requests with 503"});
    rule.fault = "abort";
    rule.fault_setting = fmt::format("httpStatus: {}", *r.status);
    reply = fmt::format("{}% of requests to the {} service{} will fail with {}", pct, r.service, condition_words(r), *r.status);
  }
  return understood(reply, say_virtual_service(r.service, conditional(r, rule, {{"", -1}})));
}

SayResult retry_or_timeout(const SayRequest& r) {
  SayHttpRule rule;
  rule.route = {{"", -1}};
  std::string reply;
  if (r.duration_ms) {
    if (auto bad = bad_duration(*r.duration_ms, "A timeout", "set a 2s timeout on bar")) return *bad;
    rule.extra += fmt::format("    timeout: {}\n", say_duration(*r.duration_ms));
  }
  if (r.intent == SayIntent::kRetry) {
    rule.extra += fmt::format("    retries:\n      attempts: {}\n", *r.attempts);
    if (r.per_try_ms) {
      if (auto bad = bad_duration(*r.per_try_ms, "A per-try timeout", "retry bar 3 times with a 1s per-try timeout")) return *bad;
      rule.extra += fmt::format("      perTryTimeout: {}\n", say_duration(*r.per_try_ms));
    }
    if (!r.retry_on.empty()) rule.extra += fmt::format("      retryOn: \"{}\"\n", r.retry_on);
    std::string times = fmt::format("up to {} time{}", *r.attempts, *r.attempts == 1 ? "" : "s");
    if (r.per_try_ms) times += fmt::format(", each try given {},", say_duration(*r.per_try_ms));
    if (r.retry_on.empty())  // Istio's default retryOn (retry.go defaultRetryOn): no status the app answers since 1.24
      reply = fmt::format("Requests to the {} service{} will be retried {} when connecting fails or the stream is "
                          "refused (Istio's default retryOn: a status the app answers, such as 503, is not retried; say "
                          "\"on 5xx\" for that)",
                          r.service, condition_words(r), times);
    else
      reply = fmt::format("Failed requests to the {} service{} will be retried {} on {}", r.service, condition_words(r),
                          times, r.retry_on);
    if (r.duration_ms) reply += fmt::format("; requests time out after {}", say_duration(*r.duration_ms));
  } else {
    reply = fmt::format("Requests to the {} service{} will time out after {}", r.service, condition_words(r),
                        say_duration(*r.duration_ms));
  }
  return understood(reply, say_virtual_service(r.service, conditional(r, rule, {{"", -1}})));
}

SayResult mirror(const SayRequest& r, const Resources& mesh, const std::string& ns) {
  SayHttpRule rule;
  rule.route = r.shares;
  double pct = r.percent.value_or(100);
  rule.extra = fmt::format("    mirror:\n      host: {}\n      subset: {}\n    mirrorPercentage:\n      value: {}\n", r.service,
                           r.mirror_version, say_number(pct));
  std::string primary = r.shares.front().version;
  return understood(fmt::format("{}% of the {} service's traffic{} will be mirrored to version {} (answered by {})",
                                say_number(pct), r.service, condition_words(r), r.mirror_version, primary),
                    say_destination_rule(mesh, r.service, ns, {primary, r.mirror_version}) +
                        say_virtual_service(r.service, conditional(r, rule, {{primary, -1}})));
}

SayResult reset(const SayRequest& r, const Resources& mesh, const std::string& ns) {
  std::vector<std::string> deletes = {"VirtualService/" + ns + "/" + r.service};
  if (r.intent == SayIntent::kResetRoute)
    return understood(fmt::format("The {} service's route rules have been removed", r.service), "", deletes);
  for (const auto& p : mesh.authorization_policies)
    if (p.header.meta.ns == ns && p.header.meta.name.starts_with("deny-") && p.header.meta.name.ends_with("-to-" + r.service))
      deletes.push_back("AuthorizationPolicy/" + ns + "/" + p.header.meta.name);
  return understood(fmt::format("The {} service's rules have been reset", r.service), "", deletes);
}

SayResult carry_out(const SayRequest& r, const Resources& mesh, const std::vector<sim::BehaviorRule>& behaviors,
                    const std::string& ns);

}  // namespace

const std::vector<std::string>& say_phrasings() {
  static const std::vector<std::string> phrasings = {
      "get the frontend topology",
      "get the bar route",
      "deny access to the bar service",
      "deny access to the bar service from the frontend service",
      "block frontend from calling bar",
      "allow access to the bar service",
      "route mobile traffic to bar v2",
      "route browser traffic to bar v2",
      "send Chrome users to bar v2",
      "route traffic with header end-user jason to bar v2",
      "route all traffic to bar v1",
      "shift 20% of bar traffic to v2",
      "split bar traffic 80/20 between v1 and v2",
      "inject a 2s delay into bar",
      "add a 500ms delay to foo",
      "inject a 503 abort into bar for 10%",
      "abort 50% of bar requests with 503",
      "retry bar requests 3 times",
      "set a 2s timeout on bar",
      "mirror bar traffic to v2",
      "reset the bar service",
  };
  return phrasings;
}

namespace {
SayResult interpret_say_unchecked(const std::string& sentence, const Resources& mesh,
                                  const std::vector<sim::BehaviorRule>& behaviors, const std::string& ns);
}  // namespace

// Whatever say understood, what it hands out must load as `meshsim validate`
// loads it: a sentence that would make invalid YAML is refused instead (a net
// under the intent writers; say_fuzz found several such sentences).
SayResult interpret_say(const std::string& sentence, const Resources& mesh, const std::vector<sim::BehaviorRule>& behaviors,
                        const std::string& ns) {
  SayResult r = interpret_say_unchecked(sentence, mesh, behaviors, ns);
  if (!r.understood || r.yaml.empty()) return r;
  auto loaded = load({{"say.yaml", r.yaml}});
  for (const auto& d : loaded.diagnostics)
    if (d.severity == Severity::kError)
      return refused("I could not write that as valid Istio YAML (" + d.message + "); say it in plainer words", {});
  return r;
}

namespace {
SayResult interpret_say_unchecked(const std::string& sentence, const Resources& mesh,
                                  const std::vector<sim::BehaviorRule>& behaviors, const std::string& ns) {
  // Typed words carry no control bytes; one in a header name or value
  // would make YAML that does not load (found by say_fuzz).
  if (std::any_of(sentence.begin(), sentence.end(), [](char c) { return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f; }))
    return refused("The sentence holds control characters; say it in plain words", {});
  // Nor bytes that are not UTF-8 text (they would reach a regex, which RE2 refuses).
  if (!valid_utf8(sentence)) return refused("The sentence is not UTF-8 text; say it in plain words", {});
  SayParse parsed = parse_say(sentence, mesh);
  if (parsed.refusal) return refused(parsed.refusal->message, parsed.refusal->examples);
  // A header name must be an HTTP token, or the rule matches nothing and the
  // YAML may not even load (found by say_fuzz: "route @\xff: ...").
  if (parsed.request && parsed.request->match && !parsed.request->match->header.empty() &&
      !proxy::is_token(parsed.request->match->header))
    return refused(fmt::format("\"{}\" is not a header name (letters, digits and -)", parsed.request->match->header), {});
  if (!parsed.request) {
    SayResult r;
    r.reply = "Sorry, I did not understand that. Nothing was changed.";
    // The closest supported phrasings by edit distance.
    std::string s = proxy::to_lower(sentence);
    std::vector<std::pair<size_t, std::string>> ranked;
    for (const auto& p : say_phrasings()) ranked.emplace_back(edit_distance(s, p), p);
    std::stable_sort(ranked.begin(), ranked.end());
    for (size_t i = 0; i < 3 && i < ranked.size(); ++i) r.suggestions.push_back(ranked[i].second);
    return r;
  }
  const SayRequest& r = *parsed.request;
  SayResult result = carry_out(r, mesh, behaviors, ns);
  if (result.understood && !r.undeployed.empty())
    result.reply += fmt::format(". Note: the mesh runs no {} version {} yet (it has {}); requests routed there fail until it does",
                                r.service, fmt::join(r.undeployed, " or "), fmt::join(say_versions_of(r.service, mesh), ", "));
  return result;
}
}  // namespace

namespace {

SayResult carry_out(const SayRequest& r, const Resources& mesh, const std::vector<sim::BehaviorRule>& behaviors,
                    const std::string& ns) {
  switch (r.intent) {
    case SayIntent::kTopology: return understood(say_describe_topology(r.service, mesh, behaviors), "");
    case SayIntent::kRouteQuery: return understood(say_describe_route(r.service, mesh), "");
    case SayIntent::kRoute: return route(r, mesh, ns);
    case SayIntent::kDeny:
    case SayIntent::kAllow: return deny_or_allow(r, mesh, behaviors, ns);
    case SayIntent::kDelay:
    case SayIntent::kAbort: return fault(r);
    case SayIntent::kRetry:
    case SayIntent::kTimeout: return retry_or_timeout(r);
    case SayIntent::kMirror: return mirror(r, mesh, ns);
    case SayIntent::kReset:
    case SayIntent::kResetRoute: return reset(r, mesh, ns);
    case SayIntent::kNone: break;
  }
  return refused("Sorry, I did not understand that.", {});
}

}  // namespace
}  // namespace meshsim::config
