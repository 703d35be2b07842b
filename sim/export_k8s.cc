#include "sim/export_k8s.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "proxy_core/app_labels.h"
#include "proxy_core/injection.h"
#include "sim/export_text.h"

namespace meshsim::sim {
namespace {

using proxy::Deployment;
using proxy::Labels;

// Istio's per-pod injection switch. Namespaces get istio-injection=enabled
// and every pod says yes or no itself: "If either label is disabled, the pod
// is not injected; if either label is enabled, the pod is injected"
// (istio.io docs/setup/additional-setup/sidecar-injection, "Controlling the
// injection policy"). Flipping the pod label is how timeline.sh injects.
constexpr const char* kInjectLabel = "sidecar.istio.io/inject";
// Kubernetes native sidecars (SidecarContainers, on by default since 1.29):
// the proxy stops when the Job's container ends, so a Job with a sidecar
// completes. The annotation takes precedence over istiod's
// ENABLE_NATIVE_SIDECARS (istio/api annotation sidecar.istio.io/nativeSidecar).
constexpr const char* kNativeSidecarAnnotation = "sidecar.istio.io/nativeSidecar";
// Older clusters: the load container asks pilot-agent to stop the proxy
// when it is done (POST /quitquitquit on pilot-agent's port 15020).
constexpr const char* kQuitProxy =
    "meshsim load \"$@\"; rc=$?; curl -fsS -X POST http://127.0.0.1:15020/quitquitquit >/dev/null 2>&1 || true; exit $rc";
constexpr const char* kManagedBy = "app.kubernetes.io/managed-by: meshsim";
constexpr const char* kBehaviorMount = "/etc/meshsim";
// One `meshsim load` connection carries at most this many requests a second
// (Fortio splits -qps over -c connections, each sequential).
constexpr double kQpsPerConnection = 50;

std::string key_of(const std::string& ns, const std::string& name) { return ns + "/" + name; }

bool is_gateway_pod(const Deployment& d) {
  auto it = d.pod_annotations.find("inject.istio.io/templates");
  return it != d.pod_annotations.end() && it->second == "gateway";
}

std::string labels_block(const Labels& labels, int indent) {
  std::string out;
  for (const auto& [k, v] : labels) out += std::string(static_cast<size_t>(indent), ' ') + yaml_string(k) + ": " + yaml_string(v) + "\n";
  return out;
}

std::string offset_text(proxy::Duration d) { return go_duration(d); }

class K8sWriter {
 public:
  K8sWriter(const K8sExportInput& in, const K8sExportOptions& o) : in_(in), sc_(*in.scenario), o_(o) {}

