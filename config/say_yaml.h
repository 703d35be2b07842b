// `meshsim say`, step 3: the Istio YAML an understood request stands for,
// in the layout `say` has always printed (VirtualService, DestinationRule,
// AuthorizationPolicy; networking.istio.io/v1, security.istio.io/v1).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/say_request.h"
#include "proxy_core/resources.h"

namespace meshsim::config {

// One `http:` rule of a VirtualService.
struct SayHttpRule {
  std::optional<SayMatch> match;
  std::string caller;                   // sourceLabels app
  std::string fault;                    // "delay" or "abort", with fault_setting and fault_percent
  std::string fault_setting;            // "fixedDelay: 2s", "httpStatus: 503"
  double fault_percent = 100;
  std::vector<SayShare> route;          // empty subset = the host alone; percent < 0 = no weight
  std::string extra;                    // timeout/retries/mirror lines, indented for the rule
};

std::string say_virtual_service(const std::string& svc, const std::vector<SayHttpRule>& rules);

// The DestinationRule the route needs: none if the mesh already defines the
// subsets; otherwise the existing rule's subsets plus the missing ones, so
// other routes keep theirs.
std::string say_destination_rule(const proxy::Resources& mesh, const std::string& svc, const std::string& ns,
                                 const std::vector<std::string>& versions);

// DENY for `svc`'s workloads from these principals (everyone when empty).
std::string say_deny_policy(const std::string& name, const std::string& svc, const std::vector<std::string>& principals);

// Milliseconds as Istio writes durations: "2s" when whole seconds, else "500ms".
std::string say_duration(double ms);

// A share as YAML writes it: "10", "0.5".
std::string say_number(double value);

}  // namespace meshsim::config
