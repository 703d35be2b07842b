// The corpus keys of the gRPC and HTTP/2 files (../shared/conformance
// README: request `protocol` and `grpc_request`, workload `grpc`, expect
// `grpc_status`, `grpc_message`, `protocol_at_upstream`,
// `request_protocol_label`), kept apart from runner.cc.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy_core/telemetry.h"
#include "services/behavior.h"
#include "sim/world.h"

namespace meshsim::conformance {

// Sets the request's wire protocol; a `grpc` request becomes a unary call:
// content-type application/grpc, te: trailers, one message as its body,
// metadata names lowercased.
void apply_request_protocol(const nlohmann::json& request_spec, proxy::HttpRequest& request);

// The workload's `grpc` key as the app's gRPC answer; false when absent.
bool add_grpc_behavior(const nlohmann::json& workload, services::Behavior& behavior);

// Remembers the request_protocol label of each call's istio_requests_total
// report: the destination reporter's when a server-side proxy saw it, else
// the source reporter's (as `meshsim curl --json` shows it).
class ProtocolLabels : public proxy::TelemetrySink {
 public:
  void record(const proxy::TelemetryEvent& event) override;
  // The label of the call that finished last (source reporters close a call).
  std::string take_last();

 private:
  std::optional<std::string> destination_, last_;
};

// Checks the gRPC/HTTP/2 expectation keys of `expect` against one call.
void check_grpc_expectations(const nlohmann::json& expect, const sim::CallResult& call, const std::string& label,
                             const std::function<void(std::string)>& fail);

}  // namespace meshsim::conformance
