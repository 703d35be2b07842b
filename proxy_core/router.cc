#include "proxy_core/router.h"

#include <algorithm>
#include <charconv>
#include <memory>

#include <fmt/format.h>

#include "proxy_core/grpc.h"
#include "proxy_core/gateway_routes.h"
#include "proxy_core/hosts.h"
#include "proxy_core/route_memo.h"
#include "proxy_core/wire_protocol.h"

namespace meshsim::proxy {
namespace {

constexpr uint64_t kMillion = 1'000'000;

// Istio turns Percent{value} into FractionalPercent{value*10000, MILLION}
// (route.go translatePercentToFractionalPercent); Envoy then draws
// random % 1e6 < numerator (ProtobufPercentHelper::evaluateFractionalPercent).
uint64_t per_million(double percent) { return static_cast<uint64_t>(percent * 10000); }

bool draw(Random& random, uint64_t ppm) { return ppm > 0 && random.next() % kMillion < ppm; }

std::unique_ptr<HttpResponse> local_reply(int status, std::string body = "") {
  auto r = std::make_unique<HttpResponse>();
  r->status = status;
  r->body = std::move(body);
  if (!r->body.empty()) r->headers.set("content-type", "text/plain");
  return r;
}

// The value a header matcher sees: pseudo-headers map onto the request
// line; repeated headers are joined with "," (Envoy). `scratch` holds a
// joined value so the common single-value case does not allocate.
std::optional<std::string_view> header_value(const HttpRequest& request, std::string_view name, std::string& scratch) {
  if (name == ":method") return std::string_view(request.method);
  if (name == ":path") return std::string_view(request.target);
  if (name == ":authority" || name == "host") return std::string_view(request.authority);
  if (name == ":scheme") return std::string_view("http");
  std::optional<std::string_view> first;
  bool repeated = false;
  for (const Header h : request.headers.all()) {
    if (!iequals(h.name, name)) continue;
    if (!first) {
      first = h.value;
    } else {
      if (!repeated) scratch.assign(*first);
      repeated = true;
      scratch += ",";
      scratch += h.value;
    }
  }
  if (repeated) return std::string_view(scratch);
  return first;
}

// The match test, reporting the first failed condition into `miss` when
// given (explanations); the router passes null and pays nothing for it.
bool match_check(const CompiledMatch& m, const ClientContext& client, uint32_t port, const HttpRequest& request,
                 MatchMiss* miss) {
  auto fail = [miss](MatchMiss::Field field, std::string_view name = {}, const StringMatcher* matcher = nullptr,
                     std::optional<std::string_view> got = std::nullopt) {
    if (miss != nullptr) {
      miss->field = field;
      miss->name = std::string(name);
      miss->matcher = matcher;
      miss->got = got ? std::optional<std::string>(std::string(*got)) : std::nullopt;
    }
    return false;
  };
  using F = MatchMiss::Field;
  const HTTPMatchRequest& spec = *m.spec;
  if (!client.gateway) {
    // The same test that decides whether the VirtualService has a virtual
    // host for this client at all (RouteTable::virtual_service_for).
    switch (sidecar_match_filter(spec, client.labels, client.ns, port)) {
      case SidecarMatchFilter::kNone: break;
      case SidecarMatchFilter::kGateways: return fail(F::kGateways);
      case SidecarMatchFilter::kPort:
        return miss ? fail(F::kPort, {}, nullptr, std::to_string(port)) : false;  // no string on the routing path
      case SidecarMatchFilter::kSourceLabels: return fail(F::kSourceLabels);
      case SidecarMatchFilter::kSourceNamespace: return fail(F::kSourceNamespace, {}, nullptr, client.ns);
    }
  }
  if (m.uri && !m.uri->matches(request.path())) return fail(F::kUri, {}, &*m.uri, request.path());
  if (m.scheme && !m.scheme->matches("http")) return fail(F::kScheme, {}, &*m.scheme, "http");
  if (m.method && !m.method->matches(request.method)) return fail(F::kMethod, {}, &*m.method, request.method);
  if (m.authority && !m.authority->matches(request.authority)) return fail(F::kAuthority, {}, &*m.authority, request.authority);
  std::string scratch;
  for (const auto& [name, matcher] : m.headers) {
    auto value = header_value(request, name, scratch);
    if (!value || !matcher.matches(*value)) return fail(F::kHeader, name, &matcher, value);
  }
  // withoutHeaders: invert_match with treat_missing_header_as_empty, except
  // the presence form, which simply requires the header to be absent (route.go).
  for (const auto& [name, matcher] : m.without_headers) {
    auto value = header_value(request, name, scratch);
    if (matcher.kind() == StringMatcher::Kind::kPresent) {
      if (value) return fail(F::kWithoutHeader, name, &matcher, value);
    } else if (matcher.matches(value.value_or(std::string_view{}))) {
      return fail(F::kWithoutHeader, name, &matcher, value);
    }
  }
  for (const auto& [name, matcher] : m.query_params) {
    auto value = query_param(request.query(), name);
    if (!value || !matcher.matches(*value)) return fail(F::kQueryParam, name, &matcher, value);
  }
  return true;
}

bool matches(const CompiledMatch& m, const ClientContext& client, uint32_t port, const HttpRequest& request) {
  return match_check(m, client, port, request, nullptr);
}

bool is_authority_name(std::string_view name) { return iequals(name, ":authority") || iequals(name, "host"); }

// route.go isInternalHeader / dropInternal: pseudo-headers and Host are never
// header operations; a set or add of the authority becomes the host rewrite.
bool is_internal_name(std::string_view name) { return name.starts_with(':') || iequals(name, "host"); }

// route.go TranslateHeadersOperations: the authority `set` gives, else `add`'s.
const std::string* authority_of(const HeaderOps& ops) {
  for (const auto* list : {&ops.set, &ops.add})
    for (const auto& [name, value] : *list)
      if (is_authority_name(name)) return &value;
  return nullptr;
}

// The Service port a destination without an explicit port uses: the request
// port if the Service has it, else the Service's only port.
uint32_t destination_port(const ServiceInfo& svc, std::optional<uint32_t> explicit_port, uint32_t request_port) {
  if (explicit_port) return *explicit_port;
  if (svc.has_port(request_port) || svc.spec == nullptr || svc.spec->ports.size() != 1) return request_port;
  return svc.spec->ports[0].port;
}

// The cluster for host:port[subset]; a local reply (503 NC, Envoy router.cc
// cluster not found; 500 for Gateway API backends) when there is none.
// Istio builds a Service's clusters for the ports it declares only
// (core/cluster.go buildOutboundClusters walks service.Ports), so a
// destination port the Service lacks (its targetPort, a typo, or the
// listener port route.go GetDestinationCluster takes for a multi-port
// Service when the destination names none) has no cluster.
// The client's namespace decides which DestinationRule (and so which subsets) it sees.
// A host that is no Service may be a ServiceEntry host the client sees
// (`scope`); `original` is where the client connected (resolution NONE),
// `request_host` the request's Host (DYNAMIC_DNS).
bool set_cluster(const RouteTable& table, RouteDecision& d, std::string_view client_ns, const std::string& host_fqdn,
                 std::optional<uint32_t> port, const std::string& subset, uint32_t request_port, int missing_status,
                 const ClientScope* scope = nullptr, const Endpoint* original = nullptr,
                 std::string_view request_host = {}) {
  const ServiceInfo* svc = table.service(host_fqdn);
  if (svc == nullptr && scope != nullptr) {
    uint32_t p = port.value_or(request_port);
    if (const ServiceEntry* se = table.service_entry_for(host_fqdn, p, *scope)) {
      auto c = std::make_shared<Cluster>();
      if (table.service_entry_cluster(*se, host_fqdn, p, subset, client_ns, original, request_host, *c)) {
        d.owned_cluster = std::move(c);
        d.cluster = d.owned_cluster.get();
        return true;
      }
    }
  }
  uint32_t p = svc != nullptr ? destination_port(*svc, port, request_port) : 0;
  if (svc != nullptr && svc->has_port(p)) {
    if (const Cluster* c = table.cluster(*svc, p, subset, client_ns)) {
      d.cluster = c;
      return true;
    }
    bool found = false;
    Cluster built = table.build_cluster(*svc, p, subset, client_ns, &found);
    if (found) {
      d.owned_cluster = std::make_shared<const Cluster>(std::move(built));
      d.cluster = d.owned_cluster.get();
      return true;
    }
  }
  d.kind = RouteDecision::Kind::kLocalReply;
  d.local_reply = local_reply(missing_status);
  d.flag = "NC";
  return false;
}

void add_mirror(const RouteTable& table, RouteDecision& d, std::string_view client_ns, const std::string& fqdn,
                std::optional<uint32_t> port, const std::string& subset, uint32_t request_port) {
  const ServiceInfo* svc = table.service(fqdn);
  if (svc == nullptr) return;
  if (const Cluster* c = table.cluster(*svc, destination_port(*svc, port, request_port), subset, client_ns))
    d.mirrors.push_back(c);
}

std::string rewrite_prefix(std::string_view path, std::string_view matched_prefix, std::string_view replacement) {
  return std::string(replacement) + std::string(path.substr(std::min(matched_prefix.size(), path.size())));
}

// The Location of an Envoy redirect (http/utility.cc Utility::newUri with
// the RedirectAction Istio built). `host_redirect` replaces the whole
// request host, port included; only `port_redirect` (0 = none) adds a port.
// Without a host redirect the request's host keeps its port unless a port
// redirect replaces it or the scheme changes away from the request's (http)
// while the port is that scheme's default (processRequestHost). The request's
// query is kept unless the new path carries one.
std::string redirect_location(const HttpRequest& request, const std::string& scheme_redirect, const std::string& host_redirect,
                              uint32_t port_redirect, std::optional<std::string> path_redirect) {
  constexpr std::string_view kRequestScheme = "http";  // x-forwarded-proto of a sidecar's outbound request
  std::string scheme = scheme_redirect.empty() ? std::string(kRequestScheme) : scheme_redirect;
  std::string port = port_redirect != 0 ? ":" + std::to_string(port_redirect) : "";
  std::string host = host_redirect;
  if (host.empty()) {
    std::string_view request_host = request.authority;
    std::string_view bare = strip_port(request_host);
    std::string_view request_port = request_host.substr(bare.size());  // ":9080" or empty
    bool remove_port = !port.empty() || (scheme != kRequestScheme && request_port == ":80");
    host = std::string(remove_port && !request_port.empty() ? bare : request_host);
  }
  std::string path = path_redirect ? *path_redirect : std::string(request.path());
  if (path.empty() || path.front() != '/') path.insert(0, "/");
  std::string location = scheme + "://" + host + port + path;
  if (path.find('?') == std::string::npos && !request.query().empty()) location += "?" + std::string(request.query());
  return location;
}

// Istio route.go ApplyRedirect: `port`, or the listener port for
// derivePort FROM_REQUEST_PORT; none for FROM_PROTOCOL_DEFAULT or when
// nothing is set; an explicit :80 for http or :443 for https is dropped.
uint32_t istio_port_redirect(std::optional<uint32_t> port, bool from_request_port, uint32_t request_port,
                             const std::string& scheme) {
  uint32_t p = from_request_port ? request_port : port.value_or(0);
  std::string_view s = scheme.empty() ? std::string_view("http") : std::string_view(scheme);
  if ((p == 80 && s == "http") || (p == 443 && s == "https")) return 0;
  return p;
}

// Mirrors: mirrorPercentage absent = 100% (route.go MirrorPercent).
void add_mirrors(const RouteTable& table, RouteDecision& d, const HTTPRoute& spec, std::string_view client_ns,
                 const std::string& vs_ns, uint32_t port, Random& random) {
  if (spec.mirror) {
    uint64_t ppm = spec.mirror_percentage ? per_million(spec.mirror_percentage->value)
                 : spec.mirror_percent ? static_cast<uint64_t>(*spec.mirror_percent) * 10000 : kMillion;
    if (ppm >= kMillion || draw(random, ppm))
      add_mirror(table, d, client_ns, resolve_short_name(spec.mirror->host, vs_ns), spec.mirror->port, spec.mirror->subset,
                 port);
  }
  for (const auto& m : spec.mirrors) {
    uint64_t ppm = m.percentage ? per_million(m.percentage->value) : kMillion;
    if (ppm >= kMillion || draw(random, ppm))
      add_mirror(table, d, client_ns, resolve_short_name(m.destination.host, vs_ns), m.destination.port,
                 m.destination.subset, port);
  }
}

RouteDecision no_route() {
  // Envoy router.cc: no route match -> 404, empty body, flag NR.
  RouteDecision d;
  d.kind = RouteDecision::Kind::kLocalReply;
  d.local_reply = local_reply(404);
  d.flag = "NR";
  return d;
}

RouteDecision decide_rule(const RouteTable& table, const CompiledVirtualService& vs, const CompiledHttpRoute* chosen,
                          const CompiledMatch* chosen_match, const ClientContext& client, uint32_t port,
                          HttpRequest& request, Random& random, const ClientScope* scope = nullptr,
                          const Endpoint* original = nullptr, RouteMemo* memo = nullptr);

RouteDecision decide_virtual_service(const RouteTable& table, const CompiledVirtualService& vs, const ClientContext& client,
                                     uint32_t port, HttpRequest& request, Random& random,
                                     const ClientScope* scope = nullptr, const Endpoint* original = nullptr,
                                     RouteMemo* memo = nullptr) {
  const CompiledHttpRoute* chosen = nullptr;
  const CompiledMatch* chosen_match = nullptr;
  for (const auto& route : vs.http) {
    if (route.matches.empty()) {
      chosen = &route;
      break;
    }
    for (const auto& m : route.matches)
      if (matches(m, client, port, request)) {
        chosen = &route;
        chosen_match = &m;
        break;
      }
    if (chosen) break;
  }
  if (chosen == nullptr) {
    RouteDecision d = no_route();
    d.virtual_service = &vs;
    return d;
  }
  RouteDecision d = decide_rule(table, vs, chosen, chosen_match, client, port, request, random, scope, original, memo);
  d.virtual_service = &vs;
  return d;
}

// What the chosen rule (and match) of `vs` does with the request; `port` is
// the listener port routes were built for (destination ports default to it).
RouteDecision decide_rule(const RouteTable& table, const CompiledVirtualService& vs, const CompiledHttpRoute* chosen,
                          const CompiledMatch* chosen_match, const ClientContext& client, uint32_t port,
                          HttpRequest& request, Random& random, const ClientScope* scope, const Endpoint* original,
                          RouteMemo* memo) {
  RouteDecision d;
  const HTTPRoute& spec = *chosen->spec;
  const HttpRouteShape& shape = chosen->shape;  // what the rule has, before its spec is read
  d.route = RouteRef{&vs, chosen, nullptr,
                     chosen_match ? static_cast<int>(chosen_match - chosen->matches.data()) : -1};

  // Fault filter runs first (listener_builder.go: Fault, Cors, router).
  if (shape.fault) {
    if (const auto& delay = spec.fault->delay; delay && delay->fixed_delay) {
      uint64_t ppm = delay->percentage ? per_million(delay->percentage->value)
                   : delay->percent ? static_cast<uint64_t>(*delay->percent) * 10000 : 0;
      if (draw(random, ppm)) d.fault_delay = *delay->fixed_delay;
    }
    if (const auto& abort = spec.fault->abort; abort && (abort->http_status || !abort->grpc_status.empty())) {
      uint64_t ppm = abort->percentage ? per_million(abort->percentage->value) : 0;
      if (draw(random, ppm)) {
        // Envoy fault_filter.cc abortStatus: with a gRPC status the HTTP
        // status is 200 and the reply carries that grpc-status (route.go
        // TranslateFault passes the code of Istio's name).
        if (auto code = abort->http_status ? std::nullopt : grpc_code_from_name(abort->grpc_status)) {
          d.fault_abort_status = 200;
          d.fault_abort_grpc_status = *code;
        } else if (abort->http_status) {
          d.fault_abort_status = *abort->http_status;
        }
      }
    }
  }
  // CORS (Envoy cors_filter.cc CorsFilter::decodeHeaders): an origin is
  // allowed when a matcher matches it or matches "*" itself
  // (isOriginAllowed). A preflight (OPTIONS, Origin, Access-Control-
  // Request-Method) is answered locally; from an origin not allowed it is
  // forwarded unless unmatchedPreflights is IGNORE (route.go
  // forwardNotMatchingPreflights), then answered without allow-origin.
  // allowMethods/allowHeaders of "*" echo the preflight's request headers.
  auto origin = shape.cors ? request.headers.get("origin") : std::nullopt;
  if (origin && !origin->empty()) {
    const CorsPolicy& cors = *spec.cors_policy;
    bool allowed = std::any_of(cors.allow_origins.begin(), cors.allow_origins.end(), [&](const StringMatch& m) {
      StringMatcher matcher = StringMatcher::from_istio(m);
      return matcher.matches("*") || matcher.matches(*origin);
    });
    auto join = [](const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ",")); };
    auto request_method = request.headers.get("access-control-request-method");
    bool preflight = request.method == "OPTIONS" && request_method && !request_method->empty();
    if (preflight && (allowed || cors.unmatched_preflights == "IGNORE")) {
      d.kind = RouteDecision::Kind::kLocalReply;
      d.local_reply = local_reply(200);
      if (allowed) d.local_reply->headers.set("access-control-allow-origin", *origin);
      if (cors.allow_credentials.value_or(false)) d.local_reply->headers.set("access-control-allow-credentials", "true");
      if (std::string methods = join(cors.allow_methods); !methods.empty())
        d.local_reply->headers.set("access-control-allow-methods", methods == "*" ? std::string(*request_method) : methods);
      if (std::string headers = join(cors.allow_headers); !headers.empty())
        d.local_reply->headers.set("access-control-allow-headers",
                                   headers == "*" ? std::string(request.headers.get("access-control-request-headers").value_or(""))
                                                  : headers);
      if (cors.max_age) d.local_reply->headers.set("access-control-max-age", std::to_string(cors.max_age->count() / 1'000'000));
      return d;
    }
    if (allowed) {
      d.cors_response_headers.emplace_back("access-control-allow-origin", std::string(*origin));
      if (cors.allow_credentials.value_or(false)) d.cors_response_headers.emplace_back("access-control-allow-credentials", "true");
      if (!cors.expose_headers.empty()) d.cors_response_headers.emplace_back("access-control-expose-headers", join(cors.expose_headers));
    }
  }
  // A direct response or redirect takes the route's response headers too
  // (router.cc: direct_response->finalizeResponseHeaders; Istio route.go sets
  // ResponseHeadersToAdd whatever the action).
  if ((shape.direct_response || shape.redirect) && shape.response_ops) d.response_ops.push_back({&spec.headers.response});
  if (shape.direct_response) {
    d.kind = RouteDecision::Kind::kLocalReply;
    const int status = static_cast<int>(spec.direct_response->status);
    d.local_reply = local_reply(status, spec.direct_response->body.value_or(""));
    // router.cc decodeHeaders: a 201 or 3xx direct response carries
    // Location: newUri, which without a redirect is the request's own URI.
    if (status == 201 || (status >= 300 && status < 400))
      d.local_reply->headers.set("location", redirect_location(request, "", "", 0, std::nullopt));
    return d;
  }
  if (shape.redirect) {
    const HTTPRedirect& r = *spec.redirect;
    uint32_t port_redirect = istio_port_redirect(r.port, r.derive_port == "FROM_REQUEST_PORT", port, r.scheme);
    std::optional<std::string> path;
    if (!r.prefix_rewrite.empty()) {
      std::string matched = "/";
      if (chosen_match && chosen_match->uri && chosen_match->uri->kind() == StringMatcher::Kind::kPrefix)
        matched = chosen_match->uri->value();
      path = rewrite_prefix(request.path(), matched, r.prefix_rewrite);
    } else if (!r.uri.empty()) {
      path = r.uri;
    }
    d.kind = RouteDecision::Kind::kLocalReply;
    d.local_reply = local_reply(static_cast<int>(r.redirect_code));
    d.local_reply->headers.set("location", redirect_location(request, r.scheme, r.authority, port_redirect, path));
    return d;
  }

