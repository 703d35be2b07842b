#include "reports/html_report.h"

#include <fmt/format.h>

#include "reports/html_charts.h"
#include "reports/live_dashboard_script.h"
#include "reports/markup.h"

namespace meshsim::reports {
namespace {

std::string esc(const std::string& s) { return xml_escape(s); }
double seconds(sim::Duration d) { return static_cast<double>(d.count()) / 1e6; }

// Narrow screens: every box is at most the page wide; long words and
// commands wrap; the expectations table scrolls inside its own box.
constexpr const char* kStyle = R"~(<style>
html{-webkit-text-size-adjust:100%}
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0 auto;padding:12px 14px 32px;max-width:1000px;color:#222;box-sizing:border-box}
h1{font-size:22px;margin:8px 0 4px;overflow-wrap:anywhere} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:14px;margin:14px 0 4px}
.summary{font-size:14px;color:#555;overflow-wrap:anywhere} .pass{color:#2a7a2a;font-weight:600} .fail{color:#c0392b;font-weight:600}
.pending{color:#8a6d00;font-weight:600}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:13px;width:100%} td,th{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td:first-child{white-space:nowrap}
ol.steps{font-size:13px;padding-left:1.6em} ol.steps li{margin:2px 0;overflow-wrap:anywhere}
ol.steps code{background:#f4f4f4;padding:1px 4px;border-radius:3px;white-space:pre-wrap;overflow-wrap:anywhere}
ol.steps li.now{font-weight:600} ol.steps li.now::after{content:" \25C0 now";color:#8a6d00}
ol.steps li.later{color:#888} ol.steps li.later::after{content:" (not reached)"} .live ol.steps li.later::after{content:" (not yet)"}
ul.origins{font-size:13px;margin:6px 0;padding-left:1.4em}
svg.chart{display:block;width:100%;height:auto;max-width:860px}
.legend{font-size:13px;margin:4px 0 2px} .key{display:inline-block;margin-right:14px;white-space:nowrap}
.key i{display:inline-block;width:11px;height:11px;margin-right:5px;vertical-align:-1px}
.diagram svg.chart{min-width:560px}
.ax{font-size:12px;fill:#555} .step{font-size:12px;fill:#c0392b;font-weight:600}
.grid{stroke:#e4e4e4;stroke-width:1} .notrun{fill:#ececec} .strip{font-size:13px;font-weight:600;fill:#222;paint-order:stroke;stroke:#fafafa;stroke-width:3px}
.marker{stroke:#c0392b;stroke-dasharray:3 3;stroke-width:1}
.edge{font-size:12px;fill:#333;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round} .edge-err{fill:#c0392b}
.node{font-size:12px} .span{font-size:11px}
#live-status{font-size:12px;color:#777}
@media (max-width:600px){.ax,.step{font-size:18px} .strip{font-size:20px}}
</style>
)~";

struct Verdict {
  size_t held = 0, pending = 0, failed = 0, total = 0;
  std::string text(bool live) const {
    std::string s = fmt::format("{} of {} held", held, total);
    if (pending) s += fmt::format(" · {} {}", pending, live ? "pending" : "not reached");
    if (failed) s += fmt::format(" · {} failed", failed);
    return s;
  }
  // Green only when every expectation was judged and held.
  const char* css() const { return failed ? "fail" : pending || total == 0 ? "pending" : "pass"; }
};

Verdict verdict(const sim::RunResult& r) {
  Verdict v;
  v.total = r.expectations.size();
  for (const auto& e : r.expectations) {
    if (e.passed) ++v.held;
    else if (!e.reached) ++v.pending;
    else ++v.failed;
  }
  return v;
}

// "" for a phase over (or any phase of a finished run), "now" for the one
// running, "later" for one the run has not reached.
const char* phase_state(const sim::Phase& p, sim::Duration ran, bool live) {
  if (p.end <= ran) return "";
  if (p.start <= ran && (live || p.start < ran)) return live ? "now" : "";
  return "later";
}

std::string timeline(const sim::RunResult& r, bool live) {
  std::string h = "<ol class=\"steps\" id=\"timeline\">\n";
  for (const auto& p : r.phases) {
    const char* state = phase_state(p, r.duration, live);
    h += fmt::format("<li{}><b>{:g} s</b> {}", *state ? fmt::format(" class=\"{}\"", state) : "", seconds(p.start),
                     esc(p.caption.empty() ? "-" : p.caption));
    if (!p.command.empty()) h += " <code>" + esc(p.command) + "</code>";
    for (const auto& n : p.notes) h += "<br><i>" + esc(n) + "</i>";
    h += "</li>\n";
  }
  return h + "</ol>\n";
}

std::string expectation_rows(const sim::RunResult& r, bool live) {
  std::string h;
  for (const auto& e : r.expectations) {
    const char* css = e.passed ? "pass" : e.reached ? "fail" : "pending";
    const char* word = e.passed ? "PASS" : e.reached ? "FAIL" : live ? "pending" : "not reached";
    h += fmt::format("<tr><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>\n", css, word, esc(e.name), esc(e.observed));
  }
  return h;
}

// Where the errors of the whole run started, per service: "403 × 400, 503 UH × 2".
std::string error_origins(const TimeSeries& series) {
  if (series.error_origins().empty()) return "";
  std::string h = "<ul class=\"origins\">\n";
  for (const auto& [service, by_kind] : series.error_origins()) {
    std::string kinds;
    for (const auto& [kind, n] : by_kind) kinds += fmt::format("{}{} × {}", kinds.empty() ? "" : ", ", kind, n);
    h += fmt::format("<li><b>{}</b> returned {}</li>\n", esc(service), esc(kinds));
  }
  return h + "</ul>\n";
}

std::string charts(const sim::RunResult& r, const TimeSeries& series, const MeshTelemetry& telemetry) {
  std::string h = "<div id=\"charts\">\n<h2>Traffic share by version</h2>\n";
  for (const auto& [service, bins] : series.services())
    h += fmt::format("<h3>{}</h3>\n", esc(service)) + share_chart_svg(service, bins, r, series.bin_width_s()) + "\n";
  if (series.services().empty()) {
    h += "<p>No sidecar reported any request: no telemetry.</p>\n";
  } else {
    h += "<h2>Error rate (no response, 4xx, 5xx, gRPC errors) per service</h2>\n" + error_chart_svg(series, r) + "\n";
    std::string origins = error_origins(series);
    if (!origins.empty()) h += "<p class=\"summary\">Errors that started at a service (status and Envoy response flags):</p>\n" + origins;
    h += "<h2>Latency per service</h2>\n" + latency_chart_svg(series, r) + "\n";
  }
  // Diagrams keep a readable size on a phone and scroll inside their box.
  h += "<h2>Service graph (from observed traffic)</h2>\n<div class=\"scroll diagram\">" +
       graph_svg(telemetry, std::max(1.0, seconds(r.duration))) + "</div>\n";
  h += "<h2>A sampled trace</h2>\n<div class=\"scroll diagram\">" + trace_svg(telemetry) + "</div>\n";
  return h + "</div>\n";
}

}  // namespace

std::string html_report(const sim::RunResult& r, const TimeSeries& series, const MeshTelemetry& telemetry, int refresh_seconds) {
  bool live = refresh_seconds > 0;
  Verdict v = verdict(r);
  double planned = r.phases.empty() ? 0 : seconds(r.phases.back().end);
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += "<title>meshsim: " + esc(r.scenario) + "</title>\n";
  if (live) h += fmt::format("<noscript><meta http-equiv=\"refresh\" content=\"{}\"></noscript>\n", refresh_seconds);
  h += kStyle;
  h += fmt::format("</head><body{}>\n", live ? " class=\"live\"" : "");
  h += fmt::format("<h1>{}</h1>\n<p class=\"summary\">{}</p>\n", esc(r.scenario), esc(r.description));
  h += fmt::format("<p class=\"summary\" id=\"summary\">seed {} · <span id=\"seconds\">{:.0f}</span> s simulated<span id=\"planned\">{}</span> · "
                   "<span id=\"requests\">{}</span> requests · expectations: <span id=\"verdict\" class=\"{}\">{}</span>",
                   r.seed, seconds(r.duration), seconds(r.duration) < planned ? fmt::format(" of {:g}", planned) : "",
                   r.requests, v.css(), v.text(live));
  if (live) h += " <span id=\"live-status\">· live</span>";
  h += "</p>\n<h2>Timeline</h2>\n" + timeline(r, live);
  h += charts(r, series, telemetry);
  h += "<h2>Expectations</h2>\n<div class=\"scroll\"><table><thead><tr><th></th><th>expectation</th><th>observed</th></tr></thead>\n"
       "<tbody id=\"expectations\">\n" + expectation_rows(r, live) + "</tbody></table></div>\n";
  if (live) h += live_dashboard_script(refresh_seconds);
  h += "</body></html>\n";
  return h;
}

}  // namespace meshsim::reports
