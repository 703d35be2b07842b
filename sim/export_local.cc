#include "sim/export_local.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "proxy_core/injection.h"
#include "sim/curl.h"
#include "sim/export_text.h"
#include "sim/scenario_runner.h"

namespace meshsim::sim {
namespace {

using proxy::Deployment;

// One `meshsim load` connection carries at most this many requests a second
// (as in export_k8s.cc: Fortio splits -qps over -c sequential connections).
constexpr double kQpsPerConnection = 50;

bool is_gateway_pod(const Deployment& d) {
  auto it = d.pod_annotations.find("inject.istio.io/templates");
  return it != d.pod_annotations.end() && it->second == "gateway";
}

bool is_meshsim_kind(const ManifestDocument& m) { return m.api_version.rfind("meshsim.dev/", 0) == 0; }

// A shell variable name part for a Kubernetes name ("bar-v1" -> "bar_v1").
std::string var_name(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

struct Workload {
  Deployment deployment;
  std::string created_doc;  // the Deployment document, for a workload the timeline creates
};

class LocalWriter {
 public:
  LocalWriter(const K8sExportInput& in, const LocalExportOptions& o) : in_(in), sc_(*in.scenario), o_(o) {}

  std::vector<ExportFile> write() {
    for (const auto& d : sc_.resources.deployments)
      if (!is_gateway_pod(d)) workloads_.push_back({d, ""});
    for (size_t i = 0; i < sc_.timeline.size(); ++i) {
      const auto& t = sc_.timeline[i];
      if (!t.apply) continue;
      for (const auto& d : t.apply->deployments) {
        if (is_gateway_pod(d) || workload(d.header.meta.name)) continue;
        std::string doc;
        for (const auto& m : in_.steps[i])
          if (m.kind == "Deployment" && m.name == d.header.meta.name) doc = m.yaml;
        workloads_.push_back({d, doc});
      }
    }
    for (const auto& w : workloads_)  // as the simulator decides: the pod template, its Namespace, the default
      injected_[w.deployment.header.meta.name] = proxy::sidecar_injected(sc_.resources, w.deployment, sc_.sidecars_injected);
    for (const auto& s : sc_.sources) {
      if (workload(s.from)) injected_[s.from] = s.sidecar;  // a traffic client keeps its own setting
      if (!synthetic_client(s)) continue;
      injected_[s.from] = true;
      add("clients/" + s.from + ".yaml", client_deployment(s));
    }
    std::string mesh;
    for (const auto& m : in_.mesh)
      if (!is_meshsim_kind(m)) mesh += "---\n" + m.yaml;
    add("mesh.yaml", mesh);
    for (const auto& w : workloads_) {
      add("behaviors/" + w.deployment.header.meta.name + ".yaml", behavior_text(w.deployment));
      if (!w.created_doc.empty()) add("created/" + w.deployment.header.meta.name + ".yaml", "---\n" + w.created_doc);
    }
    add("prometheus.yml", prometheus_config());
    add("run.sh", run_script(), true);
    add("README.md", readme());
    std::sort(files_.begin(), files_.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return files_;
  }

 private:
  const Workload* workload(const std::string& name) const {
    for (const auto& w : workloads_)
      if (w.deployment.header.meta.name == name) return &w;
    return nullptr;
  }

  void add(std::string path, std::string content, bool executable = false) {
    if (path.ends_with(".yaml") || path.ends_with(".yml"))
      content = fmt::format("# Written by `meshsim export local` (scenario {}).\n", sc_.name) + content;
    files_.push_back({std::move(path), std::move(content), executable});
  }

  // The Behavior `meshsim app --behavior` reads (the simulator's default, 200
  // and no body, when none selects the pod).
  std::string behavior_text(const Deployment& d) const {
    const BehaviorRule* b = most_specific_behavior(d.pod_labels, sc_.behaviors);
    std::string out = "apiVersion: meshsim.dev/v1alpha1\nkind: Behavior\nmetadata:\n";
    if (b && !b->spec_yaml.empty()) return out + "  name: " + yaml_string(b->name) + "\nspec:\n" + indent_lines(b->spec_yaml, 2);
    out += "  name: " + yaml_string(d.header.meta.name) + "\nspec:\n  selector:\n";
    for (const auto& [k, v] : d.pod_labels) out += "    " + yaml_string(k) + ": " + yaml_string(v) + "\n";
    return out;
  }

  std::string prometheus_config() const {
    // Istio's own scrape of the sidecars' merged metrics, with the targets
    // run.sh writes once the kernel has picked the ports (file_sd_configs).
    return fmt::format(R"(global:
  scrape_interval: {interval}
  evaluation_interval: {interval}
scrape_configs:
- job_name: meshsim-sidecars
  scrape_interval: {interval}
  scrape_timeout: {interval}
  metrics_path: /stats/prometheus
  file_sd_configs:
  - files: [run/targets.json]
    refresh_interval: 1s
)",
                       fmt::arg("interval", "1s"));
  }

  // `meshsim load` flags for source `s` started at `at` (empty: it would not run).
  std::vector<std::string> load_args(const TrafficSource& s, proxy::Duration at) const {
    proxy::Duration end = s.stop ? std::min(*s.stop, sc_.duration) : sc_.duration;
    if (end <= at) return {};
    std::vector<std::string> args;
    auto number = [](double v) { return fmt::format("{}", v); };
    double peak = std::max(s.rate_per_second, s.rate_end_per_second);
    switch (s.kind) {
      case TrafficSource::Kind::kConstant: args = {"--qps", number(s.rate_per_second)}; break;
      case TrafficSource::Kind::kPoisson: args = {"--qps", number(s.rate_per_second), "--arrival", "poisson"}; break;
      case TrafficSource::Kind::kRamp:
        args = {"--qps", number(s.rate_per_second), "--arrival", "ramp", "--ramp-to", number(s.rate_end_per_second)};
        break;
      case TrafficSource::Kind::kClosedLoop: args = {"--qps", "0"}; break;
    }
    int connections = s.kind == TrafficSource::Kind::kClosedLoop ? s.concurrency
                                                                  : std::max(1, static_cast<int>(std::ceil(peak / kQpsPerConnection)));
    args.insert(args.end(), {"-c", std::to_string(connections), "--duration", go_duration(end - at)});
    args.insert(args.end(), {"--seed", std::to_string(sc_.seed)});
    if (s.method != "GET") args.insert(args.end(), {"-X", s.method});
    for (const auto& [k, v] : s.headers) args.insert(args.end(), {"-H", k + ": " + v});
    args.push_back(s.url);
    return args;
  }

  static std::string words(const std::vector<std::string>& ws) {
    std::string out;
    for (const auto& w : ws) out += " " + shell_word(w);
    return out;
  }

  // Service names the apps call, each resolved to the caller's own sidecar.
  std::vector<std::string> service_hosts() const {
    std::set<std::string> hosts;
    auto add_services = [&hosts](const proxy::Resources& r) {
      for (const auto& s : r.services) {
        hosts.insert(s.header.meta.name);
        hosts.insert(fmt::format("{}.{}", s.header.meta.name, s.header.meta.ns));
        hosts.insert(fmt::format("{}.{}.svc.cluster.local", s.header.meta.name, s.header.meta.ns));
      }
    };
    add_services(sc_.resources);
    for (const auto& t : sc_.timeline)
      if (t.apply) add_services(*t.apply);
    return {hosts.begin(), hosts.end()};
  }

  std::string start_load(const TrafficSource& s, proxy::Duration at) const {
    auto args = load_args(s, at);
    if (args.empty()) return fmt::format("  echo '  (traffic {} would not run: it ends before {})'\n", s.name, go_duration(at));
    auto url = parse_url(s.url, nullptr);
    std::string host = url ? url->host : "";
    return fmt::format("  start load_{v} \"$MESHSIM\" load --json \"$RUN/load-{n}.json\" --resolve \"{h}=127.0.0.1:$src_{v}_port\"{a}\n",
                       fmt::arg("v", var_name(s.name)), fmt::arg("n", s.name), fmt::arg("h", host), fmt::arg("a", words(args)));
  }

  // A source with a sidecar whose client the files do not define: the
  // simulator creates one (app: FROM); its proxy gets that Deployment.
  bool synthetic_client(const TrafficSource& s) const {
    return s.sidecar && !workload(s.from) && s.from != kOutsideSource;
  }

  static std::string client_deployment(const TrafficSource& s) {
    return fmt::format(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {n}\n  namespace: {ns}\nspec:\n  selector:\n"
        "    matchLabels:\n      app: {n}\n  template:\n    metadata:\n      labels:\n        app: {n}\n    spec:\n"
        "      containers:\n      - name: client\n        image: meshsim\n",
        fmt::arg("n", yaml_string(s.from)), fmt::arg("ns", yaml_string(s.from_namespace)));
  }

  bool is_client(const std::string& workload) const {
    for (const auto& s : sc_.sources)
      if (s.from == workload) return true;
    return false;
  }

  // injectSidecars/removeSidecars: a workload's name, its app label, or "*"
  // (traffic clients keep their own setting), as export_k8s.cc reads them.
  void inject(const std::vector<std::string>& names, bool on) {
    for (const auto& name : names)
      for (const auto& w : workloads_) {
        const Deployment& d = w.deployment;
        auto app = d.pod_labels.find("app");
        if (is_client(d.header.meta.name)) continue;
        if (name == "*" || name == d.header.meta.name || (app != d.pod_labels.end() && app->second == name))
          injected_[d.header.meta.name] = on;
      }
  }

  // The `inject_all` line that tells every proxy which pods have sidecars now.
  std::string injection_line() const {
    std::string body;
    for (const auto& [name, on] : injected_) body += fmt::format("{}{}={}", body.empty() ? "" : "\n", name, on ? "on" : "off");
    return "inject_all " + shell_word(body) + "\n";
  }

  const TrafficSource* source_named(const std::string& name) const {
    for (const auto& s : sc_.sources)
      if (s.name == name) return &s;
    return nullptr;
  }

  std::string timeline_lines() {
    struct Step {
      proxy::Duration at{0};
      const TimelineStep* step = nullptr;  // null: a source starting at its own time
      size_t index = 0;
      const TrafficSource* source = nullptr;
    };
    std::vector<Step> steps;
    std::set<std::string> started_by_steps;
    for (const auto& t : sc_.timeline) started_by_steps.insert(t.start_sources.begin(), t.start_sources.end());
    for (const auto& s : sc_.sources)
      if (!started_by_steps.count(s.name)) steps.push_back({s.start, nullptr, 0, &s});
    for (size_t i = 0; i < sc_.timeline.size(); ++i) steps.push_back({sc_.timeline[i].at, &sc_.timeline[i], i, nullptr});
    // The runner's order: at equal times sources first, then steps as written.
    std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
      if (a.at != b.at) return a.at < b.at;
      return !a.step && b.step;
    });
    std::string out;
    size_t number = 0;
    for (const auto& st : steps) {
      int64_t ms = st.at.count() / 1000;
      if (!st.step) {
        out += fmt::format("at {} {}\n", ms, shell_word("traffic " + st.source->name + " starts"));
        out += start_load(*st.source, st.at);
        continue;
      }
      const TimelineStep& t = *st.step;
      out += fmt::format("at {} {}\n", ms, shell_word(t.caption.empty() ? "(no caption)" : t.caption));
      if (!t.command.empty()) out += fmt::format("  echo {}\n", shell_word("  on stage: " + t.command));
      std::string manifest;
      for (const auto& m : in_.steps[st.index])
        if (!is_meshsim_kind(m)) manifest += "---\n" + m.yaml;
      if (!manifest.empty()) {
        std::string path = fmt::format("timeline/{:02}-at-{}.yaml", ++number, go_duration(t.at));
        add(path, manifest);
        out += "  apply_all " + shell_word(path) + "\n";
      }
      for (const auto& key : t.delete_keys) {
        size_t a = key.find('/'), b = key.rfind('/');
        out += "  delete_all" + words({key.substr(0, a), key.substr(b + 1), key.substr(a + 1, b - a - 1)}) + "\n";
      }
      // What processes on one host do not model: said, not skipped silently.
      auto not_here = [&out](const std::string& what) { out += "  echo " + shell_word("  (not run locally: " + what + ")") + "\n"; };
      if (!t.inject_sidecars.empty() || !t.remove_sidecars.empty()) {
        inject(t.inject_sidecars, true);
        inject(t.remove_sidecars, false);
        out += "  " + injection_line();
      }
      if (!t.scale.empty()) not_here("scaling; one process serves each workload");
      if (!t.behaviors.empty()) not_here("Behavior changes; each app keeps the Behavior it started with");
      for (const auto& name : t.stop_sources)
        out += fmt::format("  stop load_{}\n", var_name(name));
      for (const auto& name : t.start_sources)
        if (const TrafficSource* s = source_named(name)) out += start_load(*s, t.at);
    }
    return out;
  }