  // Weighted destination (route.go: zero weights dropped when several).
  size_t picked = 0;
  if (shape.destinations.size() > 1 && shape.total_weight > 0) {
    uint64_t pick = random.below(shape.total_weight);
    for (size_t i = 0; i < shape.destinations.size(); ++i) {
      if (pick < shape.destinations[i].weight) {
        picked = i;
        break;
      }
      pick -= shape.destinations[i].weight;
    }
  }
  const HTTPRouteDestination* dest = &spec.route[picked];
  const HttpRouteShape::Destination& dest_shape = shape.destinations[picked];
  // Response header operations (HeaderParserOps): a single destination's
  // join the route's; a weighted destination's run before the route's.
  if (spec.route.size() == 1) {
    if (shape.response_ops || dest_shape.response_ops)
      d.response_ops.push_back({&spec.headers.response, &dest->headers.response});
  } else {
    if (dest_shape.response_ops) d.response_ops.push_back({&dest->headers.response});
    if (shape.response_ops) d.response_ops.push_back({&spec.headers.response});
  }
  d.timeout = shape.timeout;
  d.retry = chosen->retry ? &*chosen->retry : nullptr;
  if (shape.mirrors) add_mirrors(table, d, spec, client.ns, vs.spec->header.meta.ns, port, random);
  // The cluster first: Envoy's router has it (and the stream's upstream
  // cluster info, which %UPSTREAM_CLUSTER% reads) before it finalizes the
  // request headers (router.cc Filter::decodeHeaders:
  // setUpstreamClusterInfo, then route_entry_->finalizeRequestHeaders). A
  // ServiceEntry with DYNAMIC_DNS resolves the Host as rewritten: the
  // rule's `rewrite.authority`, else the route's authority operation, else
  // the destination's (route.go; host_rewrite_literal, never a format).
  std::string_view host = request.authority;
  if (shape.rewrite && !spec.rewrite->authority.empty()) host = spec.rewrite->authority;
  else if (const std::string* a = shape.request_ops ? authority_of(spec.headers.request) : nullptr) host = *a;
  else if (const std::string* b = dest_shape.request_ops ? authority_of(dest->headers.request) : nullptr) host = *b;
  if (const Cluster* known = memo ? memo->destination(dest, port) : nullptr) {
    d.cluster = known;
  } else {
    set_cluster(table, d, client.ns, resolve_short_name(to_lower(dest->destination.host), vs.spec->header.meta.ns),
                dest->destination.port, dest->destination.subset, port, 503, scope, original, host);
    // A precompiled cluster depends on the destination, port and the client's
    // namespace only; a ServiceEntry's (owned) may depend on where the client
    // connected, so it is worked out each time.
    if (memo && d.cluster && !d.owned_cluster) memo->add_destination(dest, port, d.cluster);
  }
  // RouteEntryImplBase::finalizeRequestHeaders: the header operations, then
  // the host rewrite, then the path rewrite. Request header operations
  // (HeaderParserOps): a single destination's join the route's; a weighted
  // destination's run before the route's. The route's authority wins either
  // way (routing.go "set host header in route and destination", "... and
  // multi destination").
  if (shape.request_ops || dest_shape.request_ops) {
    FormatContext context = format_context(client, request, d.cluster);
    if (spec.route.size() == 1) {
      evaluate_header_ops({&spec.headers.request, &dest->headers.request}, request.headers, &request.authority, &context);
    } else {
      if (dest_shape.request_ops) evaluate_header_ops({&dest->headers.request}, request.headers, &request.authority, &context);
      if (shape.request_ops) evaluate_header_ops({&spec.headers.request}, request.headers, &request.authority, &context);
    }
  }
  if (shape.rewrite) {
    const HTTPRewrite& rw = *spec.rewrite;
    if (!rw.authority.empty()) request.authority = rw.authority;
    std::string query = request.query().empty() ? "" : "?" + std::string(request.query());
    std::string path(request.path());
    std::optional<std::string> rewritten;
    if (chosen->uri_regex_rewrite) {
      // rewritePathByPrefixOrRegex: a regex rewrite that leaves an empty
      // path rewrites nothing.
      RE2::GlobalReplace(&path, *chosen->uri_regex_rewrite, rw.uri_regex_rewrite->rewrite);
      if (!path.empty()) rewritten = path + query;
    } else if (rw.uri) {
      // Envoy prefix_rewrite: replaces the matched prefix; for exact/regex
      // matches the whole path; a match-less rule matches prefix "/".
      std::string matched = "/";
      if (chosen_match && chosen_match->uri) {
        matched = chosen_match->uri->kind() == StringMatcher::Kind::kPrefix ? chosen_match->uri->value() : path;
        if (chosen_match->spec->ignore_uri_case) matched = path.substr(0, matched.size());
      }
      rewritten = rewrite_prefix(path, matched, *rw.uri) + query;
    }
    // finalizePathHeader: the path before the rewrite, query included, goes
    // upstream as x-envoy-original-path (keep_old_path: Istio leaves the
    // router's suppress_envoy_headers off unless proxyHeaders.envoyDebugHeaders
    // is disabled).
    if (rewritten) {
      request.headers.set_checked("x-envoy-original-path", request.target);
      request.target = std::move(*rewritten);
    }
  }
  return d;
}

