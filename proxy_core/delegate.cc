// Istio's merge (pilot/pkg/model/virtualservice.go mergeVirtualServicesIfNeeded,
// mergeHTTPRoutes, mergeHTTPRoute, mergeHTTPMatchRequests, hasConflict,
// stringMatchConflict): each delegate route keeps its own fields and takes
// the root's where it has none; its matches must each lie inside one of the
// root's, or the delegate route is dropped.
#include "proxy_core/delegate.h"

#include <algorithm>

#include "proxy_core/hosts.h"
#include "proxy_core/route_table.h"

namespace meshsim::proxy {
namespace {

bool string_match_conflict(const std::optional<StringMatch>& root, const std::optional<StringMatch>& leaf) {
  if (!root || !leaf) return false;
  using K = StringMatch::Kind;
  if (root->kind == K::kRegex || leaf->kind == K::kRegex) return true;  // regex on either side: conflict
  if (root->kind == K::kExact) return leaf->kind != K::kExact || leaf->value != root->value;
  if (root->kind == K::kPrefix) return !leaf->value.starts_with(root->value);  // leaf prefix or exact
  return true;
}

bool map_conflict(const std::map<std::string, StringMatch>& root, const std::map<std::string, StringMatch>& leaf) {
  for (const auto& [key, m] : leaf) {
    auto it = root.find(key);
    if (it != root.end() && string_match_conflict(it->second, m)) return true;
  }
  return false;
}

bool has_conflict(const HTTPMatchRequest& root, const HTTPMatchRequest& leaf) {
  if (string_match_conflict(root.uri, leaf.uri) || string_match_conflict(root.scheme, leaf.scheme) ||
      string_match_conflict(root.method, leaf.method) || string_match_conflict(root.authority, leaf.authority))
    return true;
  if (map_conflict(root.headers, leaf.headers) || map_conflict(root.without_headers, leaf.without_headers) ||
      map_conflict(root.query_params, leaf.query_params))
    return true;
  if (root.ignore_uri_case != leaf.ignore_uri_case) return true;
  if (root.port && leaf.port && *root.port != *leaf.port) return true;
  if (!root.source_namespace.empty() && leaf.source_namespace != root.source_namespace) return true;
  for (const auto& [k, v] : leaf.source_labels)
    if (auto it = root.source_labels.find(k); it != root.source_labels.end() && it->second != v) return true;
  if (!root.gateways.empty() && !leaf.gateways.empty()) {
    if (root.gateways.size() < leaf.gateways.size()) return true;
    for (const auto& g : leaf.gateways)
      if (std::find(root.gateways.begin(), root.gateways.end(), g) == root.gateways.end()) return true;
  }
  return false;
}

template <typename Map>
Map merge_copy(const Map& root, const Map& leaf) {
  Map out = root;
  for (const auto& [k, v] : leaf) out[k] = v;
  return out;
}

HTTPMatchRequest merge_match(const HTTPMatchRequest& root, const HTTPMatchRequest& leaf) {
  HTTPMatchRequest out = leaf;
  if (out.name.empty()) out.name = root.name;
  else if (!root.name.empty()) out.name = root.name + "-" + out.name;
  if (!out.uri) out.uri = root.uri;
  if (!out.scheme) out.scheme = root.scheme;
  if (!out.method) out.method = root.method;
  if (!out.authority) out.authority = root.authority;
  out.headers = merge_copy(root.headers, leaf.headers);
  out.without_headers = merge_copy(root.without_headers, leaf.without_headers);
  out.query_params = merge_copy(root.query_params, leaf.query_params);
  if (!out.port) out.port = root.port;
  out.source_labels = merge_copy(root.source_labels, leaf.source_labels);
  if (out.source_namespace.empty()) out.source_namespace = root.source_namespace;
  if (out.gateways.empty()) out.gateways = root.gateways;
  if (out.stat_prefix.empty()) out.stat_prefix = root.stat_prefix;
  return out;
}

// Empty with `conflict` set when a delegate match lies inside no root match.
std::vector<HTTPMatchRequest> merge_matches(const std::vector<HTTPMatchRequest>& root,
                                            const std::vector<HTTPMatchRequest>& leaf, bool* conflict) {
  *conflict = false;
  if (root.empty()) return leaf;
  if (leaf.empty()) return root;
  std::vector<HTTPMatchRequest> out;
  for (const auto& sub : leaf) {
    bool found = false;
    for (const auto& r : root) {
      if (has_conflict(r, sub)) continue;
      out.push_back(merge_match(r, sub));
      found = true;
    }
    if (!found) {
      *conflict = true;
      return {};
    }
  }
  return out;
}

std::optional<HTTPRoute> merge_route(const HTTPRoute& root, HTTPRoute leaf) {
  bool conflict = false;
  leaf.match = merge_matches(root.match, leaf.match, &conflict);
  if (conflict) return std::nullopt;
  if (leaf.name.empty()) leaf.name = root.name;
  else if (!root.name.empty()) leaf.name = root.name + "-" + leaf.name;
  if (!leaf.rewrite) leaf.rewrite = root.rewrite;
  if (!leaf.direct_response) leaf.direct_response = root.direct_response;
  if (!leaf.timeout) leaf.timeout = root.timeout;
  if (!leaf.retries) leaf.retries = root.retries;
  if (!leaf.fault) leaf.fault = root.fault;
  if (!leaf.mirror) leaf.mirror = root.mirror;
  if (!leaf.mirror_percent) leaf.mirror_percent = root.mirror_percent;
  if (!leaf.mirror_percentage) leaf.mirror_percentage = root.mirror_percentage;
  if (!leaf.cors_policy) leaf.cors_policy = root.cors_policy;
  if (leaf.mirrors.empty()) leaf.mirrors = root.mirrors;
  bool no_headers = leaf.headers.request.empty() && leaf.headers.response.empty();
  if (no_headers) leaf.headers = root.headers;
  return leaf;
}

// Short names in a delegate are its own namespace's (resolveVirtualServiceShortnames runs per VirtualService).
void qualify_hosts(HTTPRoute& route, const std::string& ns) {
  for (auto& d : route.route) d.destination.host = resolve_short_name(d.destination.host, ns);
  if (route.mirror) route.mirror->host = resolve_short_name(route.mirror->host, ns);
  for (auto& m : route.mirrors) m.destination.host = resolve_short_name(m.destination.host, ns);
}

}  // namespace

void merge_delegate_virtual_services(Resources& resources) {
  const auto& all = resources.virtual_services;
  auto find_delegate = [&](const DelegateRef& ref, const std::string& root_ns) -> const VirtualService* {
    const std::string& ns = ref.ns.empty() ? root_ns : ref.ns;
    for (const auto& vs : all)
      if (vs.header.meta.name == ref.name && vs.header.meta.ns == ns && vs.hosts.empty()) return &vs;
    return nullptr;
  };
  std::vector<std::vector<HTTPRoute>> merged(all.size());
  std::vector<bool> is_root(all.size(), false);
  for (size_t i = 0; i < all.size(); ++i) {
    const VirtualService& vs = all[i];
    for (const HTTPRoute& route : vs.http) {
      if (!route.delegate) {
        merged[i].push_back(route);
        continue;
      }
      is_root[i] = true;
      const VirtualService* delegate = find_delegate(*route.delegate, vs.header.meta.ns);
      // A missing delegate, or one not exported to the root's namespace, adds no routes.
      if (delegate == nullptr || !exported_to(delegate->export_to, delegate->header.meta.ns, vs.header.meta.ns)) continue;
      HTTPRoute root = route;
      root.delegate.reset();
      for (HTTPRoute sub : delegate->http) {
        if (sub.delegate) continue;  // only one level of delegation
        qualify_hosts(sub, delegate->header.meta.ns);
        if (auto m = merge_route(root, std::move(sub))) merged[i].push_back(std::move(*m));
      }
    }
  }
  for (size_t i = 0; i < all.size(); ++i)
    if (is_root[i]) resources.virtual_services[i].http = std::move(merged[i]);
}

}  // namespace meshsim::proxy
