// `meshsim say`, step 1: a sentence becomes tokens, and the numbers people
// write in words or figures become slots ("half" and "50 percent" are both
// a 50% share; "half a second" and "500ms" both a 500 ms duration; "twice"
// and "2 times" both a count; "version 2" is the version v2).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace meshsim::config {

struct SayToken {
  enum class Kind {
    kWord,        // text: the word, lowercased ("bar", "end-user", "jason")
    kNumber,      // value: a bare number ("503", "3")
    kPercent,     // value: a share in percent ("50%", "half", "one in ten")
    kRatio,       // ratio: "80/20", "50-50", "90:10"
    kDuration,    // value: milliseconds ("500ms", "1.5 seconds", "half a second")
    kCount,       // value: how many times ("3 times", "twice", "3 retries")
    kVersion,     // text: "v2" ("v2", "version 2", "version two")
    kPossessive,  // the "'s" of "bar's"
    kPunct,       // ":" or "="
  };
  Kind kind = Kind::kWord;
  std::string text;
  std::string raw;  // the chunk as written (lowercased), for header values
  double value = 0;
  std::vector<int> ratio;
};

// At most this many tokens: a sentence, not a document (bounds every scan).
inline constexpr size_t kSayMaxTokens = 64;

std::vector<SayToken> lex_say(std::string_view sentence);

// "one" … "twenty" as numbers; -1 for any other word.
int number_word(std::string_view word);

}  // namespace meshsim::config