bool gw_matches(const CompiledGwMatch& m, const HttpRequest& request) {
  if (!m.path.matches(request.path())) return false;
  if (m.spec && !m.spec->method.empty() && m.spec->method != request.method) return false;
  std::string scratch;
  for (const auto& [name, matcher] : m.headers) {
    auto value = header_value(request, name, scratch);
    if (!value || !matcher.matches(*value)) return false;
  }
  for (const auto& [name, matcher] : m.query_params) {
    auto value = query_param(request.query(), name);
    if (!value || !matcher.matches(*value)) return false;
  }
  return true;
}

std::string gw_rewrite_path(const CompiledGwMatch& m, const GwPathModifier& mod, std::string_view path) {
  if (mod.type == "ReplaceFullPath") return mod.value;
  // ReplacePrefixMatch: element-wise; "/prefix/one" with prefix "/prefix" -> "/one".
  std::string_view prefix = m.spec ? std::string_view(m.spec->path_value) : std::string_view("/");
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  std::string_view rest = path.substr(std::min(prefix == "/" ? 0 : prefix.size(), path.size()));
  std::string replacement = mod.value;
  if (replacement.size() > 1 && replacement.back() == '/' ) replacement.pop_back();
  if (replacement == "/") return rest.empty() ? "/" : (rest.front() == '/' ? std::string(rest) : "/" + std::string(rest));
  if (rest.empty()) return replacement;
  return replacement + (rest.front() == '/' ? std::string(rest) : "/" + std::string(rest));
}

