// `meshsim say`, step 2b: the slots of a sentence that are not service
// names — the header or user-agent condition, the versions and their
// shares, durations, status codes, retry counts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/say_lexer.h"
#include "config/say_request.h"

namespace meshsim::config {

// Tokens and which of them a slot has taken (so they name nothing else).
struct SaySentence {
  std::vector<SayToken> tokens;
  std::vector<bool> used;

  bool word(size_t i, std::string_view text) const {
    return i < tokens.size() && tokens[i].kind == SayToken::Kind::kWord && tokens[i].text == text;
  }
  bool any_word(std::initializer_list<std::string_view> words) const;
};

// A header condition ("with header end-user jason", "x-canary: true",
// "end-user jason", "user jason", "logged in as jason") or a user-agent
// class ("mobile", "browsers", "Chrome", "iPhone", "user agent curl").
// With a mesh (`known` services), "jason's requests" names an end-user too.
// nullopt and `refusal` set when the sentence has two conditions.
std::optional<SayMatch> say_take_match(SaySentence& s, const std::vector<std::string>& known,
                                       std::optional<SayRefusal>& refusal);

// The versions and their shares for a route ("20% to v2", "80/20 between
// v1 and v2", "v2 at 10%, the rest on v1", "evenly between v1 and v2").
// `other` is the version that keeps the rest when one share is given
// (the service's other version). Refusal when they do not add up.
std::vector<SayShare> say_take_shares(SaySentence& s, const std::vector<std::string>& known_versions, bool need_share,
                                      std::optional<SayRefusal>& refusal);

// The one share of requests a fault or mirror applies to, else nullopt.
std::optional<double> say_take_percent(SaySentence& s, std::optional<SayRefusal>& refusal, const std::string& example);

// A duration; `per_try` takes the one marked "per try"/"each attempt".
std::optional<double> say_take_duration(SaySentence& s, bool per_try);

// An HTTP status ("503", "503s", "status 500", "unavailable").
std::optional<int> say_take_status(SaySentence& s);

// A retry count ("3 times", "twice", "3 retries", "up to 3").
std::optional<int> say_take_count(SaySentence& s);

}  // namespace meshsim::config
