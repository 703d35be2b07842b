#include "config/diagnostics.h"

#include <algorithm>

#include <fmt/format.h>

namespace meshsim::config {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::kError: return "Error";
    case Severity::kWarning: return "Warning";
    case Severity::kInfo: return "Info";
  }
  return "Error";
}

std::string format_diagnostic(const Diagnostic& d) {
  std::string where;
  if (!d.pos.file.empty()) {
    where = d.pos.line > 0 ? fmt::format("{}:{}:{}", d.pos.file, d.pos.line, d.pos.column)
                           : d.pos.file;
  }
  std::string subject = d.resource;
  if (!where.empty()) subject = subject.empty() ? where : subject + " " + where;
  if (subject.empty()) return fmt::format("{} [{}] {}", severity_name(d.severity), d.code, d.message);
  return fmt::format("{} [{}] ({}) {}", severity_name(d.severity), d.code, subject, d.message);
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

}  // namespace meshsim::config