RouteDecision decide_gateway(const RouteTable& table, const std::vector<const CompiledGwMatch*>& gw_matches_sorted,
                             const ClientContext& client, uint32_t port, HttpRequest& request, Random& random) {
  const std::string_view client_ns = client.ns;
  RouteDecision d;
  const CompiledGwMatch* chosen = nullptr;
  for (const CompiledGwMatch* m : gw_matches_sorted)
    if (gw_matches(*m, request)) {
      chosen = m;
      break;
    }
  if (chosen == nullptr) {
    d.kind = RouteDecision::Kind::kLocalReply;
    d.local_reply = local_reply(404);
    d.flag = "NR";
    return d;
  }
  const GwRouteRule& rule = *chosen->rule;
  const std::string& route_ns = chosen->route->header.meta.ns;
  d.route = RouteRef{nullptr, nullptr, chosen, static_cast<int>(chosen->match_index)};

  auto apply_filters = [&](const std::vector<GwFilter>& filters) -> bool {
    for (const GwFilter& f : filters) {
      // Istio makes the filter the route's own header operations (conversion.go).
      // Its values are formats as a VirtualService's are (conversion.go
      // createHeadersFilter passes them on); the backend is not picked yet,
      // so %UPSTREAM_CLUSTER% gives nothing here.
      if (f.request_header_modifier) {
        FormatContext context = format_context(client, request, nullptr);
        evaluate_header_ops({&*f.request_header_modifier}, request.headers, &request.authority, &context);
      }
      if (f.response_header_modifier) d.response_ops.push_back({&*f.response_header_modifier});
      if (f.url_rewrite) {
        if (!f.url_rewrite->hostname.empty()) request.authority = f.url_rewrite->hostname;
        if (f.url_rewrite->path) {
          // Istio makes it the route's rewrite (prefix_rewrite or
          // regex_rewrite), so Envoy keeps the path it replaces
          // (finalizePathHeader: x-envoy-original-path).
          std::string query = request.query().empty() ? "" : "?" + std::string(request.query());
          std::string rewritten = gw_rewrite_path(*chosen, *f.url_rewrite->path, request.path()) + query;
          request.headers.set_checked("x-envoy-original-path", request.target);
          request.target = std::move(rewritten);
        }
      }
      if (f.request_redirect) {
        const GwRequestRedirect& r = *f.request_redirect;
        std::optional<std::string> path;
        if (r.path) path = gw_rewrite_path(*chosen, *r.path, request.path());
        // Istio conversion.go createRedirectFilter: no port means the request's
        // port (FROM_REQUEST_PORT), or the scheme's default when the scheme changes.
        uint32_t port_redirect = istio_port_redirect(r.port, !r.port && r.scheme.empty(), port, r.scheme);
        d.kind = RouteDecision::Kind::kLocalReply;
        d.local_reply = local_reply(static_cast<int>(r.status_code));
        d.local_reply->headers.set("location", redirect_location(request, r.scheme, r.hostname, port_redirect, path));
        return true;
      }
      if (f.request_mirror) {
        const GwRequestMirror& m = *f.request_mirror;
        uint64_t ppm = kMillion;
        if (m.percent) ppm = static_cast<uint64_t>(*m.percent) * 10000;
        if (m.fraction) ppm = static_cast<uint64_t>(m.fraction->first) * kMillion / static_cast<uint64_t>(m.fraction->second);
        if (ppm >= kMillion || draw(random, ppm)) {
          std::string ns = m.backend.ns.empty() ? route_ns : m.backend.ns;
          add_mirror(table, d, client_ns, resolve_short_name(m.backend.name, ns), m.backend.port, "", port);
        }
      }
    }
    return false;
  };
  if (apply_filters(rule.filters)) return d;

  // Weighted backends; no backends or a missing one -> 500 (Gateway API).
  const GwBackendRefWithFilters* backend = nullptr;
  uint64_t total = 0;
  for (const auto& b : rule.backend_refs) total += static_cast<uint64_t>(std::max(0, b.weight));
  if (total > 0) {
    uint64_t pick = random.below(total);
    for (const auto& b : rule.backend_refs) {
      uint64_t w = static_cast<uint64_t>(std::max(0, b.weight));
      if (pick < w) {
        backend = &b;
        break;
      }
      pick -= w;
    }
  }
  if (backend == nullptr) {
    d.kind = RouteDecision::Kind::kLocalReply;
    d.local_reply = local_reply(500);
    return d;
  }
  // An unresolved backendRef (no such Service, a kind Istio does not route,
  // another namespace without a ReferenceGrant): Istio points the route at a
  // cluster that does not exist, answered 500 (route.go
  // ClusterNotFoundResponseCode; httproute_types.go BackendRefs).
  if (size_t index = static_cast<size_t>(backend - rule.backend_refs.data());
      index < chosen->backend_errors.size() && !chosen->backend_errors[index].empty()) {
    d.kind = RouteDecision::Kind::kLocalReply;
    d.local_reply = local_reply(500);
    d.flag = "NC";
    return d;
  }
  if (apply_filters(backend->filters)) return d;
  d.timeout = rule.request_timeout;
  if (rule.backend_request_timeout && (!d.timeout || *rule.backend_request_timeout < *d.timeout))
    d.timeout = rule.backend_request_timeout;
  if (d.timeout && d.timeout->count() == 0) d.timeout.reset();
  d.retry = &chosen->retry;
  std::string ns = backend->ns.empty() ? route_ns : backend->ns;
  // Gateway API: an invalid backend gets 500 (route.go ClusterNotFoundResponseCode).
  set_cluster(table, d, client_ns, resolve_short_name(backend->name, ns), backend->port, "", port, 500);
  return d;
}

