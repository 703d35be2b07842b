#include "config/loader.h"
#include "config/scenario_names.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <unordered_map>

#include "config/yaml_node.h"

#include "config/parse.h"
#include "config/say.h"
#include "config/unmodeled_kinds.h"

#include "config/yaml_reader.h"

namespace meshsim::config {
namespace {

namespace fs = std::filesystem;

// Bounds that keep a hostile file from exhausting the loader: the parsers
// recurse once per nesting level, so deep nesting would overflow the stack.
constexpr size_t kMaxSourceBytes = 16 * 1024 * 1024;
constexpr int kMaxNestingDepth = 64;

struct Document {
  std::string text;
  int first_line = 0;  // 0-based line of the document's first line in the file
};

// Calls each(line) for every line of `text` without its '\n', as
// std::getline reads them (no empty line after a final '\n').
template <typename F>
void for_each_line(std::string_view text, F&& each) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    each(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
}

// Splits a YAML stream at "---" / "..." marker lines so a syntax error in one
// document does not hide the others (a parser's stream stops at the first).
std::vector<Document> split_documents(const std::string& text) {
  std::vector<Document> docs;
  Document current;
  int line_number = 0;
  auto flush = [&](int next_first_line) {
    docs.push_back(std::move(current));
    current = Document{};
    current.first_line = next_first_line;
  };
  for_each_line(text, [&](std::string_view line) {
    bool start_marker = line.substr(0, 3) == "---" && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
    bool end_marker = line.substr(0, 3) == "..." && (line.size() == 3 || line[3] == ' ' || line[3] == '\r');
    if (start_marker) {
      flush(line_number);
      // Content after "--- " on the same line belongs to the new document.
      current.text.assign(3, ' ');
      current.text += line.substr(3);
      current.text += '\n';
    } else if (end_marker) {
      flush(line_number + 1);
    } else {
      current.text += line;
      current.text += '\n';
    }
    ++line_number;
  });
  docs.push_back(std::move(current));
  return docs;
}

// Largest flow/indentation nesting, approximated from brackets and indentation.
// One pass; runs of bytes that change nothing are skipped through a table,
// since every document of a 1,000-service mesh passes here before parsing.
int nesting_depth(std::string_view text) {
  static constexpr auto kSignificant = [] {
    std::array<bool, 256> table{};
    for (unsigned char c : std::string_view("\n'\"[]{}")) table[c] = true;
    return table;
  }();
  int depth = 0, max_depth = 0, indent_depth = 0;
  bool in_single = false, in_double = false;
  const char* p = text.data();
  const char* const end = p + text.size();
  auto measure_indent = [&](const char* line) {
    const char* q = line;
    while (q < end && (*q == ' ' || *q == '-')) ++q;
    if (q < end && *q != '\n') indent_depth = std::max(indent_depth, static_cast<int>((q - line) / 2));
  };
  measure_indent(p);
  for (; p < end; ++p) {
    while (p < end && !kSignificant[static_cast<unsigned char>(*p)]) ++p;
    if (p == end) break;
    char c = *p;
    if (c == '\n') {
      in_single = in_double = false;
      measure_indent(p + 1);
    } else if (c == '\'' && !in_double) in_single = !in_single;
    else if (c == '"' && !in_single) in_double = !in_double;
    else if (!in_single && !in_double && (c == '[' || c == '{')) max_depth = std::max(max_depth, ++depth);
    else if (!in_single && !in_double && (c == ']' || c == '}')) depth = std::max(0, depth - 1);
  }
  return std::max(max_depth, indent_depth);
}

// Only blank lines and comments.
bool blank(const std::string& text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t first = text.find_first_not_of(" \t\r", pos);
    if (first == std::string::npos) return true;
    if (text[first] != '\n' && text[first] != '#') return false;
    pos = text.find('\n', first);
    if (pos == std::string::npos) return true;
    ++pos;
  }
  return true;
}


struct KindInfo {
  std::string_view group;  // "" for the core group
  std::initializer_list<std::string_view> versions;
  std::string_view kind;
};

const KindInfo kModeledKinds[] = {
    {"", {"v1"}, "Namespace"},
    {"apps", {"v1"}, "Deployment"},
    {"", {"v1"}, "Service"},
    {"networking.istio.io", {"v1alpha3", "v1beta1", "v1"}, "VirtualService"},
    {"networking.istio.io", {"v1alpha3", "v1beta1", "v1"}, "DestinationRule"},
    {"networking.istio.io", {"v1alpha3", "v1beta1", "v1"}, "Gateway"},
    {"security.istio.io", {"v1beta1", "v1"}, "AuthorizationPolicy"},
    {"security.istio.io", {"v1beta1", "v1"}, "PeerAuthentication"},
    {"security.istio.io", {"v1beta1", "v1"}, "RequestAuthentication"},
    {"gateway.networking.k8s.io", {"v1", "v1beta1"}, "HTTPRoute"},
    {"gateway.networking.k8s.io", {"v1", "v1alpha2"}, "GRPCRoute"},
    {"networking.istio.io", {"v1alpha3", "v1beta1", "v1"}, "ServiceEntry"},
    {"networking.istio.io", {"v1alpha3", "v1beta1", "v1"}, "Sidecar"},
    {"", {"v1"}, "ConfigMap"},  // only `istio` in istio-system (MeshConfig); others are skipped
    {"gateway.networking.k8s.io", {"v1", "v1beta1"}, "Gateway"},
    {"gateway.networking.k8s.io", {"v1", "v1beta1", "v1alpha2"}, "ReferenceGrant"},
    {"meshsim.dev", {"v1alpha1"}, "Behavior"},
    {"meshsim.dev", {"v1alpha1"}, "Scenario"},
};

class DocumentLoader {
 public:
  // kubectl apply: a resource of the same kind, namespace and name replaces
  // the earlier one in place; a new one is appended. Indexed per kind (the
  // resources loaded on top of are indexed on first use), so a file of
  // 100,000 documents loads in linear time.
  template <typename T>
  void apply(std::vector<T>& into, T resource) {
    auto [indexed, first_use] = applied_.try_emplace(&into);
    auto& index = indexed->second;
    if (first_use)
      for (size_t i = 0; i < into.size(); ++i) index[key(into[i].header.meta)] = i;
    auto [at, is_new] = index.try_emplace(key(resource.header.meta), into.size());
    if (is_new) into.push_back(std::move(resource));
    else into[at->second] = std::move(resource);
  }

