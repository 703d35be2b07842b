// Which requests the reports count as errors: one rule for the service
// table, the graph and the error time series.
#pragma once

#include "proxy_core/telemetry.h"

namespace meshsim::sim {

// As Kiali draws the graph (kiali graph/protocol.go addToMetadataHTTP and
// addToMetadataGrpc, graph/telemetry/istio/util/util.go HandleResponseCode):
// no response at all (response code 0, a stream the client reset: DC or DR),
// a 4xx or a 5xx, for gRPC too; else, for a gRPC request, any grpc-status
// but OK (IsGRPCErr): a gRPC error travels in an HTTP 200.
inline bool is_error_report(int response_code, bool grpc, int grpc_response_status) {
  if (response_code == 0 || response_code >= 400) return true;
  return grpc && grpc_response_status > 0;
}

inline bool is_error_report(const proxy::TelemetryEvent& e) {
  return is_error_report(e.response_code, e.grpc, e.grpc_response_status);
}

}  // namespace meshsim::sim
