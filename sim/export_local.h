// `meshsim export local`: the scenario as real processes on 127.0.0.1, no
// cluster: one `meshsim app` per workload (Deployment), one `meshsim proxy`
// per workload as its pod's sidecar (`--pod`, outbound routing from the
// pod's identity; each destination reached through its own pod's inbound
// sidecar, which reports Istio's destination-side metrics), one proxy per
// traffic source as the client's side (no sidecar unless the source has
// one), one `meshsim load` per source, a Prometheus config scraping every
// proxy's /stats/prometheus, and run.sh that starts it all on ports the
// kernel picks, applies the timeline through the proxies' admin APIs at the
// scenario's offsets, and asks `meshsim check --prometheus` at the end.
// Pure function of its input: the same scenario gives the same bytes.
#pragma once

#include <string>
#include <vector>

#include "sim/export_k8s.h"
#include "sim/manifest.h"

namespace meshsim::sim {

struct LocalExportOptions {
  // The scenario files as run.sh names them for `meshsim check` (absolute
  // paths, so the folder can be run from anywhere).
  std::vector<std::string> scenario_paths;
};

// The files to write under the output folder, sorted by path.
std::vector<ExportFile> export_local(const K8sExportInput& input, const LocalExportOptions& options);

}  // namespace meshsim::sim
