#include "proxy_core/resources.h"

#include <algorithm>

namespace meshsim::proxy {

namespace {

template <typename T>
void apply_one(std::vector<T>& into, const T& r) {
  auto it = std::find_if(into.begin(), into.end(), [&](const T& e) {
    return e.header.meta.name == r.header.meta.name && e.header.meta.ns == r.header.meta.ns;
  });
  if (it == into.end()) into.push_back(r);
  else *it = r;
}

template <typename T>
bool erase_one(std::vector<T>& from, const std::string& ns, const std::string& name) {
  auto before = from.size();
  std::erase_if(from, [&](const T& e) { return e.header.meta.name == name && e.header.meta.ns == ns; });
  return from.size() != before;
}

}  // namespace

void apply_resources(Resources& base, const Resources& delta) {
  for (const auto& r : delta.namespaces) apply_one(base.namespaces, r);
  for (const auto& r : delta.deployments) apply_one(base.deployments, r);
  for (const auto& r : delta.services) apply_one(base.services, r);
  for (const auto& r : delta.virtual_services) apply_one(base.virtual_services, r);
  for (const auto& r : delta.destination_rules) apply_one(base.destination_rules, r);
  for (const auto& r : delta.authorization_policies) apply_one(base.authorization_policies, r);
  for (const auto& r : delta.peer_authentications) apply_one(base.peer_authentications, r);
  for (const auto& r : delta.http_routes) apply_one(base.http_routes, r);
  for (const auto& r : delta.request_authentications) apply_one(base.request_authentications, r);
  for (const auto& r : delta.gateways) apply_one(base.gateways, r);
  for (const auto& r : delta.service_entries) apply_one(base.service_entries, r);
  for (const auto& r : delta.sidecars) apply_one(base.sidecars, r);
  for (const auto& r : delta.mesh_configs) apply_one(base.mesh_configs, r);
  for (const auto& r : delta.k8s_gateways) apply_one(base.k8s_gateways, r);
  for (const auto& r : delta.reference_grants) apply_one(base.reference_grants, r);
  for (const auto& r : delta.external_hosts)
    if (std::none_of(base.external_hosts.begin(), base.external_hosts.end(), [&](const auto& e) { return e.name == r.name; }))
      base.external_hosts.push_back(r);
}

const MeshConfig& mesh_config(const Resources& resources) {
  static const MeshConfig defaults;
  return resources.mesh_configs.empty() ? defaults : resources.mesh_configs.back().mesh;
}

std::vector<const ResourceHeader*> resource_headers(const Resources& resources) {
  std::vector<const ResourceHeader*> out;
  auto add = [&](const auto& list) {
    for (const auto& r : list) out.push_back(&r.header);
  };
  add(resources.namespaces);
  add(resources.deployments);
  add(resources.services);
  add(resources.virtual_services);
  add(resources.destination_rules);
  add(resources.authorization_policies);
  add(resources.peer_authentications);
  add(resources.http_routes);
  add(resources.request_authentications);
  add(resources.gateways);
  add(resources.service_entries);
  add(resources.sidecars);
  add(resources.mesh_configs);
  add(resources.k8s_gateways);
  add(resources.reference_grants);
  return out;
}

bool delete_resource(Resources& base, const std::string& key) {
  auto first = key.find('/'), second = key.rfind('/');
  if (first == std::string::npos || first == second) return false;
  std::string kind = key.substr(0, first), ns = key.substr(first + 1, second - first - 1), name = key.substr(second + 1);
  if (kind == "Namespace") return erase_one(base.namespaces, ns, name);
  if (kind == "Deployment") return erase_one(base.deployments, ns, name);
  if (kind == "Service") return erase_one(base.services, ns, name);
  if (kind == "VirtualService") return erase_one(base.virtual_services, ns, name);
  if (kind == "DestinationRule") return erase_one(base.destination_rules, ns, name);
  if (kind == "AuthorizationPolicy") return erase_one(base.authorization_policies, ns, name);
  if (kind == "PeerAuthentication") return erase_one(base.peer_authentications, ns, name);
  if (kind == "HTTPRoute") return erase_one(base.http_routes, ns, name);
  if (kind == "RequestAuthentication") return erase_one(base.request_authentications, ns, name);
  if (kind == "Gateway") {
    // Istio's Gateway and the Gateway API's share the kind: delete both (no short-circuit).
    const bool istio = erase_one(base.gateways, ns, name);
    const bool gateway_api = erase_one(base.k8s_gateways, ns, name);
    return istio || gateway_api;
  }
  if (kind == "ReferenceGrant") return erase_one(base.reference_grants, ns, name);
  if (kind == "ServiceEntry") return erase_one(base.service_entries, ns, name);
  if (kind == "Sidecar") return erase_one(base.sidecars, ns, name);
  if (kind == "ConfigMap") return erase_one(base.mesh_configs, ns, name);
  return false;
}


struct FieldPositions::Table {
  struct Entry {
    uint32_t path_offset, path_size;
    uint32_t file;  // index into files
    int line, column;
  };
  std::string paths;               // every path, back to back
  std::vector<std::string> files;  // usually one: the resource's file
  std::vector<Entry> entries;      // in the order recorded

