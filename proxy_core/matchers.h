// Compiled string matchers: Istio StringMatch and Gateway API matches,
// turned into what Envoy evaluates (RE2 full match; exact; prefix).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <re2/re2.h>

#include "proxy_core/resources.h"

namespace meshsim::proxy {

class StringMatcher {
 public:
  enum class Kind { kExact, kPrefix, kRegex, kPresent, kPathSeparatedPrefix };
  StringMatcher() = default;
  StringMatcher(Kind kind, std::string value, bool ignore_case = false);
  // Istio's conversion (pilot/pkg/networking/core/route/route.go): `regex: "*"`
  // is not RE2 and becomes a presence match (canBeConvertedToPresentMatch).
  static StringMatcher from_istio(const StringMatch& m, bool ignore_case = false);

  bool ok() const { return kind_ != Kind::kRegex || (regex_ && regex_->ok()); }
  bool matches(std::string_view value) const;
  Kind kind() const { return kind_; }
  const std::string& value() const { return value_; }

 private:
  Kind kind_ = Kind::kPresent;
  std::string value_;
  bool ignore_case_ = false;
  std::shared_ptr<const RE2> regex_;
};

}  // namespace meshsim::proxy
