#include "sim/plan_probes.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <re2/re2.h>

#include "proxy_core/gateway_api.h"
#include "proxy_core/gateway_routes.h"
#include "proxy_core/hosts.h"
#include "proxy_core/injection.h"
#include "sim/world.h"

namespace meshsim::sim {
namespace {

using proxy::StringMatch;

struct Client {
  std::string ns, workload;
  proxy::Labels labels;
  bool sidecar = true;
};

// Every workload with a sidecar, plus the first without one (if any): a
// sidecar-less caller is routed by kube-proxy, not by the rules. A gateway
// proxy (istio-ingressgateway, an egress gateway) calls nobody of its own:
// it runs no app, and it routes only what reaches its Gateway servers, by
// the VirtualServices bound to those Gateways (gateway.go
// buildGatewayHTTPRouteConfig: push.VirtualServicesForGateway, never a
// mesh-only one); its requests are the probes through the gateway
// (add_istio_gateway_probes).
std::vector<Client> clients_of(const proxy::Resources& resources) {
  std::vector<Client> clients;
  bool have_plain = false;
  for (const auto& d : resources.deployments) {
    if (proxy::is_gateway_workload(d)) continue;
    bool sidecar = proxy::sidecar_injected(resources, d, true);
    if (!sidecar && have_plain) continue;
    have_plain = have_plain || !sidecar;
    clients.push_back({d.header.meta.ns, d.header.meta.name, d.pod_labels, sidecar});
  }
  return clients;
}

// A VirtualService host as a client in any namespace dials it.
std::optional<std::string> dial_host(const std::string& host, const std::string& ns) {
  if (host.empty() || host.find('*') != std::string::npos) return std::nullopt;
  if (host.find('.') == std::string::npos) return host + "." + ns + ".svc.cluster.local";
  if (host.ends_with(".svc.cluster.local")) return host;
  if (std::count(host.begin(), host.end(), '.') == 1) return host + ".svc.cluster.local";
  return host;  // an external name (ServiceEntry-style); dialed as written
}

uint32_t service_port(const proxy::Resources& resources, const std::string& fqdn) {
  for (const auto& s : resources.services)
    if (fqdn == s.header.meta.name + "." + s.header.meta.ns + ".svc.cluster.local" && !s.ports.empty())
      return s.ports.front().port;
  return 80;
}

std::optional<std::string> sample(const StringMatch& m) {
  switch (m.kind) {
    case StringMatch::Kind::kExact:
    case StringMatch::Kind::kPrefix: return m.value;
    case StringMatch::Kind::kRegex: return sample_regex(m.value);
    case StringMatch::Kind::kPresent: return std::string("present");
  }
  return std::nullopt;
}

bool full_match(const StringMatch& m, const std::string& value) {
  switch (m.kind) {
    case StringMatch::Kind::kExact: return value == m.value;
    case StringMatch::Kind::kPrefix: return value.starts_with(m.value);
    case StringMatch::Kind::kRegex: return RE2::FullMatch(value, RE2(m.value));
    case StringMatch::Kind::kPresent: return true;
  }
  return false;
}

// A path the match does not take, or nullopt (prefix "/" takes every path).
std::optional<std::string> missing_path(const StringMatch& m) {
  for (std::string candidate : {"/meshsim-miss", "/x"})
    if (!full_match(m, candidate)) return candidate;
  return std::nullopt;
}

void sort_headers(PlanProbe& p) { std::sort(p.headers.begin(), p.headers.end()); }

bool remove_header(PlanProbe& p, const std::string& name) {
  auto it = std::find_if(p.headers.begin(), p.headers.end(), [&](const auto& h) { return h.first == name; });
  if (it == p.headers.end()) return false;
  p.headers.erase(it);
  return true;
}

// The request that hits `m`, or nullopt when a regex cannot be sampled.
std::optional<PlanProbe> hit(const proxy::HTTPMatchRequest& m) {
  PlanProbe p;
  if (m.method) {
    auto v = sample(*m.method);
    if (!v) return std::nullopt;
    p.method = *v;
  }
  if (m.uri) {
    auto v = sample(*m.uri);
    if (!v) return std::nullopt;
    p.target = v->empty() || (*v)[0] != '/' ? "/" + *v : *v;
  }
  for (const auto& [name, match] : m.headers) {
    auto v = sample(match);
    if (!v) return std::nullopt;
    p.headers.emplace_back(name, *v);
  }
  if (m.authority) {
    auto v = sample(*m.authority);
    if (!v) return std::nullopt;
    p.headers.emplace_back("host", *v);
  }
  std::string query;
  for (const auto& [name, match] : m.query_params) {
    auto v = sample(match);
    if (!v) return std::nullopt;
    query += (query.empty() ? "?" : "&") + name + "=" + *v;
  }
  p.target += query;
  sort_headers(p);
  return p;
}

// The hit with its most specific condition broken, or nullopt for a match
// that takes everything.
std::optional<PlanProbe> miss(const proxy::HTTPMatchRequest& m, PlanProbe p) {
  if (!m.headers.empty()) {
    remove_header(p, m.headers.begin()->first);
  } else if (!m.query_params.empty()) {
    p.target = p.target.substr(0, p.target.find('?'));
  } else if (m.method) {
    p.method = full_match(*m.method, "GET") ? "POST" : "GET";
    if (full_match(*m.method, p.method)) return std::nullopt;
  } else if (m.uri) {
    auto path = missing_path(*m.uri);
    if (!path) return std::nullopt;
    p.target = *path;
  } else if (m.authority) {
    remove_header(p, "host");
  } else if (!m.without_headers.empty()) {
    p.headers.emplace_back(m.without_headers.begin()->first, "present");
    sort_headers(p);
  } else {
    return std::nullopt;
  }
  return p;
}

bool labels_subset(const proxy::Labels& want, const proxy::Labels& have) {
  for (const auto& [k, v] : want) {
    auto it = have.find(k);
    if (it == have.end() || it->second != v) return false;
  }
  return true;
}

bool applies_to(const proxy::HTTPMatchRequest& m, const Client& c) {
  if (!c.sidecar) return true;  // no outbound rules at all; the probe shows kube-proxy routing
  if (!m.source_namespace.empty() && m.source_namespace != c.ns) return false;
  if (!m.gateways.empty() && std::find(m.gateways.begin(), m.gateways.end(), "mesh") == m.gateways.end()) return false;
  return labels_subset(m.source_labels, c.labels);
}

bool for_mesh(const proxy::VirtualService& vs) {
  return vs.gateways.empty() || std::find(vs.gateways.begin(), vs.gateways.end(), "mesh") != vs.gateways.end();
}

void add_for_clients(std::vector<PlanProbe>& out, const std::vector<Client>& clients, const proxy::HTTPMatchRequest* m,
                     PlanProbe request, const std::string& host, uint32_t port) {
  for (const auto& c : clients) {
    if (m != nullptr && !applies_to(*m, c)) continue;
    PlanProbe p = request;
    p.from_ns = c.ns;
    p.from_workload = c.workload;
    p.from_sidecar = c.sidecar;
    p.host = host;
    p.port = port;
    out.push_back(std::move(p));
  }
}

proxy::HTTPMatchRequest from_gateway_match(const proxy::GwRouteMatch& g) {
  proxy::HTTPMatchRequest m;
  if (g.path_type == "Exact") m.uri = StringMatch{StringMatch::Kind::kExact, g.path_value};
  else if (g.path_type == "RegularExpression") m.uri = StringMatch{StringMatch::Kind::kRegex, g.path_value};
  else if (g.path_value != "/") m.uri = StringMatch{StringMatch::Kind::kPrefix, g.path_value};
  auto convert = [](const proxy::GwHeaderMatch& h) {
    return StringMatch{h.type == "RegularExpression" ? StringMatch::Kind::kRegex : StringMatch::Kind::kExact, h.value};
  };
  for (const auto& h : g.headers) {
    std::string name = h.name;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
    m.headers[name] = convert(h);
  }
  for (const auto& q : g.query_params) m.query_params[q.name] = convert(q);
  if (!g.method.empty()) m.method = StringMatch{StringMatch::Kind::kExact, g.method};
  return m;
}

// The request that hits `m` and the one that just misses it, if any,
// labelled for `label`; none when a regex cannot be sampled.
std::vector<PlanProbe> hit_and_miss(const proxy::HTTPMatchRequest& m, const std::string& label) {
  auto h = hit(m);
  if (!h) return {};
  auto missed = miss(m, *h);
  h->why = "hits " + label;
  std::vector<PlanProbe> probes{std::move(*h)};
  if (missed) {
    missed->why = "misses " + label;
    probes.push_back(std::move(*missed));
  }
  return probes;
}

// "<resource> rule <name>", or "#<index>" for a rule without a name.
std::string rule_label(const std::string& resource, const std::string& name, size_t index) {
  return fmt::format("{} rule {}", resource, name.empty() ? "#" + std::to_string(index) : name);
}

void add_match_probes(std::vector<PlanProbe>& out, const std::vector<Client>& clients,
                      const proxy::HTTPMatchRequest& m, const std::string& label, const std::string& host,
                      uint32_t port) {
  for (auto& p : hit_and_miss(m, label)) add_for_clients(out, clients, &m, std::move(p), host, port);
}

// Where a client outside the cluster reaches a gateway's pods: a Service in
// front of them (as <name>.<namespace>) and the Service port behind which
// the pods listen on `pod_port` (a Gateway server's number is the Service
// port or the pods' port: istio-ingressgateway maps 80 to 8080).
struct Entry {
  std::string host;
  uint32_t port = 0;
};

std::optional<Entry> entry_to(const proxy::Resources& resources, const proxy::Labels& pod_selector, uint32_t pod_port) {
  for (const auto& d : resources.deployments) {
    if (pod_selector.empty() || !labels_subset(pod_selector, d.pod_labels)) continue;
    for (const auto& s : resources.services) {
      if (s.header.meta.ns != d.header.meta.ns || s.selector.empty() || !labels_subset(s.selector, d.pod_labels)) continue;
      for (const auto& p : s.ports) {
        const auto* target = std::get_if<uint32_t>(&p.target_port);
        if (p.port == pod_port || (target != nullptr && *target == pod_port))
          return Entry{s.header.meta.name + "." + s.header.meta.ns, p.port};
      }
    }
  }
  return std::nullopt;
}

// A concrete name for a wildcard: "*.example.com" -> "plan.example.com".
std::string concrete(const std::string& pattern) {
  if (pattern == "*") return "plan.example.com";
  return pattern.starts_with("*.") ? "plan" + pattern.substr(1) : pattern;
}

// A Host both the route's `host` and one of the gateway's `server_hosts`
// (its server's, "ns/" stripped; empty: every host) admit, else the route's own.
std::string host_for(const std::string& host, const std::vector<std::string>& server_hosts) {
  std::string mine = concrete(host);
  if (server_hosts.empty()) return mine;
  for (const auto& h : server_hosts)
    if (proxy::host_matches(h, mine)) return mine;
  for (const auto& h : server_hosts)
    if (proxy::host_matches(host, concrete(h))) return concrete(h);
  return mine;
}

// A request from outside the cluster through a gateway: the Host the route
// serves, to the gateway's Service.
void add_gateway_probes(std::vector<PlanProbe>& out, const proxy::HTTPMatchRequest& m, const std::string& label,
                        const Entry& entry, const std::string& host_header) {
  for (auto& p : hit_and_miss(m, label)) {
    p.from_workload = kOutsideSource;
    p.from_sidecar = false;
    p.host = entry.host;
    p.port = entry.port;
    if (!std::any_of(p.headers.begin(), p.headers.end(), [](const auto& kv) { return kv.first == "host"; }))
      p.headers.emplace_back("host", host_header);
    sort_headers(p);
    out.push_back(std::move(p));
  }
}

// The gateways (other than "mesh") a VirtualService or one of its matches
// is bound to, as "namespace/name".
std::vector<std::string> bound_gateways(const std::vector<std::string>& gateways, const std::string& ns) {
  std::vector<std::string> out;
  for (const auto& g : gateways)
    if (g != "mesh") out.push_back(g.find('/') == std::string::npos ? ns + "/" + g : g);
  return out;
}

// Probes for the VirtualServices bound to Istio Gateways: every match, from
// outside the cluster, through every plain-HTTP server of the gateway.
void add_istio_gateway_probes(std::vector<PlanProbe>& out, const proxy::Resources& resources) {
  for (const auto& vs : resources.virtual_services) {
    const std::string& ns = vs.header.meta.ns;
    for (const auto& gateway_name : bound_gateways(vs.gateways, ns)) {
      for (const auto& gw : resources.gateways) {
        if (gw.header.meta.ns + "/" + gw.header.meta.name != gateway_name) continue;
        for (const auto& server : gw.servers) {
          // Plain HTTP only: an httpsRedirect server answers every request 301.
          if (server.port.protocol != "HTTP" || server.tls) continue;
          auto entry = entry_to(resources, gw.selector, server.port.number);
          if (!entry) continue;
          std::vector<std::string> server_hosts;
          for (const auto& h : server.hosts) server_hosts.push_back(h.substr(h.find('/') + 1));
          for (const auto& host : vs.hosts) {
            std::string header = host_for(host, server_hosts);
            std::string label = "VirtualService " + ns + "/" + vs.header.meta.name;
            for (size_t r = 0; r < vs.http.size(); ++r) {
              const auto& rule = vs.http[r];
              std::string rule_text = rule_label(label, rule.name, r);
              if (rule.match.empty()) add_gateway_probes(out, {}, rule_text + " via " + gateway_name, *entry, header);
              for (size_t i = 0; i < rule.match.size(); ++i) {
                const auto& m = rule.match[i];
                if (m.port && *m.port != server.port.number) continue;  // a match for another server's port
                auto only = bound_gateways(m.gateways, ns);
                if (!m.gateways.empty() && std::find(only.begin(), only.end(), gateway_name) == only.end()) continue;
                add_gateway_probes(out, m, fmt::format("{} match #{} via {}", rule_text, i, gateway_name), *entry, header);
              }
            }
          }
        }
      }
    }
  }
}

// Probes for HTTPRoutes attached to Gateway API Gateways: every match, from
// outside the cluster, to each plain-HTTP listener the route is accepted on.
void add_gateway_api_probes(std::vector<PlanProbe>& out, const proxy::Resources& resources) {
  for (const auto& route : resources.http_routes) {
    const std::string label = "HTTPRoute " + route.header.meta.ns + "/" + route.header.meta.name;
    for (const auto& parent : proxy::gateway_parents(resources, route)) {
      if (!parent.accepted || parent.gateway == nullptr) continue;
      const proxy::Labels pods = {{std::string(proxy::kGatewayNameLabel), parent.gateway->header.meta.name}};
      for (const auto& attached : parent.listeners) {
        if (attached.listener->protocol != "HTTP") continue;
        // Istio deploys <name>-istio with a port per listener (gateway_api.h provision_gateways).
        Entry entry{proxy::deployed_gateway_name(*parent.gateway) + "." + parent.gateway->header.meta.ns,
                    attached.listener->port};
        if (auto found = entry_to(resources, pods, attached.listener->port)) entry = *found;
        std::string header = host_for(attached.hostnames.empty() ? "*" : attached.hostnames.front(), {});
        for (size_t r = 0; r < route.rules.size(); ++r) {
          const auto& rule = route.rules[r];
          std::string rule_text = rule_label(label, rule.name, r) + " via Gateway " + parent.gateway->header.meta.ns + "/" +
                                  parent.gateway->header.meta.name;
          if (rule.matches.empty()) add_gateway_probes(out, {}, rule_text, entry, header);
          for (size_t i = 0; i < rule.matches.size(); ++i)
            add_gateway_probes(out, from_gateway_match(rule.matches[i]), fmt::format("{} match #{}", rule_text, i), entry,
                               header);
        }
      }
    }
  }
}

}  // namespace

std::string PlanProbe::caller() const { return from_ns.empty() ? from_workload : from_ns + "/" + from_workload; }

std::string PlanProbe::request() const {
  std::string s = method + " " + target;
  for (const auto& [k, v] : headers) s += fmt::format(" {}: {}", k, v);
  return s;
}

std::string PlanProbe::key() const { return fmt::format("{} -> {}:{} {}", caller(), host, port, request()); }

std::vector<PlanProbe> generate_probes(const proxy::Resources& resources) {
  std::vector<PlanProbe> out;
  auto clients = clients_of(resources);
  for (const auto& s : resources.services) {
    std::string fqdn = s.header.meta.name + "." + s.header.meta.ns + ".svc.cluster.local";
    PlanProbe p;
    p.why = "default request to Service " + s.header.meta.ns + "/" + s.header.meta.name;
    add_for_clients(out, clients, nullptr, p, fqdn, service_port(resources, fqdn));
  }
  for (const auto& vs : resources.virtual_services) {
    if (!for_mesh(vs)) continue;
    const std::string label = "VirtualService " + vs.header.meta.ns + "/" + vs.header.meta.name;
    for (const auto& raw_host : vs.hosts) {
      auto host = dial_host(raw_host, vs.header.meta.ns);
      if (!host) continue;
      for (size_t r = 0; r < vs.http.size(); ++r) {
        const auto& rule = vs.http[r];
        std::string rule_text = rule_label(label, rule.name, r);
        if (rule.match.empty()) {
          add_match_probes(out, clients, proxy::HTTPMatchRequest{}, rule_text, *host, service_port(resources, *host));
          continue;
        }
        for (size_t i = 0; i < rule.match.size(); ++i) {
          const auto& m = rule.match[i];
          add_match_probes(out, clients, m, fmt::format("{} match #{}", rule_text, i), *host,
                           m.port.value_or(service_port(resources, *host)));
        }
      }
    }
  }
  for (const auto& route : resources.http_routes) {
    const std::string label = "HTTPRoute " + route.header.meta.ns + "/" + route.header.meta.name;
    for (const auto& parent : route.parent_refs) {
      if (parent.kind != "Service") continue;
      std::string fqdn = parent.name + "." + (parent.ns.empty() ? route.header.meta.ns : parent.ns) + ".svc.cluster.local";
      uint32_t port = parent.port.value_or(service_port(resources, fqdn));
      for (size_t r = 0; r < route.rules.size(); ++r) {
        const auto& rule = route.rules[r];
        std::string rule_text = rule_label(label, rule.name, r);
        if (rule.matches.empty()) add_match_probes(out, clients, proxy::HTTPMatchRequest{}, rule_text, fqdn, port);
        for (size_t i = 0; i < rule.matches.size(); ++i)
          add_match_probes(out, clients, from_gateway_match(rule.matches[i]),
                           fmt::format("{} match #{}", rule_text, i), fqdn, port);
      }
    }
  }
  add_istio_gateway_probes(out, resources);
  add_gateway_api_probes(out, resources);
  return merge_probes({}, out);
}

std::vector<PlanProbe> merge_probes(std::vector<PlanProbe> a, const std::vector<PlanProbe>& b) {
  std::set<std::string> seen;
  std::vector<PlanProbe> out;
  for (auto& p : a)
    if (seen.insert(p.key()).second) out.push_back(std::move(p));
  for (const auto& p : b)
    if (seen.insert(p.key()).second) out.push_back(p);
  return out;
}

std::optional<std::vector<PlanProbe>> probes_from_traffic(const std::vector<TrafficSource>& sources, std::string* error) {
  std::vector<PlanProbe> out;
  for (const auto& s : sources) {
    if (s.replay) continue;  // a replay source's probes come from its log (sim/replay.h replay_probes)
    auto url = parse_url(s.url, error);
    if (!url) return std::nullopt;
    PlanProbe p;
    p.from_ns = s.from == kOutsideSource ? "" : s.from_namespace;
    p.from_workload = s.from;
    p.from_sidecar = s.from != kOutsideSource;
    p.host = url->host;
    p.port = url->port;
    p.method = s.method;
    p.target = url->target;
    for (const auto& [k, v] : s.headers) {
      std::string name = k;
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
      p.headers.emplace_back(name, v);
    }
    sort_headers(p);
    p.why = "traffic source " + s.name;
    out.push_back(std::move(p));
  }
  return merge_probes({}, out);
}

void add_traffic_clients(proxy::Resources& resources, const std::vector<TrafficSource>& sources) {
  for (const auto& s : sources) {
    if (s.from == kOutsideSource) continue;  // no pod: plan sends it from outside the cluster
    bool present = std::any_of(resources.deployments.begin(), resources.deployments.end(), [&](const auto& d) {
      return d.header.meta.name == s.from && d.header.meta.ns == s.from_namespace;
    });
    if (present) continue;
    proxy::Deployment d;
    d.header.kind = "Deployment";
    d.header.meta.name = s.from;
    d.header.meta.ns = s.from_namespace;
    d.pod_labels = {{"app", s.from}};
    if (!s.sidecar) d.pod_labels["sidecar.istio.io/inject"] = "false";
    d.service_account = s.from;
    resources.deployments.push_back(std::move(d));
  }
}

// A small generator over RE2 syntax: enough for the patterns people write in
// routes ("/api/v[0-9]+/.*", "^(mobile|tablet).*"); the result is checked
// with RE2 and dropped when it does not match.
std::optional<std::string> sample_regex(const std::string& regex) {
  std::string out;
  std::vector<size_t> atom_start;  // where the last atom began in `out`
  size_t i = 0;
  int depth = 0;
  auto skip_group_rest = [&] {  // after '|' inside a group: skip to its ')'
    int d = 0;
    for (; i < regex.size(); ++i) {
      if (regex[i] == '\\') { ++i; continue; }
      if (regex[i] == '(') ++d;
      if (regex[i] == ')') { if (d == 0) return; --d; }
    }
  };
  std::vector<size_t> group_start;
  while (i < regex.size()) {
    char c = regex[i];
    if (c == '^' || c == '$') { ++i; continue; }
    if (c == '|') {
      if (depth == 0) break;  // first top-level branch only
      ++i;
      skip_group_rest();
      continue;
    }
    if (c == '(') {
      ++depth;
      group_start.push_back(out.size());
      i += regex.compare(i, 3, "(?:") == 0 ? 3 : 1;
      continue;
    }
    if (c == ')') {
      --depth;
      atom_start.push_back(group_start.empty() ? out.size() : group_start.back());
      if (!group_start.empty()) group_start.pop_back();
      ++i;
      continue;
    }
    if (c == '*' || c == '?') {
      if (!atom_start.empty()) out.resize(atom_start.back());
      ++i;
      if (i < regex.size() && (regex[i] == '?' || regex[i] == '+')) ++i;
      continue;
    }
    if (c == '+') { ++i; continue; }
    if (c == '{') {
      size_t close = regex.find('}', i);
      if (close == std::string::npos) return std::nullopt;
      int n = std::atoi(regex.c_str() + i + 1);
      if (!atom_start.empty()) {
        std::string atom = out.substr(atom_start.back());
        out.resize(atom_start.back());
        for (int k = 0; k < n; ++k) out += atom;
      }
      i = close + 1;
      continue;
    }
    atom_start.push_back(out.size());
    if (c == '\\' && i + 1 < regex.size()) {
      char e = regex[i + 1];
      out += e == 'd' ? '1' : e == 'w' ? 'a' : e == 's' ? ' ' : e;
      i += 2;
    } else if (c == '[') {
      size_t close = regex.find(']', i + 2);
      if (close == std::string::npos) return std::nullopt;
      bool negated = regex[i + 1] == '^';
      out += negated ? '~' : regex[i + 1] == '\\' ? regex[i + 2] : regex[i + 1];
      i = close + 1;
    } else if (c == '.') {
      out += 'a';
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  RE2 re(regex);
  if (!re.ok() || !RE2::FullMatch(out, re)) return std::nullopt;
  return out;
}

}  // namespace meshsim::sim
