// The live dashboard's script (`meshsim serve`, GET /): every few seconds it
// reads GET /report.json and redraws the header, the timeline and the
// expectations table from it, then takes the charts from a fresh GET /.
// Plain ES2017, no libraries, nothing fetched from anywhere else.
#pragma once

#include <string>

namespace meshsim::reports {

std::string live_dashboard_script(int refresh_seconds);

}  // namespace meshsim::reports
