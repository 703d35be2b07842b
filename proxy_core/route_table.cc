#include "proxy_core/route_table.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <tuple>

#include "proxy_core/app_labels.h"
#include "proxy_core/gateway_api.h"
#include "proxy_core/gateway_routes.h"
#include "proxy_core/delegate.h"
#include "proxy_core/destination_policy.h"
#include "proxy_core/hosts.h"
#include "proxy_core/http.h"
#include "proxy_core/injection.h"
#include "proxy_core/telemetry_ids.h"

namespace meshsim::proxy {
namespace {

// Whether `e` is, or is a copy of, `mine` (a world instance keeps a copy of
// its endpoint): the same pod with the same labels and ports, which is all
// the per-endpoint answers of a snapshot depend on. An endpoint of an older
// snapshot that differs is matched afresh. Comparing the parts, not the
// address, keeps a hop's lookups O(1) in the number of services (issue 20).
bool same_endpoint(const Endpoint& mine, const Endpoint& e) {
  if (&mine == &e) return true;
  if (mine.pod != e.pod || mine.ns != e.ns || mine.labels != e.labels || mine.ports.size() != e.ports.size()) return false;
  for (size_t i = 0; i < e.ports.size(); ++i)
    if (mine.ports[i].name != e.ports[i].name || mine.ports[i].container_port != e.ports[i].container_port) return false;
  return true;
}

// The key of the root namespace's private rules in the namespace-local index
// (no namespace can be named so: names are DNS labels).
constexpr std::string_view kRootPrivate = " root-private";

void compile_matcher(const StringMatcher& m, const std::string& what, std::vector<std::string>* errors) {
  if (!m.ok() && errors) errors->push_back("invalid regex in " + what + ": " + m.value());
}

CompiledMatch compile_match(const HTTPMatchRequest& spec, std::vector<std::string>* errors) {
  CompiledMatch out;
  out.spec = &spec;
  if (spec.uri) out.uri = StringMatcher::from_istio(*spec.uri, spec.ignore_uri_case);
  if (spec.scheme) out.scheme = StringMatcher::from_istio(*spec.scheme);
  if (spec.method) out.method = StringMatcher::from_istio(*spec.method);
  if (spec.authority) out.authority = StringMatcher::from_istio(*spec.authority);
  for (const auto& [name, m] : spec.headers) out.headers.emplace_back(name, StringMatcher::from_istio(m));
  for (const auto& [name, m] : spec.without_headers) out.without_headers.emplace_back(name, StringMatcher::from_istio(m));
  for (const auto& [name, m] : spec.query_params) out.query_params.emplace_back(name, StringMatcher::from_istio(m));
  auto check = [&](const std::optional<StringMatcher>& m, const char* what) {
    if (m) compile_matcher(*m, what, errors);
  };
  check(out.uri, "uri");
  check(out.scheme, "scheme");
  check(out.method, "method");
  check(out.authority, "authority");
  for (auto* list : {&out.headers, &out.without_headers, &out.query_params})
    for (const auto& [name, m] : *list) compile_matcher(m, name, errors);
  return out;
}

// Gateway API precedence (httproute_types.go): exact path, longest prefix,
// method, most headers, most query params; then oldest route, then
// namespace/name, then rule order. Regex paths rank between exact and prefix
// as in Istio's conversion.
bool gw_precedes(const CompiledGwMatch& a, const CompiledGwMatch& b, bool a_port, bool b_port) {
  // istio conversion.go sortHTTPRoutes: a route without matches after all
  // others, then getURIRank (Exact > Prefix > Regex > none) and
  // getURILength (compile_gw_match), a method match, header and query
  // parameter counts.
  auto key = [](const CompiledGwMatch& m, bool port) {
    bool method = m.spec && !m.spec->method.empty();
    return std::make_tuple(!m.no_match || port, m.uri_rank, m.uri_length, method, m.headers.size(),
                           m.query_params.size());
  };
  auto ka = key(a, a_port), kb = key(b, b_port);
  if (ka != kb) return ka > kb;
  if (a.route->creation_order != b.route->creation_order) return a.route->creation_order < b.route->creation_order;
  auto na = std::tie(a.route->header.meta.ns, a.route->header.meta.name);
  auto nb = std::tie(b.route->header.meta.ns, b.route->header.meta.name);
  if (na != nb) return na < nb;
  return std::tie(a.rule_index, a.match_index) < std::tie(b.rule_index, b.match_index);
}

std::string cluster_name(uint32_t port, std::string_view subset, std::string_view fqdn) {
  return "outbound|" + std::to_string(port) + "|" + std::string(subset) + "|" + std::string(fqdn);
}

HttpRouteShape shape_of(const HTTPRoute& spec) {
  HttpRouteShape shape;
  shape.fault = spec.fault.has_value();
  shape.cors = spec.cors_policy.has_value();
  shape.direct_response = spec.direct_response.has_value();
  shape.redirect = spec.redirect.has_value();
  shape.rewrite = spec.rewrite.has_value();
  shape.mirrors = spec.mirror.has_value() || !spec.mirrors.empty();
  shape.request_ops = !spec.headers.request.empty();
  shape.response_ops = !spec.headers.response.empty();
  shape.timeout = spec.timeout;
  if (shape.timeout && shape.timeout->count() == 0) shape.timeout.reset();
  for (const HTTPRouteDestination& d : spec.route) {
    HttpRouteShape::Destination& to = shape.destinations.emplace_back();
    to.weight = static_cast<uint32_t>(std::max(0, d.weight.value_or(0)));
    to.request_ops = !d.headers.request.empty();
    to.response_ops = !d.headers.response.empty();
    shape.total_weight += to.weight;
  }
  return shape;
}

// The route's retry policy as Istio's ConvertPolicy (retry.go) builds it.
std::optional<RetryPolicy> compile_retry(const std::optional<HTTPRetry>& spec, bool single_destination) {
  RetryPolicy p = istio_default_retry_policy();
  p.single_destination = single_destination;
  p.previous_hosts.reset();  // a VirtualService rule: the destination's hash policy decides
  if (!spec) return p;
  if (spec->attempts <= 0) return std::nullopt;  // "explicitly disabling the retry policy"
  p.num_retries = spec->attempts;
  if (!spec->retry_on.empty()) p = parse_retry_on(spec->retry_on, p);
  p.per_try_timeout = spec->per_try_timeout;
  p.previous_hosts = spec->retry_ignore_previous_hosts;
  if (spec->backoff) p.base_interval = *spec->backoff;  // RetryBackOff.base_interval; max stays 10x
  return p;
}

// Istio merges rules for one host within one scope: subsets unioned, the
// first rule's policy and duplicate subsets win (pilot/pkg/model/destination_rule.go).
// A host's first rule in a scope is referred to, not copied; a second one
// merges into a copy of the first.
template <typename ByHost>
void merge_rule(ByHost& by_host, const std::string& host, const DestinationRule& dr, std::deque<DestinationRule>& merged) {
  auto [it, inserted] = by_host.emplace(host, typename ByHost::mapped_type{&dr, false});
  if (inserted) return;
  if (!it->second.merged) {
    merged.push_back(*it->second.rule);
    it->second = {&merged.back(), true};
  }
  DestinationRule& into = const_cast<DestinationRule&>(*it->second.rule);  // an element of `merged`: ours
  for (const Subset& s : dr.subsets) {
    bool duplicate = std::any_of(into.subsets.begin(), into.subsets.end(),
                                 [&](const Subset& existing) { return existing.name == s.name; });
    if (!duplicate) into.subsets.push_back(s);
  }
}

// The namespace part of a Service FQDN ("reviews.default.svc.cluster.local" -> "default").
std::string_view fqdn_namespace(std::string_view fqdn) {
  auto first = fqdn.find('.');
  if (first == std::string_view::npos) return {};
  auto second = fqdn.find('.', first + 1);
  return fqdn.substr(first + 1, second == std::string_view::npos ? std::string_view::npos : second - first - 1);
}

bool bound_to_mesh(const VirtualService& vs) {
  return vs.gateways.empty() || std::find(vs.gateways.begin(), vs.gateways.end(), "mesh") != vs.gateways.end();
}

}  // namespace

std::string istio_mtls_sni(std::string_view cluster_name) {
  // BuildSubsetKey joins direction, port, subset and host with "|",
  // BuildDNSSrvSubsetKey with "_." (pilot/pkg/model/service.go); a host has no '|'.
  constexpr std::string_view kOutbound = "outbound|";
  if (!cluster_name.starts_with(kOutbound)) return {};
  std::string sni;
  sni.reserve(cluster_name.size() + 3);
  for (char c : cluster_name) {
    if (c == '|') sni += "_.";
    else sni += c;
  }
  return sni;
}

std::string sidecar_sni(const Cluster& c) {
  if (c.policy.tls && c.policy.tls->mode == "DISABLE") return {};
  if (!c.name.starts_with("outbound|")) return {};
  if (c.policy.tls && c.policy.tls->mode == "ISTIO_MUTUAL" && !c.policy.tls->sni.empty()) return c.policy.tls->sni;
  return istio_mtls_sni(c.name);
}

bool exported_to(const std::vector<std::string>& export_to, std::string_view own_ns, std::string_view client_ns) {
  if (export_to.empty()) return true;
  for (const auto& e : export_to)
    if (e == "*" || (e == "." && own_ns == client_ns) || e == client_ns) return true;
  return false;  // "~" (annotations.yaml: exported nowhere) matches no namespace
}

const RetryPolicy& istio_default_retry_policy() {
  static const RetryPolicy policy = [] {
    RetryPolicy p;
    p.num_retries = 2;
    p.retry_on = kRetryOnConnectFailure | kRetryOnRefusedStream | kRetryOnUnavailable | kRetryOnCancelled |
                 kRetryOnRetriableStatusCodes;
    // The route of a Service without a VirtualService keeps the predicate
    // (route.go BuildDefaultHTTPOutboundRoute: ConvertPolicy(..., false)).
    p.previous_hosts = true;
    return p;
  }();
  return policy;
}

RetryPolicy parse_retry_on(std::string_view s, RetryPolicy p) {
  static const std::pair<std::string_view, RetryOn> kTokens[] = {
      {"5xx", kRetryOn5xx}, {"gateway-error", kRetryOnGatewayError}, {"reset", kRetryOnReset},
      {"connect-failure", kRetryOnConnectFailure}, {"retriable-4xx", kRetryOnRetriable4xx},
      {"refused-stream", kRetryOnRefusedStream}, {"retriable-status-codes", kRetryOnRetriableStatusCodes},
      {"unavailable", kRetryOnUnavailable}, {"cancelled", kRetryOnCancelled},
      {"reset-before-request", kRetryOnResetBeforeRequest},
      // x-envoy-retry-grpc-on values, accepted in the same list (route_components.proto RetryPolicy.retry_on).
      {"deadline-exceeded", kRetryOnDeadlineExceeded}, {"internal", kRetryOnInternal},
      {"resource-exhausted", kRetryOnResourceExhausted}};
  p.retry_on = 0;
  p.retriable_status_codes.clear();
  while (!s.empty()) {
    auto comma = s.find(',');
    std::string_view token = s.substr(0, comma);
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    int code = 0;
    auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), code);
    if (!token.empty() && ec == std::errc() && ptr == token.data() + token.size()) {
      p.retriable_status_codes.push_back(code);
      p.retry_on |= kRetryOnRetriableStatusCodes;
      continue;
    }
    for (const auto& [name, bit] : kTokens)
      if (token == name) p.retry_on |= bit;
  }
  return p;
}

