// Kinds meshsim recognises but does not simulate, and whether ignoring them
// can change what traffic does. `validate` says so for each document (a
// Warning when traffic may differ, an Info otherwise) and `run` names them
// in one line, so nobody mistakes silence for agreement. A kind the loader
// models is never looked up here: adding a kind to the loader is enough.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"

namespace meshsim::config {

struct UnmodeledKind {
  std::string_view group;  // "" for the core group
  std::string_view kind;
  bool changes_traffic = false;
  std::string_view effect;  // what the cluster would do with it, in a few words
};

// The entry for `group`/`kind`, or nullopt for a kind meshsim knows nothing of.
std::optional<UnmodeledKind> find_unmodeled_kind(std::string_view group, std::string_view kind);

// The code of every "not simulated" finding (the loader's skipped kinds).
inline constexpr std::string_view kNotSimulatedCode = "MSH0004";

// "not simulated (ignored): EnvoyFilter default/x, WasmPlugin default/y",
// or empty when the diagnostics name no skipped document.
std::string not_simulated_summary(const std::vector<Diagnostic>& diagnostics);

}  // namespace meshsim::config
