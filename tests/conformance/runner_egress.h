// Corpus keys of the egress and scoping files (../shared/conformance/README.md):
// case-level `meshConfig`, workloads with `external: true` (hosts, port) or
// `sidecar: false`, and the expectation `no_response`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "sim/world.h"

namespace meshsim::conformance {

// The namespace a workload's pod lives in: none for an endpoint outside the cluster.
std::string workload_namespace(const nlohmann::json& workload);
bool is_external(const nlohmann::json& workload);
// The `istio` ConfigMap (key `mesh`) a case's `meshConfig` stands for, as a
// source applied before the case's config; nothing without the key.
std::vector<config::SourceText> mesh_config_sources(const nlohmann::json& test_case);
// External endpoints of `external: true` workloads.
void add_external_hosts(const nlohmann::json& workloads, proxy::Resources& resources);
// `sidecar: false` pods.
void apply_sidecar_keys(const nlohmann::json& workloads, sim::World& world);
// `no_response: true`: the client got no HTTP response at all.
void check_no_response(const nlohmann::json& expect, const sim::CallResult& call, std::vector<std::string>& failures,
                       const std::string& where);

}  // namespace meshsim::conformance
