// `meshsim merge REPORT.json... [--min-pass F] [-o merged.json]`: the
// merged verdict of runs made elsewhere (a Kubernetes Indexed Job running
// `meshsim run --seed $JOB_COMPLETION_INDEX`, CI shards).
#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/commands.h"
#include "app/sweep.h"

namespace meshsim::app {

int merge_command(int argc, char** argv) {
  cxxopts::Options options("meshsim merge",
                           "Merge report.json files of runs of one scenario: per expectation, how many runs it held in "
                           "(Wilson 95% interval). Exit 0 the rule holds, 1 it does not, 2 bad input.");
  options.add_options()
      ("min-pass", "pass when each expectation held in at least this fraction of the runs (default 1: every run)",
       cxxopts::value<double>()->default_value("1"))
      ("o,out", "also write the verdict as JSON here", cxxopts::value<std::string>())
      ("h,help", "show this help")
      ("reports", "report.json files", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"reports"});
  options.positional_help("REPORT.json...");
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    fmt::print("{}", options.help());
    return kExitOk;
  }
  if (!args.count("reports")) {
    fmt::print(stderr, "meshsim merge: no report.json given\n");
    return kExitBadInput;
  }
  double min_pass = args["min-pass"].as<double>();
  if (!(min_pass > 0 && min_pass <= 1)) {
    fmt::print(stderr, "meshsim merge: --min-pass must be in (0, 1]\n");
    return kExitBadInput;
  }
  return merge_report_files(args["reports"].as<std::vector<std::string>>(), min_pass,
                            args.count("out") ? args["out"].as<std::string>() : "");
}

}  // namespace meshsim::app
