#include "sim/export_sweep.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "sim/export_text.h"

namespace meshsim::sim {
namespace {

constexpr const char* kMount = "/scenario";

// A ConfigMap key for a relative path ([-._a-zA-Z0-9]+).
std::string configmap_key(const std::string& path) {
  std::string out;
  for (char c : path) out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_';
  return out;
}

}  // namespace

std::string export_sweep(const SweepExportInput& in, const SweepExportOptions& o) {
  std::string name = dns_label("sweep-" + in.scenario_name);
  std::string out = fmt::format("# A seed sweep of scenario {}, written by `meshsim export sweep`:\n"
                                "#   kubectl apply -f THIS_FILE && kubectl wait --for=condition=complete job/{} -n {} --timeout=1h\n"
                                "#   kubectl logs -n {} -l batch.kubernetes.io/job-name={} --tail=-1   # one report.json per seed\n",
                                in.scenario_name, name, o.ns, o.ns, name);
  out += fmt::format("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n  namespace: {}\n  labels:\n    app.kubernetes.io/managed-by: meshsim\ndata:\n",
                     name, yaml_string(o.ns));
  auto files = in.files;
  std::sort(files.begin(), files.end());
  for (const auto& [path, text] : files) out += "  " + configmap_key(path) + ": " + yaml_string(text) + "\n";
  std::string script = fmt::format(
      "i=$JOB_COMPLETION_INDEX; meshsim run {}/{} --seed \"$i\" --out \"/out/seed-$i\" -q; rc=$?; "
      "cat \"/out/seed-$i/report.json\" 2>/dev/null; [ \"$rc\" -le 1 ]",
      kMount, shell_word(in.scenario_path));
  out += fmt::format(
      "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {}\n  namespace: {}\n  labels:\n    app.kubernetes.io/managed-by: meshsim\n"
      "spec:\n  completionMode: Indexed\n  completions: {}\n  parallelism: {}\n  backoffLimit: {}\n  template:\n"
      "    metadata:\n      labels:\n        sidecar.istio.io/inject: \"false\"\n    spec:\n      restartPolicy: Never\n"
      "      containers:\n      - name: run\n        image: {}\n        command: [/bin/sh, -c]\n        args:\n        - {}\n"
      "        volumeMounts:\n        - name: scenario\n          mountPath: {}\n          readOnly: true\n        - name: out\n          mountPath: /out\n"
      "      volumes:\n      - name: scenario\n        configMap:\n          name: {}\n          items:\n",
      name, yaml_string(o.ns), o.seeds, std::max(1, std::min(o.seeds, o.parallelism)), o.seeds, yaml_string(o.image),
      yaml_string(script), kMount, name);
  for (const auto& [path, text] : files)
    out += fmt::format("          - key: {}\n            path: {}\n", configmap_key(path), yaml_string(path));
  out += "      - name: out\n        emptyDir: {}\n";
  return out;
}

}  // namespace meshsim::sim
