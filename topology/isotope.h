// Reads istio/tools isotope's service-graph YAML (kind MockServiceGraph; the
// schema of isotope/README.md and isotope/convert/pkg/graph) into a
// ServiceGraph: `defaults` (README spells it `default`; both are read) for
// type, numReplicas, errorRate, requestSize, responseSize and script;
// per service name, type, numReplicas, isEntrypoint, errorRate,
// responseSize, script. A script step is `call: NAME`, `call: {service,
// size}`, `sleep: DURATION`, or a list of those run concurrently (one level).
// Sizes as docker/go-units RAMInBytes reads them (1024-based: "1 KB",
// "16KiB", "10k"); error rates as "0.01%" or a number in [0, 1].
// Every problem is a Diagnostic with file:line:column, never an exception.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "topology/service_graph.h"

namespace meshsim::topology {

struct IsotopeLoad {
  std::optional<ServiceGraph> graph;  // empty when there were errors
  std::vector<config::Diagnostic> diagnostics;
};

// `file` names the text in diagnostics.
IsotopeLoad read_isotope(const std::string& text, const std::string& file);

// "16 KiB" -> 16384 (RAMInBytes' grammar); nullopt if malformed.
std::optional<size_t> parse_byte_size(const std::string& text);

}  // namespace meshsim::topology
