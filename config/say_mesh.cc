#include "config/say_mesh.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "config/yaml_reader.h"
#include "proxy_core/hosts.h"
#include "proxy_core/route_table.h"

namespace meshsim::config {
namespace {

using proxy::Resources;

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

}  // namespace

std::vector<std::string> say_known_services(const Resources& mesh) {
  std::set<std::string> out;
  for (const auto& s : mesh.services) out.insert(s.header.meta.name);
  for (const auto& d : mesh.deployments) {
    auto app = d.pod_labels.find("app");
    out.insert(app != d.pod_labels.end() ? app->second : d.header.meta.name);
  }
  for (const auto& vs : mesh.virtual_services)
    for (const auto& h : vs.hosts)
      if (h != "*") out.insert(proxy::short_name(h));
  for (const auto& dr : mesh.destination_rules) out.insert(proxy::short_name(dr.host));
  return {out.begin(), out.end()};
}

std::vector<std::string> say_versions_of(const std::string& service, const Resources& mesh) {
  std::set<std::string> out;
  for (const auto& d : mesh.deployments) {
    auto app = d.pod_labels.find("app");
    auto version = d.pod_labels.find("version");
    if (app != d.pod_labels.end() && app->second == service && version != d.pod_labels.end()) out.insert(version->second);
  }
  for (const auto& dr : mesh.destination_rules)
    if (names_service(dr.host, service))
      for (const auto& s : dr.subsets) out.insert(s.name);
  return {out.begin(), out.end()};
}

std::string say_service_account_of(const Resources& mesh, const std::string& app, const std::string& ns) {
  for (const auto& d : mesh.deployments) {
    auto it = d.pod_labels.find("app");
    if (d.header.meta.ns == ns && (d.header.meta.name == app || (it != d.pod_labels.end() && it->second == app)))
      return d.service_account;
  }
  return app;  // conventional: the service account is named after the app
}

std::vector<std::string> say_callers_of(const std::string& service, const Resources& mesh,
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

std::string say_nearest_name(const std::string& word, const std::vector<std::string>& known) {
  std::string best;
  size_t best_distance = 0;
  for (const auto& name : known) {
    size_t d = edit_distance(word, name);
    if (best.empty() || d < best_distance) best = name, best_distance = d;
  }
  size_t allowed = std::max<size_t>(1, std::max(word.size(), best.size()) / 3);
  return !best.empty() && best_distance <= allowed ? best : "";
}

std::string say_describe_route(const std::string& svc, const Resources& mesh) {
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

std::string say_describe_topology(const std::string& svc, const Resources& mesh, const std::vector<sim::BehaviorRule>& behaviors) {
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
  auto callers = say_callers_of(svc, mesh, behaviors);
  return fmt::format("The {} service runs {}; it calls {}; it is called by {}", svc, fmt::join(versions, " and "),
                     calls.empty() ? "no other service" : fmt::format("{}", fmt::join(calls, " and ")),
                     callers.empty() ? "no service (no Behavior calls it)" : fmt::format("{}", fmt::join(callers, " and ")));
}

}  // namespace meshsim::config
