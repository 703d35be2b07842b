// `meshsim export` writers (issue 18) on the shipped scenarios: what the
// manifests say, that they are byte-identical per run, and the PromQL each
// expectation becomes. Schema validation of every file is the ctest
// export_manifests_valid (tests/export/validate_exports.sh).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include "config/loader.h"
#include "config/manifest_documents.h"
#include "sim/export_analysis.h"
#include "sim/export_k8s.h"
#include "sim/export_sweep.h"

namespace meshsim {
namespace {

std::string scenario_path(const std::string& name) { return std::string(MESHSIM_SOURCE_DIR) + "/scenarios/" + name + ".yaml"; }

sim::Scenario load(const std::string& name) {
  auto loaded = config::load_scenario({scenario_path(name)});
  EXPECT_TRUE(loaded.scenario) << name;
  return loaded.scenario ? *loaded.scenario : sim::Scenario{};
}

std::vector<sim::ExportFile> export_k8s_file(const sim::Scenario& sc, const std::string& path, const std::string& shown_as) {
  sim::K8sExportInput in;
  in.scenario = &sc;
  in.scenario_file = shown_as;
  std::vector<config::Diagnostic> diagnostics;
  for (const auto& s : config::read_sources({path}, diagnostics)) {
    auto docs = config::manifest_documents(s.text, "default");
    in.mesh.insert(in.mesh.end(), docs.begin(), docs.end());
  }
  for (const auto& step : sc.timeline) in.steps.push_back(config::manifest_documents(step.apply_yaml, "default"));
  return sim::export_k8s(in, {"registry.example/meshsim:1", "default"});
}

std::vector<sim::ExportFile> export_k8s(const sim::Scenario& sc, const std::string& name) {
  return export_k8s_file(sc, scenario_path(name), "scenarios/" + name + ".yaml");
}

std::string file(const std::vector<sim::ExportFile>& files, const std::string& path) {
  for (const auto& f : files)
    if (f.path == path) return f.content;
  ADD_FAILURE() << "no file " << path;
  return {};
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ManifestDocuments, KeepScalarTypesAndFillTheNamespace) {
  auto docs = config::manifest_documents(
      "apiVersion: v1\nkind: Service\nmetadata: {name: bar, labels: {version: \"2\", on: 'yes'}}\nspec: {ports: [{port: 80}]}\n---\n"
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
      "team");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].ns, "team");
  // A quoted "2" stays a string (a label value must be one); 80 stays a number.
  EXPECT_TRUE(has(docs[0].yaml, "  name: bar\n  namespace: team\n")) << docs[0].yaml;
  EXPECT_TRUE(has(docs[0].yaml, "version: \"2\"")) << docs[0].yaml;
  EXPECT_TRUE(has(docs[0].yaml, "\"yes\"")) << docs[0].yaml;
  EXPECT_TRUE(has(docs[0].yaml, "- port: 80\n")) << docs[0].yaml;
  EXPECT_EQ(docs[1].ns, "");  // cluster-scoped
  EXPECT_FALSE(has(docs[1].yaml, "namespace"));
}

TEST(ExportK8s, HightowerDemoIsByteIdenticalPerRun) {
  auto sc = load("hightower-demo");
  auto a = export_k8s(sc, "hightower-demo");
  auto b = export_k8s(sc, "hightower-demo");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].path, b[i].path);
    EXPECT_EQ(a[i].content, b[i].content) << a[i].path;
  }
}

