// RFC 3339 timestamps ("2018-05-03T00:00:00Z", "2018-05-03T09:30:00.5+02:00"),
// as Kubernetes writes metav1.Time: a scenario's `startTime`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meshsim::config {

// Microseconds since the Unix epoch, or nullopt with `error` filled in.
std::optional<int64_t> parse_rfc3339_us(std::string_view text, std::string* error);

}  // namespace meshsim::config