// A short name that is not a Service in the client's namespace but names
// exactly one Service in the mesh. Models an ingress gateway's route to a
// Service in another namespace (the conformance corpus sends bookinfo's
// ingress traffic as `http://productpage:9080` from istio-system).
const ServiceInfo* unique_service_named(const RouteTable& table, std::string_view host) {
  if (host.find('.') != std::string_view::npos) return nullptr;
  const ServiceInfo* found = nullptr;
  for (const auto& [fqdn, svc] : table.services()) {
    if (svc.name != host) continue;
    if (found != nullptr) return nullptr;
    found = &svc;
  }
  return found;
}

// PassthroughCluster to a Service's cluster IP. kube-proxy picks one of
// its pods when the Service declares the port; otherwise it has no rule for
// it and nothing answers (Cluster::unforwarded), the connect lasting at most
// the cluster's connect_timeout, MeshConfig connectTimeout
// (cluster_builder.go buildDefaultPassthroughCluster).
// Whether a connection to the Service's name on `port` reaches a pod: a
// port it declares (kube-proxy's rule), or any port of a headless Service,
// whose name resolves to the pods themselves.
bool reaches_pods(const ServiceInfo& service, uint32_t port) {
  return service.has_port(port) || (service.spec && service.spec->headless);
}

std::shared_ptr<Cluster> passthrough_to_service(const RouteTable& table, const ServiceInfo& service, uint32_t port) {
  auto c = std::make_shared<Cluster>();
  c->name = c->telemetry_service = "PassthroughCluster";
  c->port = port;
  c->service = &service;
  c->unforwarded = !reaches_pods(service, port);
  c->connect_timeout = table.mesh().connect_timeout;
  if (!c->unforwarded)
    for (size_t i : service.endpoints) c->endpoints.push_back(&table.endpoints()[i]);
  return c;
}