SidecarMatchFilter sidecar_match_filter(const HTTPMatchRequest& spec, const Labels* client_labels,
                                        std::string_view client_ns, uint32_t listener_port) {
  using F = SidecarMatchFilter;
  if (spec.port && *spec.port != 0 && *spec.port != listener_port) return F::kPort;  // 0: unset (match.Port != 0)
  // route.go sourceMatchHTTP: with gateways set, "mesh" among them admits
  // every sidecar and sourceLabels/sourceNamespace are not read.
  if (!spec.gateways.empty())
    return std::find(spec.gateways.begin(), spec.gateways.end(), "mesh") == spec.gateways.end() ? F::kGateways : F::kNone;
  if (!spec.source_labels.empty() && (client_labels == nullptr || !labels_select(spec.source_labels, *client_labels)))
    return F::kSourceLabels;
  if (!spec.source_namespace.empty() && spec.source_namespace != client_ns) return F::kSourceNamespace;
  return F::kNone;
}

namespace {
// The matches sidecar_match_filter passes whatever the client and port:
// no port, and gateways naming mesh or neither labels nor namespace.
bool routes_every_sidecar_match(const HTTPMatchRequest& m) {
  if (m.port && *m.port != 0) return false;
  if (!m.gateways.empty()) return std::find(m.gateways.begin(), m.gateways.end(), "mesh") != m.gateways.end();
  return m.source_labels.empty() && m.source_namespace.empty();
}
}  // namespace

