// `meshsim demo [SCENARIO] [--speed N] [--manual]`: the Hightower replay for
// a stage. The scenario (scenarios/hightower-demo.yaml by default) plays live
// against the wall clock; each step shows its caption and the command it
// stands for; `watch curl` loops print what the app answers, one line per
// simulated second (a second loop starts when the scenario starts its mobile
// traffic); every ten simulated seconds a dashboard of per-version request and
// error rates. --manual waits for Enter before each step. Ingress and admin
// API are open as in `serve`, so the speaker can curl along. Loopback only.
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <memory>

#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/commands.h"
#include "app/live_front_door.h"
#include "app/live_world.h"
#include "app/scenario_files.h"
#include "reports/run_report.h"

namespace meshsim::app {

namespace net = boost::asio;

namespace {

std::string default_scenario() {
  const char* relative = "scenarios/hightower-demo.yaml";
  if (std::filesystem::exists(relative)) return relative;
  return std::string(MESHSIM_SOURCE_DIR) + "/" + relative;
}

struct CurlLoop {
  std::string label;  // "curl -H 'User-Agent: mobile' http://frontend/"
  std::vector<std::pair<std::string, std::string>> headers;
};

class Demo {
 public:
  Demo(net::io_context& io, LiveWorld& live, const std::string& target_host, uint32_t target_port, bool manual, double speed)
      : io_(io), live_(live), host_(target_host), port_(target_port), manual_(manual), tick_(io), stdin_(io), speed_(speed) {
    loops_.push_back({"curl http://" + host_ + "/", {}});
  }

  void start() {
    fmt::print("meshsim demo: {} — {}\n", live_.scenario().name, live_.scenario().description);
    if (manual_) {
      fmt::print("(--manual: press Enter to play each step)\n");
      read_stdin();
    }
    tick();
  }

 private:
  double now_seconds() const { return static_cast<double>(live_.now().count()) / 1e6; }
  double end_seconds() const { return static_cast<double>(live_.scenario().duration.count()) / 1e6; }

  // Once per simulated second: steps that came due, the curl lines, the dashboard.
  void tick() {
    live_.pump();
    while (!manual_ && announced_ < live_.scenario().timeline.size() &&
           live_.scenario().timeline[announced_].at <= live_.now())
      announce(live_.scenario().timeline[announced_++]);
    for (const auto& loop : loops_) curl(loop);
    int second = static_cast<int>(now_seconds());
    if (second > 0 && second % 10 == 0 && second != last_dashboard_) {
      last_dashboard_ = second;
      for (const auto& line : live_.series().recent_table(now_seconds(), 10)) fmt::print("         │ {}\n", line);
    }
    std::fflush(stdout);
    if (now_seconds() >= end_seconds() && (!manual_ || !live_.next_held_step())) return finish();
    tick_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(1.0 / speed_)));
    tick_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  }

  // The curl lines already sent still print: on a slow machine the last
  // tick's answers (the mobile rule's effect, say) would otherwise be lost.
  // Bounded: stop anyway after two seconds of wall time.
  void finish() {
    curls_->ending = true;
    if (curls_->in_flight == 0) return io_.stop();
    tick_.expires_after(std::chrono::seconds(2));
    tick_.async_wait([this](const boost::system::error_code&) { io_.stop(); });
  }

  void announce(const sim::TimelineStep& step) {
    // Held steps run when the speaker presses Enter: show when that was.
    double at = manual_ ? now_seconds() : static_cast<double>(step.at.count()) / 1e6;
    fmt::print("\n[{:>4.0f}s] ▶ {}\n", at, step.caption);
    if (!step.command.empty()) fmt::print("         $ {}\n", step.command);
    if (!step.say_reply.empty()) fmt::print("         « {} »\n", step.say_reply);
    for (const auto& name : step.start_sources)
      for (const auto& source : live_.scenario().sources)
        if (source.name == name && !source.headers.empty()) {
          std::string label = "curl";
          for (const auto& [k, v] : source.headers) label += fmt::format(" -H '{}: {}'", k, v);
          loops_.push_back({label + " http://" + host_ + "/", source.headers});
        }
  }

