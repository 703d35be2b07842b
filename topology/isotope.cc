#include "topology/isotope.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "config/yaml_node.h"

#include "config/yaml_reader.h"

namespace meshsim::topology {

using config::child;
using config::YamlReader;

std::optional<size_t> parse_byte_size(const std::string& text) {
  // docker/go-units RAMInBytes: ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$, 1024-based.
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  char* end = nullptr;
  std::string number = text.substr(0, i);
  double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size()) return std::nullopt;
  if (i < text.size() && text[i] == ' ') ++i;
  double unit = 1;
  if (i < text.size()) {
    switch (std::tolower(static_cast<unsigned char>(text[i]))) {
      case 'k': unit = 1024.0; ++i; break;
      case 'm': unit = 1024.0 * 1024; ++i; break;
      case 'g': unit = 1024.0 * 1024 * 1024; ++i; break;
      case 't': case 'p': return std::nullopt;  // beyond any body we would simulate
      default: break;
    }
  }
  if (i < text.size() && std::tolower(static_cast<unsigned char>(text[i])) == 'i') ++i;
  if (i < text.size() && std::tolower(static_cast<unsigned char>(text[i])) == 'b') ++i;
  if (i != text.size()) return std::nullopt;
  double bytes = value * unit;
  // A body above 64 MiB is refused as the Behavior parser refuses it.
  if (bytes > 64.0 * 1024 * 1024) return std::nullopt;
  return static_cast<size_t>(bytes);
}

namespace {

class Reader {
 public:
  Reader(YamlReader& r) : r_(r) {}

  std::optional<size_t> byte_size(const yaml::Node& n, const std::string& path) {
    auto text = r_.str(n, path);
    if (!text) return std::nullopt;
    auto v = parse_byte_size(*text);
    if (!v) r_.error(n, path, "expected a byte size such as 1024, \"1 KB\" or \"16KiB\" (at most 64 MiB), found \"" + *text + "\"");
    return v;
  }

  // isotope's errorRate, a pct.Percentage ("X%" with X in [0, 100], or a
  // number in [0, 1]), as the failures per million its service gives.
  std::optional<uint32_t> error_rate(const yaml::Node& n, const std::string& path) {
    auto text = r_.str(n, path);
    if (!text) return std::nullopt;
    double fraction = 0;
    if (auto p = text->find('%'); p != std::string::npos) {
      std::string number = text->substr(0, p);
      char* end = nullptr;
      fraction = std::strtod(number.c_str(), &end) / 100;
      if (number.empty() || end != number.c_str() + number.size() || p + 1 != text->size()) {
        r_.error(n, path, "expected a percentage such as \"0.1%\" or a number between 0 and 1, found \"" + *text + "\"");
        return std::nullopt;
      }
    } else {
      auto v = r_.number(n, path, 0, 1);
      if (!v) return std::nullopt;
      fraction = *v;
    }
    if (!(fraction >= 0 && fraction <= 1)) {
      r_.error(n, path, "percentage \"" + *text + "\" is outside 0% .. 100%");
      return std::nullopt;
    }
    if (fraction == 0) return 0;
    // isotope's service does not draw: each replica fails every N-th request,
    // N = 10000 / uint64(rate * 10000) in Go's integer division (handler.go),
    // so 30% fails every 3rd request (33.3%) and 7% every 14th (7.14%). The
    // rate it gives is the one kept, drawn per request here. Below 0.01%
    // that divides by zero and every request to the service fails.
    auto basis = static_cast<uint64_t>(fraction * 10000);
    if (basis == 0) {
      r_.error(n, path, "errorRate \"" + *text + "\" is below 0.01%, where isotope's service divides by zero; give 0 or at least 0.01%");
      return std::nullopt;
    }
    return static_cast<uint32_t>(std::llround(1'000'000.0 / static_cast<double>(10000 / basis)));
  }

