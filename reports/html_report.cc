#include "reports/html_report.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "proxy_core/hosts.h"
#include "reports/markup.h"

namespace meshsim::reports {
namespace {

constexpr int kWidth = 960;      // chart width, px
constexpr int kPlotLeft = 56;    // room for the y axis labels
constexpr int kPlotRight = 16;
constexpr int kChartHeight = 170;
constexpr int kPlotTop = 12, kPlotBottom = 24;

std::string esc(const std::string& s) { return xml_escape(s); }

const char* version_color(const std::string& v, size_t index) {
  static const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948"};
  if (v == "v1") return kPalette[0];
  if (v == "v2") return kPalette[1];
  if (v == "v3") return kPalette[2];
  return kPalette[(index + 3) % 6];
}

const char* series_color(size_t i) {
  static const char* kPalette[] = {"#e15759", "#4e79a7", "#59a14f", "#f28e2b", "#b07aa1", "#9c755f"};
  return kPalette[i % 6];
}

struct Axis {
  double seconds;
  double x(double t) const { return kPlotLeft + (kWidth - kPlotLeft - kPlotRight) * t / std::max(seconds, 1.0); }
  static double y(double fraction) { return kPlotTop + (kChartHeight - kPlotTop - kPlotBottom) * (1 - fraction); }
};

// Frame, time axis ticks and the timeline step markers (numbered like the list).
std::string frame(const Axis& ax, const sim::RunResult& r, const std::string& y_top, const std::string& y_bottom) {
  std::string s;
  s += fmt::format(R"~(<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#ccc"/>)~", kPlotLeft, kPlotTop,
                   kWidth - kPlotLeft - kPlotRight, kChartHeight - kPlotTop - kPlotBottom);
  s += fmt::format(R"~(<text x="{}" y="{}" class="ax" text-anchor="end">{}</text>)~", kPlotLeft - 4, kPlotTop + 10, y_top);
  s += fmt::format(R"~(<text x="{}" y="{}" class="ax" text-anchor="end">{}</text>)~", kPlotLeft - 4,
                   kChartHeight - kPlotBottom, y_bottom);
  int step = ax.seconds > 600 ? 120 : ax.seconds > 120 ? 30 : 10;
  for (int t = 0; t <= static_cast<int>(ax.seconds); t += step)
    s += fmt::format(R"~(<text x="{:.1f}" y="{}" class="ax" text-anchor="middle">{}s</text>)~", ax.x(t), kChartHeight - 8, t);
  for (size_t i = 1; i < r.phases.size(); ++i) {
    double x = ax.x(static_cast<double>(r.phases[i].start.count()) / 1e6);
    s += fmt::format(R"~(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2}" class="marker"/>)~", x, kPlotTop,
                     kChartHeight - kPlotBottom);
    s += fmt::format(R"~(<text x="{:.1f}" y="{}" class="step">{}</text>)~", x + 3, kPlotTop + 10, i + 1);
  }
  return s;
}

std::string svg(const std::string& body, int height = kChartHeight) {
  return fmt::format(R"~(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}">{2}</svg>)~",
                     kWidth, height, body);
}

std::string share_chart(const std::string& service, const std::map<int64_t, TimeSeries::Bin>& bins, const Axis& ax,
                        const sim::RunResult& r) {
  std::set<std::string> versions;
  for (const auto& [t, b] : bins)
    for (const auto& [v, n] : b.by_version) versions.insert(v);
  std::string body = frame(ax, r, "100%", "0%");
  size_t vi = 0;
  std::map<int64_t, double> below;  // cumulative share under the current version
  for (const auto& v : versions) {
    std::string top, bottom;
    for (const auto& [t, b] : bins) {
      double share = b.requests ? static_cast<double>(b.by_version.count(v) ? b.by_version.at(v) : 0) / static_cast<double>(b.requests) : 0;
      double lo = below[t], hi = lo + share;
      below[t] = hi;
      for (double edge : {static_cast<double>(t), static_cast<double>(t) + 1}) {
        top += fmt::format("{:.1f},{:.1f} ", ax.x(edge), Axis::y(hi));
        bottom = fmt::format("{:.1f},{:.1f} ", ax.x(edge), Axis::y(lo)) + bottom;
      }
    }
    body += fmt::format(R"~(<polygon points="{}{}" fill="{}" fill-opacity="0.85"><title>{} {}</title></polygon>)~", top, bottom,
                        version_color(v, vi), esc(service), esc(v));
    body += fmt::format(R"~(<rect x="{}" y="1" width="10" height="10" fill="{}"/><text x="{}" y="10" class="legend">{}</text>)~",
                        kWidth - kPlotRight - 120 + 50 * static_cast<int>(vi), version_color(v, vi),
                        kWidth - kPlotRight - 106 + 50 * static_cast<int>(vi), esc(v));
    ++vi;
  }
  return svg(body);
}

