// What `meshsim --version` prints: the CMake project version and, when the
// build was configured from a git checkout, the commit it was configured at.
#pragma once

#include <string_view>

namespace meshsim::app {

std::string_view version_line();

}  // namespace meshsim::app