  std::string run_script() {
    std::string proxies, apps, endpoints, targets;
    std::string mesh_files = "-f mesh.yaml";
    auto resolve = [&](const std::string& var) {
      std::string out;
      for (const auto& h : service_hosts()) out += fmt::format(" --resolve \"{}=127.0.0.1:${}_port\"", h, var);
      return out;
    };
    std::vector<std::string> admin_vars;
    for (const auto& w : workloads_) {
      const Deployment& d = w.deployment;
      std::string name = d.header.meta.name, v = "pod_" + var_name(name);
      std::string extra = w.created_doc.empty() ? "" : " -f created/" + name + ".yaml";
      proxies += fmt::format("start {v} \"$MESHSIM\" proxy --listen 127.0.0.1:0 --admin-port 0 {f}{x} --pod {n}\n", fmt::arg("v", v),
                             fmt::arg("f", mesh_files), fmt::arg("x", extra), fmt::arg("n", shell_word(name)));
      proxies += fmt::format("{v}_port=$(port_of {v} 'listening on'); {v}_admin=$(port_of {v} admin)\n", fmt::arg("v", v));
      admin_vars.push_back(v + "_admin");
      std::vector<std::string> identity = {"--workload", name, "--pod", name, "--namespace", d.header.meta.ns};
      if (d.pod_labels.count("app")) identity.insert(identity.end(), {"--app", d.pod_labels.at("app")});
      if (d.pod_labels.count("version")) identity.insert(identity.end(), {"--version", d.pod_labels.at("version")});
      std::string app_var = "app_" + var_name(name);
      apps += fmt::format("start {a} \"$MESHSIM\" app --behavior behaviors/{n}.yaml --listen 127.0.0.1:0 --seed {seed}{id}{r}\n",
                          fmt::arg("a", app_var), fmt::arg("n", name), fmt::arg("seed", sc_.seed), fmt::arg("id", words(identity)),
                          fmt::arg("r", resolve(v)));
      apps += fmt::format("{a}_port=$(port_of {a} 'listening on')\n", fmt::arg("a", app_var));
      endpoints += fmt::format("{}{}=127.0.0.1:${}_port", endpoints.empty() ? "" : "\n", name, app_var);
    }
    for (const auto& s : sc_.sources) {
      std::string v = "src_" + var_name(s.name);
      std::string pod = !s.sidecar                ? ""
                        : workload(s.from)          ? " --pod " + shell_word(s.from)
                        : synthetic_client(s)       ? " -f " + shell_word("clients/" + s.from + ".yaml") + " --pod " + shell_word(s.from)
                                                    : "";
      proxies += fmt::format("start {v} \"$MESHSIM\" proxy --listen 127.0.0.1:0 --admin-port 0 {f}{p}\n", fmt::arg("v", v),
                             fmt::arg("f", mesh_files), fmt::arg("p", pod));
      proxies += fmt::format("{v}_port=$(port_of {v} 'listening on'); {v}_admin=$(port_of {v} admin)\n", fmt::arg("v", v));
      admin_vars.push_back(v + "_admin");
    }
    std::string admins;
    for (const auto& a : admin_vars) admins += " $" + a;
    for (size_t i = 0; i < admin_vars.size(); ++i)
      targets += fmt::format("{}\\\"127.0.0.1:${}\\\"", i ? ", " : "", admin_vars[i]);
    std::string scenario_words = words(o_.scenario_paths);
    std::string initial_injection = injection_line();  // before the timeline changes it
    return fmt::format(R"SH(#!/bin/sh
# Scenario {name} as real processes on 127.0.0.1 (written by `meshsim export
# local {file}`): a `meshsim app` per workload, a `meshsim proxy` sidecar per
# workload and per traffic source, `meshsim load` per source, the timeline
# applied through every proxy's admin API at its offset, and Prometheus
# (prometheus.yml) scraping every proxy's Istio metrics. Ports are picked by
# the kernel; logs, ports and load results go to ./run.
#   MESHSIM=/path/to/meshsim  the binary (default: meshsim on the PATH)
#   PROMETHEUS_PORT=9090      where the Prometheus this script starts listens
#   PROMETHEUS_URL=http://..  use this Prometheus instead (it must read
#                             prometheus.yml from this folder)
# With a Prometheus, t=0 waits until it scrapes every sidecar, and at the end
# `meshsim check --prometheus` judges the expectations (report in
# run/check/); the script exits with its code (0 all held, 1 some failed).
set -eu
cd "$(dirname "$0")"
MESHSIM=${{MESHSIM:-meshsim}}
RUN=run  # prometheus.yml reads run/targets.json
PROMETHEUS_PORT=${{PROMETHEUS_PORT:-9090}}
mkdir -p "$RUN"
rm -f "$RUN"/*.log "$RUN"/*.json "$RUN"/start
command -v curl >/dev/null || {{ echo "run.sh: needs curl (apt-get install curl)" >&2; exit 2; }}
pids=""
cleanup() {{
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}}
trap cleanup EXIT
# A closed pipe or terminal ends it too, with every process it started.
trap 'exit 130' INT TERM HUP PIPE
# start NAME COMMAND...: in the background, stderr to $RUN/NAME.log.
start() {{
  name=$1; shift
  "$@" >"$RUN/$name.out" 2>"$RUN/$name.log" &
  pids="$pids $!"
  eval "pid_$name=$!"
}}
stop() {{ eval "p=\${{pid_$1:-}}"; if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; fi; }}
# port_of NAME WORDS: the port NAME printed after WORDS (20 s at most).
port_of() {{
  i=0
  while [ $i -lt 200 ]; do
    p=$(sed -n "s|.*$2 http://[0-9.]*:\([0-9]*\)/.*|\1|p" "$RUN/$1.log" 2>/dev/null | head -n 1)
    if [ -n "$p" ]; then echo "$p"; return 0; fi
    i=$((i + 1)); sleep 0.1
  done
  echo "run.sh: $1 did not start:" >&2; cat "$RUN/$1.log" >&2; exit 1
}}
# The timeline's changes go to every sidecar, as istiod pushes to all.
apply_all() {{
  for a in $ADMINS; do "$MESHSIM" ctl --admin "127.0.0.1:$a" apply -f "$1" >/dev/null; done
  echo "  applied $1"
}}
# Which pods have sidecars (WORKLOAD=on|off lines), as injection plus a
# restart would leave them: a pod without one is reached in plain text and
# reports nothing; its own calls go through kube-proxy, not Istio's rules.
inject_all() {{
  for a in $ADMINS; do printf '%s\n' "$1" | curl -fsS -X POST --data-binary @- "http://127.0.0.1:$a/injection" >/dev/null; done
}}
delete_all() {{
  for a in $ADMINS; do "$MESHSIM" ctl --admin "127.0.0.1:$a" delete "$1" "$2" -n "$3" >/dev/null; done
  echo "  deleted $1 $3/$2"
}}
# at OFFSET_MS CAPTION: wait until OFFSET_MS after t=0, print the caption.
at() {{
  now_ms=$(($(date +%s%N) / 1000000 - START_MS))
  if [ "$1" -gt "$now_ms" ]; then
    wait_ms=$(($1 - now_ms))
    sleep "$((wait_ms / 1000)).$(printf %03d $((wait_ms % 1000)))"
  fi
  printf '[%d.%03ds] %s\n' $(($1 / 1000)) $(($1 % 1000)) "$2"
}}

# Sidecars first (the apps call through them), then the apps, then where each
# workload's pods are.
{proxies}ADMINS="{admins}"
{apps}ENDPOINTS="{endpoints}"
for a in $ADMINS; do
  printf '%s\n' "$ENDPOINTS" | curl -fsS -X POST --data-binary @- "http://127.0.0.1:$a/endpoints" >/dev/null
done
{injection}printf '[{{"targets": [%s], "labels": {{"scenario": "{name}"}}}}]\n' "{targets}" > "$RUN/targets.json.tmp"
mv "$RUN/targets.json.tmp" "$RUN/targets.json"

PROMETHEUS_URL=${{PROMETHEUS_URL:-}}
if [ -z "$PROMETHEUS_URL" ] && command -v prometheus >/dev/null; then
  start prometheus prometheus --config.file=prometheus.yml --storage.tsdb.path="$RUN/prometheus" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT"
  PROMETHEUS_URL="http://127.0.0.1:$PROMETHEUS_PORT"
fi
if [ -n "$PROMETHEUS_URL" ]; then
  # Prometheus applies new targets a few seconds late: t=0 waits until it
  # has scraped every sidecar ({count} of them), 60 s at most.
  i=0
  until [ "$(curl -fsS "$PROMETHEUS_URL/api/v1/query" --data-urlencode 'query=count(up{{job="meshsim-sidecars",scenario="{name}"}} == 1)' 2>/dev/null |
             sed -n 's|.*"value":\[[^,]*,"\([0-9]*\)"\].*|\1|p')" = {count} ]; do
    i=$((i + 1))
    if [ $i -gt 600 ]; then echo "run.sh: $PROMETHEUS_URL does not scrape the {count} sidecars (is it reading $(pwd)/prometheus.yml?)" >&2; exit 1; fi
    sleep 0.1
  done
else
  echo "run.sh: no Prometheus (install Debian's prometheus, or set PROMETHEUS_URL): the expectations will not be checked"
fi

START_MS=$(($(date +%s%N) / 1000000))
printf '%d.%03d\n' $((START_MS / 1000)) $((START_MS % 1000)) > "$RUN/start"
printf 'scenario {name}: t=0 at Unix %s (%s)\n' "$(cat "$RUN/start")" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
{timeline}at {end_ms} {end_caption}
# Two more scrapes after the end, then the loads' own reports.
sleep 2
printf 'check: meshsim check --prometheus URL{scenario} --start %s\n' "$(cat "$RUN/start")"
if [ -n "$PROMETHEUS_URL" ]; then
  set +e
  "$MESHSIM" check --prometheus "$PROMETHEUS_URL"{scenario} --start "$(cat "$RUN/start")" --out "$RUN/check"
  rc=$?
  exit $rc
fi
)SH",
                       fmt::arg("name", sc_.name), fmt::arg("file", in_.scenario_file), fmt::arg("proxies", proxies),
                       fmt::arg("admins", admins.empty() ? "" : admins.substr(1)), fmt::arg("apps", apps),
                       fmt::arg("endpoints", endpoints), fmt::arg("targets", targets), fmt::arg("timeline", timeline_lines()),
                       fmt::arg("end_ms", sc_.duration.count() / 1000),
                       fmt::arg("end_caption", shell_word("end of scenario " + sc_.name)), fmt::arg("scenario", scenario_words),
                       fmt::arg("count", admin_vars.size()), fmt::arg("injection", initial_injection));
  }

  std::string readme() const {
    return fmt::format(R"MD(# {name} as local processes

Written by `meshsim export local {file}`. No cluster: everything runs on
127.0.0.1 on ports the kernel picks.

    ./run.sh                                 # MESHSIM=path/to/meshsim if not on the PATH

- `behaviors/` holds each workload's Behavior (`meshsim app --behavior`).
- Every workload gets a `meshsim proxy --pod NAME` as its sidecar; its app
  calls services through it (`--resolve`). Each destination pod is reached
  through its own inbound sidecar inside the calling proxy, which reports
  Istio's destination-side metrics (reporter="destination").
- Each traffic source gets a proxy too (no `--pod` when the source has no
  sidecar: plain text, source labels `unknown`) and a `meshsim load`.
- `prometheus.yml` scrapes every proxy's `/stats/prometheus` each second;
  run.sh writes the targets to `run/targets.json`.
- The timeline's documents (`timeline/`) are pushed to every proxy's admin
  API (`meshsim ctl apply`), as istiod pushes to every sidecar. Not run
  locally (run.sh says so at the step): sidecar injection changes (every pod
  has its sidecar from the start), scaling, Behavior changes, ingress gateways.
)MD",
                       fmt::arg("name", sc_.name), fmt::arg("file", in_.scenario_file));
  }

  const K8sExportInput& in_;
  const Scenario& sc_;
  LocalExportOptions o_;
  std::vector<Workload> workloads_;
  std::map<std::string, bool> injected_;  // by workload, as the timeline leaves it
  std::vector<ExportFile> files_;
};

}  // namespace

std::vector<ExportFile> export_local(const K8sExportInput& input, const LocalExportOptions& options) {
  return LocalWriter(input, options).write();
}

}  // namespace meshsim::sim
