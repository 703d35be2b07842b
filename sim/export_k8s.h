// `meshsim export k8s`: a scenario as plain manifests for a real cluster
// with Istio. The files' Kubernetes, Istio and Gateway API documents are
// kept as written; each workload Deployment runs `meshsim app` with its
// Behavior from a ConfigMap; each traffic source is a `meshsim load` Job;
// timeline.sh replays the timeline with kubectl at the scenario's offsets.
// Pure function of its input: the same scenario gives the same bytes.
#pragma once

#include <string>
#include <vector>

#include "sim/manifest.h"
#include "sim/scenario.h"

namespace meshsim::sim {

struct K8sExportInput {
  const Scenario* scenario = nullptr;
  std::string scenario_file;                          // named in comments only
  std::vector<ManifestDocument> mesh;                 // the files' documents (t=0), meshsim.dev kinds included
  std::vector<std::vector<ManifestDocument>> steps;   // what each timeline step applies, by scenario.timeline index
};

struct K8sExportOptions {
  std::string image = "meshsim:latest";
  std::string ns = "default";  // where documents without a namespace go
};

// The files to write under the output folder, sorted by path.
std::vector<ExportFile> export_k8s(const K8sExportInput& input, const K8sExportOptions& options);

// The Dockerfile for the image the manifests run (Debian 12, meshsim built
// from a checkout; shared with `export sweep`).
std::string meshsim_dockerfile();

}  // namespace meshsim::sim