  std::string_view path(const Entry& e) const { return std::string_view(paths).substr(e.path_offset, e.path_size); }
  const Entry* find(std::string_view p) const {
    for (const Entry& e : entries)
      if (path(e) == p) return &e;
    return nullptr;
  }
  uint32_t file_index(const std::string& file) {
    for (size_t i = files.size(); i-- > 0;)
      if (files[i] == file) return static_cast<uint32_t>(i);
    files.push_back(file);
    return static_cast<uint32_t>(files.size() - 1);
  }
};

FieldPositions::Table& FieldPositions::writable() {
  if (!table_) table_ = std::make_shared<Table>();
  else if (table_.use_count() > 1) table_ = std::make_shared<Table>(*table_);
  return const_cast<Table&>(*table_);  // ours alone: created or copied just above
}

SourcePos FieldPositions::at(const std::string& path) const {
  if (!table_) return {};
  auto found = [&](const Table::Entry& e) { return SourcePos{table_->files[e.file], e.line, e.column}; };
  std::string_view p = path;
  while (true) {
    if (const auto* e = table_->find(p)) return found(*e);
    auto cut = p.find_last_of(".[");
    if (cut == std::string_view::npos || cut == 0) break;
    p = p.substr(0, cut);
  }
  if (const auto* e = table_->find("")) return found(*e);
  return {};
}

bool FieldPositions::has(std::string_view path) const { return table_ && table_->find(path) != nullptr; }

size_t FieldPositions::size() const { return table_ ? table_->entries.size() : 0; }

void FieldPositions::record(std::string_view path, const std::string& file, int line, int column) {
  // Lookups take a path's first entry, so a later record of the same path is
  // never seen; the common one (a list item, then its fields) is not stored.
  // Not searched for in full: that would be quadratic in a document's fields.
  if (table_ && !table_->entries.empty() && table_->path(table_->entries.back()) == path) return;
  Table& t = writable();
  uint32_t offset = static_cast<uint32_t>(t.paths.size());
  t.paths.append(path);
  t.entries.push_back({offset, static_cast<uint32_t>(path.size()), t.file_index(file), line, column});
}

void FieldPositions::set(std::string_view path, const SourcePos& pos) {
  Table& t = writable();
  for (Table::Entry& e : t.entries)
    if (t.path(e) == path) {
      e.file = t.file_index(pos.file);
      e.line = pos.line;
      e.column = pos.column;
      return;
    }
  uint32_t offset = static_cast<uint32_t>(t.paths.size());
  t.paths.append(path);
  t.entries.push_back({offset, static_cast<uint32_t>(path.size()), t.file_index(pos.file), pos.line, pos.column});
}

}  // namespace meshsim::proxy
