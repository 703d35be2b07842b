// `meshsim say`, step 2's result: what the sentence asks for, as an intent
// with its slots filled (or the reason it cannot be, for the refusal).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace meshsim::config {

enum class SayIntent {
  kNone,
  kTopology,    // "get the frontend topology", "who calls bar"
  kRouteQuery,  // "get the bar route", "how is bar routed"
  kRoute,       // route/send/shift/split/move/canary
  kDeny,        // block/deny/forbid/reject/stop
  kAllow,       // allow/permit/unblock/let; also "remove the block on bar"
  kDelay,       // delay/slow down/add latency
  kAbort,       // abort/fail/return errors
  kRetry,       // retry
  kTimeout,     // timeout/time out
  kMirror,      // mirror/shadow/copy
  kReset,       // remove/restore/undo/reset: the service's VirtualService and deny policies
  kResetRoute,  // "remove the delay from bar": only its VirtualService
};

// A share of the traffic for one version ("20% to v2").
struct SayShare {
  std::string version;
  double percent = 0;
};

// Which requests a rule applies to: a header (end-user: jason, a user
// agent) and/or a caller (sourceLabels app).
struct SayMatch {
  std::string header;      // "end-user", "user-agent", "" for none
  std::string kind;        // "exact", "prefix" or "regex"
  std::string value;
  std::string who;         // for the reply: "mobile clients", "end-user jason"
  bool agent = false;      // a user-agent class ("Traffic from mobile clients …")
};

struct SayRequest {
  SayIntent intent = SayIntent::kNone;
  std::string service;                 // the target
  std::string caller;                  // "from frontend", "when frontend calls bar"
  std::vector<std::string> more_callers;  // deny/allow: "block frontend and curl from calling bar"
  std::optional<SayMatch> match;       // header / user agent condition
  std::vector<SayShare> shares;        // route: versions and their percentages (summing to 100)
  std::optional<double> percent;       // fault / mirror share of requests
  std::optional<double> duration_ms;   // delay, timeout
  std::optional<double> per_try_ms;    // retry: per-try timeout
  std::optional<int> status;           // abort
  std::optional<int> attempts;         // retry
  std::string retry_on;                // retry: "5xx", "gateway-error", "connect-failure"
  std::string mirror_version;          // mirror: the copy's subset
  std::vector<std::string> undeployed;  // versions named that the mesh does not run (the answer warns)
};

// Why the sentence cannot be carried out, and phrasings that would work.
struct SayRefusal {
  std::string message;
  std::vector<std::string> examples;
};

}  // namespace meshsim::config
