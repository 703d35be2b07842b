// The files of ../shared/conformance/cases-next/ that meshsim supports, by
// file name (e.g. "http2.json"). The suite runs every file of cases/ and
// each file listed here; every request of a listed file must pass. The issue
// that builds a capability adds its files here; once they move to cases/,
// they leave this list (see ../shared/conformance/README.md).
#pragma once

#include <string_view>
#include <vector>

namespace meshsim::conformance {

inline std::vector<std::string_view> supported_cases_next() {
  return {
      // "http2.json",
  };
}

}  // namespace meshsim::conformance