  void curl(const CurlLoop& loop) {
    proxy::HttpRequest request;
    request.authority = host_;
    for (const auto& [k, v] : loop.headers) request.headers.add(k, v);
    double at = now_seconds();
    std::string label = loop.label;
    ++curls_->in_flight;
    live_.send(std::move(request), host_, port_, [curls = curls_, io = &io_, at, label](sim::CallResult&& r) {
      std::string answer = r.outbound.response ? (r.outbound.response->status == 200
                                                      ? r.outbound.response->body
                                                      : fmt::format("{} {}", r.outbound.response->status, r.outbound.response->body))
                                               : r.outbound.error;
      while (!answer.empty() && answer.back() == '\n') answer.pop_back();
      fmt::print("[{:>4.0f}s]   {:<48} {}\n", at, label, answer);
      if (--curls->in_flight == 0 && curls->ending) io->stop();
    });
  }

  void read_stdin() {
    stdin_.assign(::dup(STDIN_FILENO));
    next_line();
  }
  void next_line() {
    net::async_read_until(stdin_, input_, '\n', [this](const boost::system::error_code& ec, size_t n) {
      if (ec) {  // stdin closed: play the rest unattended
        manual_ = false;
        while (live_.next_held_step()) {
          announce(*live_.next_held_step());
          live_.apply_next_step();
        }
        announced_ = live_.scenario().timeline.size();
        return;
      }
      input_.consume(n);
      if (const sim::TimelineStep* step = live_.next_held_step()) {
        announce(*step);
        live_.apply_next_step();
      }
      next_line();
    });
  }

  net::io_context& io_;
  LiveWorld& live_;
  std::string host_;
  uint32_t port_;
  bool manual_;
  net::steady_timer tick_;
  net::posix::stream_descriptor stdin_;
  net::streambuf input_;
  std::vector<CurlLoop> loops_;
  size_t announced_ = 0;
  int last_dashboard_ = -1;
  double speed_;
  // Shared with the answers' callbacks, which may outlive the Demo (the
  // world finishes after it).
  struct Curls {
    int in_flight = 0;  // curl lines sent, not yet answered
    bool ending = false;
  };
  std::shared_ptr<Curls> curls_ = std::make_shared<Curls>();
};

}  // namespace

int demo_command(int argc, char** argv) {
  cxxopts::Options options("meshsim demo", "The Hightower demo replayed live for a stage.");
  options.add_options()
      ("speed", "simulated seconds per wall-clock second", cxxopts::value<double>()->default_value("1"))
      ("manual", "wait for Enter before each step")
      ("port", "ingress port for your own curl (0: any free port)", cxxopts::value<uint16_t>()->default_value("8080"))
      ("admin-port", "admin API port on 127.0.0.1 (0: any free port)", cxxopts::value<uint16_t>()->default_value("15000"))
      ("h,help", "show this help")
      ("scenario", "scenario file (default: scenarios/hightower-demo.yaml)", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"scenario"});
  options.positional_help("[SCENARIO]");
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    fmt::print("{}", options.help());
    return kExitOk;
  }
  std::vector<std::string> files = args.count("scenario") ? args["scenario"].as<std::vector<std::string>>()
                                                           : std::vector<std::string>{default_scenario()};
  auto scenario = load_scenario_files(files);
  if (!scenario) return kExitBadInput;

  net::io_context io(proxy::asio::kOneThread);
  LiveOptions live_options;
  live_options.speed = std::max(0.01, args["speed"].as<double>());
  live_options.manual = args.count("manual") > 0;
  LiveWorld live(io, *scenario, live_options);
  std::string ignored;
  LiveFrontDoor door(live, *sim::parse_url("http://frontend/", &ignored));
  const auto loopback = net::ip::make_address("127.0.0.1");
  try {
    proxy::asio::HttpListener ingress(io, {loopback, args["port"].as<uint16_t>()}, door.ingress());
    proxy::asio::HttpListener admin(io, {loopback, args["admin-port"].as<uint16_t>()}, door.admin());
    fmt::print(stderr, "meshsim demo: at {}x; curl along: http://127.0.0.1:{}/ ; admin http://127.0.0.1:{}/\n",
               live_options.speed, ingress.port(), admin.port());
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    Demo demo(io, live, "frontend", 80, live_options.manual, live_options.speed);
    demo.start();
    io.run();
  } catch (const boost::system::system_error& e) {
    fmt::print(stderr, "meshsim demo: {}\n", e.what());
    return kExitBadInput;
  }
  sim::RunResult result = live.finish();
  std::string text = reports::run_text(result);
  auto at = text.find("expectations:");
  fmt::print("\n{}", at == std::string::npos ? text : text.substr(at));
  return result.passed() ? kExitOk : kExitFailed;
}

}  // namespace meshsim::app