  std::optional<GraphCall> call(const yaml::Node& n, const std::string& path, size_t default_size) {
    GraphCall c;
    c.request_bytes = default_size;
    if (n.IsScalar()) {
      c.service = n.Scalar();
      r_.record(n, path);
    } else {
      if (!r_.fields(n, path, {"service", "size", "payloadSize"})) return std::nullopt;
      auto s = r_.str(n["service"], child(path, "service"));
      if (!s) {
        r_.error(n, path, "a call needs a service");
        return std::nullopt;
      }
      c.service = *s;
      // The Go code reads `size`; the README's example writes `payloadSize`.
      for (const char* key : {"size", "payloadSize"})
        if (auto z = n[key]) c.request_bytes = byte_size(z, child(path, key)).value_or(default_size);
    }
    calls_.push_back({caller_, c.service, n, path});
    return c;
  }

  // One command: {call: ...} or {sleep: ...}.
  bool command(const yaml::Node& n, const std::string& path, size_t default_size, GraphStep& into) {
    if (!r_.fields(n, path, {"call", "sleep"})) return false;
    if (n["call"] && n["sleep"]) {
      r_.error(n, path, "a step is either a call or a sleep, not both");
      return false;
    }
    if (auto c = n["call"]) {
      auto parsed = call(c, child(path, "call"), default_size);
      if (!parsed) return false;
      into.calls.push_back(std::move(*parsed));
      return true;
    }
    if (auto s = n["sleep"]) {
      if (!s.IsScalar()) {
        r_.error(s, child(path, "sleep"), "expected a duration such as 100ms (isotope's SleepCommand distributions are not modeled)");
        return false;
      }
      into.sleep += r_.duration(s, child(path, "sleep")).value_or(Duration(0));
      return true;
    }
    r_.error(n, path, "a step needs call or sleep");
    return false;
  }

  std::vector<GraphStep> script(const yaml::Node& n, const std::string& path, size_t default_size) {
    std::vector<GraphStep> steps;
    r_.list(n, path, [&](const yaml::Node& item, const std::string& p) {
      GraphStep step;
      if (item.IsSequence()) {
        // Concurrent commands (isotope ConcurrentCommand): one level only.
        Duration group_sleep{0};
        r_.list(item, p, [&](const yaml::Node& inner, const std::string& ip) {
          if (inner.IsSequence()) {
            r_.error(inner, ip, "concurrent commands may not be nested");
            return;
          }
          GraphStep one;
          if (!command(inner, ip, default_size, one)) return;
          for (auto& c : one.calls) step.calls.push_back(std::move(c));
          group_sleep = std::max(group_sleep, one.sleep);
        });
        if (step.calls.empty()) {
          step.sleep = group_sleep;  // sleeps side by side: the longest
        } else if (group_sleep.count() > 0) {
          // A Behavior's parallel group holds calls only: the sleep runs
          // after the calls, so the step takes longer than isotope's would.
          r_.warning(item, "MSH0005", p + ": a sleep beside calls in a concurrent group runs after them here");
          steps.push_back(std::move(step));
          steps.push_back({{}, group_sleep});
          return;
        }
      } else if (!command(item, p, default_size, step)) {
        return;
      }
      steps.push_back(std::move(step));
    });
    return steps;
  }

  // Calls to services the graph does not define (isotope validate()).
  // The service whose script is read next ("" for the default script).
  void set_caller(const std::string& name) { caller_ = name; }

  void check_calls(const ServiceGraph& g) {
    for (const auto& c : calls_)
      if (!g.find(c.service)) r_.error(c.node, c.path, "cannot call undefined service \"" + c.service + "\"");
  }

  // A call cycle (a calls b, b calls a; or a service calling itself) makes
  // every request call on without end: isotope's validate() does not look
  // for one, and its services would recurse until the sockets ran out.
  // Refused, at the call that closes it, when no service on it injects
  // errors; one that does answers every N-th request before its script
  // (handler.go), so the requests end, and the cycle is only warned of.
  void check_cycles(const ServiceGraph& g) {
    if (auto endless = find_cycle(g, /*erring_too=*/false)) {
      report_cycle(*endless, config::Severity::kError,
                   "calls form a cycle (" + endless->text + "): every request would call on without end");
    } else if (auto ending = find_cycle(g, /*erring_too=*/true)) {
      report_cycle(*ending, config::Severity::kWarning,
                   "calls form a cycle (" + ending->text + "): each request goes round until a service's errorRate fails it");
    }
  }

