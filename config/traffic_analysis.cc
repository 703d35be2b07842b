#include "config/traffic_analysis.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "config/call_cycles.h"
#include "proxy_core/hosts.h"
#include "proxy_core/http.h"
#include "proxy_core/route_table.h"
#include "services/behavior.h"
#include "sim/behavior_index.h"

namespace meshsim::config {
namespace {

using namespace meshsim::proxy;

// A caller of a service and the request headers its requests carry.
struct Caller {
  std::string name;
  std::set<std::string> headers;  // lower-case names always present on its requests
  std::set<std::string> forwarded;  // lower-case names copied from its own incoming request
  std::string behavior;  // the Behavior whose script makes the call; empty for a traffic source
};

// What the caller can change so the header arrives: a Behavior forwards it,
// a traffic source sends it.
std::string advice(const Caller& c) {
  if (c.behavior.empty()) return c.name + " does not send it (add it to the source's headers or a headerMix entry)";
  return c.name + " does not send or forward it (add it to propagateHeaders of Behavior " + c.behavior + ")";
}

// A rule after `index` that takes every request (no match): the traffic
// without the header is meant for it, not lost.
bool catch_all_after(const VirtualService& vs, size_t index) {
  for (size_t i = index + 1; i < vs.http.size(); ++i)
    if (vs.http[i].match.empty()) return true;
  return false;
}

bool is_pseudo_or_trace(const std::string& h) {
  if (!h.empty() && h[0] == ':') return true;
  const auto& always = services::always_propagated_headers();
  return std::find(always.begin(), always.end(), h) != always.end();
}

}  // namespace

std::vector<Diagnostic> analyze_traffic(const Resources& r, const std::vector<sim::BehaviorRule>& behaviors,
                                        const std::vector<sim::TrafficSource>& sources) {
  std::vector<Diagnostic> out = analyze_call_cycles(r, behaviors);
  // Only a header match can miss traffic: the callers of the hosts of
  // VirtualServices with one are worked out, and no others (a mesh of
  // 1,000 services without header rules has nothing to check, issue 20).
  std::set<std::string, std::less<>> checked_hosts;
  for (const auto& vs : r.virtual_services) {
    bool header_match = false;
    for (const auto& route : vs.http)
      for (const auto& m : route.match) header_match = header_match || !m.headers.empty();
    if (header_match)
      for (const auto& host : vs.hosts) checked_hosts.insert(resolve_short_name(to_lower(host), vs.header.meta.ns));
  }
  if (checked_hosts.empty()) return out;
  // Who calls each service (by FQDN), from Behaviors and traffic sources.
  std::map<std::string, std::vector<Caller>> callers;
  sim::BehaviorIndex behavior_index(behaviors);
  for (const auto& d : r.deployments) {
    const sim::BehaviorRule* b = behavior_index.most_specific(d.pod_labels);
    if (!b) continue;
    for (const auto& step : b->behavior.script)
      for (const auto& call : step.calls) {
        std::string callee = client_fqdn(call.service, d.header.meta.ns);
        if (!checked_hosts.count(callee)) continue;
        Caller c;
        c.name = d.header.meta.name;
        c.behavior = b->name.empty() ? "(unnamed)" : b->name;
        for (const auto& [k, v] : call.headers) c.headers.insert(to_lower(k));
        for (const auto& h : b->behavior.propagate_headers) c.forwarded.insert(to_lower(h));
        callers[callee].push_back(c);
      }
  }
  for (const auto& s : sources) {
    if (s.replay) {  // a replayed log calls each authority it names, sending user-agent where logged
      std::set<std::string> seen;
      for (const auto& rq : s.replay->requests) {
        std::string host = rq.authority.substr(0, rq.authority.find(':'));
        if (host.empty() || !seen.insert(host + (rq.user_agent.empty() ? "" : "\n")).second) continue;
        Caller c;
        c.name = "traffic source " + s.name;
        for (const auto& [k, v] : s.headers) c.headers.insert(to_lower(k));
        if (!rq.user_agent.empty()) c.headers.insert("user-agent");
        callers[client_fqdn(host, s.from_namespace)].push_back(c);
      }
      continue;
    }
    auto scheme = s.url.find("://");
    std::string rest = scheme == std::string::npos ? s.url : s.url.substr(scheme + 3);
    std::string host = rest.substr(0, rest.find_first_of("/?"));
    Caller c;
    c.name = "traffic source " + s.name;
    for (const auto& [k, v] : s.headers) c.headers.insert(to_lower(k));
    for (const auto& set : s.header_mix)  // a share of its requests sends these
      for (const auto& [k, v] : set.headers) c.headers.insert(to_lower(k));
    callers[client_fqdn(host, s.from_namespace)].push_back(c);
  }
  for (const auto& vs : r.virtual_services) {
    for (const auto& host : vs.hosts) {
      std::string fqdn = resolve_short_name(to_lower(host), vs.header.meta.ns);
      auto it = callers.find(fqdn);
      if (it == callers.end()) continue;  // nobody calls it in this scenario
      for (size_t ri = 0; ri < vs.http.size(); ++ri) {
        const HTTPRoute& route = vs.http[ri];
        for (size_t mi = 0; mi < route.match.size(); ++mi)
          for (const auto& [name, m] : route.match[mi].headers) {
            if (is_pseudo_or_trace(name) || name == "host") continue;
            std::vector<std::string> blind;
            for (const Caller& c : it->second)
              if (!c.headers.count(name) && !c.forwarded.count(name)) blind.push_back(advice(c));
            if (blind.empty()) continue;
            bool never = blind.size() == it->second.size();
            // Some callers send it and a later rule takes the rest: that split is the rule's purpose.
            if (!never && catch_all_after(vs, ri)) continue;
            std::string path = fmt::format("spec.http[{}].match[{}].headers.{}", ri, mi, name);
            out.push_back({Severity::kWarning, "MSH2001",
                           "VirtualService " + vs.header.meta.ns + "/" + vs.header.meta.name, vs.header.fields.at(path),
                           fmt::format("{} on header \"{}\": {}",
                                       never ? "this match can never hold" : "this match misses traffic", name,
                                       fmt::join(blind, "; "))});
          }
      }
    }
  }
  return out;
}

}  // namespace meshsim::config
