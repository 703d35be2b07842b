// Reads an access log into the requests a replay traffic source sends
// (`replay: {file, format, speed}` in a Scenario, `meshsim plan --replay`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/access_log.h"
#include "sim/scenario.h"

namespace meshsim::config {

// The requests of `text` (the log named `file`), by start time, offsets from
// the first divided by `speed`. Lines not replayed become `problems`.
sim::ReplayTraffic replay_from_log(std::string_view text, const std::string& file, AccessLogFormat format, double speed);

// Reads `path`; `format` empty = detect (JSON when the first line starts with
// '{'). Nullopt with `error` when the file cannot be read or the format is unknown.
std::optional<sim::ReplayTraffic> read_replay(const std::string& path, const std::string& format, double speed,
                                              std::string* error);

}  // namespace meshsim::config
