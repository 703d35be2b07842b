// Durations as Istio accepts them: Go's time.ParseDuration syntax
// ("7s", "0.5s", "100ms", "1h30m"), which gogo/protobuf's JSON decoding of
// google.protobuf.Duration uses for Istio CRDs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "proxy_core/resources.h"

namespace meshsim::config {

// Returns the duration, or nullopt with `error` filled in.
std::optional<proxy::Duration> parse_go_duration(std::string_view text, std::string* error);

// Gateway API Duration (GEP-2257): ^([0-9]{1,5}(h|m|s|ms)){1,4}$
std::optional<proxy::Duration> parse_gateway_duration(std::string_view text, std::string* error);

}  // namespace meshsim::config
