#include "reports/junit.h"

#include <fmt/format.h>

#include "reports/markup.h"
#include "reports/run_report.h"

namespace meshsim::reports {

std::string junit_xml(const sim::RunResult& r) {
  size_t failures = 0;
  size_t skipped = 0;
  for (const auto& e : r.expectations) {
    failures += !e.passed && e.reached;
    skipped += !e.reached;
  }
  double seconds = static_cast<double>(r.duration.count()) / 1e6;
  int errors = (r.event_limit_hit ? 1 : 0) + (r.interrupted_by ? 1 : 0) + (r.runaway.empty() ? 0 : 1);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"meshsim\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:g}\">\n",
                     r.expectations.size(), failures, errors, seconds);
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:g}\">\n",
                     xml_escape(r.scenario), r.expectations.size(), failures, errors, skipped, seconds);
  out += fmt::format("    <properties><property name=\"seed\" value=\"{}\"/></properties>\n", r.seed);
  for (const auto& e : r.expectations) {
    // The common schema (jenkins-junit.xsd) has no file/line attributes: the
    // expectation's position leads the text instead, as compilers print it.
    std::string where = e.pos.line > 0 ? fmt::format("{}:{}: ", e.pos.file, e.pos.line) : "";
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\"", xml_escape(r.scenario), xml_escape(e.name));
    if (e.passed) {
      out += fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n", xml_escape(where + e.observed));
    } else if (!e.reached) {  // the run stopped before its window closed
      out += fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n", xml_escape(where + e.observed));
    } else {
      out += fmt::format(">\n      <failure message=\"{}\" type=\"expectation\">{}</failure>\n    </testcase>\n",
                         xml_escape(e.observed), xml_escape(where + e.observed));
    }
  }
  if (!r.runaway.empty())
    out += "    <testcase classname=\"meshsim\" name=\"runaway\"><error message=\"meshsim refused a runaway request: " +
           xml_escape(r.runaway) + "\"/></testcase>\n";
  if (r.event_limit_hit)
    out += "    <testcase classname=\"meshsim\" name=\"event limit\"><error message=\"the run hit the event limit\"/></testcase>\n";
  if (r.interrupted_by)
    out += fmt::format("    <testcase classname=\"meshsim\" name=\"interrupted\"><error message=\"the run was stopped by {} at {:g} s\"/></testcase>\n",
                       signal_name(r.interrupted_by), seconds);
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace meshsim::reports
