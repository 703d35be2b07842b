// istioctl analyze's ServiceEntry checks (istio/istio
// pkg/config/analysis/analyzers/serviceentry/; codes and texts from
// pkg/config/analysis/msg/messages.yaml):
// IST0134 ServiceEntryAddressesRequired (protocoladdresses.go): a port whose
//   protocol is TCP or unset, on a ServiceEntry without addresses, unless
//   the mesh config has DNS capture with address auto-allocation. One
//   message per such port, at the port's name.
// IST0177 ConflictingServiceEntryProtocol (conflictingserviceentries.go): two
//   ServiceEntries visible in one scope (exportTo) declare the same host and
//   port with different protocols (compared upper-cased); each ServiceEntry
//   is reported once, at its metadata.name.
#include "config/analyzer_service_entry.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "proxy_core/http.h"

namespace meshsim::config {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return s;
}

std::string subject(const proxy::ResourceHeader& h) { return h.kind + " " + h.meta.ns + "/" + h.meta.name; }

// conflictingserviceentries.go exportToScopes: "*" (or nothing) is every
// namespace, "." the ServiceEntry's own.
std::set<std::string> export_scopes(const proxy::ServiceEntry& se) {
  if (se.export_to.empty() || std::find(se.export_to.begin(), se.export_to.end(), "*") != se.export_to.end())
    return {"*"};
  std::set<std::string> out;
  for (const auto& e : se.export_to) out.insert(e == "." ? se.header.meta.ns : e);
  return out;
}

void addresses_required(const proxy::Resources& r, std::vector<Diagnostic>& out) {
  if (proxy::mesh_config(r).dns_auto_allocate) return;
  for (const auto& se : r.service_entries) {
    if (!se.addresses.empty()) continue;
    for (size_t i = 0; i < se.ports.size(); ++i) {
      if (!se.ports[i].protocol.empty() && proxy::to_lower(se.ports[i].protocol) != "tcp") continue;
      std::string at = fmt::format("spec.ports[{}].name", i);
      if (!se.header.fields.has(at)) at = fmt::format("spec.ports[{}]", i);
      out.push_back({Severity::kWarning, "IST0134", subject(se.header), se.header.fields.at(at),
                     "ServiceEntry addresses are required for this protocol."});
    }
  }
}

void conflicting_protocols(const proxy::Resources& r, std::vector<Diagnostic>& out) {
  struct Entry {
    std::string protocol;
    const proxy::ServiceEntry* se;
  };
  std::map<std::tuple<std::string, std::string, uint32_t>, std::vector<Entry>> index;  // (scope, host, port)
  for (const auto& se : r.service_entries)
    for (const auto& scope : export_scopes(se))
      for (const auto& host : se.hosts)
        for (const auto& port : se.ports) index[{scope, host, port.number}].push_back({port.protocol, &se});
  std::set<const proxy::ServiceEntry*> reported;
  for (const auto& [key, own] : index) {
    std::vector<Entry> entries = own;
    const auto& [scope, host, port] = key;
    if (scope != "*")  // a namespace also sees what is exported everywhere
      if (auto all = index.find({"*", host, port}); all != index.end())
        entries.insert(entries.end(), all->second.begin(), all->second.end());
    std::set<std::string> protocols;
    for (const auto& e : entries) protocols.insert(upper(e.protocol));
    if (protocols.size() < 2) continue;
    std::set<std::string> names;
    for (const auto& e : entries) names.insert(e.se->header.meta.ns + "/" + e.se->header.meta.name);
    std::string message = fmt::format(
        "Multiple ServiceEntries ({}) define the same host \"{}\" and port {} with conflicting protocols ({}).",
        fmt::join(names, ", "), host, port, fmt::join(protocols, ", "));
    for (const auto& e : entries)
      if (reported.insert(e.se).second)
        out.push_back({Severity::kWarning, "IST0177", subject(e.se->header), e.se->header.fields.at("metadata.name"),
                       message});
  }
}

}  // namespace

void analyze_service_entries(const proxy::Resources& r, std::vector<Diagnostic>& out) {
  addresses_required(r, out);
  conflicting_protocols(r, out);
}

}  // namespace meshsim::config
