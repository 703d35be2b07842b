// Gateway API GRPCRoute (v1), after gateway-api apis/v1/grpcroute_types.go,
// converted the way Istio converts it (pilot/pkg/config/kube/gateway
// conversion.go createGRPCURIMatch) into the HTTPRoute form the route table
// compiles: a method match becomes a path match on /<service>/<method>
// (service and method: Exact; service only: prefix /<service>/; method only:
// regex /[^/]+/<method>; RegularExpression: /<service>/<method>, /<service>/.+
// or /[^/]+/<method>), header matches stay header matches; a match
// without `method` has no path match (createGRPCURIMatch returns nil), so it
// ranks after every method match (route_table.cc gw_precedes). Precedence is
// then HTTPRoute's (exact path, longest path, headers; fact 79). Only Service
// parents (GAMMA) are routed, as for HTTPRoute.
#include "config/parse.h"

namespace meshsim::config {

namespace {

// conversion.go: RegularExpression method matches are regexes on each
// part: a missing service is /[^/]+/, a missing method .+ (the regex's
// length ranks it among regex matches: sortHTTPRoutes getURILength).
proxy::GwRouteMatch method_as_path(const std::string& type, const std::string& service, const std::string& method) {
  proxy::GwRouteMatch m;
  if (type == "RegularExpression") {
    m.path_type = "RegularExpression";
    m.path_value = "/" + (service.empty() ? std::string("[^/]+") : service) + "/" +
                   (method.empty() ? std::string(".+") : method);
  } else if (!service.empty() && !method.empty()) {
    m.path_type = "Exact";
    m.path_value = "/" + service + "/" + method;
  } else if (!service.empty()) {
    m.path_type = "PathPrefix";
    m.path_value = "/" + service + "/";
  } else if (!method.empty()) {
    m.path_type = "RegularExpression";
    m.path_value = "/[^/]+/" + method;
  }
  return m;
}

}  // namespace

void parse_grpc_route(YamlReader& r, const yaml::Node& spec, proxy::GwHTTPRoute& out) {
  if (!r.fields(spec, "spec", {"parentRefs", "hostnames", "rules"})) return;
  parse_gw_parent_refs(r, spec, out);
  out.hostnames = r.str_list(spec["hostnames"], "spec.hostnames");
  r.list(spec["rules"], "spec.rules", [&](const yaml::Node& n, const std::string& p) {
    if (!r.fields(n, p, {"name", "matches", "filters", "backendRefs", "sessionPersistence"})) return;
    proxy::GwRouteRule rule;
    rule.path = p;
    rule.name = r.str(n["name"], child(p, "name")).value_or("");
    r.list(n["matches"], child(p, "matches"), [&](const yaml::Node& m, const std::string& mp) {
      if (!r.fields(m, mp, {"method", "headers"})) return;
      proxy::GwRouteMatch match;
      match.path_type.clear();  // no method: no path match
      if (auto method = m["method"]; method && r.fields(method, child(mp, "method"), {"type", "service", "method"})) {
        std::string type =
            r.enumeration(method["type"], child(mp, "method.type"), {"Exact", "RegularExpression"}).value_or("Exact");
        std::string service = r.str(method["service"], child(mp, "method.service")).value_or("");
        std::string name = r.str(method["method"], child(mp, "method.method")).value_or("");
        if (service.empty() && name.empty()) r.error(method, child(mp, "method"), "one of service or method is required");
        match = method_as_path(type, service, name);
      }
      match.headers = parse_gw_header_matches(r, m["headers"], child(mp, "headers"));
      rule.matches.push_back(match);
    });
    rule.filters = parse_gw_filters(r, n["filters"], child(p, "filters"), GwRouteKind::kGRPCRoute);
    r.list(n["backendRefs"], child(p, "backendRefs"), [&](const yaml::Node& b, const std::string& bp) {
      if (!r.fields(b, bp, {"group", "kind", "name", "namespace", "port", "weight", "filters"})) return;
      proxy::GwBackendRefWithFilters ref;
      parse_gw_backend_ref(r, b, bp, ref);
      ref.filters = parse_gw_filters(r, b["filters"], child(bp, "filters"), GwRouteKind::kGRPCRoute);
      rule.backend_refs.push_back(ref);
    });
    out.rules.push_back(std::move(rule));
  });
}

}  // namespace meshsim::config
