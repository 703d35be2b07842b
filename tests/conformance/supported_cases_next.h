// The files of ../shared/conformance/cases-next/ that meshsim supports, by
// file name (e.g. "http2.json"). The suite runs every file of cases/ and
// each file listed here; every request of a listed file must pass, except
// the extended cases a file lists as left out, each with the reason (the
// issue allows leaving out extended cases that need a behaviour it leaves
// out; a core case can never be left out, and the suite fails if one is).
// The issue that builds a capability adds its files here; once they move to
// cases/, they leave this list (see ../shared/conformance/README.md).
#pragma once

#include <map>
#include <string_view>
#include <vector>

namespace meshsim::conformance {

struct SupportedFile {
  std::string_view name;
  // Extended case id -> why meshsim does not run it yet.
  std::map<std::string_view, std::string_view> left_out_extended_cases = {};
};

inline std::vector<SupportedFile> supported_cases_next() {
  return {
      // Issue 15 (gateways, ServiceEntry, scoping, JWT).
      {"istio-gateway-ingress.json"},
      {"istio-requestauthn-jwt.json"},
      {"istio-serviceentry-egress.json"},
      {"istio-scoping.json"},
      // Issue 16 (HTTP/2 and gRPC through the whole mesh).
      {"http2.json",
       {{"dr-h2-upgrade-policy",
         "contradicted by Istio: h2UpgradePolicy upgrades outbound clusters only (istio/istio "
         "pilot/pkg/networking/core/cluster_builder.go applyTrafficPolicy: `if opts.direction != "
         "model.TrafficDirectionInbound { cb.applyH2Upgrade(...) }`; shouldH2Upgrade returns false for inbound), so "
         "the sidecar-to-sidecar hop is HTTP/2 but the server-side inbound cluster for the `http` port sends "
         "HTTP/1.1 to the app; the case expects http2 at the app"}}},
      {"envoy-istio-grpc.json"},
      // Issue 15, Gateway API Gateways (gatewayClassName istio, <name>-istio).
      {"gateway-api-gateway.json"},
  };
}

}  // namespace meshsim::conformance