std::string error_chart(const TimeSeries& series, const Axis& ax, const sim::RunResult& r) {
  std::string body = frame(ax, r, "100%", "0%");
  size_t i = 0;
  for (const auto& [service, bins] : series.services()) {
    std::string points;
    for (const auto& [t, b] : bins) {
      double rate = b.requests ? static_cast<double>(b.errors) / static_cast<double>(b.requests) : 0;
      points += fmt::format("{:.1f},{:.1f} {:.1f},{:.1f} ", ax.x(static_cast<double>(t)), Axis::y(rate),
                            ax.x(static_cast<double>(t) + 1), Axis::y(rate));
    }
    // Filled, so a spike to 100% cannot hide behind another service's line.
    if (!bins.empty()) {
      std::string area = fmt::format("{:.1f},{:.1f} ", ax.x(static_cast<double>(bins.begin()->first)), Axis::y(0)) + points +
                         fmt::format("{:.1f},{:.1f}", ax.x(static_cast<double>(bins.rbegin()->first) + 1), Axis::y(0));
      body += fmt::format(R"~(<polygon points="{}" fill="{}" fill-opacity="0.18"/>)~", area, series_color(i));
    }
    body += fmt::format(R"~(<polyline points="{}" fill="none" stroke="{}" stroke-width="2"><title>{} error rate</title></polyline>)~",
                        points, series_color(i), esc(service));
    body += fmt::format(R"~(<text x="{}" y="{}" class="legend" fill="{}">{}</text>)~", kPlotLeft + 8 + 110 * static_cast<int>(i),
                        kChartHeight - kPlotBottom - 6, series_color(i), esc(service));
    ++i;
  }
  return svg(body);
}

std::string latency_chart(const TimeSeries& series, const Axis& ax, const sim::RunResult& r) {
  int64_t max_us = 1000;
  for (const auto& [service, bins] : series.services())
    for (const auto& [t, b] : bins) max_us = std::max(max_us, b.latency.percentile(99));
  double top_ms = static_cast<double>(max_us) / 1000.0 * 1.1;
  std::string body = frame(ax, r, fmt::format("{:.0f} ms", top_ms), "0 ms");
  size_t i = 0;
  for (const auto& [service, bins] : series.services()) {
    for (double p : {50.0, 99.0}) {
      std::string points;
      for (const auto& [t, b] : bins) {
        double v = static_cast<double>(b.latency.percentile(p)) / 1000.0 / top_ms;
        points += fmt::format("{:.1f},{:.1f} ", ax.x(static_cast<double>(t) + 0.5), Axis::y(std::min(v, 1.0)));
      }
      body += fmt::format(R"~(<polyline points="{}" fill="none" stroke="{}" stroke-width="{}"{}><title>{} p{:g}</title></polyline>)~",
                          points, series_color(i), p == 99 ? 1.5 : 2.5, p == 99 ? R"~( stroke-dasharray="4 3")~" : "", esc(service), p);
    }
    body += fmt::format(R"~(<text x="{}" y="{}" class="legend" fill="{}">{} (p50 solid, p99 dashed)</text>)~",
                        kPlotLeft + 8 + 240 * static_cast<int>(i), kPlotTop + 24, series_color(i), esc(service));
    ++i;
  }
  return svg(body);
}

}  // namespace

