#include "sim/plan.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "proxy_core/authz.h"
#include "sim/world.h"

namespace meshsim::sim {
namespace {

std::string percent_text(const std::optional<proxy::Percent>& p) {
  return p ? fmt::format(" at {}%", p->value) : std::string();
}

std::string ops_text(const proxy::HeaderOps& ops) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : ops.set) parts.push_back(fmt::format("set {}: {}", k, v));
  for (const auto& [k, v] : ops.add) parts.push_back(fmt::format("add {}: {}", k, v));
  for (const auto& k : ops.remove) parts.push_back("remove " + k);
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string destination_text(const proxy::Destination& d) {
  return d.host + (d.subset.empty() ? "" : " subset " + d.subset);
}

void add_header_effects(std::map<std::string, std::string>& effects, const std::string& prefix, const proxy::Headers& h) {
  if (auto s = ops_text(h.request); !s.empty()) effects[prefix + "request headers"] = s;
  if (auto s = ops_text(h.response); !s.empty()) effects[prefix + "response headers"] = s;
}

// What the rule that took the request does beyond picking a destination.
std::map<std::string, std::string> virtual_service_effects(const proxy::HTTPRoute& r) {
  std::map<std::string, std::string> e;
  if (r.timeout) e["timeout"] = duration_text(*r.timeout);
  if (r.retries) {
    std::string s = r.retries->attempts <= 0 ? "disabled" : fmt::format("{} attempts", r.retries->attempts);
    if (r.retries->per_try_timeout) s += ", per try " + duration_text(*r.retries->per_try_timeout);
    if (!r.retries->retry_on.empty()) s += ", on " + r.retries->retry_on;
    e["retries"] = s;
  }
  if (r.fault && r.fault->delay) {
    const auto& d = *r.fault->delay;
    std::string s = d.fixed_delay ? duration_text(*d.fixed_delay) : "exponential";
    if (d.percentage) s += percent_text(d.percentage);
    else if (d.percent) s += fmt::format(" at {}%", *d.percent);
    e["fault delay"] = s;
  }
  if (r.fault && r.fault->abort) {
    const auto& a = *r.fault->abort;
    e["fault abort"] = (a.http_status ? std::to_string(*a.http_status) : "grpc " + a.grpc_status) + percent_text(a.percentage);
  }
  std::vector<std::string> mirrors;
  if (r.mirror) {
    double p = r.mirror_percentage ? r.mirror_percentage->value : r.mirror_percent ? *r.mirror_percent : 100;
    mirrors.push_back(fmt::format("{} at {}%", destination_text(*r.mirror), p));
  }
  for (const auto& m : r.mirrors)
    mirrors.push_back(fmt::format("{} at {}%", destination_text(m.destination), m.percentage ? m.percentage->value : 100));
  if (!mirrors.empty()) e["mirror"] = fmt::format("{}", fmt::join(mirrors, ", "));
  if (r.rewrite) {
    std::string s;
    if (r.rewrite->uri) s += "uri " + *r.rewrite->uri;
    if (!r.rewrite->authority.empty()) s += (s.empty() ? "" : ", ") + std::string("authority ") + r.rewrite->authority;
    if (r.rewrite->uri_regex_rewrite) s += (s.empty() ? "" : ", ") + std::string("regex ") + r.rewrite->uri_regex_rewrite->match;
    e["rewrite"] = s;
  }
  if (r.redirect) e["redirect"] = fmt::format("{} {}{}", r.redirect->redirect_code, r.redirect->authority, r.redirect->uri);
  if (r.direct_response) e["direct response"] = std::to_string(r.direct_response->status);
  if (r.cors_policy) e["cors"] = "set";
  add_header_effects(e, "", r.headers);
  for (const auto& d : r.route) add_header_effects(e, destination_text(d.destination) + " ", d.headers);
  return e;
}

std::map<std::string, std::string> gateway_effects(const proxy::GwRouteRule& r) {
  std::map<std::string, std::string> e;
  if (r.request_timeout) e["timeout"] = duration_text(*r.request_timeout);
  if (r.backend_request_timeout) e["backend timeout"] = duration_text(*r.backend_request_timeout);
  if (r.retry_attempts) e["retries"] = fmt::format("{} attempts", *r.retry_attempts);
  for (const auto& f : r.filters) {
    if (f.request_header_modifier) e["request headers"] = ops_text(*f.request_header_modifier);
    if (f.response_header_modifier) e["response headers"] = ops_text(*f.response_header_modifier);
    if (f.request_mirror) e["mirror"] = f.request_mirror->backend.name;
    if (f.url_rewrite) e["rewrite"] = f.url_rewrite->hostname + (f.url_rewrite->path ? f.url_rewrite->path->value : "");
    if (f.request_redirect) e["redirect"] = std::to_string(f.request_redirect->status_code);
  }
  return e;
}

std::map<std::string, std::string> effects_of(const proxy::Resources& res, const proxy::RouteInfo& route) {
  for (const auto& vs : res.virtual_services)
    if (route.resource == "VirtualService " + vs.header.meta.ns + "/" + vs.header.meta.name && route.rule_index >= 0 &&
        static_cast<size_t>(route.rule_index) < vs.http.size())
      return virtual_service_effects(vs.http[static_cast<size_t>(route.rule_index)]);
  for (const auto& hr : res.http_routes)
    if (route.resource == "HTTPRoute " + hr.header.meta.ns + "/" + hr.header.meta.name && route.rule_index >= 0 &&
        static_cast<size_t>(route.rule_index) < hr.rules.size())
      return gateway_effects(hr.rules[static_cast<size_t>(route.rule_index)]);
  return {};
}

std::string rule_label(const proxy::RouteInfo& r) { return r.resource + " rule " + r.rule; }

// The inbound RBAC decision at the dialed Service's first endpoint, as
// proxy_core's inbound_rbac makes it (sidecar.cc), to name the policy.
// `sni`: what the caller's connection named (proxy::sidecar_sni of the
// cluster the call was routed to), empty without a sidecar.
std::string authorization_of(const proxy::RouteTable& table, const PlanProbe& p, const proxy::HttpRequest& request,
                             const proxy::Endpoint& caller, bool caller_sidecar, std::string_view sni) {
  const proxy::ServiceInfo* service = table.service(p.host);
  if (service == nullptr || service->endpoints.empty()) return "allowed";
  const proxy::Endpoint& self = table.endpoints()[service->endpoints.front()];
  const auto& policies = table.authorization_policies_for(self);
  if (policies.empty()) return "allowed";
  proxy::AuthzRequest a;
  a.principal = caller_sidecar ? caller.principal() : "";
  a.source_namespace = caller.ns;
  a.source_ip = caller.ip;
  a.destination_ip = self.ip;
  a.destination_port = service->target_port(p.port, self);
  a.method = request.method;
  a.path = request.target.substr(0, request.target.find('?'));
  a.host = request.authority;
  a.headers = &request.headers;
  a.sni = sni;
  auto decision = proxy::authorize(policies, a, table.mesh().extension_providers);
  // The sidecar asks the provider (sidecar.cc): a plan sends no check.
  if (decision.check != nullptr)
    return "up to ext_authz provider " + decision.check->name + " (CUSTOM AuthorizationPolicy " + decision.policy + ")";
  if (decision.allowed) return "allowed";
  return decision.policy.empty() ? "denied (" + decision.reason + ")" : "denied by AuthorizationPolicy " + decision.policy;
}

proxy::HttpRequest request_of(const PlanProbe& p) {
  proxy::HttpRequest r;
  r.method = p.method;
  r.target = p.target;
  r.authority = p.port == 80 ? p.host : p.host + ":" + std::to_string(p.port);
  for (const auto& [k, v] : p.headers) {
    if (k == "host") r.authority = v;
    else r.headers.add(k, v);
  }
  // What curl would send, unless the probe is about that header (a rule
  // matching a mobile user-agent is probed with one).
  if (!r.headers.get("user-agent")) r.headers.set("user-agent", "meshsim-plan");
  if (!r.headers.get("accept")) r.headers.set("accept", "*/*");
  return r;
}

class Version {
 public:
  bool build(const proxy::Resources& resources, uint64_t seed, std::string* error) {
    world_ = std::make_unique<World>(WorldOptions{seed, proxy::Duration(0)});
    std::vector<std::string> errors;
    if (!world_->apply(resources, &errors)) {
      *error = fmt::format("{}", fmt::join(errors, "; "));
      return false;
    }
    return true;
  }

