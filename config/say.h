// Plain-word mesh commands, as the talk spoke them to an assistant ("deny
// access to the bar service", "route mobile traffic to bar v2"): each
// understood sentence becomes a short reply in the assistant's style and
// the exact Istio YAML applied (or the resources deleted). A sentence that
// is not understood changes nothing and gets the closest supported phrasings;
// one understood but not possible (unknown or ambiguous service, a missing
// or contradictory slot) changes nothing and says why.
// Offline, no model: say_lexer (tokens and number slots) → say_parser with
// say_words and say_slots (intent, services, conditions, shares) →
// say_yaml (the resources); say_mesh names what the mesh has.
#pragma once

#include <string>
#include <vector>

#include "proxy_core/resources.h"
#include "sim/scenario.h"

namespace meshsim::config {

struct SayResult {
  bool understood = false;
  std::string reply;                      // "Traffic from mobile clients will be routed to bar version v2"
  std::string yaml;                       // what is applied (kubectl apply -f -), empty if nothing
  std::vector<std::string> delete_keys;   // "Kind/namespace/name" removed
  std::vector<std::string> suggestions;   // closest supported phrasings when not understood
};

// `mesh` and `behaviors` let the interpreter name the callers of a service
// ("deny access to the bar service" with no "from": bar's callers).
SayResult interpret_say(const std::string& sentence, const proxy::Resources& mesh,
                        const std::vector<sim::BehaviorRule>& behaviors, const std::string& ns = "default");

// The phrasings meshsim understands, for help texts.
const std::vector<std::string>& say_phrasings();

}  // namespace meshsim::config
