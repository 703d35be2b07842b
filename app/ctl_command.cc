// `meshsim ctl [--admin ADDR] apply -f FILE | delete KIND NAME [-n NS] | get topology|config|metrics|graph|traces | say SENTENCE | step`:
// talks to a running `meshsim serve` (or `proxy`) through its admin API, as
// kubectl talks to an API server. Exit 0 on 2xx, 2 when the server refused
// (its message is printed), 1 when it could not be reached.
#include <array>
#include <utility>  // Boost 1.74 asio/awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/admin_options.h"
#include "app/commands.h"
#include "app/listen_address.h"
#include "config/loader.h"
#include "proxy_core/codec.h"

namespace meshsim::app {

namespace net = boost::asio;
using net::ip::tcp;

namespace {

std::optional<proxy::HttpResponse> call_admin(tcp::endpoint admin, const std::string& method, const std::string& target,
                                              const std::string& body, const std::string& token, std::string* error) {
  net::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect(admin, ec);
  if (ec) {
    *error = fmt::format("cannot reach the admin API at {}:{} ({}); is `meshsim serve` running?", admin.address().to_string(),
                         admin.port(), ec.message());
    return std::nullopt;
  }
  proxy::HttpRequest request;
  request.method = method;
  request.target = target;
  request.authority = fmt::format("{}:{}", admin.address().to_string(), admin.port());
  request.headers.set("connection", "close");
  if (!token.empty()) request.headers.set("authorization", "Bearer " + token);
  request.body = body;
  net::write(socket, net::buffer(proxy::serialize(request)), ec);
  std::string raw;
  std::array<char, 16 * 1024> buf{};
  while (!ec) {
    size_t n = socket.read_some(net::buffer(buf), ec);
    raw.append(buf.data(), n);
  }
  proxy::HttpResponse response;
  if (!proxy::parse_response(raw, response)) {
    *error = "the admin API sent an invalid response";
    return std::nullopt;
  }
  return response;
}

std::string read_files(const std::vector<std::string>& paths, std::string* error) {
  std::vector<config::Diagnostic> diagnostics;
  auto sources = config::read_sources(paths, diagnostics);
  for (const auto& d : diagnostics) *error += config::format_diagnostic(d) + "\n";
  std::string yaml;
  for (const auto& s : sources) yaml += (yaml.empty() ? "" : "\n---\n") + s.text;
  return yaml;
}

constexpr const char* kCtlUsage = R"(usage: meshsim ctl [--admin HOST:PORT] COMMAND
  apply -f FILE...           apply YAML, as kubectl apply
  delete KIND NAME [-n NS]   delete a resource (e.g. delete VirtualService bar)
  get topology SERVICE       versions, callers and callees of a service
  get config|metrics|traces|graph
  say "SENTENCE"             a plain-word command
  step                       apply the next held step (serve --manual)
)";

}  // namespace

int ctl_command(int argc, char** argv) {
  cxxopts::Options options("meshsim ctl", "Talk to a running meshsim serve through its admin API.");
  options.add_options()
      ("admin", "the admin API", cxxopts::value<std::string>()->default_value("127.0.0.1:15000"))
      ("admin-token", "bearer token for changes, when serve has one (default: $MESHSIM_ADMIN_TOKEN)", cxxopts::value<std::string>())
      ("f,file", "files for apply", cxxopts::value<std::vector<std::string>>())
      ("n,namespace", "namespace for delete", cxxopts::value<std::string>()->default_value("default"))
      ("h,help", "show this help")
      ("words", "command", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"words"});
  auto args = options.parse(argc, argv);
  std::vector<std::string> words = args.count("words") ? args["words"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (args.count("help") || words.empty()) {
    fmt::print("{}", kCtlUsage);
    return args.count("help") ? kExitOk : kExitBadInput;
  }
  std::string error;
  auto admin = parse_address(args["admin"].as<std::string>(), &error);
  if (!admin) {
    fmt::print(stderr, "meshsim ctl: {}\n", error);
    return kExitBadInput;
  }
  std::string method = "GET", target, body;
  const std::string& verb = words[0];
  if (verb == "apply") {
    if (!args.count("file")) {
      fmt::print(stderr, "meshsim ctl apply: need -f FILE\n");
      return kExitBadInput;
    }
    body = read_files(args["file"].as<std::vector<std::string>>(), &error);
    if (!error.empty()) {
      fmt::print(stderr, "{}", error);
      return kExitBadInput;
    }
    method = "POST", target = "/config";
  } else if (verb == "delete" && words.size() == 3) {
    method = "DELETE", target = fmt::format("/config/{}/{}/{}", words[1], args["namespace"].as<std::string>(), words[2]);
  } else if (verb == "get" && words.size() >= 2) {
    const std::string& what = words[1];
    if (what == "topology" && words.size() == 3) target = "/topology?service=" + words[2];
    else if (what == "config" || what == "metrics" || what == "traces" || what == "graph") target = "/" + what;
    else {
      fmt::print(stderr, "meshsim ctl get: unknown \"{}\" (valid: topology SERVICE, config, metrics, traces, graph)\n", what);
      return kExitBadInput;
    }
  } else if (verb == "say" && words.size() >= 2) {
    method = "POST", target = "/say";
    for (size_t i = 1; i < words.size(); ++i) body += (i > 1 ? " " : "") + words[i];
  } else if (verb == "step" && words.size() == 1) {
    method = "POST", target = "/step";
  } else {
    fmt::print(stderr, "meshsim ctl: cannot parse \"{}\"\n{}", fmt::join(words, " "), kCtlUsage);
    return kExitBadInput;
  }
  auto response = call_admin(*admin, method, target, body, admin_token(args), &error);
  if (!response) {
    fmt::print(stderr, "meshsim ctl: {}\n", error);
    return kExitFailed;
  }
  bool ok = response->status >= 200 && response->status < 300;
  fmt::print(ok ? stdout : stderr, "{}", response->body);
  return ok ? kExitOk : kExitBadInput;
}

}  // namespace meshsim::app
