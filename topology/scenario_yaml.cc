#include "topology/scenario_yaml.h"

#include <fmt/format.h>

namespace meshsim::topology {

std::optional<Rules> rules_from_name(std::string_view name) {
  if (name == "none") return Rules::kNone;
  if (name == "split") return Rules::kSplit;
  if (name == "header") return Rules::kHeader;
  return std::nullopt;
}

namespace {

std::string duration_text(Duration d) {
  auto us = d.count();
  if (us % 1'000'000 == 0) return fmt::format("{}s", us / 1'000'000);
  if (us % 1'000 == 0) return fmt::format("{}ms", us / 1'000);
  return fmt::format("{}us", us);
}

void deployment(std::string& out, const GraphService& s, const std::string& version) {
  fmt::format_to(std::back_inserter(out),
                 "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {0}-{1}}}\nspec:\n"
                 "  replicas: {2}\n  selector: {{matchLabels: {{app: {0}, version: {1}}}}}\n"
                 "  template:\n    metadata: {{labels: {{app: {0}, version: {1}}}}}\n"
                 "    spec:\n      serviceAccountName: {0}\n"
                 "      containers: [{{name: app, image: meshsim/synthetic, ports: [{{containerPort: 8080}}]}}]\n",
                 s.name, version, s.replicas);
}

void service(std::string& out, const GraphService& s) {
  // isotope's `type: grpc` is kept as a note only: a Behavior's calls are
  // HTTP/1.1, so the port stays http.
  fmt::format_to(std::back_inserter(out),
                 "---\n{1}apiVersion: v1\nkind: Service\nmetadata: {{name: {0}}}\nspec:\n  selector: {{app: {0}}}\n"
                 "  ports: [{{name: http, port: 80, targetPort: 8080}}]\n",
                 s.name, s.grpc ? "# isotope type grpc: called over HTTP/1.1 here\n" : "");
}

void call(std::string& out, const GraphCall& c) {
  out += "{service: " + c.service;
  if (c.request_bytes > 0) out += fmt::format(", size: {}", c.request_bytes);
  out += "}";
}

void behavior(std::string& out, const GraphService& s, const ScenarioOptions& o) {
  fmt::format_to(std::back_inserter(out),
                 "---\napiVersion: meshsim.dev/v1alpha1\nkind: Behavior\nmetadata: {{name: {0}}}\nspec:\n"
                 "  selector: {{app: {0}}}\n",
                 s.name);
  if (o.latency_p50.count() > 0)
    out += fmt::format("  latency: {{logNormal: {{p50: {}, p99: {}}}}}\n", duration_text(o.latency_p50),
                       duration_text(o.latency_p99));
  if (s.error_per_million > 0)
    out += fmt::format("  errorRate: {{percent: {}, status: 500, beforeCalls: true}}\n",
                       static_cast<double>(s.error_per_million) / 10000.0);
  if (s.response_bytes > 0) out += fmt::format("  response: {{size: {}}}\n", s.response_bytes);
  if (!s.script.empty()) {
    out += "  calls:\n";
    for (const auto& step : s.script) {
      if (step.calls.empty()) {
        out += "  - {sleep: " + duration_text(step.sleep) + "}\n";
      } else if (step.calls.size() == 1) {
        out += "  - ";
        call(out, step.calls.front());
        out += "\n";
      } else {
        out += "  - parallel: [";
        for (size_t i = 0; i < step.calls.size(); ++i) {
          if (i) out += ", ";
          call(out, step.calls[i]);
        }
        out += "]\n";
      }
    }
  }
  if (o.rules == Rules::kHeader && o.versions > 1) out += "  propagateHeaders: [x-canary]\n";
}

void rules(std::string& out, const GraphService& s, const ScenarioOptions& o) {
  fmt::format_to(std::back_inserter(out),
                 "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: {0}}}\nspec:\n"
                 "  host: {0}\n  subsets:\n  - {{name: v1, labels: {{version: v1}}}}\n"
                 "  - {{name: v2, labels: {{version: v2}}}}\n",
                 s.name);
  fmt::format_to(std::back_inserter(out),
                 "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: {0}}}\nspec:\n"
                 "  hosts: [{0}]\n  http:\n",
                 s.name);
  if (o.rules == Rules::kSplit) {
    fmt::format_to(std::back_inserter(out),
                   "  - route:\n    - {{destination: {{host: {0}, subset: v1}}, weight: {1}}}\n"
                   "    - {{destination: {{host: {0}, subset: v2}}, weight: {2}}}\n",
                   s.name, 100 - kSplitV2Percent, kSplitV2Percent);
  } else {
    fmt::format_to(std::back_inserter(out),
                   "  - match: [{{headers: {{x-canary: {{exact: \"true\"}}}}}}]\n"
                   "    route: [{{destination: {{host: {0}, subset: v2}}}}]\n"
                   "  - route: [{{destination: {{host: {0}, subset: v1}}}}]\n",
                   s.name);
  }
}

// True when no request can fail: no service injects errors.
bool error_free(const ServiceGraph& g) {
  for (const auto& s : g.services)
    if (s.error_per_million > 0) return false;
  return true;
}

void scenario(std::string& out, const ServiceGraph& g, const ScenarioOptions& o) {
  auto entries = g.entrypoints();
  fmt::format_to(std::back_inserter(out),
                 "---\napiVersion: meshsim.dev/v1alpha1\nkind: Scenario\nmetadata: {{name: {}}}\nspec:\n"
                 "  description: \"synthetic mesh: {} services\"\n  seed: {}\n  duration: {}\n  linkLatency: 500us\n"
                 "  sidecars: {}\n  traffic:\n",
                 g.name, g.services.size(), o.seed, duration_text(o.duration), o.sidecars ? "injected" : "none");
  bool header_rules = o.rules == Rules::kHeader && o.versions > 1;
  for (const auto* e : entries) {
    fmt::format_to(std::back_inserter(out), "  - {{name: load-{0}, from: load-{0}, url: http://{0}/, rate: {1}}}\n", e->name,
                   o.rate_per_second);
    if (header_rules)
      fmt::format_to(std::back_inserter(out),
                     "  - {{name: canary-{0}, from: canary-{0}, sidecar: true, url: http://{0}/, rate: {1}, headers: "
                     "{{x-canary: \"true\"}}}}\n",
                     e->name, o.rate_per_second);
  }
  out += "  expectations:\n";
  // Each holds by construction: a constant arrival rate sends rate × duration
  // requests (more than half of them at any rate above 1/duration), a mesh
  // with no injected errors answers every one, and the rules put each
  // version's share where they say (a split is judged statistically).
  double seconds = static_cast<double>(o.duration.count()) / 1e6;
  for (const auto* e : entries) {
    auto sent = static_cast<uint64_t>(o.rate_per_second * seconds / 2);
    if (sent > 0)
      fmt::format_to(std::back_inserter(out),
                     "  - {{name: load-{0} sends its requests, source: load-{0}, requests: {{min: {1}}}}}\n", e->name,
                     sent);
    if (error_free(g))
      fmt::format_to(std::back_inserter(out),
                     "  - {{name: every request to {0} succeeds, source: load-{0}, errorRate: {{max: 0}}}}\n", e->name);
  }
  // Without sidecars nothing applies the rules (kube-proxy picks a pod) and
  // no proxy reports a version: no share to expect.
  if (o.versions < 2 || o.rules == Rules::kNone || !o.sidecars) return;
  // The rules are applied by the caller's sidecar: look at a service the
  // first entrypoint calls.
  const GraphService* entry = entries.empty() ? nullptr : entries.front();
  if (!entry || entry->script.empty()) return;
  std::string callee;
  for (const auto& step : entry->script)
    if (callee.empty() && !step.calls.empty()) callee = step.calls.front().service;
  if (callee.empty()) return;
  if (o.rules == Rules::kSplit) {
    fmt::format_to(std::back_inserter(out),
                   "  - {{name: {0} v2 gets {1}%, service: {0}, share: {{version: v2, equals: {2}}}}}\n", callee,
                   kSplitV2Percent, kSplitV2Percent / 100.0);
  } else {
    fmt::format_to(std::back_inserter(out),
                   "  - {{name: canary requests reach {0} v2, source: canary-{1}, service: {0}, share: {{version: v2, "
                   "equals: 1}}}}\n"
                   "  - {{name: other requests stay on {0} v1, source: load-{1}, service: {0}, share: {{version: v2, "
                   "equals: 0}}}}\n",
                   callee, entry->name);
  }
}

}  // namespace

std::string scenario_yaml(const ServiceGraph& g, const ScenarioOptions& o) {
  std::string out;
  if (!o.comment.empty()) out += "# " + o.comment + "\n";
  int versions = o.versions < 2 ? 1 : 2;
  for (const auto& s : g.services) {
    for (int v = 1; v <= versions; ++v) deployment(out, s, "v" + std::to_string(v));
    service(out, s);
    behavior(out, s, o);
    if (versions > 1 && o.rules != Rules::kNone) rules(out, s, o);
  }
  scenario(out, g, o);
  // The first document needs no leading separator.
  if (out.rfind("---\n", 0) == 0) out.erase(0, 4);
  return out;
}

}  // namespace meshsim::topology
