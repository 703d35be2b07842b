// `meshsim plan`'s result as people and tools read it: text for a terminal,
// JSON for tools, Markdown for a pull-request comment.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sim/plan.h"

namespace meshsim::reports {

std::string plan_text(const sim::PlanResult& result);
nlohmann::ordered_json plan_json(const sim::PlanResult& result);
std::string plan_markdown(const sim::PlanResult& result);

}  // namespace meshsim::reports