  std::vector<ExportFile> write() {
    for (const auto& d : sc_.resources.deployments) track_new_deployment(d);
    behaviors_ = sc_.behaviors;
    std::string workloads, configmaps;
    for (const auto& d : sc_.resources.deployments) {
      if (is_gateway_pod(d)) continue;
      configmaps += doc(behavior_configmap(d));
      workloads += doc(deployment(d));
    }
    std::string mesh, namespaces;
    for (const auto& m : in_.mesh) {
      if (is_meshsim_kind(m)) continue;
      if (m.kind == "Namespace") namespaces += doc(m.yaml);
      else if (m.kind == "Deployment" && is_workload_doc(m, sc_.resources)) continue;  // written above
      else if (m.kind == "Deployment") workloads += doc(m.yaml);
      else mesh += doc(m.yaml);
    }
    timeline_script();
    add("00-namespaces.yaml", namespace_docs() + namespaces);
    add("01-service-accounts.yaml", service_accounts());
    add("02-behaviors.yaml", configmaps);
    add("03-workloads.yaml", workloads);
    add("04-mesh.yaml", mesh);
    add("Dockerfile", meshsim_dockerfile());
    add("README.md", readme());
    std::sort(files_.begin(), files_.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return files_;
  }

 private:
  struct Step {
    proxy::Duration at{0};
    const TimelineStep* step = nullptr;  // null: a source starting at its own `start`
    size_t index = 0;
    std::string source;                  // for a source start
  };

  std::string header_comment() const {
    return fmt::format("# Written by `meshsim export k8s {}` (scenario {}).\n", in_.scenario_file, sc_.name);
  }

  void add(std::string path, std::string content, bool executable = false) {
    if (content.empty()) return;
    if (path.size() > 5 && path.substr(path.size() - 5) == ".yaml") content = header_comment() + content;
    files_.push_back({std::move(path), std::move(content), executable});
  }

  static std::string doc(const std::string& yaml) { return "---\n" + yaml; }

  static bool is_meshsim_kind(const ManifestDocument& m) { return m.api_version.rfind("meshsim.dev/", 0) == 0; }

  std::string map_ns(const std::string& ns) const { return ns == "default" ? o_.ns : ns; }

  // A Deployment document the writer regenerates (not an Istio gateway pod).
  bool is_workload_doc(const ManifestDocument& m, const proxy::Resources& typed) const {
    for (const auto& d : typed.deployments)
      if (d.header.meta.name == m.name && map_ns(d.header.meta.ns) == m.ns) return !is_gateway_pod(d);
    return false;
  }

  void track_new_deployment(const Deployment& d) {
    std::string key = key_of(map_ns(d.header.meta.ns), d.header.meta.name);
    deployments_[key] = d;
    // The pod template's own choice (label, else annotation) and its
    // Namespace's, as the simulator decides it; written out as the label.
    if (!injected_.count(key)) injected_[key] = proxy::sidecar_injected(sc_.resources, d, sc_.sidecars_injected);
    namespaces_.insert(map_ns(d.header.meta.ns));
    if (d.service_account != "default") service_accounts_.insert(key_of(map_ns(d.header.meta.ns), d.service_account));
  }

  // The container port the workload serves: its own first port, else the
  // targetPort of a Service that selects it, else 8080.
  uint32_t listen_port(const Deployment& d) const {
    for (const auto& p : d.ports)
      if (p.container_port) return p.container_port;
    for (const auto* services : {&current_services_, &sc_.resources.services})
      for (const auto& s : *services)
        if (map_ns(s.header.meta.ns) == map_ns(d.header.meta.ns) && !s.selector.empty() && proxy::labels_select(s.selector, d.pod_labels))
          for (const auto& p : s.ports) {
            if (const auto* n = std::get_if<uint32_t>(&p.target_port)) return *n ? *n : p.port;
          }
    return 8080;
  }

  // The Behavior document `meshsim app --behavior` reads for this pod.
  std::string behavior_text(const Deployment& d) const {
    const BehaviorRule* b = most_specific_behavior(d.pod_labels, behaviors_);
    std::string out = "apiVersion: meshsim.dev/v1alpha1\nkind: Behavior\nmetadata:\n";
    if (b && !b->spec_yaml.empty()) {
      out += "  name: " + yaml_string(b->name) + "\nspec:\n" + indent_lines(b->spec_yaml, 2);
    } else {
      // No Behavior selects the pod: the simulator's default (200, no body).
      out += "  name: " + yaml_string(d.header.meta.name) + "\nspec:\n  selector:\n" + labels_block(d.pod_labels, 4);
    }
    return out;
  }

  std::string configmap_name(const Deployment& d) const { return dns_label(d.header.meta.name + "-behavior"); }

  std::string behavior_configmap(const Deployment& d) {
    std::string text = behavior_text(d);
    behavior_written_[key_of(map_ns(d.header.meta.ns), d.header.meta.name)] = text;
    return fmt::format(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n  namespace: {}\n  labels:\n    {}\ndata:\n  behavior.yaml: |\n{}",
        configmap_name(d), yaml_string(map_ns(d.header.meta.ns)), kManagedBy, indent_lines(text, 4));
  }

  std::string deployment(const Deployment& d) {
    std::string ns = map_ns(d.header.meta.ns);
    bool injected = injected_[key_of(ns, d.header.meta.name)];
    Labels pod_labels = d.pod_labels;
    pod_labels[kInjectLabel] = injected ? "true" : "false";
    uint32_t port = listen_port(d);
    std::string out = fmt::format("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {}\n  namespace: {}\n",
                                  yaml_string(d.header.meta.name), yaml_string(ns));
    if (!d.header.meta.labels.empty()) out += "  labels:\n" + labels_block(d.header.meta.labels, 4);
    out += fmt::format("spec:\n  replicas: {}\n  selector:\n    matchLabels:\n{}", d.replicas, labels_block(d.selector, 6));
    out += "  template:\n    metadata:\n      labels:\n" + labels_block(pod_labels, 8);
    if (!d.pod_annotations.empty()) out += "      annotations:\n" + labels_block(d.pod_annotations, 8);
    out += "    spec:\n";
    if (d.service_account != "default") out += "      serviceAccountName: " + yaml_string(d.service_account) + "\n";
    out += "      containers:\n      - name: app\n        image: " + yaml_string(o_.image) + "\n";
    out += fmt::format("        args: [app, --behavior, {}/behavior.yaml, --workload, {}, --listen, \"0.0.0.0:{}\"]\n",
                       kBehaviorMount, yaml_string(d.header.meta.name), port);
    // Pod name, namespace, app and version through the downward API.
    out += "        env:\n";
    auto env_field = [&out](const char* name, const std::string& path) {
      out += fmt::format("        - name: {}\n          valueFrom:\n            fieldRef:\n              fieldPath: {}\n", name, path);
    };
    env_field("POD_NAME", "metadata.name");
    env_field("POD_NAMESPACE", "metadata.namespace");
    env_field("POD_SERVICE_ACCOUNT", "spec.serviceAccountName");
    // The label the simulated app answers with (app_labels.h).
    if (const char* key = proxy::app_label_key(d.pod_labels))
      env_field("POD_APP", fmt::format("\"metadata.labels['{}']\"", key));
    if (const char* key = proxy::version_label_key(d.pod_labels))
      env_field("POD_VERSION", fmt::format("\"metadata.labels['{}']\"", key));
    out += "        ports:\n";
    std::set<uint32_t> ports;
    for (const auto& p : d.ports)
      if (p.container_port && ports.insert(p.container_port).second)
        out += fmt::format("        - containerPort: {}\n", p.container_port) + (p.name.empty() ? "" : "          name: " + yaml_string(p.name) + "\n");
    if (ports.empty()) out += fmt::format("        - containerPort: {}\n", port);
    out += fmt::format("        volumeMounts:\n        - name: behavior\n          mountPath: {}\n          readOnly: true\n", kBehaviorMount);
    out += "      volumes:\n      - name: behavior\n        configMap:\n          name: " + configmap_name(d) + "\n";
    return out;
  }

  const TrafficSource* source_named(const std::string& name) const {
    for (const auto& s : sc_.sources)
      if (s.name == name) return &s;
    return nullptr;
  }

  // A `meshsim load` Job for `s` started at `at`; empty when it would not run.
  std::string load_job(const TrafficSource& s, proxy::Duration at) {
    proxy::Duration end = s.stop ? std::min(*s.stop, sc_.duration) : sc_.duration;
    if (end <= at) return {};
    std::string ns = map_ns(s.from_namespace);
    namespaces_.insert(ns);
    Labels labels{{"app", label_value(s.from)}, {"meshsim.dev/traffic", label_value(s.name)}};
    std::string service_account;
    // A client the files define (a Deployment named `from`) lends its labels.
    for (const auto& [key, d] : deployments_)
      if (d.header.meta.name == s.from && map_ns(d.header.meta.ns) == ns) {
        for (const auto& [k, v] : d.pod_labels) labels[k] = v;
        if (d.service_account != "default") service_account = d.service_account;
      }
    labels[kInjectLabel] = s.sidecar ? "true" : "false";
    std::vector<std::string> args;
    double peak = std::max(s.rate_per_second, s.rate_end_per_second);
    auto number = [](double v) { return fmt::format("{}", v); };
    switch (s.kind) {
      case TrafficSource::Kind::kConstant: args = {"--qps", number(s.rate_per_second)}; break;
      case TrafficSource::Kind::kPoisson: args = {"--qps", number(s.rate_per_second), "--arrival", "poisson"}; break;
      case TrafficSource::Kind::kRamp: args = {"--qps", number(s.rate_per_second), "--arrival", "ramp", "--ramp-to", number(s.rate_end_per_second)}; break;
      case TrafficSource::Kind::kClosedLoop: args = {"--qps", "0"}; break;  // Fortio: 0 = no wait (closed loop)
    }
    int connections = s.kind == TrafficSource::Kind::kClosedLoop ? s.concurrency
                                                                  : std::max(1, static_cast<int>(std::ceil(peak / kQpsPerConnection)));
    args.insert(args.end(), {"-c", std::to_string(connections), "--duration", go_duration(end - at)});
    if (s.method != "GET") args.insert(args.end(), {"-X", s.method});
    if (s.grpc) args.push_back("--grpc");
    for (const auto& [k, v] : s.headers) args.insert(args.end(), {"-H", k + ": " + v});
    // headerMix: each weighted header set as --mix PERCENT (its first header) and "+:" for the rest of the
    // set; shares rounded down to load's millionths, so they never sum above 100.
    uint64_t mix_total = 0;
    for (const auto& m : s.header_mix) mix_total += m.weight;
    for (const auto& m : s.header_mix)
      for (size_t i = 0; i < m.headers.size() && mix_total > 0; ++i)
        args.insert(args.end(), {"--mix", (i == 0 ? number(std::floor(1e6 * m.weight / static_cast<double>(mix_total)) / 1e4) : std::string("+")) +
                                              ":" + m.headers[i].first + ": " + m.headers[i].second});
    args.push_back(s.url);
    std::string out = fmt::format(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {}\n  namespace: {}\n  labels:\n    {}\n    meshsim.dev/traffic: {}\n"
        "spec:\n  backoffLimit: 0\n  template:\n    metadata:\n      labels:\n{}",
        load_job_name(s), yaml_string(ns), kManagedBy, yaml_string(label_value(s.name)), labels_block(labels, 8));
    if (s.sidecar) out += fmt::format("      annotations:\n        {}: \"true\"\n", kNativeSidecarAnnotation);
    out += "    spec:\n      restartPolicy: Never\n";
    if (!service_account.empty()) out += "      serviceAccountName: " + yaml_string(service_account) + "\n";
    out += "      containers:\n      - name: load\n        image: " + yaml_string(o_.image) + "\n";
    if (s.sidecar) out += "        command:\n        - /bin/sh\n        - -c\n        - " + yaml_string(kQuitProxy) + "\n        - meshsim-load\n";
    else args.insert(args.begin(), "load");
    out += "        args:\n";
    for (const auto& a : args) out += "        - " + yaml_string(a) + "\n";
    return out;
  }

  static std::string load_job_name(const TrafficSource& s) { return dns_label("load-" + s.name); }

  // The deployments a name in injectSidecars/removeSidecars stands for.
  std::vector<std::string> matching_workloads(const std::string& name) const {
    std::vector<std::string> keys;
    for (const auto& [key, d] : deployments_) {
      if (is_gateway_pod(d)) continue;
      bool client = false;
      for (const auto& s : sc_.sources) client = client || (s.from == d.header.meta.name);
      if (client) continue;  // traffic clients keep their own setting
      auto app = d.pod_labels.find("app");
      if (name == "*" || name == d.header.meta.name || (app != d.pod_labels.end() && app->second == name)) keys.push_back(key);
    }
    return keys;
  }

  static std::string kubectl_resource(const std::string& kind) {
    static const std::map<std::string, std::string> names = {
        {"Deployment", "deployment"},
        {"Service", "service"},
        {"VirtualService", "virtualservices.networking.istio.io"},
        {"DestinationRule", "destinationrules.networking.istio.io"},
        {"AuthorizationPolicy", "authorizationpolicies.security.istio.io"},
        {"PeerAuthentication", "peerauthentications.security.istio.io"},
        {"RequestAuthentication", "requestauthentications.security.istio.io"},
        {"ServiceEntry", "serviceentries.networking.istio.io"},
        {"Gateway", "gateways.networking.istio.io"},
        {"Sidecar", "sidecars.networking.istio.io"},
        {"HTTPRoute", "httproutes.gateway.networking.k8s.io"},
        {"GRPCRoute", "grpcroutes.gateway.networking.k8s.io"}};
    auto it = names.find(kind);
    return it != names.end() ? it->second : kind;
  }

  std::string run(const std::vector<std::string>& words) const {
    std::string line = "run \"$KUBECTL\"";
    for (const auto& w : words) line += " " + shell_word(w);
    return line + "\n";
  }

  // One timeline step: its manifest file and the script lines.
  std::string step_lines(const Step& st, size_t number) {
    std::string lines;
    std::string slug = fmt::format("{:02}-at-{}", number, offset_text(st.at));
    if (!st.step) {
      const TrafficSource* s = source_named(st.source);
      std::string job = s ? load_job(*s, st.at) : "";
      if (job.empty()) return {};
      std::string path = fmt::format("traffic/{}-at-{}.yaml", dns_label(s->name), offset_text(st.at));
      add(path, doc(job));
      lines += fmt::format("step {} {} ''\n", st.at.count() / 1000, shell_word("traffic " + s->name + " starts"));
      lines += run({"delete", "job", load_job_name(*s), "-n", map_ns(s->from_namespace), "--ignore-not-found"});
      lines += run({"apply", "-f", path});
      return lines;
    }
    const TimelineStep& t = *st.step;
    lines += fmt::format("step {} {} {}\n", st.at.count() / 1000, shell_word(t.caption.empty() ? "(no caption)" : t.caption),
                         shell_word(t.command));
    if (!t.say.empty()) lines += "say " + shell_word(t.say) + " " + shell_word(t.say_reply) + "\n";
    // What the step applies, Deployments regenerated, plus ConfigMaps.
    std::string manifest;
    std::set<std::string> created;
    if (t.apply) {
      for (const auto& s : t.apply->services) current_services_.push_back(s);
      for (const auto& d : t.apply->deployments) {
        std::string key = key_of(map_ns(d.header.meta.ns), d.header.meta.name);
        if (!deployments_.count(key)) created.insert(key);
        track_new_deployment(d);
      }
    }
    auto inject = [&](const std::vector<std::string>& names, bool on, std::vector<std::string>& patched) {
      for (const auto& name : names)
        for (const auto& key : matching_workloads(name)) {
          if (injected_[key] == on && !created.count(key)) continue;
          injected_[key] = on;
          if (!created.count(key) && std::find(patched.begin(), patched.end(), key) == patched.end()) patched.push_back(key);
        }
    };
    std::vector<std::string> patched;
    inject(t.inject_sidecars, true, patched);
    inject(t.remove_sidecars, false, patched);
    for (const auto& b : t.behaviors) {
      auto it = std::find_if(behaviors_.begin(), behaviors_.end(), [&](const auto& e) { return e.name == b.name; });
      if (it == behaviors_.end()) behaviors_.push_back(b);
      else *it = b;
    }
    if (t.apply) {
      for (const auto& m : in_.steps[st.index]) {
        if (is_meshsim_kind(m)) continue;
        if (m.kind == "Deployment" && is_workload_doc(m, *t.apply)) {
          const Deployment& d = deployments_.at(key_of(m.ns, m.name));
          manifest += doc(behavior_configmap(d)) + doc(deployment(d));
        } else {
          if (m.kind == "Namespace") namespaces_.insert(m.name);
          manifest += doc(m.yaml);
        }
      }
    }
    std::vector<std::string> restarted;
    for (const auto& [key, d] : deployments_) {
      if (is_gateway_pod(d) || created.count(key)) continue;
      std::string text = behavior_text(d);
      if (behavior_written_[key] == text) continue;
      manifest += doc(behavior_configmap(d));
      restarted.push_back(key);
    }
    if (!manifest.empty()) {
      std::string path = fmt::format("timeline/{}.yaml", slug);
      add(path, manifest);
      lines += run({"apply", "-f", path});
    }
    for (const auto& key : t.delete_keys) {
      // "Kind/namespace/name"
      size_t a = key.find('/'), b = key.rfind('/');
      std::string kind = key.substr(0, a), ns = map_ns(key.substr(a + 1, b - a - 1)), name = key.substr(b + 1);
      lines += run({"delete", kubectl_resource(kind), name, "-n", ns, "--ignore-not-found"});
      if (kind == "Deployment") deployments_.erase(key_of(ns, name));
    }
    for (const auto& key : patched) {
      const Deployment& d = deployments_.at(key);
      std::string patch = fmt::format(R"({{"spec":{{"template":{{"metadata":{{"labels":{{"{}":"{}"}}}}}}}}}})", kInjectLabel,
                                      injected_[key] ? "true" : "false");
      lines += run({"patch", "deployment", d.header.meta.name, "-n", map_ns(d.header.meta.ns), "--type", "merge", "-p", patch});
    }
    for (const auto& key : restarted) {
      if (std::find(patched.begin(), patched.end(), key) != patched.end()) continue;  // the patch restarts it already
      const Deployment& d = deployments_.at(key);
      lines += run({"rollout", "restart", "deployment/" + d.header.meta.name, "-n", map_ns(d.header.meta.ns)});
    }
    for (const auto& [workload, replicas] : t.scale)
      for (const auto& [key, d] : deployments_)
        if (d.header.meta.name == workload)
          lines += run({"scale", "deployment/" + workload, "--replicas=" + std::to_string(replicas), "-n", map_ns(d.header.meta.ns)});
    for (const auto& name : t.stop_sources)
      if (const TrafficSource* s = source_named(name))
        lines += run({"delete", "job", load_job_name(*s), "-n", map_ns(s->from_namespace), "--ignore-not-found"});
    for (const auto& name : t.start_sources) {
      const TrafficSource* s = source_named(name);
      std::string job = s ? load_job(*s, st.at) : "";
      if (job.empty()) continue;
      std::string path = fmt::format("traffic/{}-at-{}.yaml", dns_label(s->name), offset_text(st.at));
      add(path, doc(job));
      lines += run({"delete", "job", load_job_name(*s), "-n", map_ns(s->from_namespace), "--ignore-not-found"});
      lines += run({"apply", "-f", path});
    }
    return lines;
  }

  void timeline_script() {
    std::vector<Step> steps;
    std::set<std::string> started_by_steps;
    for (const auto& t : sc_.timeline) started_by_steps.insert(t.start_sources.begin(), t.start_sources.end());
    for (const auto& s : sc_.sources)
      if (!started_by_steps.count(s.name)) steps.push_back({s.start, nullptr, 0, s.name});
    for (size_t i = 0; i < sc_.timeline.size(); ++i) steps.push_back({sc_.timeline[i].at, &sc_.timeline[i], i, ""});
    // In time order; at equal times sources first, then steps as written
    // (the runner starts sources at their time before the steps run).
    std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
      if (a.at != b.at) return a.at < b.at;
      return !a.step && b.step;
    });
    std::string body;
    size_t number = 0;
    for (const auto& st : steps) body += step_lines(st, ++number);
    std::string script = fmt::format(R"SH(#!/bin/sh
# The timeline of scenario {name} ({file}), replayed against a real cluster.
# Written by `meshsim export k8s`. First `kubectl apply -f .` in this folder
# and wait for the pods (`kubectl rollout status deployment -n {ns}`), then
# run this script: t=0 is when it starts; each step waits for its offset,
# prints its caption and what the speaker types, and runs kubectl.
#   MESHSIM_DRY_RUN=1 ./timeline.sh   print every step without waiting or running
#   KUBECTL="kubectl --context=x"     another kubectl
# Then check the expectations on Istio's metrics:
#   meshsim check --prometheus URL {file} --start <the start time printed below>
set -eu
cd "$(dirname "$0")"
KUBECTL=${{KUBECTL:-kubectl}}
START_MS=$(($(date +%s%N) / 1000000))

# step OFFSET_MS CAPTION COMMAND: wait until OFFSET_MS after the start, print.
step() {{
  if [ -z "${{MESHSIM_DRY_RUN:-}}" ]; then
    now_ms=$(($(date +%s%N) / 1000000 - START_MS))
    if [ "$1" -gt "$now_ms" ]; then
      wait_ms=$(($1 - now_ms))
      sleep "$((wait_ms / 1000)).$(printf %03d $((wait_ms % 1000)))"
    fi
  fi
  printf '\n[%d.%03ds] %s\n' $(($1 / 1000)) $(($1 % 1000)) "$2"
  if [ -n "$3" ]; then printf '  on stage: %s\n' "$3"; fi
}}
say() {{ printf '  say "%s": %s\n' "$1" "$2"; }}
run() {{
  printf '  $ %s\n' "$*"
  if [ -z "${{MESHSIM_DRY_RUN:-}}" ]; then "$@"; fi
}}

printf 'scenario {name}: started at %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
{body}step {end} {end_caption} ''
)SH",
                                     fmt::arg("name", sc_.name), fmt::arg("file", in_.scenario_file), fmt::arg("ns", o_.ns),
                                     fmt::arg("body", body), fmt::arg("end", sc_.duration.count() / 1000),
                                     fmt::arg("end_caption", shell_word("end of scenario " + sc_.name)));
    add("timeline.sh", script, true);
  }