// Traffic no virtual host claims: Istio's catch-all virtual host
// (pilot/pkg/networking/core/httproute.go): `allow_any` forwards it to
// PassthroughCluster, the original destination, with no retries and no
// timeout; under REGISTRY_ONLY `block_all` answers 502 with no body.
void decide_unmatched(const RouteTable& table, const ClientScope& scope, const Endpoint* pod,
                      const ServiceInfo* connected, const Endpoint* external, uint32_t port, RouteDecision& d) {
  if (scope.registry_only) {
    d.kind = RouteDecision::Kind::kLocalReply;
    d.local_reply = local_reply(502);
    d.telemetry_service = "BlackHoleCluster";
    return;
  }
  if (pod != nullptr) {
    d.cluster = table.passthrough(*pod);
    d.retry = &istio_default_retry_policy();
    return;
  }
  std::shared_ptr<Cluster> c;
  if (connected != nullptr) {
    c = passthrough_to_service(table, *connected, port);
  } else if (external != nullptr) {
    c = std::make_shared<Cluster>();
    c->name = c->telemetry_service = "PassthroughCluster";
    c->port = port;
    c->endpoints.push_back(external);
  } else {
    d.kind = RouteDecision::Kind::kUnresolvable;
    return;
  }
  d.owned_cluster = std::move(c);
  d.cluster = d.owned_cluster.get();
}

// No HTTP listener on the port (HostRoute::tcp_catch_all): the virtual
// outbound listener's catch-all filter chain, a tcp_proxy to
// PassthroughCluster, or under REGISTRY_ONLY to BlackHoleCluster
// (listener_builder.go buildOutboundCatchAllNetworkFiltersOnly).
void decide_tcp_catch_all(const RouteTable& table, const ClientScope& scope, const ServiceInfo& connected,
                          uint32_t port, RouteDecision& d) {
  d.kind = RouteDecision::Kind::kTcpProxy;
  if (scope.registry_only) {
    d.telemetry_service = "BlackHoleCluster";
    return;
  }
  d.owned_cluster = passthrough_to_service(table, connected, port);
  d.cluster = d.owned_cluster.get();
}

}  // namespace

void evaluate_header_ops(const HeaderParserOps& parser, HeaderMap& headers, std::string* authority,
                         const FormatContext* context) {
  const HeaderOps* lists[] = {parser.ops, parser.joined};
  for (const HeaderOps* ops : lists)
    if (ops)
      for (const auto& name : ops->remove)
        if (!is_internal_name(name)) headers.remove(name);
  // header_parser.cc evaluateHeaders: every value is formatted against the
  // headers as they are after the removes, before the first set or add;
  // a value that comes out empty is not written (Istio never sets
  // keep_empty_value). Only values with a `%` have a format.
  std::vector<std::string> formatted;  // by position: the sets, then the adds, of each list in turn
  if (context != nullptr)
    for (const HeaderOps* ops : lists)
      if (ops && (!ops->set_formats.empty() || !ops->add_formats.empty())) {
        for (const HeaderOps* o : lists) {
          if (!o) continue;
          for (size_t i = 0; i < o->set.size(); ++i)
            formatted.push_back(i < o->set_formats.size() && o->set_formats[i]
                                    ? format_header_value(*o->set_formats[i], *context) : o->set[i].second);
          for (size_t i = 0; i < o->add.size(); ++i)
            formatted.push_back(i < o->add_formats.size() && o->add_formats[i]
                                    ? format_header_value(*o->add_formats[i], *context) : o->add[i].second);
        }
        break;
      }
  size_t at = 0;
  auto value_at = [&formatted](size_t i, const std::string& written) -> const std::string& {
    return formatted.empty() ? written : formatted[i];
  };
  size_t first_add[2] = {0, 0};  // where each list's adds start in `formatted`
  for (size_t l = 0; l < 2; ++l) {
    const HeaderOps* ops = lists[l];
    if (!ops) continue;
    for (const auto& [name, value] : ops->set) {
      const std::string& v = value_at(at++, value);
      if (!is_internal_name(name) && !v.empty()) headers.set(name, v);
    }
    first_add[l] = at;
    at += ops->add.size();
  }
  for (size_t l = 0; l < 2; ++l) {
    const HeaderOps* ops = lists[l];
    if (!ops) continue;
    at = first_add[l];
    for (const auto& [name, value] : ops->add) {
      const std::string& v = value_at(at++, value);
      if (!is_internal_name(name) && !v.empty()) headers.add(name, v);
    }
  }
  // route.go: the host rewrite is the first list's, the joined one's only if
  // the first has none (processDestination: HostRewriteSpecifier == nil).
  // host_rewrite_literal: never a format.
  if (authority)
    for (const HeaderOps* ops : lists)
      if (const std::string* a = ops ? authority_of(*ops) : nullptr) {
        *authority = *a;
        break;
      }
}

