// `meshsim export flagger|argo-rollouts`: a scenario's expectations as
// PromQL over Istio's standard metrics (istio_requests_total,
// istio_request_duration_milliseconds), wrapped as Flagger MetricTemplates
// plus a Canary analysis per service, or as one Argo Rollouts
// AnalysisTemplate. Expectations Prometheus cannot answer (a response body,
// calls caused by one traffic source) are listed in a comment instead.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/manifest.h"
#include "sim/scenario.h"

namespace meshsim::sim {

struct AnalysisExportOptions {
  std::string ns = "default";
  std::string prometheus = "http://prometheus.istio-system:9090";  // Istio's Prometheus addon
};

// One expectation as PromQL and the range its value must fall in.
struct PromQLCheck {
  std::string name;   // DNS label, unique in the scenario
  std::string query;  // `{{ interval }}`-free: the window length is written in
  std::optional<double> min, max;
  Duration window_end{0};     // from the scenario's start (timeline.sh's t=0)
  Duration window_length{0};
  std::string target_service;  // the service the check is about (Flagger groups by it)
  std::string unsupported;     // why Prometheus cannot check it (then query is empty)
};

// Every expectation of `scenario`, in order.
std::vector<PromQLCheck> promql_checks(const Scenario& scenario, const AnalysisExportOptions& options);

// One YAML stream each (documents separated by ---).
std::string export_flagger(const Scenario& scenario, const AnalysisExportOptions& options);
std::string export_argo_rollouts(const Scenario& scenario, const AnalysisExportOptions& options);

}  // namespace meshsim::sim
