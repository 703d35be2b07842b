// The mesh configuration of a running `serve` or `proxy`, changed through the
// admin API as `kubectl apply` / `kubectl delete` change a cluster's: a push
// is loaded with the same checks as `meshsim validate` and compiled whole; a
// push with any error is refused with every diagnostic and nothing changes.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy_core/resources.h"
#include "proxy_core/route_table.h"

namespace meshsim::app {

struct PushResult {
  bool ok = false;
  std::vector<std::string> errors;    // file:line:column: message
  std::vector<std::string> changed;   // "VirtualService/default/bar configured"
};

class LiveConfig {
 public:
  // `install` compiles and swaps in a new snapshot; false + errors refuses it.
  using Install = std::function<bool(const proxy::Resources&, std::vector<std::string>* errors)>;
  LiveConfig(proxy::Resources initial, Install install) : resources_(std::move(initial)), install_(std::move(install)) {}

  // Installs the initial resources; false + errors when they do not compile.
  bool start(std::vector<std::string>* errors) { return install_(resources_, errors); }
  PushResult apply_yaml(const std::string& yaml, const std::string& source_name);
  PushResult remove(const std::string& kind, const std::string& ns, const std::string& name);
  const proxy::Resources& resources() const { return resources_; }
  // [{"kind", "namespace", "name", "source"}] for GET /config.
  nlohmann::ordered_json listing() const;

 private:
  proxy::Resources resources_;
  Install install_;
};

}  // namespace meshsim::app