  DocumentLoader(LoadResult& result, const LoadOptions& options, uint64_t& creation_counter)
      : result_(result), options_(options), creation_counter_(creation_counter) {}

  void load_document(const SourceText& source, const Document& doc) {
    if (blank(doc.text)) return;
    ++result_.documents;
    const std::string& file = source.name;
    source_ = &source;
    proxy::FieldPositions positions;
    YamlReader r(file, doc.first_line + source.line_offset, result_.diagnostics, positions);
    r.set_column_offset(source.column_offset);
    if (nesting_depth(doc.text) > kMaxNestingDepth) {
      result_.diagnostics.push_back({Severity::kError, "MSH0002", "", {file, doc.first_line + 1, 1},
                                     "document nests deeper than " + std::to_string(kMaxNestingDepth) + " levels"});
      return;
    }
    auto at = [&](const yaml::Mark& mark) -> proxy::SourcePos {
      return {file, (mark.is_null() ? 1 : mark.line + 1) + doc.first_line + source.line_offset,
              (mark.is_null() ? 1 : mark.column + 1) + source.column_offset};
    };
    yaml::Node node;
    try {
      node = yaml::Load(doc.text);
    } catch (const yaml::Exception& e) {
      std::string problem = e.msg;
      if (!e.first_defined_at.is_null())  // a repeated key: the first one's line in the file, not the document
        problem = yaml::duplicate_key_message(e.duplicate_key, at(e.first_defined_at).line);
      std::string message = "YAML syntax error: " + problem;
      if (!e.context_mark.is_null() && e.context_mark.line != e.mark.line) {
        proxy::SourcePos began = at(e.context_mark);
        message += " that starts at line " + std::to_string(began.line) + ", column " + std::to_string(began.column);
      }
      result_.diagnostics.push_back({Severity::kError, "MSH0002", "", at(e.mark), message});
      return;
    }
    try {
      load_node(r, file, node, positions);
    } catch (const yaml::Exception& e) {  // defensive: a scalar indexed as a map
      result_.diagnostics.push_back(
          {Severity::kError, "MSH0002", "", e.mark.is_null() ? r.pos(node) : at(e.mark), "YAML error: " + e.msg});
    }
  }