  // Sends `p` `n` more times into `out`.
  void send(const PlanProbe& p, int n, ProbeOutcome& out, long& requests) {
    const proxy::RouteTable& table = world_->table();
    const bool outside = p.from_workload == kOutsideSource;
    const proxy::Endpoint* caller = outside ? nullptr : table.endpoint_by_workload(p.from_ns, p.from_workload);
    if (caller == nullptr && !outside) {
      out.error = "no workload " + p.caller() + " in this version";
      return;
    }
    proxy::HttpRequest request = request_of(p);
    const bool sidecar = caller != nullptr && caller->sidecar_injection.value_or(true);
    for (int i = 0; i < n; ++i) {
      // From outside, the URL host is the gateway Service's external address.
      auto result = outside ? std::optional<CallResult>(world_->call_outside(request, p.host, p.port))
                            : world_->call(p.from_ns, p.from_workload, request, p.host, p.port);
      ++requests;
      if (!result) {
        out.error = "request could not be sent";
        return;
      }
      const auto& o = result->outbound;
      ++out.count;
      // After the first call: its cluster says which SNI the caller's sidecar named.
      if (out.count == 1 && caller != nullptr)
        out.authorization = authorization_of(table, p, request, *caller, sidecar,
                                             sidecar && o.routed_cluster ? proxy::sidecar_sni(*o.routed_cluster) : "");
      ++out.statuses[o.response ? std::to_string(o.response->status) : "no response"];
      ++out.flags[o.flags.empty() ? "-" : o.flags];
      std::string dest = "no app";
      if (o.served_by) {
        const auto& e = *o.served_by;
        dest = (e.app.empty() ? e.workload : e.app) + (e.version().empty() ? "" : " " + e.version());
      }
      ++out.destinations[dest];
      for (const auto* m : result->mirrored_to) ++out.mirrors[m->workload];
      auto route = o.route();
      std::string rule = outside ? "through " + p.host : !sidecar ? "no sidecar" : route ? rule_label(*route) : "default route";
      ++out.rules[rule];
      if (route && out.count == 1) out.effects = effects_of(table.resources(), *route);
    }
  }

