#include "sim/replay.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace meshsim::sim {

std::optional<ReplayCaller> replay_caller(const ReplayRequest& r, const proxy::Resources& resources) {
  if (r.workload.empty() && r.pod.empty()) return std::nullopt;
  const proxy::Deployment* best = nullptr;
  int best_score = 0;
  for (const auto& d : resources.deployments) {
    const std::string& name = d.header.meta.name;
    int score = 0;
    if (!r.workload.empty() && name == r.workload) score = 2;
    else if (!r.pod.empty() && r.pod.size() > name.size() && r.pod.starts_with(name) && r.pod[name.size()] == '-') score = 1;
    if (score == 0) continue;
    if (!r.ns.empty() && d.header.meta.ns == r.ns) score += 4;
    else if (!r.ns.empty()) continue;  // the line names another namespace
    if (score > best_score) best = &d, best_score = score;
  }
  if (!best) return std::nullopt;
  return ReplayCaller{best->header.meta.ns, best->header.meta.name};
}

std::vector<ReplayCaller> replay_callers(const TrafficSource& source, const proxy::Resources& resources,
                                         std::vector<std::string>* notes) {
  std::vector<ReplayCaller> out;
  if (!source.replay) return out;
  struct Unknown {
    int lines = 0, first = 0;
  };
  std::map<std::string, Unknown> unknown;  // by name: stable order
  for (const auto& r : source.replay->requests) {
    if (auto c = replay_caller(r, resources)) {
      out.push_back(std::move(*c));
      continue;
    }
    out.push_back({source.from_namespace, source.from});
    if (r.workload.empty() && r.pod.empty()) continue;  // the line names no caller: the source's is meant
    std::string name = !r.pod.empty() ? "pod " + r.pod : "workload " + r.workload;
    if (!r.ns.empty()) name += " in " + r.ns;
    Unknown& u = unknown[name];
    if (u.lines++ == 0 || r.line < u.first) u.first = r.line;
  }
  if (notes)
    for (const auto& [name, u] : unknown)
      notes->push_back(fmt::format("replay {}: {} line{} (first {}:{}) name {}, which is no Deployment of the files; sent from {}",
                                   source.name, u.lines, u.lines == 1 ? "" : "s", source.replay->file, u.first, name, source.from));
  return out;
}

std::optional<ReplaySend> replay_send(const ReplayRequest& r, const TrafficSource& source) {
  if (r.authority.empty()) return std::nullopt;
  std::string error;
  auto url = parse_url("http://" + r.authority + r.path, &error);
  if (!url) return std::nullopt;
  ReplaySend s;
  s.host = url->host;
  s.port = url->port;
  s.request.method = r.method;
  s.request.target = r.path;
  s.request.authority = r.authority;
  if (!r.user_agent.empty()) s.request.headers.add("user-agent", r.user_agent);
  for (const auto& [k, v] : source.headers) {
    if (proxy::iequals(k, "host")) s.request.authority = v;
    else s.request.headers.set(k, v);
  }
  if (!r.request_id.empty()) s.request.headers.set("x-request-id", r.request_id);
  return s;
}

std::vector<PlanProbe> replay_probes(const TrafficSource& source, const std::vector<ReplayCaller>& callers) {
  std::vector<PlanProbe> out;
  if (!source.replay) return out;
  const auto& requests = source.replay->requests;
  for (size_t i = 0; i < requests.size() && i < callers.size(); ++i) {
    auto send = replay_send(requests[i], source);
    if (!send) continue;
    PlanProbe p;
    p.from_ns = callers[i].ns;
    p.from_workload = callers[i].workload;
    p.from_sidecar = source.sidecar;
    p.host = send->host;
    p.port = send->port;
    p.method = send->request.method;
    p.target = send->request.target;
    for (proxy::Header h : send->request.headers.all()) {
      std::string name = proxy::to_lower(h.name);
      if (name != "x-request-id") p.headers.emplace_back(name, std::string(h.value));  // unique per request: would make every line its own probe
    }
    std::sort(p.headers.begin(), p.headers.end());
    p.why = fmt::format("replayed from {}:{}", source.replay->file, requests[i].line);
    out.push_back(std::move(p));
  }
  return merge_probes({}, out);
}

std::string replay_summary(const TrafficSource& source) {
  const ReplayTraffic& t = *source.replay;
  std::string s = fmt::format("replay {}: {} request{} from {} ({}, speed {:g})", source.name, t.requests.size(),
                              t.requests.size() == 1 ? "" : "s", t.file, t.format, t.speed);
  std::vector<std::string> skipped;
  if (t.bad_lines) skipped.push_back(fmt::format("{} line{} not parsed", t.bad_lines, t.bad_lines == 1 ? "" : "s"));
  if (t.inbound)
    skipped.push_back(fmt::format("{} inbound line{} skipped (the callee's record; the caller's outbound line replays it)",
                                  t.inbound, t.inbound == 1 ? "" : "s"));
  if (t.not_http) skipped.push_back(fmt::format("{} TCP line{} skipped (no HTTP request)", t.not_http, t.not_http == 1 ? "" : "s"));
  if (!skipped.empty()) s += "; " + fmt::format("{}", fmt::join(skipped, ", "));
  return s;
}

}  // namespace meshsim::sim