std::string graph_svg(const MeshTelemetry& t, double seconds) {
  // Layered layout: a node's column is its longest distance from a caller-less node.
  std::map<std::string, int> depth;
  std::set<std::string> nodes, callees;
  for (const auto& [k, e] : t.edges()) nodes.insert(e.from), nodes.insert(e.to), callees.insert(e.to);
  for (const auto& n : nodes)
    if (!callees.count(n)) depth[n] = 0;
  for (size_t pass = 0; pass < nodes.size(); ++pass)
    for (const auto& [k, e] : t.edges())
      if (depth.count(e.from) && e.from != e.to) depth[e.to] = std::max(depth.count(e.to) ? depth[e.to] : 0, depth[e.from] + 1);
  std::map<int, std::vector<std::string>> columns;
  for (const auto& n : nodes) columns[depth.count(n) ? depth[n] : 0].push_back(n);
  std::map<std::string, std::pair<double, double>> pos;
  size_t rows = 1;
  for (const auto& [d, list] : columns) rows = std::max(rows, list.size());
  int height = static_cast<int>(rows) * 70 + 30;
  double col_width = static_cast<double>(kWidth - 200) / std::max<size_t>(1, columns.size() - 1 + (columns.size() == 1));
  for (const auto& [d, list] : columns)
    for (size_t i = 0; i < list.size(); ++i)
      pos[list[i]] = {40 + d * col_width, 30 + (static_cast<double>(height) - 60) * (static_cast<double>(i) + 0.5) / static_cast<double>(list.size())};
  std::string body = R"~(<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>)~";
  for (const auto& [k, e] : t.edges()) {
    auto [x1, y1] = pos[e.from];
    auto [x2, y2] = pos[e.to];
    double rps = seconds > 0 ? static_cast<double>(e.requests) / seconds : 0;
    double err = e.requests ? 100.0 * static_cast<double>(e.errors) / static_cast<double>(e.requests) : 0;
    body += fmt::format(R"~(<line x1="{:.0f}" y1="{:.0f}" x2="{:.0f}" y2="{:.0f}" stroke="{}" stroke-width="2" marker-end="url(#arrow)"/>)~",
                        x1 + 130, y1, x2, y2, e.errors ? "#e15759" : "#555");
    body += fmt::format(R"~(<text x="{:.0f}" y="{:.0f}" class="edge">{:.1f} rps, {:.1f}% err{}</text>)~", (x1 + 130 + x2) / 2 - 40,
                        (y1 + y2) / 2 - 5, rps, err, e.mtls ? ", mTLS" : "");
  }
  for (const auto& [n, xy] : pos)
    body += fmt::format(R"~(<rect x="{:.0f}" y="{:.0f}" width="130" height="28" rx="6" fill="#eef3fa" stroke="#4e79a7"/><text x="{:.0f}" y="{:.0f}" class="node" text-anchor="middle">{}</text>)~",
                        xy.first, xy.second - 14, xy.first + 65, xy.second + 5, esc(n));
  return svg(body, height);
}

namespace {

std::string trace_svg(const MeshTelemetry& t) {
  auto spans = t.sample_trace();
  if (spans.empty()) return "<p>No trace was sampled.</p>";
  int64_t t0 = spans.front().start.count(), t1 = t0;
  for (const auto& s : spans) t1 = std::max(t1, s.start.count() + s.duration.count());
  double total = static_cast<double>(std::max<int64_t>(1, t1 - t0));
  int row = 24, left = 300, width = kWidth - left - 80;
  std::string body;
  for (size_t i = 0; i < spans.size(); ++i) {
    const auto& s = spans[i];
    bool server = s.reporter == proxy::TelemetryEvent::Reporter::kDestination;
    double x = left + width * static_cast<double>(s.start.count() - t0) / total;
    double w = std::max(2.0, width * static_cast<double>(s.duration.count()) / total);
    std::string label = fmt::format("{} {} → {}", server ? "server" : "client", server ? s.destination_workload : s.source_workload,
                                    proxy::short_name(s.destination_service));
    body += fmt::format(R"~(<text x="8" y="{}" class="span">{}</text>)~", 18 + row * static_cast<int>(i), esc(label));
    body += fmt::format(R"~(<rect x="{:.1f}" y="{}" width="{:.1f}" height="14" fill="{}"/>)~", x, 7 + row * static_cast<int>(i), w,
                        server ? "#59a14f" : "#4e79a7");
    body += fmt::format(R"~(<text x="{:.1f}" y="{}" class="span">{:.1f} ms</text>)~", x + w + 4, 18 + row * static_cast<int>(i),
                        static_cast<double>(s.duration.count()) / 1000.0);
  }
  return svg(body, row * static_cast<int>(spans.size()) + 12);
}

}  // namespace

std::string html_report(const sim::RunResult& r, const TimeSeries& series, const MeshTelemetry& telemetry,
                        int refresh_seconds) {
  double seconds = static_cast<double>(r.duration.count()) / 1e6;
  Axis ax{seconds};
  size_t passed = 0;
  for (const auto& e : r.expectations) passed += e.passed;
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>meshsim: " + esc(r.scenario) + "</title>\n";
  if (refresh_seconds > 0) h += fmt::format("<meta http-equiv=\"refresh\" content=\"{}\">\n", refresh_seconds);
  h += R"~(<style>
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1000px;color:#222}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
.summary{font-size:14px;color:#555} .pass{color:#2a7a2a;font-weight:600} .fail{color:#c0392b;font-weight:600}
table{border-collapse:collapse;font-size:13px;width:100%} td,th{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
ol.steps{font-size:13px} ol.steps code{background:#f4f4f4;padding:1px 4px;border-radius:3px}
.ax{font-size:10px;fill:#666} .step{font-size:10px;fill:#c0392b;font-weight:600} .legend{font-size:11px}
.marker{stroke:#c0392b;stroke-dasharray:3 3;stroke-width:1} .edge{font-size:10px;fill:#444} .node{font-size:12px} .span{font-size:11px}
</style></head><body>
)~";
  h += fmt::format("<h1>{}</h1>\n<p class=\"summary\">{}</p>\n", esc(r.scenario), esc(r.description));
  h += fmt::format("<p class=\"summary\">seed {} · {:g} s simulated · {} requests · expectations: <span class=\"{}\">{} of {} held</span></p>\n",
                   r.seed, seconds, r.requests, r.passed() ? "pass" : "fail", passed,
                   r.expectations.size());
  h += "<h2>Timeline</h2>\n<ol class=\"steps\">\n";
  for (const auto& p : r.phases) {
    h += fmt::format("<li><b>{:g} s</b> {}", static_cast<double>(p.start.count()) / 1e6, esc(p.caption.empty() ? "-" : p.caption));
    if (!p.command.empty()) h += " <code>" + esc(p.command) + "</code>";
    for (const auto& n : p.notes) h += "<br><i>" + esc(n) + "</i>";
    h += "</li>\n";
  }
  h += "</ol>\n<h2>Traffic share by version</h2>\n";
  for (const auto& [service, bins] : series.services()) {
    h += fmt::format("<h3 style=\"font-size:14px\">{}</h3>\n", esc(service));
    h += share_chart(service, bins, ax, r) + "\n";
  }
  if (series.services().empty()) h += "<p>No sidecar reported any request: no telemetry.</p>\n";
  h += "<h2>Error rate (4xx and 5xx) per service</h2>\n" + error_chart(series, ax, r) + "\n";
  h += "<h2>Latency per service</h2>\n" + latency_chart(series, ax, r) + "\n";
  h += "<h2>Service graph (from observed traffic)</h2>\n" + graph_svg(telemetry, seconds) + "\n";
  h += "<h2>A sampled trace</h2>\n" + trace_svg(telemetry) + "\n";
  h += "<h2>Expectations</h2>\n<table><tr><th></th><th>expectation</th><th>observed</th></tr>\n";
  for (const auto& e : r.expectations)
    h += fmt::format("<tr><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>\n", e.passed ? "pass" : e.reached ? "fail" : "",
                     e.passed ? "PASS" : e.reached ? "FAIL" : "not reached", esc(e.name), esc(e.observed));
  h += "</table>\n</body></html>\n";
  return h;
}

}  // namespace meshsim::reports
