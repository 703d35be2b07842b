#include "topology/generate.h"

#include <algorithm>
#include <vector>

#include "sim/random.h"

namespace meshsim::topology {

std::optional<Shape> shape_from_name(std::string_view name) {
  if (name == "tree") return Shape::kTree;
  if (name == "chain") return Shape::kChain;
  if (name == "random") return Shape::kRandom;
  return std::nullopt;
}

std::string generated_service_name(int index) { return "svc-" + std::to_string(index); }

namespace {

// children[i]: the services i calls, in call order.
std::vector<std::vector<int>> edges(const GenerateOptions& o) {
  std::vector<std::vector<int>> children(static_cast<size_t>(o.services));
  switch (o.shape) {
    case Shape::kTree:
      for (int i = 1; i < o.services; ++i) children[static_cast<size_t>((i - 1) / o.fanout)].push_back(i);
      break;
    case Shape::kChain:
      for (int i = 1; i < o.services; ++i) children[static_cast<size_t>(i - 1)].push_back(i);
      break;
    case Shape::kRandom: {
      // Every service but the root gets one caller among the earlier ones
      // (so all are reachable and there is no cycle); a quarter get a second.
      auto random = sim::SplitMix64::fork(o.seed, "generate.random");
      auto has_room = [&](int p) { return static_cast<int>(children[static_cast<size_t>(p)].size()) < o.fanout; };
      for (int i = 1; i < o.services; ++i) {
        int parent = static_cast<int>(random.below(static_cast<uint64_t>(i)));
        // A full parent hands the child to the next one with room; the
        // previous service always has room for its successor's first caller.
        for (int tries = 0; !has_room(parent) && tries < i; ++tries) parent = (parent + 1) % i;
        children[static_cast<size_t>(parent)].push_back(i);
        if (i >= 2 && random.below(4) == 0) {
          int second = static_cast<int>(random.below(static_cast<uint64_t>(i)));
          auto& c = children[static_cast<size_t>(second)];
          if (second != parent && has_room(second) && std::find(c.begin(), c.end(), i) == c.end()) c.push_back(i);
        }
      }
      break;
    }
  }
  return children;
}

}  // namespace

std::optional<ServiceGraph> generate_graph(const GenerateOptions& o, std::string* error) {
  if (o.services < 1 || o.services > kMaxServices) {
    *error = "--services must be between 1 and " + std::to_string(kMaxServices);
    return std::nullopt;
  }
  if (o.fanout < 1 || o.fanout > 100) {
    *error = "--fanout must be between 1 and 100";
    return std::nullopt;
  }
  auto children = edges(o);
  ServiceGraph g;
  g.name = std::string(o.shape == Shape::kTree ? "tree" : o.shape == Shape::kChain ? "chain" : "random") + "-" +
           std::to_string(o.services);
  for (int i = 0; i < o.services; ++i) {
    GraphService s;
    s.name = generated_service_name(i);
    s.entrypoint = i == 0;
    const auto& callees = children[static_cast<size_t>(i)];
    if (o.shape == Shape::kTree && callees.size() > 1) {
      GraphStep group;  // isotope's tree: children called concurrently
      for (int c : callees) group.calls.push_back({generated_service_name(c), 0});
      s.script.push_back(std::move(group));
    } else {
      for (int c : callees) s.script.push_back({{{generated_service_name(c), 0}}, Duration(0)});
    }
    g.services.push_back(std::move(s));
  }
  return g;
}

}  // namespace meshsim::topology