FormatContext format_context(const ClientContext& client, const HttpRequest& request, const Cluster* cluster) {
  FormatContext c;
  c.request = &request;
  if (cluster != nullptr) c.cluster = cluster->name;
  c.protocol = request.protocol;
  c.downstream_ip = client.downstream_ip;
  if (client.endpoint != nullptr) c.hostname = client.endpoint->pod;
  c.start_unix_us = client.start_unix_us;
  return c;
}

std::optional<MatchMiss> match_miss(const CompiledMatch& m, const ClientContext& client, uint32_t port,
                                    const HttpRequest& request) {
  MatchMiss miss;
  if (match_check(m, client, port, request, &miss)) return std::nullopt;
  return miss;
}

std::string_view RouteRef::resource() const { return vs ? std::string_view(vs->label) : gw ? std::string_view(gw->label) : ""; }

std::string_view RouteRef::rule_name() const {
  return vs ? std::string_view(rule->name) : gw ? std::string_view(gw->rule_name) : "";
}

RouteInfo describe(const RouteRef& ref) {
  RouteInfo info;
  info.match_index = ref.match_index;
  info.resource = ref.resource();
  info.rule = ref.rule_name();
  if (ref.vs) {
    info.rule_index = static_cast<int>(ref.rule->index);
    if (ref.match_index >= 0) {
      const CompiledMatch& m = ref.rule->matches[static_cast<size_t>(ref.match_index)];
      info.match = m.spec->name.empty() ? "#" + std::to_string(ref.match_index) : m.spec->name;
    }
  } else if (ref.gw) {
    info.rule_index = static_cast<int>(ref.gw->rule_index);
    info.match = "#" + std::to_string(ref.match_index);
  }
  return info;
}

RouteDecision decide_gateway_route(const RouteTable& table, const GatewayListener& listener, const ClientContext& client,
                                   HttpRequest& request, Random& random) {
  const GatewayVirtualHost* vhost = listener.virtual_host(request.authority);
  if (vhost == nullptr) return no_route();
  if (vhost->require_tls) {
    // Envoy SslRedirector: 301 to https://<Host as sent><path> (createSslRedirectPath).
    RouteDecision d;
    d.kind = RouteDecision::Kind::kLocalReply;
    d.local_reply = local_reply(301);
    d.local_reply->headers.set("location", "https://" + request.authority + request.target);
    return d;
  }
  // A Gateway API listener: HTTPRoute semantics (precedence, filters, 500 for invalid backends).
  if (vhost->gateway_api) return decide_gateway(table, vhost->gateway_api_routes, client, listener.port, request, random);
  for (const GatewayRouteEntry& entry : vhost->routes) {
    const CompiledMatch* m =
        entry.match_index < 0 ? nullptr : &entry.rule->matches[static_cast<size_t>(entry.match_index)];
    if (m != nullptr && !matches(*m, client, entry.server_port, request)) continue;
    // A gateway's clusters include the ServiceEntry hosts exported to its
    // namespace (an egress gateway's route to an external host); no Sidecar
    // resource applies to a gateway (sidecar.proto).
    ClientScope scope;
    scope.ns = client.ns;
    return decide_rule(table, *entry.vs, entry.rule, m, client, entry.server_port, request, random, &scope);
  }
  return no_route();
}