 private:
  // `positions` is the map `r` records into; it moves into the resource once parsed.
  void load_node(YamlReader& r, const std::string& file, const yaml::Node& node, proxy::FieldPositions& positions) {
    if (node.IsNull()) return;
    if (!node.IsMap()) {
      r.error(node, "", "a document must be a map with apiVersion and kind, found " + YamlReader::kind_of(node));
      return;
    }
    auto api_version = r.str(node["apiVersion"], "apiVersion");
    auto kind = r.str(node["kind"], "kind");
    if (!api_version || !kind) {
      r.error(node, "", "a document needs apiVersion and kind");
      return;
    }
    if (*kind == "List" && node["items"]) {  // `kubectl get -o yaml` output
      r.list(node["items"], "items", [&](const yaml::Node& item, const std::string&) {
        proxy::FieldPositions item_positions;
        YamlReader item_reader(file, r.line_offset(), result_.diagnostics, item_positions);
        load_node(item_reader, file, item, item_positions);
      });
      return;
    }
    std::string group, version = *api_version;
    if (auto slash = api_version->find('/'); slash != std::string::npos) {
      group = api_version->substr(0, slash);
      version = api_version->substr(slash + 1);
    }
    const KindInfo* info = nullptr;
    for (const KindInfo& k : kModeledKinds)
      if (k.kind == *kind && k.group == group) info = &k;
    if (info != nullptr && *kind == "ConfigMap" && !is_mesh_config_map(node)) info = nullptr;
    if (info == nullptr) {
      skip_unmodeled(r, node, group, *api_version, *kind);
      return;
    }
    if (std::find(info->versions.begin(), info->versions.end(), version) == info->versions.end()) {
      std::string valid;
      for (auto v : info->versions) valid += (valid.empty() ? "" : ", ") + std::string(group) + "/" + std::string(v);
      r.error(node["apiVersion"], "apiVersion", "unsupported version \"" + *api_version + "\" for " + *kind +
                                                   " (valid: " + valid + ")");
      return;
    }
    if (*kind == "ConfigMap") r.fields(node, "", {"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"});
    else r.fields(node, "", {"apiVersion", "kind", "metadata", "spec", "status"});
    proxy::ResourceHeader header;
    header.api_version = *api_version;
    header.kind = *kind;
    header.pos = r.pos(node);
    if (auto md = node["metadata"]; md && r.is_map(md, "metadata")) {
      header.meta.name = r.str(md["name"], "metadata.name").value_or("");
      header.meta.ns = r.str(md["namespace"], "metadata.namespace").value_or(options_.default_namespace);
      header.meta.labels = r.str_map(md["labels"], "metadata.labels");
      header.meta.annotations = r.str_map(md["annotations"], "metadata.annotations");
    } else {
      header.meta.ns = options_.default_namespace;
    }
    if (header.meta.name.empty()) {
      r.error(node, "metadata.name", "is required");
      return;
    }
    r.set_resource(*kind + " " + header.meta.ns + "/" + header.meta.name);
    const yaml::Node spec = node["spec"];
    auto with_header = [&](auto resource) {
      resource.header = std::move(header);
      resource.header.fields = std::move(positions);
      return resource;
    };
    proxy::Resources& res = result_.resources;
    if (*kind == "Namespace") {
      header.meta.ns.clear();  // cluster-scoped
      apply(res.namespaces, with_header(proxy::Namespace{}));
    } else if (*kind == "Deployment") {
      proxy::Deployment d;
      parse_deployment(r, node, d);
      apply(res.deployments, with_header(std::move(d)));
    } else if (*kind == "Service") {
      proxy::Service s;
      parse_service(r, node, s);
      apply(res.services, with_header(std::move(s)));
    } else if (*kind == "VirtualService") {
      proxy::VirtualService vs;
      if (require_spec(r, node)) parse_virtual_service(r, spec, vs);
      apply(res.virtual_services, with_header(std::move(vs)));
    } else if (*kind == "Gateway" && group == "networking.istio.io") {
      proxy::Gateway gw;
      if (require_spec(r, node)) parse_gateway(r, spec, gw);
      apply(res.gateways, with_header(std::move(gw)));
    } else if (*kind == "Gateway" && group == "gateway.networking.k8s.io") {
      proxy::GwGateway gw;
      if (require_spec(r, node)) parse_k8s_gateway(r, spec, gw);
      apply(res.k8s_gateways, with_header(std::move(gw)));
    } else if (*kind == "ReferenceGrant") {
      proxy::ReferenceGrant grant;
      if (require_spec(r, node)) parse_reference_grant(r, spec, grant);
      apply(res.reference_grants, with_header(std::move(grant)));
    } else if (*kind == "DestinationRule") {
      proxy::DestinationRule dr;
      if (require_spec(r, node)) parse_destination_rule(r, spec, dr);
      apply(res.destination_rules, with_header(std::move(dr)));
    } else if (*kind == "AuthorizationPolicy") {
      proxy::AuthorizationPolicy ap;
      parse_authorization_policy(r, spec, header.meta.ns, ap);
      ap.dry_run = dry_run_annotation(r, node);
      apply(res.authorization_policies, with_header(std::move(ap)));
    } else if (*kind == "RequestAuthentication") {
      proxy::RequestAuthentication ra;
      parse_request_authentication(r, spec, ra);
      apply(res.request_authentications, with_header(std::move(ra)));
    } else if (*kind == "PeerAuthentication") {
      proxy::PeerAuthentication pa;
      parse_peer_authentication(r, spec, pa);
      apply(res.peer_authentications, with_header(std::move(pa)));
    } else if (*kind == "Behavior") {
      sim::BehaviorRule rule;
      rule.name = header.meta.name;
      rule.pos = r.pos(node);
      if (require_spec(r, node)) parse_behavior(r, spec, rule);
      // A later Behavior of the same name replaces the earlier one in place.
      auto [at, is_new] = behavior_index_.try_emplace(rule.name, result_.behaviors.size());
      if (is_new) result_.behaviors.push_back(std::move(rule));
      else result_.behaviors[at->second] = std::move(rule);
    } else if (*kind == "Scenario") {
      sim::Scenario scenario;
      scenario.name = header.meta.name;
      if (require_spec(r, node)) parse_scenario(r, spec, *source_, scenario, result_.diagnostics);
      result_.scenarios.push_back(std::move(scenario));
    } else if (*kind == "ServiceEntry") {
      proxy::ServiceEntry se;
      if (require_spec(r, node)) parse_service_entry(r, spec, se);
      apply(res.service_entries, with_header(std::move(se)));
    } else if (*kind == "Sidecar") {
      proxy::SidecarConfig sc;
      if (require_spec(r, node)) parse_sidecar(r, spec, sc);
      apply(res.sidecars, with_header(std::move(sc)));
    } else if (*kind == "ConfigMap") {
      proxy::MeshConfigMap cm;
      parse_mesh_config_map(r, node, cm.mesh);
      apply(res.mesh_configs, with_header(std::move(cm)));
    } else if (*kind == "HTTPRoute") {
      proxy::GwHTTPRoute route;
      if (require_spec(r, node)) parse_http_route(r, spec, route);
      route.creation_order = ++creation_counter_;
      auto existing = std::find_if(res.http_routes.begin(), res.http_routes.end(), [&](const auto& e) {
        return e.header.meta.name == header.meta.name && e.header.meta.ns == header.meta.ns;
      });
      if (existing != res.http_routes.end()) route.creation_order = existing->creation_order;
      apply(res.http_routes, with_header(std::move(route)));
    } else if (*kind == "GRPCRoute") {
      // Stored with the HTTPRoutes, as Istio converts both to VirtualService rules.
      proxy::GwHTTPRoute route;
      if (require_spec(r, node)) parse_grpc_route(r, spec, route);
      route.creation_order = ++creation_counter_;
      route = with_header(std::move(route));
      auto same = [&](const proxy::GwHTTPRoute& e) {
        return e.header.kind == route.header.kind && e.header.meta.name == route.header.meta.name &&
               e.header.meta.ns == route.header.meta.ns;
      };
      auto existing = std::find_if(res.http_routes.begin(), res.http_routes.end(), same);
      if (existing == res.http_routes.end()) {
        res.http_routes.push_back(std::move(route));
      } else {
        route.creation_order = existing->creation_order;
        *existing = std::move(route);
      }
    }
  }

