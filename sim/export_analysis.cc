#include "sim/export_analysis.h"

#include <map>
#include <set>

#include <fmt/format.h>

#include "sim/export_text.h"

namespace meshsim::sim {
namespace {

constexpr const char* kRequests = "istio_requests_total";
constexpr const char* kDurationBuckets = "istio_request_duration_milliseconds_bucket";
// A share is statistical: the run fails it only beyond share.sigmas (default
// 4) standard errors of the expected fraction (README, "How sure a share
// is"); the query returns the distance in standard errors so the same
// tolerance applies on a cluster.

std::string number(double v) { return fmt::format("{}", v); }

std::string host_of_url(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find_first_of(":/", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

class Checks {
 public:
  Checks(const Scenario& sc, const AnalysisExportOptions& o) : sc_(sc), o_(o) {}

  std::vector<PromQLCheck> all() {
    std::vector<PromQLCheck> out;
    std::set<std::string> names;
    for (const auto& e : sc_.expectations) {
      PromQLCheck c = check(e);
      std::string base = dns_label(e.name), name = base;
      for (int i = 2; names.count(name); ++i) name = dns_label(base.substr(0, 58) + "-" + std::to_string(i));
      names.insert(name);
      c.name = name;
      out.push_back(std::move(c));
    }
    return out;
  }

 private:
  const TrafficSource* source(const std::string& name) const {
    for (const auto& s : sc_.sources)
      if (s.name == name) return &s;
    return nullptr;
  }

  std::string map_ns(const std::string& ns) const { return ns == "default" ? o_.ns : ns; }

  PromQLCheck check(const Expectation& e) {
    PromQLCheck c;
    Duration end = e.to ? *e.to : sc_.duration;
    c.window_end = end;
    c.window_length = end > e.from ? end - e.from : Duration(1'000'000);
    c.min = e.min;
    c.max = e.max;
    std::vector<std::string> labels;
    const TrafficSlice& s = e.slice;
    bool source_only = !s.source.empty() && !s.destination_side();
    if (e.kind == Expectation::Kind::kBody) {
      c.unsupported = "a response body is not in Istio's metrics";
      return c;
    }
    if (e.kind == Expectation::Kind::kReceived) {
      c.unsupported = "the headers an app received are not in Istio's metrics";
      return c;
    }
    if (!s.labels.empty() || !s.from_labels.empty()) {
      c.unsupported = "Istio's metrics carry no pod labels besides app and version";
      return c;
    }
    if (!s.source.empty() && !source_only) {
      c.unsupported = "Istio's metrics do not say which traffic source caused a call further in";
      return c;
    }
    if (source_only) {
      const TrafficSource* src = source(s.source);
      if (!src) {
        c.unsupported = "no traffic source " + s.source;
        return c;
      }
      c.target_service = host_of_url(src->url);
      if (!src->from.empty() && src->from[0] == '@') {
        c.unsupported = "traffic from " + src->from + " enters through a gateway, whose metrics do not tell sources apart";
        return c;
      }
      if (src->sidecar) {
        // The load Job's own sidecar reports its calls.
        labels = {"reporter=\"source\"", fmt::format("source_workload=\"{}\"", dns_label("load-" + src->name)),
                  fmt::format("source_workload_namespace=\"{}\"", map_ns(src->from_namespace))};
      } else {
        // No sidecar on the client: the callee's sidecar sees it by its app label.
        labels = {"reporter=\"destination\"", fmt::format("source_app=\"{}\"", label_value(src->from))};
      }
    } else {
      labels = {"reporter=\"destination\""};
      if (!s.from.empty()) labels.push_back(fmt::format("source_app=\"{}\"", s.from));
      if (!s.service.empty()) {
        if (s.service.find('.') != std::string::npos) labels.push_back(fmt::format("destination_service=\"{}\"", s.service));
        else
          labels.insert(labels.end(), {fmt::format("destination_service_name=\"{}\"", s.service),
                                       fmt::format("destination_service_namespace=\"{}\"", o_.ns)});
        c.target_service = s.service.substr(0, s.service.find('.'));
      }
      if (!s.version.empty()) labels.push_back(fmt::format("destination_version=\"{}\"", s.version));
      if (!s.workload.empty()) labels.push_back(fmt::format("destination_workload=\"{}\"", s.workload));
      if (!s.app.empty()) labels.push_back(fmt::format("destination_app=\"{}\"", s.app));
    }
    std::string w = go_duration(c.window_length);
    auto sel = [&](std::vector<std::string> extra) {
      std::vector<std::string> all = labels;
      all.insert(all.end(), extra.begin(), extra.end());
      return fmt::format("{{{}}}", fmt::join(all, ","));
    };
    auto count = [&](std::vector<std::string> extra) {
      return fmt::format("sum(increase({}{}[{}]))", kRequests, sel(std::move(extra)), w);
    };
    std::string total = count({});
    switch (e.kind) {
      case Expectation::Kind::kShare: {
        std::string v = fmt::format("destination_version=\"{}\"", e.share_version);
        std::string not_v = fmt::format("destination_version!=\"{}\"", e.share_version);
        c.min.reset();
        if (e.expected <= 0) {
          c.query = count({v}) + " or vector(0)";  // every request: none to this version
          c.max = 0;
        } else if (e.expected >= 1) {
          c.query = count({not_v}) + " or vector(0)";  // every request: none elsewhere
          c.max = 0;
        } else {
          double p = e.expected;
          c.query = fmt::format("abs(({} or vector(0)) / {} - {}) / sqrt({} / {})", count({v}), total, number(p),
                                number(p * (1 - p)), total);
          c.max = e.share_sigmas;
        }
        break;
      }
      case Expectation::Kind::kErrorRate:
        // The run counts no answer (0), 4xx, 5xx and a gRPC status other than OK.
        c.query = fmt::format("1 - ({} or vector(0)) / {}", count({"response_code!~\"0|[45]..\"", "grpc_response_status=~\"0|\""}),
                              total);
        break;
      case Expectation::Kind::kStatusClass: {
        // A class ("5xx"), or one exact code (`code: N`; 0 is no response).
        std::string re = e.status_class.empty()      ? std::to_string(e.status_code)
                         : e.status_class == "4xx|5xx" ? "[45].."
                                                      : std::string(1, e.status_class[0]) + "..";
        c.query = fmt::format("({} or vector(0)) / {}", count({fmt::format("response_code=~\"{}\"", re)}), total);
        break;
      }
      case Expectation::Kind::kResponseFlag:
        // response_flags is Envoy's comma-joined list ("UT,URX"); PromQL regexes are anchored.
        c.query = fmt::format("({} or vector(0)) / {}",
                              count({fmt::format("response_flags=~\"(.*,)?{}(,.*)?\"", e.response_flag)}), total);
        break;
      case Expectation::Kind::kLatency:
        c.query = fmt::format("histogram_quantile({}, sum by (le) (rate({}{}[{}])))", number(e.percentile / 100), kDurationBuckets,
                              sel({}), w);
        c.min.reset();
        c.max.reset();
        if (e.latency_min) c.min = static_cast<double>(e.latency_min->count()) / 1000.0;  // milliseconds
        if (e.latency_has_max) c.max = static_cast<double>(e.latency_max.count()) / 1000.0;
        break;
      case Expectation::Kind::kRequests:
        c.query = total + " or vector(0)";
        break;
      case Expectation::Kind::kBody:
      case Expectation::Kind::kReceived:
        break;
    }
    return c;
  }

  const Scenario& sc_;
  const AnalysisExportOptions& o_;
};

std::string header(const Scenario& sc, const std::string& what) {
  return fmt::format("# {} for the expectations of scenario {}, written by `meshsim export`.\n", what, sc.name);
}

std::string skipped_comment(const std::vector<PromQLCheck>& checks) {
  std::string out;
  for (const auto& c : checks)
    if (!c.unsupported.empty()) out += fmt::format("# not exported: {} ({})\n", c.name, c.unsupported);
  return out;
}

std::string condition(const PromQLCheck& c) {
  std::vector<std::string> parts;
  if (c.min) parts.push_back("result[0] >= " + number(*c.min));
  if (c.max) parts.push_back("result[0] <= " + number(*c.max));
  return fmt::format("{}", fmt::join(parts, " && "));
}

// The deployment Flagger would promote for `service`: the one with the
// highest version label among the Deployments the scenario ever has.
const proxy::Deployment* canary_target(const Scenario& sc, const std::string& service, const proxy::Service** svc) {
  std::vector<const proxy::Service*> services;
  std::vector<const proxy::Deployment*> deployments;
  auto collect = [&](const proxy::Resources& r) {
    for (const auto& s : r.services) services.push_back(&s);
    for (const auto& d : r.deployments) deployments.push_back(&d);
  };
  collect(sc.resources);
  for (const auto& t : sc.timeline)
    if (t.apply) collect(*t.apply);
  *svc = nullptr;
  for (const auto* s : services)
    if (s->header.meta.name == service) *svc = s;
  if (!*svc || (*svc)->selector.empty()) return nullptr;
  const proxy::Deployment* best = nullptr;
  auto version = [](const proxy::Deployment* d) {
    auto it = d->pod_labels.find("version");
    return it == d->pod_labels.end() ? std::string() : it->second;
  };
  for (const auto* d : deployments)
    if (proxy::labels_select((*svc)->selector, d->pod_labels) && (!best || version(d) >= version(best))) best = d;
  return best;
}

}  // namespace

std::vector<PromQLCheck> promql_checks(const Scenario& scenario, const AnalysisExportOptions& options) {
  return Checks(scenario, options).all();
}

std::string export_flagger(const Scenario& sc, const AnalysisExportOptions& o) {
  auto checks = promql_checks(sc, o);
  std::string out = header(sc, "Flagger MetricTemplates and Canary analyses") + skipped_comment(checks);
  std::map<std::string, std::vector<const PromQLCheck*>> by_service;
  for (const auto& c : checks) {
    if (c.query.empty()) continue;
    // Flagger fills {{ interval }} from the metric's interval.
    std::string query = c.query;
    std::string literal = "[" + go_duration(c.window_length) + "]";
    for (size_t at = query.find(literal); at != std::string::npos; at = query.find(literal, at))
      query.replace(at, literal.size(), "[{{ interval }}]");
    out += fmt::format(
        "---\napiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata:\n  name: {}\n  namespace: {}\nspec:\n"
        "  provider:\n    type: prometheus\n    address: {}\n  query: {}\n",
        dns_label(sc.name + "-" + c.name), yaml_string(o.ns), yaml_string(o.prometheus), yaml_string(query));
    by_service[c.target_service].push_back(&c);
  }
  for (const auto& [service, list] : by_service) {
    const proxy::Service* svc = nullptr;
    const proxy::Deployment* target = service.empty() ? nullptr : canary_target(sc, service, &svc);
    if (!target || svc->ports.empty()) {
      out += "# no Canary for checks on " + (service.empty() ? std::string("the whole mesh") : service) +
             ": no Deployment behind a Service of that name\n";
      continue;
    }
    out += fmt::format(
        "---\napiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: {}\n  namespace: {}\nspec:\n"
        "  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: {}\n  service:\n    port: {}\n"
        "  analysis:\n    interval: 1m\n    threshold: 5\n    maxWeight: 50\n    stepWeight: 10\n    metrics:\n",
        dns_label(sc.name + "-" + service), yaml_string(o.ns), yaml_string(target->header.meta.name), svc->ports.front().port);
    for (const auto* c : list) {
      out += fmt::format("    - name: {}\n      interval: {}\n      templateRef:\n        name: {}\n        namespace: {}\n      thresholdRange:\n",
                         c->name, go_duration(c->window_length), dns_label(sc.name + "-" + c->name), yaml_string(o.ns));
      if (c->min) out += "        min: " + number(*c->min) + "\n";
      if (c->max) out += "        max: " + number(*c->max) + "\n";
    }
  }
  return out;
}

std::string export_argo_rollouts(const Scenario& sc, const AnalysisExportOptions& o) {
  auto checks = promql_checks(sc, o);
  std::string out = header(sc, "An Argo Rollouts AnalysisTemplate") + skipped_comment(checks);
  out += fmt::format("---\napiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: {}\n  namespace: {}\nspec:\n  metrics:\n",
                     dns_label(sc.name), yaml_string(o.ns));
  bool any = false;
  for (const auto& c : checks) {
    if (c.query.empty()) continue;
    any = true;
    // Measured once, when the window closes (t=0 is the analysis start).
    out += fmt::format(
        "  - name: {}\n    initialDelay: {}\n    count: 1\n    failureLimit: 0\n    successCondition: {}\n"
        "    provider:\n      prometheus:\n        address: {}\n        query: {}\n",
        c.name, go_duration(c.window_end), yaml_string(condition(c)), yaml_string(o.prometheus), yaml_string(c.query));
  }
  if (!any) out += "  - name: no-checks\n    count: 1\n    successCondition: \"true\"\n    provider:\n      job:\n        spec:\n          template:\n            spec:\n              restartPolicy: Never\n              containers: [{name: ok, image: busybox, command: [\"true\"]}]\n";
  return out;
}

}  // namespace meshsim::sim
