// Synthetic topologies for `meshsim generate`: a tree (every service calls
// its `fanout` children concurrently, as isotope's create_tree_topology.py
// builds them), a chain (each service calls the next), or a random DAG
// (each service gets a parent among the earlier ones, and sometimes a second
// caller). Deterministic: the same options give the same graph.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "topology/service_graph.h"

namespace meshsim::topology {

enum class Shape { kTree, kChain, kRandom };

struct GenerateOptions {
  Shape shape = Shape::kTree;
  int services = 10;  // 1 .. kMaxServices
  int fanout = 3;     // tree: children per service; random: at most this many callees per service
  uint64_t seed = 1;  // random: which DAG
};

// A limit so a typo (--services 1000000) is an error, not an hour of YAML.
inline constexpr int kMaxServices = 20'000;

std::optional<Shape> shape_from_name(std::string_view name);

// The graph, or nullopt with `error` set (out-of-range sizes).
std::optional<ServiceGraph> generate_graph(const GenerateOptions& options, std::string* error);

// Service i's name: "svc-0", "svc-1", ...
std::string generated_service_name(int index);

}  // namespace meshsim::topology