  // Istio's annotation istio.io/dry-run, read with strconv.ParseBool
  // (pilot/pkg/security/authz/builder isDryRun): a value it cannot parse
  // is logged and the policy is enforced.
  bool dry_run_annotation(YamlReader& r, const yaml::Node& node) {
    const yaml::Node md = node["metadata"];
    if (!md || !md.IsMap() || !md["annotations"] || !md["annotations"].IsMap()) return false;
    const yaml::Node v = md["annotations"]["istio.io/dry-run"];
    if (!v || !v.IsScalar()) return false;
    static const std::string kTrue[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const std::string kFalse[] = {"0", "f", "F", "FALSE", "false", "False"};
    const std::string& s = v.Scalar();
    if (std::find(std::begin(kTrue), std::end(kTrue), s) != std::end(kTrue)) return true;
    if (std::find(std::begin(kFalse), std::end(kFalse), s) == std::end(kFalse))
      r.warning(v, "MSH0042", "istio.io/dry-run: \"" + s + "\" is not a boolean; Istio enforces the policy");
    return false;
  }

  // A kind meshsim does not simulate: said plainly, as a Warning when
  // ignoring it may make traffic differ from the cluster's.
  void skip_unmodeled(YamlReader& r, const yaml::Node& node, const std::string& group, const std::string& api_version,
                      const std::string& kind) {
    std::string name, ns = options_.default_namespace;
    if (auto md = node["metadata"]; md && md.IsMap()) {
      if (md["name"] && md["name"].IsScalar()) name = md["name"].Scalar();
      if (md["namespace"] && md["namespace"].IsScalar()) ns = md["namespace"].Scalar();
    }
    std::string resource = name.empty() ? "" : kind + " " + ns + "/" + name;
    auto known = find_unmodeled_kind(group, kind);
    if (!known) {
      result_.diagnostics.push_back({Severity::kInfo, std::string(kNotSimulatedCode), resource, r.pos(node),
                                     "skipped " + api_version + " " + kind + ": meshsim does not model this kind"});
      return;
    }
    std::string message = "not simulated: " + kind + " " + std::string(known->effect) + "; meshsim ignores it";
    if (known->changes_traffic) message += ", so traffic in the cluster may differ from what meshsim shows";
    result_.diagnostics.push_back({known->changes_traffic ? Severity::kWarning : Severity::kInfo,
                                   std::string(kNotSimulatedCode), resource, r.pos(node), message});
  }

  // Istio reads MeshConfig from the ConfigMap `istio` in istiod's namespace
  // (pkg/config/mesh/kubemesh: name "istio", key "mesh").
  static bool is_mesh_config_map(const yaml::Node& node) {
    auto md = node["metadata"];
    if (!md || !md.IsMap() || !md["name"] || !md["name"].IsScalar()) return false;
    std::string ns = md["namespace"] && md["namespace"].IsScalar() ? md["namespace"].as<std::string>() : "";
    return md["name"].as<std::string>() == "istio" && ns == "istio-system";
  }

  bool require_spec(YamlReader& r, const yaml::Node& node) {
    if (node["spec"] && !node["spec"].IsNull()) return true;
    r.error(node, "spec", "is required");
    return false;
  }

  static std::string key(const proxy::ObjectMeta& meta) { return meta.ns + '/' + meta.name; }

  LoadResult& result_;
  // Per resource vector: "namespace/name" -> its index (see apply).
  std::unordered_map<const void*, std::unordered_map<std::string, size_t>> applied_;
  const SourceText* source_ = nullptr;
  // Behavior name -> its index in result_.behaviors (a linear search per
  // Behavior was quadratic in a 1,000-service mesh).
  std::unordered_map<std::string, size_t> behavior_index_;
  const LoadOptions& options_;
  uint64_t& creation_counter_;
};

bool is_config_file(const fs::path& p) {
  auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

}  // namespace

std::vector<SourceText> read_sources(const std::vector<std::string>& paths, std::vector<Diagnostic>& diagnostics) {
  std::vector<SourceText> out;
  auto read_file = [&](const fs::path& p) {
    std::error_code ec;
    auto size = fs::file_size(p, ec);
    if (!ec && size > kMaxSourceBytes) {
      diagnostics.push_back({Severity::kError, "MSH0003", "", {p.string(), 0, 0},
                             "file is larger than " + std::to_string(kMaxSourceBytes >> 20) + " MiB"});
      return;
    }
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      diagnostics.push_back({Severity::kError, "MSH0003", "", {p.string(), 0, 0}, "cannot read file"});
      return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    out.push_back({p.string(), text.str()});
  };
  for (const std::string& path : paths) {
    if (path == "-") {
      std::ostringstream text;
      text << std::cin.rdbuf();
      out.push_back({"<stdin>", text.str()});
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> files;
      for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file() && is_config_file(it->path())) files.push_back(it->path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) read_file(f);
    } else if (fs::exists(path, ec)) {
      read_file(path);
    } else {
      diagnostics.push_back({Severity::kError, "MSH0003", "", {path, 0, 0}, "no such file or directory"});
    }
  }
  return out;
}

LoadResult load(const std::vector<SourceText>& sources, const LoadOptions& options, proxy::Resources base) {
  LoadResult result;
  result.resources = std::move(base);
  uint64_t creation_counter = 0;
  for (const auto& r : result.resources.http_routes) creation_counter = std::max(creation_counter, r.creation_order);
  DocumentLoader loader(result, options, creation_counter);
  for (const SourceText& source : sources) {
    if (source.text.size() > kMaxSourceBytes) {
      result.diagnostics.push_back({Severity::kError, "MSH0003", "", {source.name, 0, 0}, "input is too large"});
      continue;
    }
    for (const Document& doc : split_documents(source.text)) loader.load_document(source, doc);
  }
  return result;
}

ScenarioLoad load_scenario(const std::vector<std::string>& paths) {
  ScenarioLoad out;
  auto sources = read_sources(paths, out.diagnostics);
  LoadResult loaded = load(sources);
  out.diagnostics.insert(out.diagnostics.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
  if (loaded.scenarios.size() != 1) {
    std::string where = paths.empty() ? "" : paths.front();
    out.diagnostics.push_back({Severity::kError, "MSH0005", "", {where, 0, 0},
                               loaded.scenarios.empty()
                                   ? "no Scenario document (apiVersion: meshsim.dev/v1alpha1, kind: Scenario)"
                                   : "more than one Scenario document; give one per run"});
  }
  if (has_errors(out.diagnostics)) return out;
  sim::Scenario scenario = std::move(loaded.scenarios.front());
  scenario.resources = std::move(loaded.resources);
  scenario.behaviors = std::move(loaded.behaviors);
  // The mesh's sampling default (MeshConfig defaultConfig.tracing.sampling)
  // applies unless the scenario sets its own.
  if (auto sampling = proxy::mesh_config(scenario.resources).tracing_sampling; sampling && !scenario.trace_sampling_explicit)
    scenario.trace_sampling_percent = *sampling;
  // `say:` steps become the resources the sentence stands for, read against
  // the mesh as the earlier steps will have left it.
  std::vector<sim::TimelineStep*> in_time;
  for (auto& step : scenario.timeline) in_time.push_back(&step);
  std::stable_sort(in_time.begin(), in_time.end(), [](auto* a, auto* b) { return a->at < b->at; });
  // A copy of 1,000 services' resources is not free (issue 20): made only
  // when a sentence needs the mesh to read against.
  bool any_say = std::any_of(in_time.begin(), in_time.end(), [](const auto* s) { return !s->say.empty(); });
  proxy::Resources so_far = any_say ? scenario.resources : proxy::Resources{};
  for (sim::TimelineStep* step_ptr : in_time) {
    if (!any_say) break;
    sim::TimelineStep& step = *step_ptr;
    if (step.say.empty()) {
      if (step.apply) proxy::apply_resources(so_far, *step.apply);
      for (const auto& key : step.delete_keys) proxy::delete_resource(so_far, key);
      continue;
    }
    SayResult said = interpret_say(step.say, so_far, scenario.behaviors);
    if (!said.understood) {
      std::string hint;
      for (const auto& s : said.suggestions) hint += (hint.empty() ? "" : "; ") + ("\"" + s + "\"");
      out.diagnostics.push_back({Severity::kError, "MSH0006", "Scenario " + scenario.name, step.pos,
                                 "say: \"" + step.say + "\" is not understood (" + said.reply + "); closest phrasings: " + hint});
      continue;
    }
    step.say_reply = said.reply;
    if (!said.yaml.empty()) {
      step.apply_yaml += (step.apply_yaml.empty() ? "" : "\n---\n") + said.yaml;
      auto applied = load({{"say: " + step.say, said.yaml}});
      out.diagnostics.insert(out.diagnostics.end(), applied.diagnostics.begin(), applied.diagnostics.end());
      if (step.apply) proxy::apply_resources(*step.apply, applied.resources);
      else step.apply = std::move(applied.resources);
    }
    step.delete_keys.insert(step.delete_keys.end(), said.delete_keys.begin(), said.delete_keys.end());
    if (step.apply) proxy::apply_resources(so_far, *step.apply);
    for (const auto& key : step.delete_keys) proxy::delete_resource(so_far, key);
  }
  check_expectation_names(scenario, out.diagnostics);
  if (has_errors(out.diagnostics)) return out;
  out.scenario = std::move(scenario);
  return out;
}

}  // namespace meshsim::config
