// `meshsim curl` output: the JSON object of ../shared/DESIGN.md (a public
// interface: field names are stable) and a curl -v style text.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sim/curl.h"

namespace meshsim::reports {

nlohmann::ordered_json curl_json(sim::CurlRun& run);
std::string curl_text(sim::CurlRun& run, const std::string& url);

}  // namespace meshsim::reports
