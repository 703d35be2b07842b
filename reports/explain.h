// Answers that explain one request (issue 17): every Envoy response flag in
// words with what in the config produced it, the AuthorizationPolicy that
// allowed or denied it (namespace/name, rule index), and, for the route, the
// rules tried before the one taken (or all, for 404 NR) with the first
// condition of each that failed ("rule #0 needs header end-user exact
// "jason"; the request has none").
//
// Nothing here routes: the serving sidecar's verdict is what it recorded
// (OutboundResult::authz), and the rules are replayed through the router's
// own decide_route and match_miss on a copy of the request.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/curl.h"

namespace meshsim::reports {

struct FlagExplanation {
  std::string flag;     // "UH"
  std::string meaning;  // Envoy's words
  std::string cause;    // what in the config produced it, when meshsim can tell
};

struct Explanation {
  std::vector<FlagExplanation> flags;
  std::string authorization;        // "allowed by ALLOW policy default/allow-frontend rule 0", …
  std::string route;                // "VirtualService default/bar rule #1", "no rule matched", "no VirtualService …"
  std::vector<std::string> misses;  // rules tried before the one taken, each with why it did not match
};

// Envoy's meaning of a response flag (access-log docs, %RESPONSE_FLAGS%);
// empty for a flag it does not list.
std::string_view flag_meaning(std::string_view flag);

// For a single request (run.single); empty when there is none.
Explanation explain(const sim::CurlRun& run);

std::string explain_text(const Explanation& e);  // "* why: …" lines for curl's text output
nlohmann::ordered_json explain_json(const Explanation& e);

}  // namespace meshsim::reports
