// libFuzzer target: arbitrary bytes as an access log, read as Istio's default
// TEXT format and as JSON lines (config/access_log.h), then as the requests
// a replay sends (config/replay_source.h). Whatever the bytes, nothing may
// crash, and every non-blank line is accounted for exactly once: replayed,
// reported bad with its line number, or counted as inbound or TCP, never
// silently dropped (issue 17).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/access_log.h"
#include "config/replay_source.h"

namespace {

void check(std::string_view text, meshsim::config::AccessLogFormat format) {
  using meshsim::config::AccessLog;
  AccessLog log = meshsim::config::parse_access_log(text, format);
  size_t accounted = log.entries.size() + log.bad.size() + static_cast<size_t>(log.inbound) + static_cast<size_t>(log.not_http);
  if (accounted != static_cast<size_t>(log.lines)) __builtin_trap();  // a line went missing
  int previous = 0;
  for (const auto& b : log.bad) {
    if (b.line <= previous || b.column < 1 || b.message.empty()) __builtin_trap();
    previous = b.line;
  }
  for (const auto& e : log.entries)
    if (e.line < 1 || e.entry.method.empty() || e.entry.inbound()) __builtin_trap();
  auto replay = meshsim::config::replay_from_log(text, "fuzz.log", format, 1);
  if (replay.requests.size() != log.entries.size()) __builtin_trap();
  for (const auto& r : replay.requests)
    if (r.at.count() < 0) __builtin_trap();  // offsets are from the earliest line
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;  // a few lines; the line cap is tested, not fuzzed
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check(text, meshsim::config::AccessLogFormat::kIstioText);
  check(text, meshsim::config::AccessLogFormat::kEnvoyJson);
  return 0;
}