bool CompiledVirtualService::routes_sidecar(const Labels* client_labels, std::string_view client_ns,
                                            uint32_t listener_port) const {
  if (routes_every_sidecar) return true;
  // route.go BuildHTTPRoutesForVirtualService: a rule without matches is a
  // route; a rule with matches one per match TranslateRoute keeps.
  for (const CompiledHttpRoute& rule : http) {
    if (rule.matches.empty()) return true;
    for (const CompiledMatch& m : rule.matches)
      if (sidecar_match_filter(*m.spec, client_labels, client_ns, listener_port) == SidecarMatchFilter::kNone) return true;
  }
  return false;
}

bool labels_select(const Labels& selector, const Labels& labels) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

bool policy_attaches(const std::optional<Labels>& selector, const std::vector<PolicyTargetRef>& target_refs,
                     std::string_view policy_ns, const Endpoint& e) {
  // policyattachment.go ShouldAttachPolicy, for a proxy that is no waypoint.
  const bool selected = !selector || labels_select(*selector, e.labels);
  auto gateway = e.labels.find(std::string(kGatewayNameLabel));
  // A sidecar or an Istio Gateway's pods: "if targetRef is specified,
  // ignore the policy altogether".
  if (gateway == e.labels.end()) return target_refs.empty() && selected;
  // A Gateway API gateway: by selector when no targetRef
  // (ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY, on by default), else by a
  // targetRef to its Gateway in the policy's own namespace.
  if (target_refs.empty()) return selected;
  if (policy_ns != e.ns) return false;
  return std::any_of(target_refs.begin(), target_refs.end(), [&](const PolicyTargetRef& ref) {
    return ref.group == "gateway.networking.k8s.io" && ref.kind == "Gateway" && ref.name == gateway->second;
  });
}

uint32_t ServiceInfo::target_port(uint32_t service_port, const Endpoint& e) const {
  if (spec == nullptr) return service_port;
  for (const ServicePort& p : spec->ports) {
    if (p.port != service_port) continue;
    if (const auto* number = std::get_if<uint32_t>(&p.target_port)) return *number == 0 ? p.port : *number;
    const auto& name = std::get<std::string>(p.target_port);
    for (const ContainerPort& cp : e.ports)
      if (cp.name == name) return cp.container_port;
    return p.port;
  }
  return service_port;
}

bool ServiceInfo::has_port(uint32_t service_port) const {
  if (spec == nullptr || spec->ports.empty()) return true;
  return std::any_of(spec->ports.begin(), spec->ports.end(), [&](const ServicePort& p) { return p.port == service_port; });
}