TEST(ExportK8s, HightowerDemoManifests) {
  auto sc = load("hightower-demo");
  auto files = export_k8s(sc, "hightower-demo");
  std::string workloads = file(files, "03-workloads.yaml");
  // sidecars: none at t=0; the pod label says no and the namespace says yes:
  // "If either label is disabled, the pod is not injected" (istio.io
  // docs/setup/additional-setup/sidecar-injection, injection policy).
  EXPECT_TRUE(has(file(files, "00-namespaces.yaml"), "istio-injection: enabled"));
  EXPECT_TRUE(has(workloads, "sidecar.istio.io/inject: \"false\""));
  EXPECT_TRUE(has(workloads, "args: [app, --behavior, /etc/meshsim/behavior.yaml, --workload, frontend-v1, --listen, \"0.0.0.0:8080\"]"));
  EXPECT_TRUE(has(workloads, "image: registry.example/meshsim:1"));
  EXPECT_TRUE(has(file(files, "02-behaviors.yaml"), "response:\n        body: \"frontend -> {{calls.foo.body}}, {{calls.bar.body}}\""))
      << file(files, "02-behaviors.yaml");
  EXPECT_TRUE(has(file(files, "01-service-accounts.yaml"), "name: frontend"));
  EXPECT_TRUE(has(file(files, "04-mesh.yaml"), "kind: Service"));
  // The browser loop runs the whole 190 s at 20 qps, no sidecar; the
  // mobile loop starts when the timeline says (160 s), for the 30 s left.
  std::string browser = file(files, "traffic/browser-at-0s.yaml");
  EXPECT_TRUE(has(browser, "- load\n        - --qps\n        - 20\n") || has(browser, "- \"20\"")) << browser;
  EXPECT_TRUE(has(browser, "- 190s\n")) << browser;
  EXPECT_TRUE(has(browser, "User-Agent: Mozilla/5.0 (Macintosh) Chrome/66.0")) << browser;
  EXPECT_TRUE(has(file(files, "traffic/mobile-at-160s.yaml"), "- 30s\n"));
  std::string script = file(files, "timeline.sh");
  EXPECT_TRUE(has(script, "step 20000 'inject the sidecars without touching the apps'")) << script;
  EXPECT_TRUE(has(script, R"("sidecar.istio.io/inject":"true")")) << script;
  EXPECT_TRUE(has(script, "run \"$KUBECTL\" delete virtualservices.networking.istio.io bar -n default --ignore-not-found")) << script;
  EXPECT_TRUE(has(script, "run \"$KUBECTL\" apply -f traffic/mobile-at-160s.yaml")) << script;
  // v2 arrives at 40 s already injected (injectSidecars in the same step).
  std::string v2 = file(files, "timeline/03-at-40s.yaml");
  EXPECT_TRUE(has(v2, "name: bar-v2")) << v2;
  EXPECT_TRUE(has(v2, "sidecar.istio.io/inject: \"true\"")) << v2;
  // "deny access to the bar service" is applied as the YAML `say` prints.
  bool deny = false;
  for (const auto& f : files) deny = deny || (f.path.rfind("timeline/", 0) == 0 && has(f.content, "kind: AuthorizationPolicy"));
  EXPECT_TRUE(deny);
}

TEST(ExportK8s, JobWithSidecarCompletes) {
  // grpc-client has a sidecar: a native sidecar (Kubernetes SidecarContainers;
  // istio/api annotation sidecar.istio.io/nativeSidecar) or, on older
  // clusters, pilot-agent's POST :15020/quitquitquit ends the proxy.
  auto sc = load("grpc-retries");
  auto files = export_k8s(sc, "grpc-retries");
  std::string job = file(files, "traffic/grpc-client-at-0s.yaml");
  EXPECT_TRUE(has(job, "sidecar.istio.io/nativeSidecar: \"true\"")) << job;
  EXPECT_TRUE(has(job, "http://127.0.0.1:15020/quitquitquit")) << job;
  EXPECT_TRUE(has(job, "- \"--grpc\"\n")) << job;
  // A timeline behaviour change: the new ConfigMap, then a restart.
  EXPECT_TRUE(has(file(files, "timeline.sh"), "rollout restart deployment/echo-v1")) << file(files, "timeline.sh");
}

