// `meshsim say`: what the sentence's words can name in the loaded mesh —
// services, their versions, their callers, their service accounts — and
// the answers to the talk's two questions (topology, route).
#pragma once

#include <string>
#include <vector>

#include "proxy_core/resources.h"
#include "sim/scenario.h"

namespace meshsim::config {

// Service names the mesh knows (Services, Deployments' app labels and names,
// VirtualService and DestinationRule hosts, short names), sorted. Empty for
// an empty mesh: then any name-shaped word is taken as a service.
std::vector<std::string> say_known_services(const proxy::Resources& mesh);

// Versions of `service` (its Deployments' version labels and its
// DestinationRules' subset names), sorted; empty when the mesh does not say.
std::vector<std::string> say_versions_of(const std::string& service, const proxy::Resources& mesh);

// Apps whose Behavior calls `service`.
std::vector<std::string> say_callers_of(const std::string& service, const proxy::Resources& mesh,
                                        const std::vector<sim::BehaviorRule>& behaviors);

std::string say_service_account_of(const proxy::Resources& mesh, const std::string& app, const std::string& ns);

// The known name closest to `word` when it is a plausible typo (at most a
// third of its letters wrong, at least one), else "".
std::string say_nearest_name(const std::string& word, const std::vector<std::string>& known);

// "get the bar route": the VirtualService rules for a service, in order.
std::string say_describe_route(const std::string& svc, const proxy::Resources& mesh);

// "get the frontend topology": versions deployed, what its behaviour calls,
// who calls it (from the Behaviors; `meshsim serve` has traffic too).
std::string say_describe_topology(const std::string& svc, const proxy::Resources& mesh,
                                  const std::vector<sim::BehaviorRule>& behaviors);

}  // namespace meshsim::config