CompiledGwMatch compile_gw_match(const GwHTTPRoute& route, size_t ri, const GwRouteMatch* m, size_t mi,
                                 std::vector<std::string>* errors) {
  const GwRouteRule& rule = route.rules[ri];
  CompiledGwMatch cm;
  cm.route = &route;
  cm.rule = &rule;
  cm.rule_index = ri;
  cm.match_index = mi;
  cm.spec = m;
  cm.label = (route.header.kind.empty() ? std::string("HTTPRoute") : route.header.kind) + " " + route.header.meta.ns + "/" + route.header.meta.name;
  cm.rule_name = rule.name.empty() ? "#" + std::to_string(ri) : rule.name;
  cm.retry = istio_default_retry_policy();
  // Istio turns the HTTPRoute into a VirtualService rule (conversion.go).
  cm.retry.previous_hosts.reset();
  cm.retry.single_destination = rule.backend_refs.size() == 1;
  if (rule.retry_attempts) {
    cm.retry.num_retries = *rule.retry_attempts;
    if (!rule.retry_codes.empty()) {
      cm.retry.retriable_status_codes = rule.retry_codes;
      cm.retry.retry_on = kRetryOnRetriableStatusCodes;
    }
    if (rule.retry_backoff) cm.retry.base_interval = *rule.retry_backoff;
  }
  std::string type = m ? m->path_type : "PathPrefix";
  std::string value = m ? m->path_value : "/";
  // No path match (a GRPCRoute match without a method): every path, as
  // Envoy's route match defaults to prefix "/" (route.go translateRouteMatch).
  if (type.empty()) value = "/";
  cm.path = type == "Exact" ? StringMatcher(StringMatcher::Kind::kExact, value)
          : type == "RegularExpression" ? StringMatcher(StringMatcher::Kind::kRegex, value)
                                        : StringMatcher(StringMatcher::Kind::kPathSeparatedPrefix, value);
  compile_matcher(cm.path, "path", errors);
  // The sort key of conversion.go sortHTTPRoutes. An HTTPRoute rule without
  // matches has the CRD's default one, PathPrefix "/" (httproute_types.go
  // HTTPRouteRule.Matches); a GRPCRoute rule none (grpcroute_types.go has
  // no default): Istio's route then has no match. getURIRank: Exact 3,
  // Prefix 2, Regex 1, none -1; getURILength: the translated value's length
  // (createURIMatch drops a PathPrefix's trailing '/'; createGRPCURIMatch
  // keeps its "/<service>/"), 0 for none.
  bool grpc = route.header.kind == "GRPCRoute";
  cm.no_match = m == nullptr && grpc;
  cm.uri_rank = cm.no_match || type.empty() ? -1 : type == "Exact" ? 3 : type == "RegularExpression" ? 1 : 2;
  if (cm.uri_rank < 0) {
    cm.uri_length = 0;
  } else {
    std::string_view translated = value;
    if (type == "PathPrefix" && !grpc && translated != "/" && translated.ends_with('/')) translated.remove_suffix(1);
    cm.uri_length = translated.size();
  }
  if (m) {
    for (const auto& h : m->headers)
      cm.headers.emplace_back(to_lower(h.name), StringMatcher(h.type == "Exact" ? StringMatcher::Kind::kExact
                                                                                 : StringMatcher::Kind::kRegex,
                                                              h.value));
    for (const auto& q : m->query_params)
      cm.query_params.emplace_back(q.name, StringMatcher(q.type == "Exact" ? StringMatcher::Kind::kExact
                                                                           : StringMatcher::Kind::kRegex,
                                                         q.value));
  }
  return cm;
}

bool gateway_api_precedes(const CompiledGwMatch& a, const CompiledGwMatch& b, bool a_port, bool b_port) {
  return gw_precedes(a, b, a_port, b_port);
}

CanonicalService canonical_service_of(const Labels& labels, std::string_view workload_name) {
  // labels.go nameLabels and revisionLabels, in their order.
  const std::string* name = first_label(labels, {"service.istio.io/canonical-name", "app.kubernetes.io/name", "app"});
  const std::string* revision =
      first_label(labels, {"service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"});
  return {name ? *name : std::string(workload_name), revision ? *revision : std::string("latest")};
}

std::shared_ptr<const RouteTable> RouteTable::create(Resources input, std::vector<std::string>* errors) {
  merge_delegate_virtual_services(input);
  provision_gateways(input);  // Gateway API: Istio deploys <name>-istio (gateway_api.h)
  return compile(std::make_shared<const Resources>(std::move(input)), errors);
}

std::shared_ptr<const RouteTable> RouteTable::create_shared(std::shared_ptr<const Resources> resources,
                                                            std::vector<std::string>* errors) {
  // Shared as they are when create's two steps would change nothing: no
  // delegating route, no Gateway API Gateway, nothing generated for one.
  const Resources& r = *resources;
  auto generated = [](const auto& list) {
    return std::any_of(list.begin(), list.end(),
                       [](const auto& x) { return x.header.meta.annotations.count(std::string(kGeneratedAnnotation)) > 0; });
  };
  bool delegates = std::any_of(r.virtual_services.begin(), r.virtual_services.end(), [](const VirtualService& vs) {
    return std::any_of(vs.http.begin(), vs.http.end(), [](const HTTPRoute& h) { return h.delegate.has_value(); });
  });
  if (delegates || !r.k8s_gateways.empty() || generated(r.deployments) || generated(r.services))
    return create(r, errors);
  return compile(std::move(resources), errors);
}