 private:
  struct Cycle {
    std::string from, to;  // the call that closes it
    std::string text;      // "a -> b -> a"
  };

  // The first cycle found among the services (with `erring_too`, also
  // through services that inject errors).
  static std::optional<Cycle> find_cycle(const ServiceGraph& g, bool erring_too) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < g.services.size(); ++i) index.emplace(g.services[i].name, i);
    std::vector<std::vector<size_t>> callees(g.services.size());
    for (size_t i = 0; i < g.services.size(); ++i)
      if (erring_too || g.services[i].error_per_million == 0)
        for (const auto& step : g.services[i].script)
          for (const auto& c : step.calls)
            if (auto it = index.find(c.service); it != index.end()) callees[i].push_back(it->second);
    enum Mark { kNew, kOnPath, kDone };
    std::vector<Mark> mark(g.services.size(), kNew);
    for (size_t root = 0; root < g.services.size(); ++root) {
      if (mark[root] != kNew) continue;
      // Depth first without recursion (a chain may be thousands deep).
      std::vector<std::pair<size_t, size_t>> path = {{root, 0}};  // (service, next callee to try)
      mark[root] = kOnPath;
      while (!path.empty()) {
        auto& [at, next] = path.back();
        if (next == callees[at].size()) {
          mark[at] = kDone;
          path.pop_back();
          continue;
        }
        size_t to = callees[at][next++];
        if (mark[to] == kOnPath) {
          std::string cycle;
          bool in = false;
          for (const auto& [service, unused] : path) {
            in = in || service == to;
            if (in) cycle += g.services[service].name + " -> ";
          }
          cycle += g.services[to].name;
          return Cycle{g.services[at].name, g.services[to].name, cycle};
        }
        if (mark[to] == kNew) {
          mark[to] = kOnPath;
          path.emplace_back(to, 0);
        }
      }
    }
    return std::nullopt;
  }

  void report_cycle(const Cycle& cycle, config::Severity severity, const std::string& message) {
    auto say = [&](const CallSite& c) {
      if (severity == config::Severity::kError) r_.error(c.node, c.path, message);
      else r_.warning(c.node, "MSH0005", c.path + ": " + message);
    };
    for (const auto& c : calls_)
      if (c.caller == cycle.from && c.service == cycle.to) return say(c);
    for (const auto& c : calls_)  // from the default script
      if (c.caller.empty() && c.service == cycle.to) return say(c);
  }

  struct CallSite {
    std::string caller;  // "" for the default script
    std::string service;
    yaml::Node node;
    std::string path;
  };
  YamlReader& r_;
  std::vector<CallSite> calls_;
  std::string caller_;
};

bool valid_dns_label(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-')) return false;
  return s.front() != '-' && s.back() != '-';
}

}  // namespace

