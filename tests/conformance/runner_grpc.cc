#include "tests/conformance/runner_grpc.h"

#include <fmt/format.h>

#include "proxy_core/grpc.h"
#include "proxy_core/wire_protocol.h"

namespace meshsim::conformance {

using nlohmann::json;

void apply_request_protocol(const json& r, proxy::HttpRequest& request) {
  std::string protocol = r.value("protocol", "http1");
  if (protocol == "http1") return;
  request.protocol = proxy::WireProtocol::kHttp2;
  if (protocol != "grpc") return;
  // Metadata are lowercase on the wire (README "Requests"); a gRPC client sends them so.
  proxy::HeaderMap metadata;
  for (const proxy::Header h : request.headers.all()) metadata.add(proxy::to_lower(h.name), h.value);
  request.headers = std::move(metadata);
  request.headers.set("content-type", "application/grpc");
  request.headers.set("te", "trailers");
  request.body = proxy::grpc_frame(r.contains("grpc_request") ? r["grpc_request"].dump() : "");
}

bool add_grpc_behavior(const json& w, services::Behavior& b) {
  if (!w.contains("grpc")) return false;
  const json& g = w["grpc"];
  services::GrpcAnswer answer;
  answer.status = g.value("status", 0);
  answer.message = g.value("message", "");
  answer.trailers_only = g.value("trailers_only", true);
  answer.fail_first_n = g.value("fail_first_n", 0);
  b.grpc = answer;
  return true;
}

void ProtocolLabels::record(const proxy::TelemetryEvent& event) {
  std::string label(event.request_protocol());
  if (event.reporter == proxy::TelemetryReporter::kDestination) {
    destination_ = label;
    return;
  }
  last_ = destination_ ? *destination_ : label;
  destination_.reset();
}

std::string ProtocolLabels::take_last() {
  std::string out = last_ ? *last_ : destination_.value_or("");
  last_.reset();
  destination_.reset();
  return out;
}

void check_grpc_expectations(const json& expect, const sim::CallResult& call, const std::string& label,
                             const std::function<void(std::string)>& fail) {
  const auto& response = call.outbound.response;
  if (expect.contains("grpc_status")) {
    int want = expect["grpc_status"];
    if (!response) fail(fmt::format("no response, expected grpc-status {}", want));
    else if (int got = proxy::grpc_status_of(*response); got != want)
      fail(fmt::format("grpc-status {} != {} (flags {}, message '{}')", got, want, call.outbound.flags,
                       std::string(response->headers.get("grpc-message").value_or(
                           response->trailers.get("grpc-message").value_or("")))));
  }
  if (expect.contains("grpc_message")) {
    std::string want = expect["grpc_message"];
    std::string got;
    if (response) {
      auto m = response->trailers.get("grpc-message");
      if (!m) m = response->headers.get("grpc-message");
      got = proxy::grpc_percent_decode(m.value_or(""));
    }
    if (got != want) fail(fmt::format("grpc-message '{}' != '{}'", got, want));
  }
  if (expect.contains("protocol_at_upstream")) {
    std::string want = expect["protocol_at_upstream"];
    std::string got = call.upstream ? std::string(proxy::wire_protocol_name(call.upstream->request.protocol)) : "<none>";
    if (got != want) fail(fmt::format("protocol at upstream {} != {}", got, want));
  }
  if (expect.contains("request_protocol_label") && label != expect["request_protocol_label"].get<std::string>())
    fail(fmt::format("request_protocol label '{}' != '{}'", label, expect["request_protocol_label"].get<std::string>()));
}

}  // namespace meshsim::conformance