std::shared_ptr<const RouteTable> RouteTable::compile(std::shared_ptr<const Resources> resources,
                                                      std::vector<std::string>* errors) {
  auto table = std::shared_ptr<RouteTable>(new RouteTable());
  table->resources_ = std::move(resources);
  const Resources& r = *table->resources_;
  size_t errors_before = errors ? errors->size() : 0;

  // Endpoints: one per replica, with a stable synthetic pod IP.
  for (size_t d = 0; d < r.deployments.size(); ++d) {
    const Deployment& dep = r.deployments[d];
    const std::optional<bool> sidecar_injection = injection_choice(r, dep);  // once per Deployment, not per replica
    for (int i = 0; i < dep.replicas; ++i) {
      Endpoint e;
      e.index = table->endpoints_.size();
      e.workload = dep.header.meta.name;
      e.pod = dep.replicas == 1 ? dep.header.meta.name : dep.header.meta.name + "-" + std::to_string(i);
      e.ns = dep.header.meta.ns;
      e.labels = dep.pod_labels;
      e.sidecar_injection = sidecar_injection;
      e.app = app_label(e.labels);
      e.version_label = version_label(e.labels);
      CanonicalService canonical = canonical_service_of(e.labels, e.workload);
      e.canonical_service = std::move(canonical.name);
      e.canonical_revision = std::move(canonical.revision);
      e.service_account = dep.service_account;
      e.spiffe_principal = mesh_config(r).trust_domain + "/ns/" + e.ns + "/sa/" + e.service_account;
      e.ports = dep.ports;
      e.gateway_proxy = is_gateway_workload(dep);
      e.ip = "10." + std::to_string(1 + d / 250) + "." + std::to_string(d % 250) + "." + std::to_string(i + 1);
      e.telemetry_id = telemetry_text_id(peer_identity_text(e.workload, e.ns, e.version(), e.app, e.principal(),
                                                            e.canonical_service, e.canonical_revision));
      table->endpoints_.push_back(std::move(e));
    }
  }
  // Endpoints outside the cluster (TEST-NET-3 addresses, RFC 5737).
  for (size_t x = 0; x < r.external_hosts.size(); ++x) {
    const ExternalHost& ext = r.external_hosts[x];
    Endpoint e;
    e.index = table->endpoints_.size();
    e.workload = e.pod = ext.name;
    e.ns = "";
    e.external = true;
    for (const auto& h : ext.hosts) e.hosts.push_back(to_lower(h));
    e.ports = {{"http", ext.port}};
    e.ip = "203.0.113." + std::to_string(1 + x % 250);
    for (const auto& h : e.hosts) table->external_by_host_.emplace(h, e.index);
    table->endpoints_.push_back(std::move(e));
  }
  for (const Endpoint& e : table->endpoints_) {
    table->endpoint_by_ip_[e.ip] = e.index;
    auto& by_name = table->endpoint_by_name_[e.ns];
    by_name.emplace(e.workload, e.index);  // the first one with the name keeps it
    by_name.emplace(e.pod, e.index);
  }
  // Endpoints by (namespace, label, value), so a selector is matched against
  // the pods carrying its first label only, not against every pod of the mesh.
  std::map<std::tuple<std::string_view, std::string_view, std::string_view>, std::vector<size_t>> by_label;
  for (const Endpoint& e : table->endpoints_)
    for (const auto& [key, value] : e.labels) by_label[{e.ns, key, value}].push_back(e.index);
  for (const Service& s : r.services) {
    ServiceInfo info;
    info.spec = &s;
    info.name = s.header.meta.name;
    info.ns = s.header.meta.ns;
    info.fqdn = resolve_short_name(info.name, info.ns);
    info.fqdn_id = telemetry_text_id(info.fqdn);
    if (!s.selector.empty()) {
      const auto& first = *s.selector.begin();
      if (auto found = by_label.find({info.ns, first.first, first.second}); found != by_label.end())
        for (size_t i : found->second)  // in endpoint order
          if (labels_select(s.selector, table->endpoints_[i].labels)) info.endpoints.push_back(i);
    }
    table->services_[info.fqdn] = std::move(info);
  }
  for (const auto& [fqdn, svc] : table->services_) table->service_index_.emplace(fqdn, &svc);
  for (const VirtualService& vs : r.virtual_services) {
    CompiledVirtualService cvs;
    cvs.spec = &vs;
    cvs.label = "VirtualService " + vs.header.meta.ns + "/" + vs.header.meta.name;
    for (const auto& h : vs.hosts) cvs.hosts.push_back(resolve_short_name(to_lower(h), vs.header.meta.ns));
    for (size_t i = 0; i < vs.http.size(); ++i) {
      CompiledHttpRoute route;
      route.spec = &vs.http[i];
      route.index = i;
      route.name = vs.http[i].name.empty() ? "#" + std::to_string(i) : vs.http[i].name;
      route.retry = compile_retry(vs.http[i].retries, vs.http[i].route.size() == 1);
      route.shape = shape_of(vs.http[i]);
      for (const auto& m : vs.http[i].match) {
        route.matches.push_back(compile_match(m, errors));
        for (const auto& g : m.gateways) route.matches.back().gateways.push_back(resolve_gateway_name(g, vs.header.meta.ns));
      }
      if (vs.http[i].rewrite && vs.http[i].rewrite->uri_regex_rewrite) {
        RE2::Options options;
        options.set_log_errors(false);
        route.uri_regex_rewrite = std::make_shared<RE2>(vs.http[i].rewrite->uri_regex_rewrite->match, options);
        if (!route.uri_regex_rewrite->ok() && errors) errors->push_back("invalid uriRegexRewrite.match");
      }
      // A rule without matches, or a match no sidecar filters out
      // (sidecar_match_filter), routes every sidecar on every port.
      bool unconditional = route.matches.empty() ||
                           std::any_of(vs.http[i].match.begin(), vs.http[i].match.end(), routes_every_sidecar_match);
      if (unconditional) cvs.routes_every_sidecar = true;
      cvs.http.push_back(std::move(route));
    }
    size_t index = table->virtual_services_.size();
    if (bound_to_mesh(vs)) {
      bool wildcard = false;
      for (const auto& h : cvs.hosts) {
        if (h.find('*') != std::string::npos) wildcard = true;
        else table->vs_by_host_[h].push_back(index);
      }
      if (wildcard) table->wildcard_vs_.push_back(index);
    }
    table->virtual_services_.push_back(std::move(cvs));
  }
  // DestinationRules (push_context.go SetDestinationRules): a rule whose
  // exportTo includes its own namespace ("*", "." or the name; the default
  // is "*") serves that namespace's clients; every rule not private to its
  // namespace is also offered to the namespaces it is exported to.
  for (const DestinationRule& dr : r.destination_rules) {
    const std::string& ns = dr.header.meta.ns;
    const std::vector<std::string>& dr_export_to =
        dr.export_to.empty() ? mesh_config(r).default_destination_rule_export_to : dr.export_to;
    std::string host = resolve_short_name(dr.host, ns);
    auto& merged = table->merged_rules_;
    if (exported_to(dr_export_to, ns, ns)) merge_rule(table->local_rules_[ns].by_host, host, dr, merged);
    bool private_only = dr_export_to.size() == 1 && dr_export_to[0] == ".";
    if (private_only) {
      // The root namespace's own proxies (gateways) look only at its private rules first.
      if (ns == table->root_namespace()) merge_rule(table->local_rules_[std::string(kRootPrivate)].by_host, host, dr, merged);
      continue;
    }
    ScopedRules& exported = table->exported_rules_[ns];
    merge_rule(exported.by_host, host, dr, merged);
    auto& export_to = exported.export_to[host];
    for (const auto& e : dr_export_to.empty() ? std::vector<std::string>{"*"} : dr_export_to)
      if (std::find(export_to.begin(), export_to.end(), e) == export_to.end()) export_to.push_back(e);
  }
  for (auto* index : {&table->local_rules_, &table->exported_rules_})
    for (auto& [ns, scoped] : *index)
      for (const auto& [host, ref] : scoped.by_host) {
        auto export_to = scoped.export_to.find(host);
        ScopedRules::Entry entry{&host, ref.rule, export_to == scoped.export_to.end() ? nullptr : &export_to->second};
        // host_matches: "*" and "*.suffix" are wildcards, any other host matches itself only.
        if (host == "*" || (host.size() > 1 && host[0] == '*')) scoped.wildcards.push_back(entry);
        else scoped.exact.emplace(host, entry);
      }
  for (const GwHTTPRoute& route : r.http_routes) {
    for (const ParentRef& parent : route.parent_refs) {
      if (parent.kind != "Service" || !(parent.group.empty() || parent.group == "core")) continue;
      GwAttachment attachment;
      std::string parent_ns = parent.ns.empty() ? route.header.meta.ns : parent.ns;
      attachment.parent = {resolve_short_name(parent.name, parent_ns), parent.port, route.header.meta.ns};
      for (size_t ri = 0; ri < route.rules.size(); ++ri) {
        const GwRouteRule& rule = route.rules[ri];
        auto add_match = [&](const GwRouteMatch* m, size_t mi) {
          attachment.matches.push_back(compile_gw_match(route, ri, m, mi, errors));
        };
        if (rule.matches.empty()) add_match(nullptr, 0);
        for (size_t mi = 0; mi < rule.matches.size(); ++mi) add_match(&rule.matches[mi], mi);
      }
      table->gw_by_service_[attachment.parent.service_fqdn].push_back(table->gw_attachments_.size());
      table->gw_attachments_.push_back(std::move(attachment));
    }
  }
  table->inbound_services_.resize(table->endpoints_.size());
  // The merged rules by exact host, and those with a wildcard host, so each
  // Service below looks up its own rules instead of testing every rule.
  std::map<std::string_view, std::vector<const DestinationRule*>> rules_by_host;
  std::vector<std::pair<std::string_view, const DestinationRule*>> wildcard_rules;
  for (const auto* index : {&table->local_rules_, &table->exported_rules_})
    for (const auto& [ns, scoped] : *index)
      for (const auto& [host, ref] : scoped.by_host) {
        if (host.find('*') != std::string::npos) wildcard_rules.emplace_back(host, ref.rule);
        else rules_by_host[host].push_back(ref.rule);
      }
  // Clusters: every Service port, whole and per DestinationRule subset, for
  // each rule some client namespace may use for the Service (and for none).
  for (const auto& [fqdn, svc] : table->services_) {
    std::vector<uint32_t> ports;
    if (svc.spec) for (const auto& p : svc.spec->ports) ports.push_back(p.port);
    std::vector<const DestinationRule*> rules = {nullptr};
    if (auto exact = rules_by_host.find(fqdn); exact != rules_by_host.end())
      rules.insert(rules.end(), exact->second.begin(), exact->second.end());
    for (const auto& [host, dr] : wildcard_rules)
      if (host_matches(host, fqdn)) rules.push_back(dr);
    for (const DestinationRule* dr : rules) {
      for (uint32_t port : ports) {
        bool found = true;
        std::vector<std::string_view> subsets = {""};
        if (dr)
          for (const Subset& s : dr->subsets) subsets.push_back(s.name);
        for (std::string_view subset : subsets) {  // the first of duplicate ports or subset names stays
          ClusterKey key{fqdn, dr, port, subset};
          if (!table->clusters_.count(key))
            table->clusters_.emplace(key, table->build_cluster_with(svc, port, std::string(subset), dr, &found));
        }
      }
    }
    // The Services each pod is counted under, per workload port (map order: by host name).
    if (svc.spec)
      for (size_t i : svc.endpoints) {
        auto& list = table->inbound_services_[i];
        for (const auto& p : svc.spec->ports) {
          uint32_t target = svc.target_port(p.port, table->endpoints_[i]);
          bool have = std::any_of(list.begin(), list.end(), [&](const auto& entry) { return entry.first == target; });
          if (!have) list.emplace_back(target, &fqdn);
        }
      }
  }
  // Each RequestAuthentication's key sets are compiled once and shared by
  // the endpoints it selects.
  std::map<const RequestAuthentication*, std::vector<JwtProvider>> providers_by_policy;
  for (const auto& ra : table->resources_->request_authentications)
    providers_by_policy[&ra] = compile_jwt_providers({&ra});
  for (const Endpoint& e : table->endpoints_) {
    table->authz_by_endpoint_.push_back(table->select_authorization_policies(e));
    std::vector<JwtProvider> providers;
    for (const auto& ra : table->resources_->request_authentications) {
      if (ra.header.meta.ns != e.ns && ra.header.meta.ns != table->root_namespace()) continue;
      if (!policy_attaches(ra.selector, ra.target_refs, ra.header.meta.ns, e)) continue;
      const auto& compiled = providers_by_policy[&ra];
      providers.insert(providers.end(), compiled.begin(), compiled.end());
    }
    // policy_applier.go newPolicyApplier sorts the rules by issuer.
    std::stable_sort(providers.begin(), providers.end(), [](const auto& a, const auto& b) { return a.issuer < b.issuer; });
    table->jwt_by_endpoint_.push_back(std::move(providers));
    Cluster c;
    c.pinned = &e;
    c.endpoints = {&e};
    c.name = "PassthroughCluster";
    table->passthrough_.push_back(std::move(c));
  }
  if (errors && errors->size() > errors_before) return nullptr;
  table->gateway_routes_ = std::make_shared<const GatewayRoutes>(build_gateway_routes(*table));
  return table;
}