  std::string namespace_docs() const {
    std::string out;
    std::set<std::string> all = namespaces_;
    all.insert(o_.ns);
    for (const auto& m : in_.mesh) {
      if (!m.ns.empty()) all.insert(m.ns);
      if (m.kind == "Namespace") all.erase(m.name);  // the files' own Namespace wins
    }
    for (const auto& step : in_.steps)
      for (const auto& m : step) {
        if (!m.ns.empty()) all.insert(m.ns);
        if (m.kind == "Namespace") all.erase(m.name);
      }
    all.erase("istio-system");  // Istio's install owns it
    for (const auto& ns : all)
      out += doc(fmt::format("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n  labels:\n    istio-injection: enabled\n", yaml_string(ns)));
    return out;
  }

  std::string service_accounts() const {
    std::set<std::string> defined;
    for (const auto* docs : {&in_.mesh})
      for (const auto& m : *docs)
        if (m.kind == "ServiceAccount") defined.insert(key_of(m.ns, m.name));
    for (const auto& step : in_.steps)
      for (const auto& m : step)
        if (m.kind == "ServiceAccount") defined.insert(key_of(m.ns, m.name));
    std::string out;
    for (const auto& key : service_accounts_) {
      if (defined.count(key)) continue;
      size_t slash = key.find('/');
      out += doc(fmt::format("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {}\n  namespace: {}\n",
                             yaml_string(key.substr(slash + 1)), yaml_string(key.substr(0, slash))));
    }
    return out;
  }