 private:
  std::unique_ptr<World> world_;
};

bool uniform(const ProbeOutcome& o) {
  return o.destinations.size() <= 1 && o.statuses.size() <= 1 && o.flags.size() <= 1 && o.rules.size() <= 1 &&
         (o.mirrors.empty() || (o.mirrors.size() == 1 && o.mirrors.begin()->second == o.count));
}

std::string shares_text(const std::map<std::string, int>& counts, int n) {
  if (n == 0 || counts.empty()) return "none";
  std::vector<std::pair<int, std::string>> sorted;
  for (const auto& [k, c] : counts) sorted.emplace_back(-c, k);
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> parts;
  for (const auto& [c, k] : sorted) parts.push_back(fmt::format("{} {:.0f}%", k, 100.0 * -c / n));
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::set<std::string> keys_of(const std::map<std::string, int>& a, const std::map<std::string, int>& b) {
  std::set<std::string> keys;
  for (const auto& [k, c] : a) keys.insert(k);
  for (const auto& [k, c] : b) keys.insert(k);
  return keys;
}

// Whether key k's share went up (+1) or down (-1) from a to b by more than
// `sigmas` standard errors, or neither (0). na and nb are not 0.
int share_shift(const std::map<std::string, int>& a, int na, const std::map<std::string, int>& b, int nb,
                const std::string& k, double sigmas) {
  double ca = a.contains(k) ? a.at(k) : 0, cb = b.contains(k) ? b.at(k) : 0;
  double pa = ca / na, pb = cb / nb, pooled = (ca + cb) / (na + nb);
  double tolerance = sigmas * std::sqrt(pooled * (1 - pooled) * (1.0 / na + 1.0 / nb));
  if (std::abs(pa - pb) <= tolerance + 1e-9) return 0;
  return pb > pa ? 1 : -1;
}

// Whether any key's share differs by more than `sigmas` standard errors.
bool shares_moved(const std::map<std::string, int>& a, int na, const std::map<std::string, int>& b, int nb,
                  double sigmas) {
  if (na == 0 || nb == 0) return na != nb;
  for (const auto& k : keys_of(a, b))
    if (share_shift(a, na, b, nb, k, sigmas) != 0) return true;
  return false;
}

// Each outcome and which way its share moved ("reviews v1-,reviews v2+,"):
// callers are grouped by it, so only callers that moved the same way pool.
std::string share_shifts(const std::map<std::string, int>& a, int na, const std::map<std::string, int>& b, int nb,
                         double sigmas) {
  std::string out;
  for (const auto& k : keys_of(a, b)) {
    int shift = na == 0 || nb == 0 ? 0 : share_shift(a, na, b, nb, k, sigmas);
    out += k + (shift > 0 ? "+," : shift < 0 ? "-," : "=,");
  }
  return out;
}

// The counts behind a change measured as shares (compare_outcomes), or null.
const std::map<std::string, int>* shares_of(const ProbeOutcome& o, const std::string& what) {
  if (what == "destination") return &o.destinations;
  if (what == "status") return &o.statuses;
  if (what == "response flags") return &o.flags;
  if (what == "mirrored to") return &o.mirrors;
  return nullptr;
}

void merge_counts(std::map<std::string, int>& into, const std::map<std::string, int>& from) {
  for (const auto& [k, c] : from) into[k] += c;
}

}  // namespace

std::string duration_text(proxy::Duration d) {
  auto us = d.count();
  if (us % 1'000'000 == 0) return fmt::format("{}s", us / 1'000'000);
  if (us % 1'000 == 0 && us < 1'000'000) return fmt::format("{}ms", us / 1'000);
  return fmt::format("{}s", static_cast<double>(us) / 1e6);
}

std::vector<PlanChange> compare_outcomes(const ProbeOutcome& a, const ProbeOutcome& b, double sigmas) {
  std::vector<PlanChange> out;
  if (a.error != b.error) {
    out.push_back({"caller", a.error.empty() ? "present" : a.error, b.error.empty() ? "present" : b.error});
    return out;
  }
  if (!a.error.empty()) return out;
  auto shares = [&](const char* what, const std::map<std::string, int>& x, const std::map<std::string, int>& y) {
    if (shares_moved(x, a.count, y, b.count, sigmas)) out.push_back({what, shares_text(x, a.count), shares_text(y, b.count)});
  };
  shares("destination", a.destinations, b.destinations);
  shares("status", a.statuses, b.statuses);
  shares("response flags", a.flags, b.flags);
  shares("mirrored to", a.mirrors, b.mirrors);
  if (a.authorization != b.authorization) {
    bool denied = b.authorization != "allowed";
    out.push_back({denied ? "newly denied" : "newly allowed", a.authorization, b.authorization});
  }
  std::set<std::string> keys;
  for (const auto& [k, v] : a.effects) keys.insert(k);
  for (const auto& [k, v] : b.effects) keys.insert(k);
  for (const auto& k : keys) {
    // A rule without `retries` still retries: Istio's DefaultPolicy (pilot/pkg/networking/core/route/retry/retry.go).
    const std::string unset = k == "retries" ? "Istio default (2 attempts)" : "none";
    std::string va = a.effects.contains(k) ? a.effects.at(k) : unset, vb = b.effects.contains(k) ? b.effects.at(k) : unset;
    if (va != vb) out.push_back({k, va, vb});
  }
  return out;
}

namespace {

std::vector<std::string> mesh_rules(const proxy::Resources& res) {
  std::vector<std::string> rules;
  for (const auto& vs : res.virtual_services) {
    if (!vs.gateways.empty() && std::find(vs.gateways.begin(), vs.gateways.end(), "mesh") == vs.gateways.end()) continue;
    for (size_t i = 0; i < vs.http.size(); ++i)
      rules.push_back(fmt::format("VirtualService {}/{} rule {}", vs.header.meta.ns, vs.header.meta.name,
                                  vs.http[i].name.empty() ? "#" + std::to_string(i) : vs.http[i].name));
  }
  for (const auto& hr : res.http_routes) {
    bool for_service = std::any_of(hr.parent_refs.begin(), hr.parent_refs.end(), [](const auto& p) { return p.kind == "Service"; });
    if (!for_service) continue;
    for (size_t i = 0; i < hr.rules.size(); ++i)
      rules.push_back(fmt::format("HTTPRoute {}/{} rule {}", hr.header.meta.ns, hr.header.meta.name,
                                  hr.rules[i].name.empty() ? "#" + std::to_string(i) : hr.rules[i].name));
  }
  return rules;
}

PlanCoverage coverage(const proxy::Resources& res, const std::set<std::string>& reached) {
  PlanCoverage c;
  c.rules = mesh_rules(res);
  for (const auto& r : c.rules)
    if (!reached.contains(r)) c.unreached.push_back(r);
  return c;
}

}  // namespace

std::optional<PlanResult> run_plan(const proxy::Resources& before, const proxy::Resources& after,
                                   const std::vector<PlanProbe>& probes, const PlanOptions& options,
                                   std::string* error) {
  Version vb, va;
  if (!vb.build(before, options.seed, error)) {
    *error = "the before config does not compile: " + *error;
    return std::nullopt;
  }
  if (!va.build(after, options.seed, error)) {
    *error = "the after config does not compile: " + *error;
    return std::nullopt;
  }
  PlanResult result;
  result.probes = probes.size();
  std::set<std::string> reached_before, reached_after;
  // Moves of different callers with the same request and the same kinds of
  // change are one review line; their samples are pooled.
  struct Group {
    PlanMove move;
    ProbeOutcome before, after;
    std::vector<PlanMove> alone;  // each caller's own move, should the pooled one cancel out
  };
  std::map<std::string, Group> groups;
  std::vector<std::string> order;
  for (const auto& p : probes) {
    ProbeOutcome ob, oa;
    vb.send(p, options.quick_samples, ob, result.requests);
    va.send(p, options.quick_samples, oa, result.requests);
    if ((ob.error.empty() && !uniform(ob)) || (oa.error.empty() && !uniform(oa))) {
      vb.send(p, options.samples - ob.count, ob, result.requests);
      va.send(p, options.samples - oa.count, oa, result.requests);
    }
    for (const auto& [r, c] : ob.rules) reached_before.insert(r);
    for (const auto& [r, c] : oa.rules) reached_after.insert(r);
    auto changes = compare_outcomes(ob, oa, options.sigmas);
    if (changes.empty()) continue;
    std::string signature = fmt::format("{}:{} {}", p.host, p.port, p.request());
    for (const auto& c : changes) {
      signature += "|" + c.what;
      // Shares are noisy, so callers are grouped by which way each outcome's
      // share moved, not by the figures: a caller going v1 -> v2 and one
      // going v2 -> v1 are two moves, never pooled into none.
      if (const auto* shares_before = shares_of(ob, c.what))
        signature += "=" + share_shifts(*shares_before, ob.count, *shares_of(oa, c.what), oa.count, options.sigmas);
      else
        signature += "=" + c.before + ">" + c.after;
    }
    auto [it, fresh] = groups.try_emplace(signature);
    Group& g = it->second;
    if (fresh) {
      order.push_back(signature);
      g.move.host = p.host;
      g.move.port = p.port;
      g.move.request = p.request();
      g.before = ob;
      g.after = oa;
    } else {
      for (const auto& pair : {std::pair{&g.before, &ob}, std::pair{&g.after, &oa}}) {
        pair.first->count += pair.second->count;
        merge_counts(pair.first->destinations, pair.second->destinations);
        merge_counts(pair.first->statuses, pair.second->statuses);
        merge_counts(pair.first->flags, pair.second->flags);
        merge_counts(pair.first->mirrors, pair.second->mirrors);
      }
    }
    g.move.callers.push_back(p.caller());
    if (std::find(g.move.why.begin(), g.move.why.end(), p.why) == g.move.why.end()) g.move.why.push_back(p.why);
    g.alone.push_back({p.host, p.port, p.request(), {p.caller()}, {p.why}, changes});
  }
  for (const auto& s : order) {
    Group& g = groups.at(s);
    g.move.changes = compare_outcomes(g.before, g.after, options.sigmas);
    if (g.move.changes.empty()) {
      // Pooled, the moves cancelled out: callers whose shares moved in
      // opposite directions (80/20 -> 20/80 and 20/80 -> 80/20). Each moved
      // on its own, so each is reported on its own.
      for (auto& m : g.alone) result.moves.push_back(std::move(m));
      continue;
    }
    std::sort(g.move.callers.begin(), g.move.callers.end());
    result.moves.push_back(std::move(g.move));
  }
  result.before = coverage(before, reached_before);
  result.after = coverage(after, reached_after);
  std::set<std::string> unreached_before(result.before.unreached.begin(), result.before.unreached.end());
  for (const auto& r : result.after.unreached)
    if (!unreached_before.contains(r)) result.coverage_lost.push_back(r);
  return result;
}

}  // namespace meshsim::sim