TEST(ExportAnalysis, ExpectationsAsPromQL) {
  auto sc = load("hightower-demo");
  auto checks = sim::promql_checks(sc, {});
  auto named = [&](const std::string& prefix) -> const sim::PromQLCheck& {
    for (const auto& c : checks)
      if (c.name.rfind(prefix, 0) == 0) return c;
    ADD_FAILURE() << prefix;
    return checks.front();
  };
  // Istio's standard metrics (istio.io docs/reference/config/metrics):
  // istio_requests_total by destination_version, reporter="destination".
  const auto& half = named("without-a-rule-bar-v2-gets-about-half");
  EXPECT_TRUE(has(half.query, "destination_service_name=\"bar\"")) << half.query;
  EXPECT_TRUE(has(half.query, "[19s]")) << half.query;
  EXPECT_EQ(half.max, 4.0);  // standard errors, as `meshsim run` judges shares
  const auto& pinned = named("the-rule-pins-bar-to-v1");
  EXPECT_TRUE(has(pinned.query, "destination_version=\"v2\"") && has(pinned.query, "or vector(0)")) << pinned.query;
  EXPECT_EQ(pinned.max, 0.0);
  EXPECT_FALSE(named("the-app-answers").unsupported.empty());  // a body is not a metric
  // The laptop has no sidecar: frontend's sidecar reports it by source_app.
  const auto& deny = named("deny-makes-the-site-fail");
  EXPECT_TRUE(has(deny.query, "reporter=\"destination\",source_app=\"laptop\"")) << deny.query;
  // Flagger MetricTemplate {provider {type, address}, query} and Canary
  // analysis.metrics[{templateRef, thresholdRange}] (Flagger docs/gitbook/usage/metrics.md).
  std::string flagger = sim::export_flagger(sc, {});
  EXPECT_TRUE(has(flagger, "kind: MetricTemplate") && has(flagger, "[{{ interval }}]")) << flagger;
  EXPECT_TRUE(has(flagger, "kind: Canary") && has(flagger, "name: bar-v2")) << flagger;
  // Argo Rollouts metrics[{successCondition, provider.prometheus{address, query}}]
  // (argo-rollouts docs/analysis/prometheus.md).
  std::string argo = sim::export_argo_rollouts(sc, {});
  EXPECT_TRUE(has(argo, "kind: AnalysisTemplate") && has(argo, "successCondition: \"result[0] <= 4\"")) << argo;
}

TEST(ExportSweep, IndexedJobRunsOneSeedPerPod) {
  // completionMode: Indexed gives each pod JOB_COMPLETION_INDEX
  // (kubernetes.io docs/concepts/workloads/controllers/job, "Completion mode").
  std::string out = sim::export_sweep({"demo", "scenarios/demo.yaml", {{"scenarios/demo.yaml", "kind: Scenario\n"}}},
                                      {5, 2, "meshsim:1", "ci"});
  EXPECT_TRUE(has(out, "completionMode: Indexed\n  completions: 5\n  parallelism: 2\n")) << out;
  EXPECT_TRUE(has(out, "meshsim run /scenario/scenarios/demo.yaml --seed \\\"$i\\\"")) << out;
  EXPECT_TRUE(has(out, "path: scenarios/demo.yaml")) << out;
}

// The exported pod says what the simulated one had: a pod template that opts
// out with the deprecated annotation alone (istio/istio pkg/kube/inject/
// inject.go injectRequired reads the annotation when the label is absent)
// gets the label "false", which the injector prefers over the annotation.
TEST(ExportK8s, PodAnnotationOptOutBecomesTheLabel) {
  std::string path = ::testing::TempDir() + "annotated-opt-out.yaml";
  {
    std::ofstream out(path);
    out << R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy}
spec:
  selector: {matchLabels: {app: legacy}}
  template:
    metadata:
      labels: {app: legacy}
      annotations: {sidecar.istio.io/inject: "false"}
    spec: {containers: [{name: app, image: legacy}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: meshed}
spec:
  selector: {matchLabels: {app: meshed}}
  template:
    metadata: {labels: {app: meshed}}
    spec: {containers: [{name: app, image: meshed}]}
---
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: annotated-opt-out}
spec:
  duration: 1s
)";
  }
  auto loaded = config::load_scenario({path});
  ASSERT_TRUE(loaded.scenario);
  std::string workloads = file(export_k8s_file(*loaded.scenario, path, "annotated-opt-out.yaml"), "03-workloads.yaml");
  std::remove(path.c_str());
  size_t meshed = workloads.find("name: meshed");
  ASSERT_NE(meshed, std::string::npos) << workloads;
  std::string legacy_doc = workloads.substr(0, meshed), meshed_doc = workloads.substr(meshed);
  EXPECT_TRUE(has(legacy_doc, "sidecar.istio.io/inject: \"false\"")) << workloads;
  EXPECT_TRUE(has(meshed_doc, "sidecar.istio.io/inject: \"true\"")) << workloads;
}

}  // namespace
}  // namespace meshsim
