// A workload's simulated behaviour (meshsim.dev/v1alpha1 Behavior): how long
// it takes, how often it fails, what it answers, and the script of calls it
// makes to other services, in sequence or in parallel groups. Expressive
// enough for Istio's isotope service graphs (istio/tools isotope: per
// service errorRate, responseSize, script of sequential/concurrent calls with
// size, sleep commands). Plain data; the app (workload_app.h) executes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proxy_core/env.h"

namespace meshsim::services {

using proxy::Duration;

// Latency as a distribution. Sampling draws from the instance's own stream.
struct LatencyModel {
  enum class Kind { kFixed, kUniform, kNormal, kLogNormal, kTable };
  Kind kind = Kind::kFixed;
  Duration fixed{0};
  Duration min{0}, max{0};        // uniform
  Duration mean{0}, stddev{0};    // normal (clamped at 0)
  Duration p50{0}, p99{0};        // log-normal given its median and 99th percentile
  std::vector<std::pair<Duration, uint32_t>> table;  // empirical: value, weight
  Duration sample(proxy::Random& random) const;
  bool operator==(const LatencyModel&) const = default;
};

struct CallSpec {
  std::string name;     // for {{calls.NAME.*}} in the body template; default: the service
  std::string service;  // host as the app would write it: "bar", "bar.ns", an FQDN
  uint32_t port = 80;
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  size_t request_bytes = 0;
  // A unary gRPC call, as a gRPC client sends it (grpc PROTOCOL-HTTP2.md):
  // HTTP/2, POST to `path` (/package.Service/Method), content-type
  // application/grpc, te: trailers, one message of request_bytes; a reply
  // whose grpc-status is not OK counts as a failed call.
  bool grpc = false;
  // The app's own HTTP client: give up on an attempt after `timeout` (none:
  // wait), and try again up to `retries` times when an attempt fails (no
  // answer, timed out, or a failure status), as bookinfo's productpage does
  // for reviews (3 s, two tries). Each attempt is its own request through
  // the sidecar, so traces show them apart.
  std::optional<Duration> timeout;
  int retries = 0;
  bool operator==(const CallSpec&) const = default;
};

// One step of the script: a single call, a parallel group, or a pause.
struct ScriptStep {
  std::vector<CallSpec> calls;  // more than one = run concurrently, wait for all
  Duration sleep{0};            // isotope's sleep command
  bool operator==(const ScriptStep&) const = default;
};

// How the app answers a gRPC call (a request with content-type
// application/grpc): HTTP 200, one message, then `grpc-status` — in trailers
// after the message, or Trailers-Only (one HEADERS with the status and no
// body), the two shapes gRPC servers send (PROTOCOL-HTTP2.md).
struct GrpcAnswer {
  int status = 0;  // the code the first `fail_first_n` attempts get (all when 0)
  std::string message;
  bool trailers_only = true;
  int fail_first_n = 0;  // per distinct x-request-id; 0 = every attempt
  // The code an injected application error (error_per_million, a failed
  // call) answers a gRPC call with: UNAVAILABLE unless set.
  int error_status = 14;
  bool operator==(const GrpcAnswer&) const = default;
};

// The HTTP side of Istio's sample ext-authz server (samples/extauthz,
// cmd/extauthz/main.go ServeHTTP), which the External Authorization task
// deploys: a request carrying `header: value` is allowed (200,
// x-ext-authz-check-result: allowed), any other denied (403, that header
// "denied" and the body "denied by ext_authz for not found header
// `x-ext-authz: allow` in the request"). Both echo
// x-ext-authz-additional-header-override.
struct ExtAuthzServer {
  std::string header = "x-ext-authz";
  std::string value = "allow";
  bool operator==(const ExtAuthzServer&) const = default;
};

struct Behavior {
  // Kept first for the conformance corpus's knobs (positional in tests).
  Duration response_delay{0};
  std::vector<std::pair<std::string, std::string>> response_headers;
  int fail_first_n = 0;  // per distinct x-request-id
  int fail_status = 503;

  std::optional<LatencyModel> latency;  // replaces response_delay when set
  uint32_t error_per_million = 0;       // injected application errors
  int error_status = 500;
  // Whether an injected error answers on arrival, before the latency and the
  // calls (isotope's services: handler.go), instead of after them.
  bool error_before_calls = false;
  size_t response_bytes = 0;            // pads the body to at least this size
  std::string body_template;            // empty = echo JSON
  std::vector<ScriptStep> script;
  // Headers copied from the incoming request onto every call. Trace headers
  // and x-request-id are always propagated, as Istio asks applications to do.
  std::vector<std::string> propagate_headers;
  enum class OnCallError { kFail, kPropagate, kIgnore };
  OnCallError on_call_error = OnCallError::kFail;  // kFail answers `call_error_status`
  int call_error_status = 500;
  std::optional<GrpcAnswer> grpc;  // unset: gRPC calls get OK, errors mapped from their HTTP status
  // Set: the app answers as Istio's sample authorizer, after its latency,
  // instead of running a script (extAuthz in a Behavior).
  std::optional<ExtAuthzServer> ext_authz;
  // Whether a push must build the pod's app again (sim::World keeps an app
  // whose Behavior did not change, with its state, as a pod keeps running).
  bool operator==(const Behavior&) const = default;
};

// Headers Istio's docs ask applications to forward (distributed tracing task).
const std::vector<std::string>& always_propagated_headers();
// Which of always_propagated_headers() `name` is (names are case-insensitive), or -1.
int always_propagated_index(std::string_view name);

}  // namespace meshsim::services