Cluster RouteTable::build_cluster(const ServiceInfo& service, uint32_t port, const std::string& subset,
                                  std::string_view client_ns, bool* subset_found) const {
  return build_cluster_with(service, port, subset, destination_rule(service.fqdn, client_ns), subset_found);
}

Cluster RouteTable::build_cluster_with(const ServiceInfo& service, uint32_t port, const std::string& subset,
                                       const DestinationRule* dr, bool* subset_found) const {
  Cluster c;
  c.service = &service;
  c.port = port;
  c.subset = subset;
  c.name = cluster_name(port, subset, service.fqdn);
  const Subset* named = subset.empty() ? nullptr : find_subset(dr, subset);
  c.policy = cluster_policy(dr, named, port);
  *subset_found = subset.empty() || named != nullptr;
  if (!*subset_found) return c;
  const Labels* subset_labels = named ? &named->labels : nullptr;
  for (size_t i : service.endpoints) {
    const Endpoint& e = endpoints_[i];
    if (subset_labels == nullptr || labels_select(*subset_labels, e.labels)) c.endpoints.push_back(&e);
  }
  return c;
}

const Cluster* RouteTable::cluster(const ServiceInfo& service, uint32_t port, std::string_view subset,
                                   std::string_view client_ns) const {
  auto it = clusters_.find(ClusterKey{service.fqdn, destination_rule(service.fqdn, client_ns), port, subset});
  return it == clusters_.end() ? nullptr : &it->second;
}

