#include "proxy_core/matchers.h"

#include "proxy_core/http.h"

namespace meshsim::proxy {

StringMatcher::StringMatcher(Kind kind, std::string value, bool ignore_case)
    : kind_(kind), value_(std::move(value)), ignore_case_(ignore_case) {
  if (kind_ == Kind::kRegex) {
    RE2::Options options;
    options.set_log_errors(false);
    regex_ = std::make_shared<RE2>(value_, options);
  }
  if (ignore_case_) value_ = to_lower(value_);
}

StringMatcher StringMatcher::from_istio(const StringMatch& m, bool ignore_case) {
  switch (m.kind) {
    case StringMatch::Kind::kExact: return {Kind::kExact, m.value, ignore_case};
    case StringMatch::Kind::kPrefix: return {Kind::kPrefix, m.value, ignore_case};
    case StringMatch::Kind::kRegex:
      if (m.value == "*") return {Kind::kPresent, ""};
      return {Kind::kRegex, m.value};  // ignoreUriCase does not apply to regex (virtual_service.proto)
    case StringMatch::Kind::kPresent: return {Kind::kPresent, ""};
  }
  return {};
}

bool StringMatcher::matches(std::string_view value) const {
  std::string lowered;
  if (ignore_case_) {
    lowered = to_lower(value);
    value = lowered;
  }
  switch (kind_) {
    case Kind::kExact: return value == value_;
    case Kind::kPrefix: return value.starts_with(value_);
    case Kind::kRegex: return regex_ && RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *regex_);
    case Kind::kPresent: return true;
    case Kind::kPathSeparatedPrefix: {
      // Gateway API PathPrefix: element-wise; "/v2" matches "/v2" and "/v2/x", not "/v2example".
      std::string_view prefix = value_;
      while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
      if (prefix == "/") return true;
      if (!value.starts_with(prefix)) return false;
      return value.size() == prefix.size() || value[prefix.size()] == '/';
    }
  }
  return false;
}

}  // namespace meshsim::proxy
