// `meshsim say`: the words it knows — verbs and their synonyms for each
// intent, and the filler words that never name a service.
#pragma once

#include <string_view>

#include "config/say_request.h"

namespace meshsim::config {

// The intent a word (or, with `next`, a two-word phrase) asks for, kNone
// when it asks for nothing. `span` becomes 2 for a two-word phrase.
SayIntent say_intent_word(std::string_view word, std::string_view next, size_t& span);

// Whether `word` is one of meshsim's own words (verbs, fillers, units,
// user-agent classes), so never a service name.
bool say_vocabulary(std::string_view word);

// Words that introduce a query ("get", "show", "what", "who", …).
bool say_query_word(std::string_view word);
bool say_topology_word(std::string_view word);
bool say_route_noun(std::string_view word);

// "calls", "calling", "access", "reach": between a caller and its target.
bool say_call_word(std::string_view word);

}  // namespace meshsim::config