size_t RouteTable::ClusterKeyHash::operator()(const ClusterKey& k) const {
  size_t h = std::hash<std::string_view>{}(k.fqdn);
  h = h * 31 + std::hash<const void*>{}(k.rule);
  h = h * 31 + k.port;
  return h * 31 + std::hash<std::string_view>{}(k.subset);
}

std::string_view RouteTable::inbound_service(const Endpoint& e, uint32_t target_port) const {
  if (e.index < inbound_services_.size() && same_endpoint(endpoints_[e.index], e)) {
    for (const auto& [port, fqdn] : inbound_services_[e.index])
      if (port == target_port) return *fqdn;
    return {};
  }
  // An endpoint of an older snapshot (a sidecar not yet rebuilt): matched afresh.
  for (const auto& [fqdn, svc] : services_) {
    if (svc.spec == nullptr || svc.ns != e.ns || svc.spec->selector.empty() || !labels_select(svc.spec->selector, e.labels))
      continue;
    for (const auto& p : svc.spec->ports)
      if (svc.target_port(p.port, e) == target_port) return fqdn;
  }
  return {};
}

const ServiceInfo* RouteTable::service(std::string_view fqdn) const {
  auto it = service_index_.find(fqdn);
  return it == service_index_.end() ? nullptr : it->second;
}

const Endpoint* RouteTable::endpoint_by_ip(std::string_view ip) const {
  auto it = endpoint_by_ip_.find(ip);
  return it == endpoint_by_ip_.end() ? nullptr : &endpoints_[it->second];
}

const Endpoint* RouteTable::endpoint_by_workload(std::string_view ns, std::string_view name) const {
  auto in_ns = endpoint_by_name_.find(ns);
  if (in_ns == endpoint_by_name_.end()) return nullptr;
  auto it = in_ns->second.find(name);
  return it == in_ns->second.end() ? nullptr : &endpoints_[it->second];
}

const CompiledVirtualService* RouteTable::virtual_service_for(std::string_view host, std::string_view client_ns) const {
  // Exact host beats wildcard, as Envoy picks the most specific virtual host.
  if (auto it = vs_by_host_.find(host); it != vs_by_host_.end())
    for (size_t i : it->second) {
      const auto& vs = virtual_services_[i];
      if (exported_to(vs.spec->export_to, vs.spec->header.meta.ns, client_ns)) return &vs;
    }
  for (size_t i : wildcard_vs_) {
    const auto& vs = virtual_services_[i];
    if (!exported_to(vs.spec->export_to, vs.spec->header.meta.ns, client_ns)) continue;
    for (const auto& h : vs.hosts)
      if (host_matches(h, host)) return &vs;
  }
  return nullptr;
}

bool RouteTable::is_virtual_service_host(std::string_view host) const { return vs_by_host_.count(host) > 0; }

