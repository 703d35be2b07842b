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
  // `current` reads the resources serving now (a timeline may change them
  // too); `install` compiles and swaps in a new set, or returns false with
  // errors and leaves the old one serving.
  using Current = std::function<const proxy::Resources&()>;
  using Install = std::function<bool(const proxy::Resources&, std::vector<std::string>* errors)>;
  LiveConfig(Current current, Install install) : current_(std::move(current)), install_(std::move(install)) {}

  PushResult apply_yaml(const std::string& yaml, const std::string& source_name);
  PushResult remove(const std::string& kind, const std::string& ns, const std::string& name);
  // [{"kind", "namespace", "name", "source"}] for GET /config.
  nlohmann::ordered_json listing() const;

 private:
  Current current_;
  Install install_;
};

}  // namespace meshsim::app
