#include "config/say_yaml.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace meshsim::config {
namespace {

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

bool names_service(const std::string& host, const std::string& svc) { return host == svc || host.rfind(svc + ".", 0) == 0; }

}  // namespace

std::string say_number(double value) {
  if (value == std::floor(value)) return fmt::format("{}", static_cast<long long>(value));
  return fmt::format("{}", value);
}

std::string say_duration(double ms) {
  long long whole = std::llround(ms);
  return whole % 1000 == 0 ? fmt::format("{}s", whole / 1000) : fmt::format("{}ms", whole);
}

std::string say_virtual_service(const std::string& svc, const std::vector<SayHttpRule>& rules) {
  std::string http;
  for (const auto& rule : rules) {
    std::string body;  // the rule's keys, each indented by four spaces
    if (rule.match || !rule.caller.empty()) {
      body += "    match:\n";
      std::string item;
      if (rule.match)
        item += fmt::format("      headers:\n        {}:\n          {}: \"{}\"\n", rule.match->header, rule.match->kind,
                            yaml_quoted_content(rule.match->value));
      if (!rule.caller.empty()) item += fmt::format("      sourceLabels:\n        app: {}\n", rule.caller);
      item.replace(4, 2, "- ");
      body += item;
    }
    if (!rule.fault.empty())
      body += fmt::format("    fault:\n      {}:\n        {}\n        percentage:\n          value: {}\n", rule.fault,
                          rule.fault_setting, say_number(rule.fault_percent));
    body += "    route:\n";
    for (const auto& d : rule.route) {
      body += fmt::format("    - destination:\n        host: {}\n", svc);
      if (!d.version.empty()) body += fmt::format("        subset: {}\n", d.version);
      if (d.percent >= 0) body += fmt::format("      weight: {}\n", say_number(d.percent));
    }
    body += rule.extra;
    body.replace(0, 4, "  - ");
    http += body;
  }
  return fmt::format("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: {0}\nspec:\n  hosts:\n  - {0}\n"
                     "  http:\n{1}",
                     svc, http);
}

std::string say_destination_rule(const proxy::Resources& mesh, const std::string& svc, const std::string& ns,
                                 const std::vector<std::string>& versions) {
  std::vector<std::pair<std::string, proxy::Labels>> subsets;
  std::string name = svc;
  for (const auto& dr : mesh.destination_rules)
    if (dr.header.meta.ns == ns && names_service(dr.host, svc)) {
      name = dr.header.meta.name;
      for (const auto& s : dr.subsets) subsets.emplace_back(s.name, s.labels);
    }
  bool missing = false;
  for (const auto& v : versions)
    if (!v.empty() && std::none_of(subsets.begin(), subsets.end(), [&](const auto& s) { return s.first == v; })) {
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

std::string say_deny_policy(const std::string& name, const std::string& svc, const std::vector<std::string>& principals) {
  std::string yaml = fmt::format(
      "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: {}\nspec:\n  selector:\n"
      "    matchLabels:\n      app: {}\n  action: DENY\n  rules:\n",
      name, svc);
  if (principals.empty()) return yaml + "  - {}\n";  // no known caller: deny everyone
  std::string list;
  for (const auto& p : principals) list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", p);
  return yaml + fmt::format("  - from:\n    - source:\n        principals: [{}]\n", list);
}

}  // namespace meshsim::config
