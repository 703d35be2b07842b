#include "reports/plan_output.h"

#include <set>

#include <fmt/format.h>

#include "reports/explain.h"

namespace meshsim::reports {
namespace {

std::string short_host(const std::string& host) {
  constexpr std::string_view kSuffix = ".svc.cluster.local";
  return host.ends_with(kSuffix) ? host.substr(0, host.size() - kSuffix.size()) : host;
}

std::string callers_text(const sim::PlanMove& m) { return fmt::format("{}", fmt::join(m.callers, ", ")); }

std::string coverage_line(const char* version, const sim::PlanCoverage& c) {
  return fmt::format("{}: covered {} of {} rules", version, c.covered(), c.rules.size());
}

// The Envoy response flags named in a "response flags" change ("UT,URX 50%, - 50%").
std::set<std::string> flags_of(const sim::PlanChange& c) {
  std::set<std::string> flags;
  if (c.what != "response flags") return flags;
  for (const std::string* side : {&c.before, &c.after}) {
    std::string word;
    for (char ch : *side + " ") {
      if (ch >= 'A' && ch <= 'Z') {
        word += ch;
      } else {
        if (!word.empty() && !flag_meaning(word).empty()) flags.insert(word);
        word.clear();
      }
    }
  }
  return flags;
}

}  // namespace

std::string plan_text(const sim::PlanResult& r) {
  std::string out;
  if (r.moves.empty()) out += "Nothing moved.\n";
  for (const auto& m : r.moves) {
    out += fmt::format("{}:{}  {}\n", short_host(m.host), m.port, m.request);
    out += fmt::format("  from {}\n", callers_text(m));
    for (const auto& c : m.changes) {
      out += fmt::format("  {}: {} -> {}\n", c.what, c.before, c.after);
      for (const auto& f : flags_of(c)) out += fmt::format("    {}: {}\n", f, flag_meaning(f));  // Envoy's words
    }
  }
  out += "\nRoute coverage\n";
  for (const auto& [name, c] : {std::pair{"before", &r.before}, std::pair{"after", &r.after}}) {
    out += "  " + coverage_line(name, *c) + "\n";
    for (const auto& u : c->unreached) out += fmt::format("    unreached: {}\n", u);
  }
  for (const auto& l : r.coverage_lost) out += fmt::format("  no longer reached: {}\n", l);
  // Moves and rules lost are counted apart: the count matches the lines above.
  std::string summary = r.moves.empty() ? "nothing moved" : fmt::format("{} move(s)", r.moves.size());
  if (!r.coverage_lost.empty()) summary += fmt::format(", {} rule(s) no longer reached", r.coverage_lost.size());
  out += fmt::format("\n{} probe(s), {} request(s); {}\n", r.probes, r.requests, summary);
  return out;
}

nlohmann::ordered_json plan_json(const sim::PlanResult& r) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["moved"] = r.moved();
  j["probes"] = r.probes;
  j["requests"] = r.requests;
  auto& moves = j["moves"] = ordered_json::array();
  for (const auto& m : r.moves) {
    ordered_json jm{{"host", m.host}, {"port", m.port}, {"request", m.request}, {"callers", m.callers}, {"probes", m.why}};
    auto& changes = jm["changes"] = ordered_json::array();
    for (const auto& c : m.changes) {
      ordered_json jc{{"what", c.what}, {"before", c.before}, {"after", c.after}};
      for (const auto& f : flags_of(c)) jc["flag_meanings"][f] = std::string(flag_meaning(f));
      changes.push_back(std::move(jc));
    }
    moves.push_back(std::move(jm));
  }
  for (const auto& [name, c] : {std::pair{"before", &r.before}, std::pair{"after", &r.after}})
    j["coverage"][name] = {{"covered", c->covered()}, {"rules", c->rules.size()}, {"unreached", c->unreached}};
  j["coverage"]["lost"] = r.coverage_lost;
  return j;
}

std::string plan_markdown(const sim::PlanResult& r) {
  std::string out = "### meshsim plan\n\n";
  if (r.moves.empty()) {
    out += "Nothing moved.\n";
  } else {
    out += "| Request | Callers | What | Before | After |\n|---|---|---|---|---|\n";
    auto cell = [](std::string s) {
      for (size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
      return s;
    };
    for (const auto& m : r.moves)
      for (const auto& c : m.changes)
        out += fmt::format("| `{}:{} {}` | {} | {} | {} | {} |\n", short_host(m.host), m.port, cell(m.request),
                           cell(callers_text(m)), c.what, cell(c.before), cell(c.after));
  }
  std::set<std::string> flags;
  for (const auto& m : r.moves)
    for (const auto& c : m.changes) flags.merge(flags_of(c));
  if (!flags.empty()) out += "\n";
  for (const auto& f : flags) out += fmt::format("- `{}`: {}\n", f, flag_meaning(f));
  out += "\n**Route coverage**: " + coverage_line("before", r.before) + "; " + coverage_line("after", r.after) + "\n";
  for (const auto& l : r.coverage_lost) out += fmt::format("- no longer reached: `{}`\n", l);
  for (const auto& u : r.after.unreached) out += fmt::format("- unreached after: `{}`\n", u);
  out += fmt::format("\n<sub>{} probe(s), {} request(s)</sub>\n", r.probes, r.requests);
  return out;
}

}  // namespace meshsim::reports
