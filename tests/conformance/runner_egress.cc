#include "tests/conformance/runner_egress.h"

namespace meshsim::conformance {

using nlohmann::json;

bool is_external(const json& w) { return w.value("external", false); }

std::string workload_namespace(const json& w) {
  if (is_external(w)) return "";
  auto it = w.find("namespace");
  return it == w.end() || it->is_null() ? "default" : it->get<std::string>();
}

std::vector<config::SourceText> mesh_config_sources(const json& c) {
  auto it = c.find("meshConfig");
  if (it == c.end() || it->is_null()) return {};
  // JSON is YAML: the ConfigMap as Istio reads it, its `mesh` key the YAML text.
  json doc = {{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", "istio"}, {"namespace", "istio-system"}}},
              {"data", {{"mesh", it->dump()}}}};
  return {{"meshConfig", doc.dump()}};
}

void add_external_hosts(const json& workloads, proxy::Resources& resources) {
  for (const json& w : workloads) {
    if (!is_external(w)) continue;
    proxy::ExternalHost ext;
    ext.name = w.at("name");
    for (const json& h : w.value("hosts", json::array())) ext.hosts.push_back(h.get<std::string>());
    ext.port = w.value("port", 80u);
    resources.external_hosts.push_back(std::move(ext));
  }
}

void apply_sidecar_keys(const json& workloads, sim::World& world) {
  for (const json& w : workloads)
    if (!is_external(w) && w.contains("sidecar") && w["sidecar"].is_boolean() && !w["sidecar"].get<bool>())
      world.set_sidecar(workload_namespace(w), w.at("name"), false);
}

void check_no_response(const json& expect, const sim::CallResult& call, std::vector<std::string>& failures,
                       const std::string& where) {
  if (!expect.value("no_response", false)) return;
  if (call.outbound.response)
    failures.push_back(where + "expected no response, got status " + std::to_string(call.outbound.response->status));
}

}  // namespace meshsim::conformance