namespace {

// Whether the route configuration of listener `port` has a virtual host
// of `vs` for `v`'s host. route.go buildSidecarVirtualHostsForVirtualService
// groups a VirtualService's registry hosts, Kubernetes Services and
// ServiceEntry hosts alike, by their HTTP or sniffed ports (serviceByPort),
// its other hosts going with each group; httproute.go
// BuildSidecarOutboundVirtualHosts keeps the listener port's group, its
// registry being what declares that port (servicesByName). So:
// - a Kubernetes Service's virtual host is on the ports it declares only;
// - a ServiceEntry host, or one no registry has, is on the ports its
//   ServiceEntry declares, on those another host of the VirtualService
//   declares, and on port 80 always: httproute.go keeps every
//   VirtualService there (selectVirtualServices drops, on other ports,
//   those without a registry host on the port), and route.go puts the
//   hosts of one with no registry host on the port on 80 ("a gross HACK").
// (A Service's name on a port it does not declare is such an other host
// too, but only as written in the VirtualService, its FQDN; meshsim gives
// a Service's name its own virtual host only.)
bool virtual_service_on_port(const RouteTable& table, const CompiledVirtualService& vs, const VirtualHostChoice& v,
                             uint32_t port, const ClientScope& scope) {
  if (v.named != nullptr) return v.named->has_port(port);
  if (port == 80) return true;
  auto entry_declares = [&](std::string_view host) {
    const ServiceEntry* se = table.service_entry_for(host, port, scope);
    if (se == nullptr) return false;
    for (const ServiceEntryPort& p : se->ports)
      if (p.number == port) return protocol_named(p.protocol) != PortProtocol::kTcp;
    return true;  // no ports listed: service_entry_for takes it for any port
  };
  if (entry_declares(v.host_as_written)) return true;
  for (const std::string& host : vs.hosts) {
    if (host == v.host_as_written) continue;
    if (const ServiceInfo* svc = table.service(host)) {
      if (svc->spec == nullptr || !table.service_visible(*svc, scope)) continue;
      for (const ServicePort& p : svc->spec->ports)
        if (p.port == port && port_protocol(p) != PortProtocol::kTcp) return true;
    } else if (entry_declares(host)) {
      return true;
    }
  }
  return false;
}

VirtualHostChoice virtual_host_for(const RouteTable& table, std::string_view authority_host, const ClientScope& scope,
                                   const ClientContext& client, uint32_t port) {
  VirtualHostChoice v;
  std::string_view client_ns = client.ns;
  v.fqdn = client_fqdn(authority_host, client_ns);
  // A VirtualService none of whose rules this client builds a route from
  // (sourceLabels, sourceNamespace, match.port, or a delegating root whose
  // delegates are missing) has no virtual host for it: the next one with
  // the host, else the Service's default route (route.go
  // BuildSidecarVirtualHostWrapper). Worked out once per client, host and
  // port (route_memo.h), not per request.
  const SidecarRouteClient who{client.labels, client_ns, port};
  auto lookup = [&](std::string_view host) {
    return client.gateway ? table.virtual_service_for(host, scope)
                          : table.virtual_service_for(host, scope, who, &v.passed_over);
  };
  v.virtual_service = lookup(v.fqdn);
  bool lower = std::none_of(authority_host.begin(), authority_host.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  v.host_as_written = lower ? std::string(authority_host) : to_lower(authority_host);
  // A rule may name the host as the client wrote it; lowered only when it has capitals.
  if (v.virtual_service == nullptr && v.passed_over == nullptr) v.virtual_service = lookup(v.host_as_written);
  const ServiceInfo* named = table.service(v.fqdn);
  v.named = named && table.service_visible(*named, scope) ? named : nullptr;
  if (v.virtual_service != nullptr) v.on_port = virtual_service_on_port(table, *v.virtual_service, v, port, scope);
  return v;
}

// What decide_route works out from where the client connected, before it
// looks at the request (route_memo.h).
HostRoute resolve_host(const RouteTable& table, const ClientContext& client, std::string_view url_host, uint32_t port) {
  HostRoute h;
  h.url_host = std::string(url_host);
  h.port = port;
  h.scope = table.scope_for(client.ns, client.labels, strip_port(url_host), port);
  // Clusters (CDS) hold what any of the Sidecar's egress listeners imports;
  // only the virtual hosts depend on the listener that caught the connection.
  h.cluster_scope = h.scope;
  h.cluster_scope.port_scoped = false;
  h.pod = table.endpoint_by_ip(strip_port(url_host));
  const std::string url_fqdn = h.pod ? std::string() : client_fqdn(url_host, client.ns);
  h.connected = h.pod ? nullptr : table.service(url_fqdn);
  if (h.pod == nullptr && h.connected == nullptr) h.connected = unique_service_named(table, strip_port(url_host));
  // Where the connection goes when no route claims it (Envoy's original destination).
  h.external = h.pod || h.connected ? nullptr : table.external_endpoint(url_host);
  if (h.pod == nullptr && h.connected == nullptr && h.external == nullptr && !table.is_virtual_service_host(url_fqdn) &&
      !table.is_virtual_service_host(std::string(strip_port(url_host))) &&
      !table.resolvable(url_host, client.ns, h.scope) &&
      !h.scope.at_bind_address) {  // a Sidecar egress listener's bind address (e.g. 127.0.0.1) answers
    h.unresolvable = true;
    return h;
  }
  h.undeclared_port = h.connected != nullptr && !reaches_pods(*h.connected, port);
  if (h.undeclared_port && !table.http_listener_on(port, h.scope)) {
    h.tcp_catch_all = true;
    return h;
  }
  h.connected_visible = h.connected && table.service_visible(*h.connected, h.scope);
  // GAMMA routes attach to the Service the client connects to (ClusterIP matching).
  if (h.connected_visible) h.gateway_matches = table.gateway_matches(h.connected->fqdn, port, client.ns);
  if (h.gateway_matches.empty()) h.same_host = virtual_host_for(table, strip_port(url_host), h.scope, client, port);
  return h;
}

RouteDecision decide_for_host(const RouteTable& table, const ClientContext& client, const HostRoute& h, uint32_t port,
                              HttpRequest& request, Random& random, RouteMemo* memo) {
  RouteDecision d;
  if (h.unresolvable) {
    d.kind = RouteDecision::Kind::kUnresolvable;
    return d;
  }
  if (request.authority.empty()) request.authority = h.url_host;
  if (h.tcp_catch_all) {
    decide_tcp_catch_all(table, h.scope, *h.connected, port, d);
    return d;
  }
  if (!h.gateway_matches.empty()) return decide_gateway(table, h.gateway_matches, client, port, request, random);
  // HTTP is routed by port and Host, not by destination IP (traffic-routing
  // doc): Envoy picks the virtual host of the port's route configuration by
  // :authority, among the hosts this client sees. Usually the Host names
  // where the client connected.
  std::string_view authority_host = strip_port(request.authority);
  VirtualHostChoice other;
  const VirtualHostChoice& vhost = authority_host == strip_port(h.url_host)
                                       ? h.same_host
                                       : (other = virtual_host_for(table, authority_host, h.scope, client, port));
  const Endpoint* original = h.pod ? h.pod : h.external;
  // A VirtualService has virtual hosts only in the route configurations of
  // the ports its Services and ServiceEntries declare (virtual_service_on_port),
  // so on another port it is not there: bar:9999 takes the catch-all below.
  if (vhost.virtual_service != nullptr && vhost.on_port) {
    RouteDecision routed = decide_virtual_service(table, *vhost.virtual_service, client, port, request, random,
                                                  &h.cluster_scope, original, memo);
    routed.passed_over = vhost.passed_over;
    return routed;
  }
  d.passed_over = vhost.passed_over;

  // A ServiceEntry host (a virtual host of its own on the port).
  if (vhost.named == nullptr) {
    if (table.service_entry_for(vhost.host_as_written, port, h.scope) &&
        set_cluster(table, d, client.ns, vhost.host_as_written, port, "", port, 503, &h.cluster_scope, original,
                    request.authority)) {
      d.retry = &istio_default_retry_policy();
      return d;
    }
  }
  // No rule: where the client connected (the Service's ClusterIP; Gateway API
  // MeshFrontendHostname: the Host header does not redirect plain traffic).
  // The port's route configuration has virtual hosts only for the Services
  // that declare the port (httproute.go BuildSidecarOutboundVirtualHosts).
  // A headless Service's name on a port it does not declare reaches the
  // pods (resolve_host), but by the original destination, not a cluster.
  const ServiceInfo* target = h.connected_visible && h.connected->has_port(port) ? h.connected : nullptr;
  if (target == nullptr && vhost.named && vhost.named->has_port(port)) target = vhost.named;
  if (target != nullptr) {
    d.retry = &istio_default_retry_policy();
    if (const Cluster* known = memo ? memo->service_cluster(target, port) : nullptr) {
      d.cluster = known;
      return d;
    }
    set_cluster(table, d, client.ns, target->fqdn, port, "", port, 503);
    if (memo && d.cluster && !d.owned_cluster) memo->add_service_cluster(target, port, d.cluster);
    return d;
  }
  decide_unmatched(table, h.scope, h.pod, h.connected, h.external, port, d);
  return d;
}

}  // namespace

RouteDecision decide_route(const RouteTable& table, const ClientContext& client, std::string_view url_host,
                           uint32_t port, HttpRequest& request, Random& random, RouteMemo* memo) {
  if (memo == nullptr)
    return decide_for_host(table, client, resolve_host(table, client, url_host, port), port, request, random, nullptr);
  const HostRoute* known = memo->host(url_host, port);
  const HostRoute& h = known ? *known : memo->add_host(resolve_host(table, client, url_host, port));
  return decide_for_host(table, client, h, port, request, random, memo);
}

}  // namespace meshsim::proxy
