#include "config/unmodeled_kinds.h"

namespace meshsim::config {
namespace {

// Effects as the Istio and Kubernetes references describe each kind.
constexpr UnmodeledKind kKinds[] = {
    {"networking.istio.io", "EnvoyFilter", true, "patches the proxies' Envoy configuration"},
    {"extensions.istio.io", "WasmPlugin", true, "runs a Wasm filter in the proxies"},
    {"networking.istio.io", "WorkloadEntry", true, "adds a non-Kubernetes endpoint to Services and ServiceEntries"},
    {"networking.istio.io", "WorkloadGroup", false, "is a template for WorkloadEntries that VMs register"},
    {"networking.istio.io", "ProxyConfig", false, "tunes proxy settings such as concurrency and image"},
    {"telemetry.istio.io", "Telemetry", false, "changes which metrics, traces and access logs are reported"},
    {"networking.k8s.io", "NetworkPolicy", true, "lets the CNI drop connections between pods"},
    {"networking.k8s.io", "Ingress", true, "routes traffic through an ingress controller or Istio's gateway"},
    {"gateway.networking.k8s.io", "TCPRoute", true, "routes TCP connections"},
    {"gateway.networking.k8s.io", "TLSRoute", true, "routes TLS connections by SNI"},
    {"gateway.networking.k8s.io", "UDPRoute", true, "routes UDP datagrams"},
    {"gateway.networking.k8s.io", "GRPCRoute", true, "routes gRPC calls"},
    {"gateway.networking.k8s.io", "GatewayClass", false,
     "names the controller of Gateways; meshsim deploys the Gateways of class istio as Istio does"},
    {"apps", "StatefulSet", true, "runs pods that Services send traffic to"},
    {"apps", "DaemonSet", true, "runs pods that Services send traffic to"},
    {"apps", "ReplicaSet", true, "runs pods that Services send traffic to"},
    {"", "Pod", true, "is a pod that Services send traffic to"},
    {"batch", "Job", false, "runs pods to completion"},
    {"batch", "CronJob", false, "runs pods on a schedule"},
    {"autoscaling", "HorizontalPodAutoscaler", true, "changes the number of replicas under load"},
    {"policy", "PodDisruptionBudget", false, "limits voluntary evictions"},
    {"", "ServiceAccount", false, "is an identity; meshsim derives identities from the Deployment's serviceAccountName"},
    {"", "Secret", false, "holds credentials"},
    {"install.istio.io", "IstioOperator", false, "installs and configures Istio itself"},
};

}  // namespace

std::optional<UnmodeledKind> find_unmodeled_kind(std::string_view group, std::string_view kind) {
  for (const auto& k : kKinds)
    if (k.group == group && k.kind == kind) return k;
  return std::nullopt;
}

std::string not_simulated_summary(const std::vector<Diagnostic>& diagnostics) {
  std::string names;
  for (const auto& d : diagnostics) {
    if (d.code != kNotSimulatedCode || d.resource.empty()) continue;
    names += (names.empty() ? "" : ", ") + d.resource;
  }
  return names.empty() ? "" : "not simulated (ignored): " + names;
}

}  // namespace meshsim::config
