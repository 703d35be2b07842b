// `meshsim say`, step 2: tokens become an intent with its slots, or a
// refusal that says what is missing, ambiguous or unknown. Service names
// are checked against the mesh (the nearest known name is offered); with
// an empty mesh any name-shaped word is taken as a service.
#pragma once

#include <optional>
#include <string_view>

#include "config/say_request.h"
#include "proxy_core/resources.h"

namespace meshsim::config {

struct SayParse {
  std::optional<SayRequest> request;  // understood
  std::optional<SayRefusal> refusal;  // understood enough to say why not
  // Neither: not understood at all (the caller offers the closest phrasings).
};

SayParse parse_say(std::string_view sentence, const proxy::Resources& mesh);

}  // namespace meshsim::config