IsotopeLoad read_isotope(const std::string& text, const std::string& file) {
  IsotopeLoad out;
  proxy::FieldPositions positions;
  YamlReader r(file, 0, out.diagnostics, positions);
  yaml::Node root;
  try {
    root = yaml::Load(text);
  } catch (const yaml::Exception& e) {
    out.diagnostics.push_back({config::Severity::kError, "MSH0002", "", {file, e.mark.line + 1, e.mark.column + 1}, e.msg});
    return out;
  }
  r.set_resource("MockServiceGraph");
  if (!r.fields(root, "", {"apiVersion", "kind", "defaults", "default", "services"})) return out;
  if (auto kind = root["kind"]) r.enumeration(kind, "kind", {"MockServiceGraph"});
  Reader reader(r);
  GraphService defaults;
  size_t default_request_bytes = 0;
  // isotope reads `defaults` (graph/unmarshal.go); its README writes
  // `default`, read here when `defaults` is absent.
  const char* defaults_key = root["defaults"] || !root["default"] ? "defaults" : "default";
  if (root["defaults"] && root["default"])
    r.warning(root["default"], "MSH0005", "default: ignored beside defaults (isotope reads only defaults)");
  const yaml::Node d = root[defaults_key];
  if (d && r.fields(d, defaults_key, {"type", "numReplicas", "errorRate", "requestSize", "responseSize", "script",
                                      "numRbacPolicies", "memoryUsage", "computeUsage"})) {
    if (auto t = r.enumeration(d["type"], child(defaults_key, "type"), {"http", "grpc"})) defaults.grpc = *t == "grpc";
    if (auto n = r.integer(d["numReplicas"], child(defaults_key, "numReplicas"), 1, 1000)) defaults.replicas = static_cast<int>(*n);
    if (auto e = reader.error_rate(d["errorRate"], child(defaults_key, "errorRate"))) defaults.error_per_million = *e;
    if (auto z = reader.byte_size(d["requestSize"], child(defaults_key, "requestSize"))) default_request_bytes = *z;
    if (auto z = reader.byte_size(d["responseSize"], child(defaults_key, "responseSize"))) defaults.response_bytes = *z;
  }
  // The default script is read once the default request size is known.
  if (d && d.IsMap() && d["script"])
    defaults.script = reader.script(d["script"], child(defaults_key, "script"), default_request_bytes);

  ServiceGraph g;
  g.name = "isotope";
  std::set<std::string> names;
  if (!root["services"]) r.error(root, "", "missing field \"services\" (the list of services in the graph)");
  r.list(root["services"], "services", [&](const yaml::Node& n, const std::string& p) {
    // numRbacPolicies, memoryUsage, computeUsage: isotope fields that
    // change nothing here (no RBAC policies generated, no resource model).
    if (!r.fields(n, p, {"name", "type", "numReplicas", "isEntrypoint", "errorRate", "responseSize", "script",
                         "numRbacPolicies", "memoryUsage", "computeUsage"}))
      return;
    GraphService s = defaults;
    auto name = r.str(n["name"], child(p, "name"));
    if (!name) {
      r.error(n, p, "a service needs a name");
      return;
    }
    if (!valid_dns_label(*name)) {
      r.error(n["name"], child(p, "name"), "\"" + *name + "\" is not a DNS label (lowercase letters, digits, '-')");
      return;
    }
    if (!names.insert(*name).second) {
      r.error(n["name"], child(p, "name"), "service \"" + *name + "\" is defined twice");
      return;
    }
    s.name = *name;
    if (auto t = r.enumeration(n["type"], child(p, "type"), {"http", "grpc"})) s.grpc = *t == "grpc";
    if (auto v = r.integer(n["numReplicas"], child(p, "numReplicas"), 1, 1000)) s.replicas = static_cast<int>(*v);
    if (auto v = r.boolean(n["isEntrypoint"], child(p, "isEntrypoint"))) s.entrypoint = *v;
    if (auto v = reader.error_rate(n["errorRate"], child(p, "errorRate"))) s.error_per_million = *v;
    if (auto v = reader.byte_size(n["responseSize"], child(p, "responseSize"))) s.response_bytes = *v;
    reader.set_caller(s.name);
    if (n["script"]) s.script = reader.script(n["script"], child(p, "script"), default_request_bytes);
    g.services.push_back(std::move(s));
  });
  reader.check_calls(g);
  if (!config::has_errors(out.diagnostics)) reader.check_cycles(g);
  if (g.services.empty() && !config::has_errors(out.diagnostics)) r.error(root, "services", "the graph has no services");
  if (!g.services.empty() && g.entrypoints().front() == &g.services.front() && !g.services.front().entrypoint)
    r.warning(root["services"], "MSH0005",
              "no service has isEntrypoint: true; the traffic enters \"" + g.services.front().name + "\", the first service");
  if (!config::has_errors(out.diagnostics)) out.graph = std::move(g);
  return out;
}

}  // namespace meshsim::topology
