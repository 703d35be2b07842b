// Findings about loaded configuration: YAML errors, schema errors and the
// cross-resource checks of `meshsim validate`. Collected, never thrown, so
// one run reports every problem in every file.
#pragma once

#include <string>
#include <vector>

#include "proxy_core/resources.h"

namespace meshsim::config {

enum class Severity { kError, kWarning, kInfo };

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string code;          // Istio analyzer code (IST0101) or a meshsim one (MSH...)
  std::string resource;      // "Kind namespace/name", empty for file-level problems
  proxy::SourcePos pos;
  std::string message;
};

const char* severity_name(Severity s);

// `Error [IST0101] (VirtualService default/reviews file.yaml:12:9) message`
std::string format_diagnostic(const Diagnostic& d);

bool has_errors(const std::vector<Diagnostic>& diagnostics);

}  // namespace meshsim::config