std::vector<const CompiledGwMatch*> RouteTable::gateway_matches(std::string_view service_fqdn, uint32_t port,
                                                                std::string_view client_ns) const {
  // A consumer route (in the client's namespace, not the Service's) replaces
  // the producer routes for that client (GEP-1426, MeshConsumerRoute).
  std::vector<const CompiledGwMatch*> out;
  auto attached = gw_by_service_.find(service_fqdn);
  if (attached == gw_by_service_.end()) return out;
  // Each match with whether its parentRef names a port (gw_precedes).
  std::vector<std::pair<const CompiledGwMatch*, bool>> keyed;
  const ServiceInfo* svc = service(service_fqdn);
  std::string_view service_ns = svc ? std::string_view(svc->ns) : std::string_view{};
  bool consumer = false;
  for (size_t i : attached->second)
    if (gw_attachments_[i].parent.route_ns == client_ns && client_ns != service_ns) consumer = true;
  for (size_t i : attached->second) {
    const auto& a = gw_attachments_[i];
    if (a.parent.port && *a.parent.port != port) continue;
    bool is_consumer_route = a.parent.route_ns != service_ns;
    if (is_consumer_route && a.parent.route_ns != client_ns) continue;  // someone else's consumer route
    if (consumer && !is_consumer_route) continue;
    for (const auto& m : a.matches) keyed.emplace_back(&m, a.parent.port.has_value());
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return gw_precedes(*a.first, *b.first, a.second, b.second); });
  out.reserve(keyed.size());
  for (const auto& [m, port] : keyed) out.push_back(m);
  return out;
}

const DestinationRule* RouteTable::scoped_rule(const std::map<std::string, ScopedRules, std::less<>>& index,
                                               std::string_view ns, std::string_view fqdn,
                                               std::string_view client_ns) const {
  auto scope = index.find(ns);
  if (scope == index.end()) return nullptr;
  const ScopedRules& rules = scope->second;
  // The most specific host: exact, else the longest matching wildcard (MostSpecificHostMatch).
  const ScopedRules::Entry* found = nullptr;
  if (auto it = rules.exact.find(fqdn); it != rules.exact.end()) found = &it->second;
  else
    for (const auto& w : rules.wildcards)
      if (host_matches(*w.host, fqdn) && (found == nullptr || w.host->size() > found->host->size())) found = &w;
  if (found == nullptr) return nullptr;
  if (&index == &exported_rules_ && found->export_to && !exported_to(*found->export_to, ns, client_ns)) return nullptr;
  return found->rule;
}

const DestinationRule* RouteTable::destination_rule(std::string_view fqdn, std::string_view client_ns) const {
  // A proxy in the root namespace starts with the root's private rules only,
  // so the root's mesh-wide rules do not hide the service namespace's
  // (push_context.go destinationRule, rootNamespaceLocal).
  const std::string& root = root_namespace();
  std::string_view own = client_ns == root ? kRootPrivate : client_ns;
  if (const DestinationRule* dr = scoped_rule(local_rules_, own, fqdn, client_ns)) return dr;
  const ServiceInfo* svc = service(fqdn);
  std::string_view service_ns = svc ? std::string_view(svc->ns) : fqdn_namespace(fqdn);
  if (const DestinationRule* dr = scoped_rule(exported_rules_, service_ns, fqdn, client_ns)) return dr;
  return scoped_rule(exported_rules_, root, fqdn, client_ns);
}

std::vector<const AuthorizationPolicy*> RouteTable::authorization_policies_for(const Endpoint& e) const {
  // An endpoint of this snapshot has its answer precomputed; one of an
  // older snapshot (a sidecar not yet rebuilt) is matched afresh.
  if (e.index < authz_by_endpoint_.size() && same_endpoint(endpoints_[e.index], e)) return authz_by_endpoint_[e.index];
  return select_authorization_policies(e);
}

std::vector<const AuthorizationPolicy*> RouteTable::select_authorization_policies(const Endpoint& e) const {
  std::vector<const AuthorizationPolicy*> out;
  for (const auto& p : resources_->authorization_policies) {
    const std::string& ns = p.header.meta.ns;
    if (ns != e.ns && ns != root_namespace()) continue;
    if (!policy_attaches(p.selector, p.target_refs, ns, e)) continue;
    out.push_back(&p);
  }
  return out;
}

const std::vector<JwtProvider>& RouteTable::jwt_providers_for(const Endpoint& e) const {
  static const std::vector<JwtProvider> kNone;
  if (e.index < jwt_by_endpoint_.size() && same_endpoint(endpoints_[e.index], e)) return jwt_by_endpoint_[e.index];
  // An endpoint of an older snapshot (a sidecar not yet rebuilt): the same pod in this one.
  for (const Endpoint& mine : endpoints_)
    if (mine.ns == e.ns && mine.pod == e.pod) return jwt_by_endpoint_[mine.index];
  return kNone;
}

std::string RouteTable::peer_authentication_mode(const Endpoint& e, uint32_t port) const {
  // Most specific wins: workload selector, then namespace, then mesh (root namespace).
  std::string mesh_mode, ns_mode, workload_mode;
  for (const auto& pa : resources_->peer_authentications) {
    std::string mode = pa.mode;
    if (auto it = pa.port_level_mode.find(port); it != pa.port_level_mode.end() && !it->second.empty()) mode = it->second;
    if (mode.empty() || mode == "UNSET") continue;
    if (pa.header.meta.ns == e.ns && pa.selector && !pa.selector->empty()) {
      if (labels_select(*pa.selector, e.labels)) workload_mode = mode;
    } else if (pa.header.meta.ns == e.ns) {
      ns_mode = mode;
    } else if (pa.header.meta.ns == root_namespace() && (!pa.selector || pa.selector->empty())) {
      mesh_mode = mode;
    }
  }
  if (!workload_mode.empty()) return workload_mode;
  if (!ns_mode.empty()) return ns_mode;
  if (!mesh_mode.empty()) return mesh_mode;
  return "PERMISSIVE";
}

}  // namespace meshsim::proxy
