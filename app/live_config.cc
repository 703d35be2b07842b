#include "app/live_config.h"

#include <algorithm>

#include <fmt/format.h>

#include "config/loader.h"

namespace meshsim::app {

PushResult LiveConfig::apply_yaml(const std::string& yaml, const std::string& source_name) {
  PushResult result;
  config::LoadResult delta = config::load({{source_name, yaml}});
  for (const auto& d : delta.diagnostics)
    if (d.severity == config::Severity::kError) result.errors.push_back(config::format_diagnostic(d));
  if (!result.errors.empty()) return result;
  if (delta.documents == 0 || proxy::resource_headers(delta.resources).empty()) {
    result.errors.push_back(source_name + ": no mesh resources in the push");
    return result;
  }
  proxy::Resources next = current_();
  proxy::apply_resources(next, delta.resources);
  if (!install_(next, &result.errors)) return result;
  // In document order, as kubectl apply reports them.
  auto applied = proxy::resource_headers(delta.resources);
  std::stable_sort(applied.begin(), applied.end(), [](const auto* a, const auto* b) {
    return a->fields.at("").line < b->fields.at("").line;
  });
  for (const auto* h : applied)
    result.changed.push_back(fmt::format("{}/{}/{} configured", h->kind, h->meta.ns, h->meta.name));
  result.ok = true;
  return result;
}

PushResult LiveConfig::remove(const std::string& kind, const std::string& ns, const std::string& name) {
  PushResult result;
  std::string key = fmt::format("{}/{}/{}", kind, ns, name);
  proxy::Resources next = current_();
  if (!proxy::delete_resource(next, key)) {
    result.errors.push_back(fmt::format("{} not found", key));
    return result;
  }
  if (!install_(next, &result.errors)) return result;
  result.changed.push_back(key + " deleted");
  result.ok = true;
  return result;
}

nlohmann::ordered_json LiveConfig::listing() const {
  auto list = nlohmann::ordered_json::array();
  for (const auto* h : proxy::resource_headers(current_())) {
    proxy::SourcePos pos = h->fields.at("");
    list.push_back({{"kind", h->kind},
                    {"namespace", h->meta.ns},
                    {"name", h->meta.name},
                    {"source", pos.line > 0 ? fmt::format("{}:{}", pos.file, pos.line) : pos.file}});
  }
  return list;
}

}  // namespace meshsim::app