  std::string readme() const {
    return fmt::format(R"MD(# {name} on a real cluster

Written by `meshsim export k8s {file}`. Needs Kubernetes with Istio
(sidecar mode) and the image `{image}` (build it from a meshsim checkout:
`docker build -t {image} -f Dockerfile .`, then push it where the cluster
pulls from).

    kubectl apply -f .                      # namespaces, workloads, mesh at t=0
    kubectl rollout status deployment -n {ns}
    ./timeline.sh                           # the timeline, captions on stdout

- Workloads run `meshsim app` with their Behavior from a ConfigMap
  (`*-behavior`); the scenario's other documents are kept as written.
- Traffic sources are `meshsim load` Jobs in `traffic/`, started by
  timeline.sh. A source with a sidecar asks for a native sidecar
  (`sidecar.istio.io/nativeSidecar`) and also stops the proxy through
  pilot-agent's `/quitquitquit` when done, so its Job completes on clusters
  without native sidecars too.
- `timeline/` holds what each step applies; timeline.sh applies it.
)MD",
                       fmt::arg("name", sc_.name), fmt::arg("file", in_.scenario_file), fmt::arg("image", o_.image),
                       fmt::arg("ns", o_.ns));
  }

  const K8sExportInput& in_;
  const Scenario& sc_;
  K8sExportOptions o_;
  std::vector<ExportFile> files_;
  std::map<std::string, Deployment> deployments_;  // "ns/name" as the timeline leaves them
  std::map<std::string, bool> injected_;
  std::map<std::string, std::string> behavior_written_;  // the ConfigMap text in force per deployment
  std::vector<BehaviorRule> behaviors_;
  std::vector<proxy::Service> current_services_;
  std::set<std::string> namespaces_;
  std::set<std::string> service_accounts_;  // "ns/name"
};

}  // namespace

