// junit.xml: one test case per expectation, the observed value in the
// failure message (the common JUnit XML schema read by CI systems).
#pragma once

#include <string>

#include "sim/run_result.h"

namespace meshsim::reports {

std::string junit_xml(const sim::RunResult& result);

}  // namespace meshsim::reports
