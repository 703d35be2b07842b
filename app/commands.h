// One function per `meshsim` subcommand. Each parses its own arguments and
// returns the process exit code: 0 ok, 1 expectations failed, 2 bad input.
#pragma once

namespace meshsim::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;

int validate_command(int argc, char** argv);
int curl_command(int argc, char** argv);
int run_command(int argc, char** argv);
int say_command(int argc, char** argv);
int proxy_command(int argc, char** argv);
int serve_command(int argc, char** argv);
int demo_command(int argc, char** argv);
int ctl_command(int argc, char** argv);
int plan_command(int argc, char** argv);
// Issue 18, the scenario on real processes (h-app):
int app_command(int argc, char** argv);
int load_command(int argc, char** argv);
int check_command(int argc, char** argv);

// h-scale (issue 20): synthetic meshes, isotope graphs, merged sweep verdicts.
int generate_command(int argc, char** argv);
int import_command(int argc, char** argv);
int merge_command(int argc, char** argv);

int export_command(int argc, char** argv);  // k8s, flagger, argo-rollouts, sweep

}  // namespace meshsim::app
