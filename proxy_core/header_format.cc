#include "proxy_core/header_format.h"

#include <ctime>

#include <fmt/format.h>
#include <re2/re2.h>

#include "proxy_core/resources.h"

namespace meshsim::proxy {
namespace {

// substitution_formatter.cc commandWithArgsRegex: %COMMAND(SUBCOMMAND):LENGTH%.
const RE2& command_regex() {
  static const RE2 re(R"(^%((?:[A-Z]|[0-9]|_)+)(?:\((.*?)\))?(?::([0-9]+))?%)");
  return re;
}

struct Known {
  std::string_view name;
  FormatCommand command;
};
// The commands meshsim answers as Envoy would; every other command Envoy
// knows is sent as written (and `validate` warns, MSH0048).
constexpr Known kKnown[] = {
    {"REQ", FormatCommand::kRequestHeader},
    {"RESP", FormatCommand::kResponseHeader},
    {"UPSTREAM_CLUSTER", FormatCommand::kUpstreamCluster},
    {"UPSTREAM_CLUSTER_RAW", FormatCommand::kUpstreamClusterRaw},
    {"DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT", FormatCommand::kDownstreamRemoteAddressWithoutPort},
    {"PROTOCOL", FormatCommand::kProtocol},
    {"HOSTNAME", FormatCommand::kHostname},
    {"START_TIME", FormatCommand::kStartTime},
};

std::string lower(std::string_view s) { return to_lower(s); }

// SubstitutionFormatUtils::parseSubcommandHeaders: "main" or "main?alternative".
bool header_args(std::string_view arg, FormatPiece& piece, std::string& error) {
  size_t q = arg.find('?');
  std::string_view main = arg.substr(0, q);
  std::string_view alternative = q == std::string_view::npos ? std::string_view() : arg.substr(q + 1);
  if (alternative.find('?') != std::string_view::npos) {
    error = "More than 1 alternative header specified in token: " + std::string(arg);
    return false;
  }
  piece.text = lower(main);
  piece.alternative = lower(alternative);
  return true;
}

// The first value of `name` (HeaderFormatter::findHeader: header[0]);
// pseudo-headers from the request line.
std::optional<std::string_view> request_field(const HttpRequest& r, std::string_view name) {
  if (name == ":path") return std::string_view(r.target);
  if (name == ":method") return std::string_view(r.method);
  if (name == ":authority" || name == "host") return std::string_view(r.authority);
  if (name == ":scheme") return std::string_view("http");
  return r.headers.get(name);
}

std::optional<std::string_view> header_of(const FormatPiece& p, const FormatContext& c) {
  if (p.command == FormatCommand::kRequestHeader) {
    if (c.request == nullptr) return std::nullopt;
    auto v = request_field(*c.request, p.text);
    if (!v && !p.alternative.empty()) v = request_field(*c.request, p.alternative);
    return v;
  }
  if (c.response == nullptr) return std::nullopt;
  auto v = c.response->get(p.text);
  if (!v && !p.alternative.empty()) v = c.response->get(p.alternative);
  return v;
}

// AccessLogDateTimeFormatter::fromTime: "%Y-%m-%dT%H:%M:%E3SZ" in UTC.
std::string start_time(int64_t unix_us) {
  std::time_t seconds = static_cast<std::time_t>(unix_us / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", date, static_cast<int>((unix_us / 1000) % 1000));
}

}  // namespace

ParsedHeaderFormat parse_header_format(std::string_view format) {
  ParsedHeaderFormat out;
  auto f = std::make_shared<HeaderFormat>();
  std::string literal;
  for (size_t pos = 0; pos < format.size();) {
    if (format[pos] != '%') {
      literal.push_back(format[pos++]);
      continue;
    }
    if (pos + 1 < format.size() && format[pos + 1] == '%') {  // escape '%%'
      literal.push_back('%');
      pos += 2;
      continue;
    }
    if (!literal.empty()) f->pieces.push_back({FormatCommand::kLiteral, std::move(literal), {}, std::nullopt});
    literal.clear();
    re2::StringPiece rest(format.data() + pos, format.size() - pos);
    const size_t before = rest.size();
    std::string command, arg, length;
    if (!RE2::Consume(&rest, command_regex(), &command, &arg, &length)) {
      out.error = fmt::format("Couldn't find valid command at position {}", pos);
      return out;
    }
    const std::string_view written = format.substr(pos, before - rest.size());
    pos += before - rest.size();
    FormatPiece piece;
    if (!length.empty()) piece.max_length = static_cast<size_t>(std::stoull(length));
    piece.command = FormatCommand::kUnsupported;
    for (const Known& k : kKnown)
      if (k.name == command) piece.command = k.command;
    // CommandSyntaxChecker: REQ and RESP need a header (a length allowed);
    // the others here take neither, except START_TIME's optional format,
    // which meshsim does not render.
    const bool header_command =
        piece.command == FormatCommand::kRequestHeader || piece.command == FormatCommand::kResponseHeader;
    if (header_command) {
      if (arg.empty()) {
        out.error = command + " requires parameters";
        return out;
      }
      if (!header_args(arg, piece, out.error)) return out;
    } else if (piece.command != FormatCommand::kUnsupported) {
      if (piece.max_length) {
        out.error = command + " does not allow a length";
        return out;
      }
      if (!arg.empty()) {
        if (piece.command != FormatCommand::kStartTime) {
          out.error = command + " does not take parameters";
          return out;
        }
        piece.command = FormatCommand::kUnsupported;
      }
    }
    if (piece.command == FormatCommand::kUnsupported) {
      piece.text = std::string(written);
      out.unsupported.push_back(piece.text);
    }
    f->pieces.push_back(std::move(piece));
  }
  if (!literal.empty()) f->pieces.push_back({FormatCommand::kLiteral, std::move(literal), {}, std::nullopt});
  out.format = std::move(f);
  return out;
}

std::string format_header_value(const HeaderFormat& format, const FormatContext& c) {
  std::string out;
  for (const FormatPiece& p : format.pieces) {
    switch (p.command) {
      case FormatCommand::kLiteral:
      case FormatCommand::kUnsupported: out += p.text; break;
      case FormatCommand::kRequestHeader:
      case FormatCommand::kResponseHeader:
        if (auto v = header_of(p, c)) out += p.max_length ? v->substr(0, *p.max_length) : *v;
        break;
      case FormatCommand::kUpstreamCluster:
      case FormatCommand::kUpstreamClusterRaw: out += c.cluster; break;
      case FormatCommand::kDownstreamRemoteAddressWithoutPort: out += c.downstream_ip; break;
      case FormatCommand::kProtocol:
        // Http::Utility::getProtocolString.
        out += c.protocol == WireProtocol::kHttp2 ? "HTTP/2" : "HTTP/1.1";
        break;
      case FormatCommand::kHostname: out += c.hostname; break;
      case FormatCommand::kStartTime:
        if (c.start_unix_us >= 0) out += start_time(c.start_unix_us);
        break;
    }
  }
  return out;
}

std::string_view supported_format_commands() {
  return "%%, REQ(header[?alternative])[:length], RESP(header[?alternative])[:length], UPSTREAM_CLUSTER, "
         "UPSTREAM_CLUSTER_RAW, DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT, PROTOCOL, HOSTNAME, START_TIME (no format)";
}

void compile_header_formats(HeaderOps& ops) {
  auto compile = [](const std::vector<std::pair<std::string, std::string>>& values,
                    std::vector<std::shared_ptr<const HeaderFormat>>& formats) {
    formats.clear();
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i].second.find('%') == std::string::npos) continue;
      formats.resize(values.size());
      formats[i] = parse_header_format(values[i].second).format;
    }
  };
  compile(ops.set, ops.set_formats);
  compile(ops.add, ops.add_formats);
}

}  // namespace meshsim::proxy