std::vector<ExportFile> export_k8s(const K8sExportInput& input, const K8sExportOptions& options) {
  return K8sWriter(input, options).write();
}

std::string meshsim_dockerfile() {
  return R"DOCKER(# The meshsim image that `meshsim export` manifests run (meshsim app,
# meshsim load, meshsim run). Debian 12, built from a meshsim checkout:
#   docker build -t IMAGE -f Dockerfile /path/to/meshsim
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN scripts/install-deps.sh build \
 && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build --target meshsim \
 && install -D build/app/meshsim /out/usr/local/bin/meshsim \
 && for lib in $(ldd build/app/meshsim | awk '/=> \//{print $3}'); do \
      dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")"; \
    done | cut -d: -f1 | sort -u > /out/runtime-packages

FROM debian:12-slim
COPY --from=build /out/runtime-packages /tmp/runtime-packages
# The shared libraries meshsim links (found by ldd above), curl for the
# load Jobs that stop their sidecar, and the CA bundle.
RUN apt-get update \
 && apt-get install -y --no-install-recommends $(cat /tmp/runtime-packages) curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages
COPY --from=build /out/usr/local/bin/meshsim /usr/local/bin/meshsim
USER 65532
ENTRYPOINT ["meshsim"]
)DOCKER";
}

}  // namespace meshsim::sim
