#include "config/say.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <re2/re2.h>

#include "config/yaml_reader.h"
#include "proxy_core/hosts.h"
#include "proxy_core/http.h"
#include "proxy_core/route_table.h"

namespace meshsim::config {
namespace {

using proxy::Resources;

std::string service_account_of(const Resources& mesh, const std::string& app, const std::string& ns) {
  for (const auto& d : mesh.deployments) {
    auto it = d.pod_labels.find("app");
    if (d.header.meta.ns == ns && (d.header.meta.name == app || (it != d.pod_labels.end() && it->second == app)))
      return d.service_account;
  }
  return app;  // conventional: the service account is named after the app
}

// Apps whose Behavior calls `service`.
std::vector<std::string> callers_of(const std::string& service, const Resources& mesh,
                                    const std::vector<sim::BehaviorRule>& behaviors) {
  std::set<std::string> out;
  for (const auto& d : mesh.deployments) {
    const sim::BehaviorRule* best = sim::most_specific_behavior(d.pod_labels, behaviors);
    if (!best) continue;
    for (const auto& step : best->behavior.script)
      for (const auto& call : step.calls)
        if (call.service == service || call.service.rfind(service + ".", 0) == 0) {
          auto app = d.pod_labels.find("app");
          out.insert(app != d.pod_labels.end() ? app->second : d.header.meta.name);
        }
  }
  return {out.begin(), out.end()};
}

// The DestinationRule the route needs: none if the mesh already defines the
// subsets; otherwise the existing rule's subsets plus the missing ones, so
// other routes keep theirs.
std::string destination_rule(const Resources& mesh, const std::string& svc, const std::string& ns,
                             const std::vector<std::string>& versions) {
  std::vector<std::pair<std::string, proxy::Labels>> subsets;
  std::string name = svc;
  for (const auto& dr : mesh.destination_rules)
    if (dr.header.meta.ns == ns && (dr.host == svc || dr.host.rfind(svc + ".", 0) == 0)) {
      name = dr.header.meta.name;
      for (const auto& s : dr.subsets) subsets.emplace_back(s.name, s.labels);
    }
  bool missing = false;
  for (const auto& v : versions)
    if (std::none_of(subsets.begin(), subsets.end(), [&](const auto& s) { return s.first == v; })) {
      subsets.emplace_back(v, proxy::Labels{{"version", v}});
      missing = true;
    }
  if (!missing) return "";
  std::string text;
  for (const auto& [subset, labels] : subsets) {
    text += fmt::format("  - name: {}\n    labels:\n", subset);
    for (const auto& [k, v] : labels) text += fmt::format("      {}: \"{}\"\n", k, v);
  }
  return fmt::format("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: {}\nspec:\n  host: {}\n"
                     "  subsets:\n{}---\n",
                     name, svc, text);
}

// `value` as a YAML double-quoted scalar's content: the sentence's printable
// ASCII, with the two characters that would end or escape it escaped.
std::string yaml_quoted_content(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string header_route(const std::string& svc, const std::string& header, const std::string& match_kind,
                         const std::string& value, const std::string& version) {
  return fmt::format(
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: {0}\nspec:\n  hosts:\n  - {0}\n  http:\n"
      "  - match:\n    - headers:\n        {1}:\n          {2}: \"{3}\"\n    route:\n    - destination:\n        host: {0}\n"
      "        subset: {4}\n  - route:\n    - destination:\n        host: {0}\n        subset: v1\n",
      svc, header, match_kind, yaml_quoted_content(value), version);
}

bool names_service(const std::string& host, const std::string& svc) { return host == svc || host.rfind(svc + ".", 0) == 0; }

std::string describe_match(const proxy::StringMatch& m) {
  switch (m.kind) {
    case proxy::StringMatch::Kind::kExact: return "is \"" + m.value + "\"";
    case proxy::StringMatch::Kind::kPrefix: return "starts with \"" + m.value + "\"";
    case proxy::StringMatch::Kind::kRegex: return "matches " + m.value;
    case proxy::StringMatch::Kind::kPresent: return "is present";
  }
  return "";
}

std::string describe_destinations(const std::vector<proxy::HTTPRouteDestination>& route) {
  std::vector<std::string> parts;
  for (const auto& d : route) {
    std::string where = proxy::short_name(d.destination.host) + (d.destination.subset.empty() ? "" : " " + d.destination.subset);
    if (route.size() > 1) where = fmt::format("{}% to {}", d.weight.value_or(0), where);
    parts.push_back(where);
  }
  return parts.empty() ? "nowhere" : fmt::format("{}", fmt::join(parts, ", "));
}

// "get the bar route": the VirtualService rules for a service, in order.
std::string describe_route(const std::string& svc, const Resources& mesh) {
  std::vector<std::string> rules;
  std::string source;
  for (const auto& vs : mesh.virtual_services) {
    if (std::none_of(vs.hosts.begin(), vs.hosts.end(), [&](const auto& h) { return names_service(h, svc); })) continue;
    source = fmt::format("VirtualService {}/{}", vs.header.meta.ns, vs.header.meta.name);
    for (const auto& rule : vs.http) {
      std::vector<std::string> conditions;
      for (const auto& m : rule.match) {
        for (const auto& [name, sm] : m.headers) conditions.push_back(fmt::format("header {} {}", name, describe_match(sm)));
        if (m.uri) conditions.push_back("the path " + describe_match(*m.uri));
      }
      std::string what = rule.direct_response ? fmt::format("are answered {} directly", rule.direct_response->status)
                         : rule.redirect      ? "are redirected"
                                              : "go to " + describe_destinations(rule.route);
      if (rule.fault && rule.fault->abort) what += " (with an injected abort)";
      if (rule.fault && rule.fault->delay) what += " (with an injected delay)";
      rules.push_back(conditions.empty() ? (rules.empty() ? "all requests " : "all other requests ") + what
                                         : fmt::format("requests whose {} {}", fmt::join(conditions, " and "), what));
    }
  }
  if (rules.empty()) return fmt::format("The {} service has no route rule: Kubernetes spreads its traffic over every version", svc);
  return fmt::format("Traffic to the {} service: {} ({})", svc, fmt::join(rules, "; "), source);
}

// "get the frontend topology": versions deployed, what its behaviour calls,
// who calls it (from the Behaviors; `meshsim serve` has traffic too).
std::string describe_topology(const std::string& svc, const Resources& mesh, const std::vector<sim::BehaviorRule>& behaviors) {
  std::set<std::string> versions, calls;
  for (const auto& d : mesh.deployments) {
    auto app = d.pod_labels.find("app");
    if (app == d.pod_labels.end() || app->second != svc) continue;
    auto version = d.pod_labels.find("version");
    versions.insert(version == d.pod_labels.end() ? d.header.meta.name : version->second);
    if (const sim::BehaviorRule* best = sim::most_specific_behavior(d.pod_labels, behaviors))
      for (const auto& step : best->behavior.script)
        for (const auto& call : step.calls) calls.insert(proxy::short_name(call.service));
  }
  if (versions.empty()) return fmt::format("There is no {} service in the mesh", svc);
  auto callers = callers_of(svc, mesh, behaviors);
  return fmt::format("The {} service runs {}; it calls {}; it is called by {}", svc, fmt::join(versions, " and "),
                     calls.empty() ? "no other service" : fmt::format("{}", fmt::join(calls, " and ")),
                     callers.empty() ? "no service (no Behavior calls it)" : fmt::format("{}", fmt::join(callers, " and ")));
}

// A VirtualService injecting one fault (`kind` delay or abort, with its
// `setting` line) into `percent` of the service's requests.
std::string fault_route(const std::string& svc, const std::string& kind, const std::string& setting, const std::string& percent) {
  return fmt::format("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: {0}\nspec:\n"
                     "  hosts:\n  - {0}\n  http:\n  - fault:\n      {1}:\n        {2}\n"
                     "        percentage:\n          value: {3}\n    route:\n    - destination:\n        host: {0}\n",
                     svc, kind, setting, percent);
}

SayResult understood(std::string reply, std::string yaml, std::vector<std::string> deletes = {}) {
  SayResult r;
  r.understood = true;
  r.reply = std::move(reply);
  r.yaml = std::move(yaml);
  r.delete_keys = std::move(deletes);
  return r;
}

std::string policy_name(const std::vector<std::string>& froms, const std::string& svc) {
  return fmt::format("deny-{}-to-{}", froms.empty() ? "all" : fmt::format("{}", fmt::join(froms, "-")), svc);
}

}  // namespace

const std::vector<std::string>& say_phrasings() {
  static const std::vector<std::string> phrasings = {
      "get the frontend topology",
      "get the bar route",
      "deny access to the bar service",
      "deny access to the bar service from the frontend service",
      "allow access to the bar service",
      "route mobile traffic to bar v2",
      "route browser traffic to bar v2",
      "route traffic with header end-user jason to bar v2",
      "shift 20% of bar traffic to v2",
      "inject a 2s delay into bar",
      "inject a 503 abort into bar for 10%",
      "reset the bar service",
  };
  return phrasings;
}

SayResult interpret_say(const std::string& sentence_in, const Resources& mesh,
                        const std::vector<sim::BehaviorRule>& behaviors, const std::string& ns) {
  std::string s = proxy::to_lower(sentence_in);
  while (!s.empty() && (s.back() == '.' || s.back() == '!' || s.back() == '?' || s.back() == ' ')) s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  std::string svc, from, version, value, unit, header, number, percent;

  static const RE2 kDeny(R"((?:please )?deny access to (?:the )?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?(?: from (?:the )?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?)?)");
  static const RE2 kAllow(R"((?:please )?allow access to (?:the )?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?(?: from (?:the )?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?)?)");
  static const RE2 kRouteAgent(R"(route (mobile|browser|desktop) traffic to (?:the )?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?(?: version)? (v[0-9]+))");
  static const RE2 kRouteHeader(R"(route traffic with header ([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)[ =:]+([!-~]+) to (?:the )?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?(?: version)? (v[0-9]+))");
  static const RE2 kShift(R"((?:shift|send|move) (100|[0-9]{1,2}) ?(?:%|percent) of (?:the )?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?(?:'s)? traffic to (v[0-9]+))");
  static const RE2 kDelay(R"(inject an? ([1-9][0-9]{0,5}) ?(ms|s|milliseconds|seconds) delay (?:into|in|on) (?:the )?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?(?: for (100|[0-9]{1,2}) ?(?:%|percent))?)");
  static const RE2 kAbort(R"(inject an? ([2-5][0-9][0-9]) (?:abort|error|fault) (?:into|in|on) (?:the )?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?(?: for (100|[0-9]{1,2}) ?(?:%|percent))?)");
  static const RE2 kTopology(R"((?:get|show|describe|what is)(?: me)? (?:the )?(?:topology (?:of|for) (?:the )?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?|([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?(?:'s)? topology))");
  static const RE2 kRoute(R"((?:get|show|describe|what is)(?: me)? (?:the )?(?:routes? (?:of|for) (?:the )?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?|([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?(?:'s)? routes?))");
  static const RE2 kReset(R"(reset (?:the )?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?: service)?(?:'s)?(?: rules)?)");

  std::string svc_alt;
  if (RE2::FullMatch(s, kTopology, &svc, &svc_alt))
    return understood(describe_topology(svc.empty() ? svc_alt : svc, mesh, behaviors), "");
  if (RE2::FullMatch(s, kRoute, &svc, &svc_alt)) return understood(describe_route(svc.empty() ? svc_alt : svc, mesh), "");
  if (RE2::FullMatch(s, kDeny, &svc, &from)) {
    std::vector<std::string> froms = from.empty() ? callers_of(svc, mesh, behaviors) : std::vector<std::string>{from};
    std::string principals;
    for (const auto& f : froms) principals += fmt::format("{}\"cluster.local/ns/{}/sa/{}\"", principals.empty() ? "" : ", ", ns,
                                                          service_account_of(mesh, f, ns));
    std::string yaml = fmt::format(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: {}\nspec:\n  selector:\n"
        "    matchLabels:\n      app: {}\n  action: DENY\n  rules:\n",
        policy_name(froms, svc), svc);
    if (froms.empty()) yaml += "  - {}\n";  // no known caller: deny everyone
    else yaml += fmt::format("  - from:\n    - source:\n        principals: [{}]\n", principals);
    std::string who = froms.empty() ? "every service" : fmt::format("the {} service", fmt::join(froms, " and "));
    return understood(fmt::format("Access to the {} service is prohibited from {}", svc, who), yaml);
  }
  if (RE2::FullMatch(s, kAllow, &svc, &from)) {
    std::vector<std::string> froms = from.empty() ? callers_of(svc, mesh, behaviors) : std::vector<std::string>{from};
    std::vector<std::string> deletes = {"AuthorizationPolicy/" + ns + "/" + policy_name(froms, svc)};
    std::string who = froms.empty() ? "every service" : fmt::format("the {} service", fmt::join(froms, " and "));
    return understood(fmt::format("Access to the {} service is permitted from {}", svc, who), "", deletes);
  }
  if (RE2::FullMatch(s, kRouteAgent, &value, &svc, &version)) {
    // User-Agent patterns: "mobile" as the talk's curl sends it and as phones'
    // browsers include it; browsers by their engine names.
    std::string regex = value == "mobile" ? ".*[Mm]obile.*" : ".*(Mozilla|Chrome|Safari|Firefox).*";
    std::string who = value == "mobile" ? "mobile clients" : "browsers";
    return understood(fmt::format("Traffic from {} will be routed to {} version {}", who, svc, version),
                      destination_rule(mesh, svc, ns, {"v1", version}) +
                          header_route(svc, "user-agent", "regex", regex, version));
  }
  if (RE2::FullMatch(s, kRouteHeader, &header, &value, &svc, &version))
    return understood(fmt::format("Traffic with {} {} will be routed to {} version {}", header, value, svc, version),
                      destination_rule(mesh, svc, ns, {"v1", version}) +
                          header_route(svc, header, "exact", value, version));
  if (RE2::FullMatch(s, kShift, &percent, &svc, &version)) {
    int p = std::stoi(percent);
    if (p > 100) return {false, "A share cannot be more than 100%", "", {}, {"shift 20% of bar traffic to v2"}};
    std::string other = version == "v1" ? "v2" : "v1";
    std::string yaml = destination_rule(mesh, svc, ns, {"v1", version}) +
                       fmt::format("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: {0}\nspec:\n"
                                   "  hosts:\n  - {0}\n  http:\n  - route:\n    - destination:\n        host: {0}\n"
                                   "        subset: {1}\n      weight: {2}\n    - destination:\n        host: {0}\n"
                                   "        subset: {3}\n      weight: {4}\n",
                                   svc, other, 100 - p, version, p);
    return understood(fmt::format("{}% of the {} service's traffic will go to version {}", p, svc, version), yaml);
  }
  if (RE2::FullMatch(s, kDelay, &number, &unit, &svc, &percent)) {
    std::string d = number + (unit[0] == 'm' ? "ms" : "s");
    std::string pct = percent.empty() ? "100" : percent;
    return understood(fmt::format("Requests to the {} service will be delayed by {} ({}% of them)", svc, d, pct),
                      fault_route(svc, "delay", "fixedDelay: " + d, pct));
  }
  if (RE2::FullMatch(s, kAbort, &number, &svc, &percent)) {
    std::string pct = percent.empty() ? "100" : percent;
    return understood(fmt::format("{}% of requests to the {} service will fail with {}", pct, svc, number),
                      fault_route(svc, "abort", "httpStatus: " + number, pct));
  }
  if (RE2::FullMatch(s, kReset, &svc)) {
    std::vector<std::string> deletes = {"VirtualService/" + ns + "/" + svc};
    for (const auto& p : mesh.authorization_policies)
      if (p.header.meta.ns == ns && p.header.meta.name.starts_with("deny-") && p.header.meta.name.ends_with("-to-" + svc))
        deletes.push_back("AuthorizationPolicy/" + ns + "/" + p.header.meta.name);
    return understood(fmt::format("The {} service's rules have been reset", svc), "", deletes);
  }
  SayResult r;
  r.reply = "Sorry, I did not understand that. Nothing was changed.";
  // The closest supported phrasings by edit distance over words.
  std::vector<std::pair<size_t, std::string>> ranked;
  for (const auto& p : say_phrasings()) {
    ranked.emplace_back(edit_distance(s, p), p);
  }
  std::stable_sort(ranked.begin(), ranked.end());
  for (size_t i = 0; i < 3 && i < ranked.size(); ++i) r.suggestions.push_back(ranked[i].second);
  return r;
}

}  // namespace meshsim::config
