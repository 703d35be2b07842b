#include "reports/html_charts.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "proxy_core/hosts.h"
#include "reports/markup.h"

namespace meshsim::reports {
namespace {

// viewBox units. The page shows a chart 340 to 970 px wide, so text of 12-13
// units stays between 6.5 and 20 px.
constexpr int kWidth = 640;
constexpr int kPlotLeft = 56, kPlotRight = 10;
constexpr double kPlotWidth = kWidth - kPlotLeft - kPlotRight;
constexpr int kTimeLabels = 22;  // room under a plot for the time axis (larger text on phones)

std::string esc(const std::string& s) { return xml_escape(s); }

const char* version_color(const std::string& v, size_t index) {
  static const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948"};
  if (v == "v1") return kPalette[0];
  if (v == "v2") return kPalette[1];
  if (v == "v3") return kPalette[2];
  return kPalette[(index + 3) % 6];
}

const char* series_color(size_t i) {
  static const char* kPalette[] = {"#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#9c755f"};
  return kPalette[i % 6];
}

std::string svg(const std::string& body, int height, int width = kWidth, const std::string& label = "") {
  return fmt::format(R"~(<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {} {}" role="img"{}>{}</svg>)~",
                     width, height, label.empty() ? "" : " aria-label=\"" + esc(label) + "\"", body);
}

// The time axis spans what was planned (the last phase's end), so a run
// stopped early, or a live one, shows how far it got.
struct TimeAxis {
  double seconds;  // the axis length
  double ran;      // what ran
  explicit TimeAxis(const sim::RunResult& r) {
    ran = static_cast<double>(r.duration.count()) / 1e6;
    double planned = r.phases.empty() ? 0 : static_cast<double>(r.phases.back().end.count()) / 1e6;
    seconds = std::max({ran, planned, 1.0});
  }
  double x(double t) const { return kPlotLeft + kPlotWidth * std::clamp(t, 0.0, seconds) / seconds; }
};

// A plot area: `top` and `height` in viewBox units.
struct Band {
  double top, height;
  double y(double fraction) const { return top + height * (1 - std::clamp(fraction, 0.0, 1.0)); }
  double bottom() const { return top + height; }
};

// Seconds 5, 10, 15, 20, 30, 60 ... apart: at most 8 labels.
int time_step(double seconds) {
  for (int step : {1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800})
    if (seconds / step <= 8) return step;
  return 3600;
}

// The plot's background, the part not run yet greyed, the timeline steps
// (dashed, numbered as the timeline list) and, when asked, the time labels.
std::string plot_frame(const TimeAxis& ax, const Band& b, const sim::RunResult& r, bool time_labels, bool step_numbers) {
  std::string s = fmt::format(R"~(<rect x="{}" y="{:.1f}" width="{}" height="{:.1f}" fill="#fafafa" stroke="#ccc"/>)~", kPlotLeft,
                              b.top, kPlotWidth, b.height);
  if (ax.ran < ax.seconds)
    s += fmt::format(R"~(<rect x="{0:.1f}" y="{1:.1f}" width="{2:.1f}" height="{3:.1f}" class="notrun"><title>not run yet</title></rect>)~",
                     ax.x(ax.ran), b.top, ax.x(ax.seconds) - ax.x(ax.ran), b.height);
  for (size_t i = 1; i < r.phases.size(); ++i) {
    double x = ax.x(static_cast<double>(r.phases[i].start.count()) / 1e6);
    s += fmt::format(R"~(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1:.1f}" y2="{2:.1f}" class="marker"/>)~", x, b.top, b.bottom());
    if (step_numbers) s += fmt::format(R"~(<text x="{:.1f}" y="{:.1f}" class="step">{}</text>)~", x + 2, b.top + 11, i + 1);
  }
  if (time_labels) {
    int step = time_step(ax.seconds);
    for (int t = 0; t <= static_cast<int>(ax.seconds); t += step)
      s += fmt::format(R"~(<text x="{:.1f}" y="{:.1f}" class="ax" text-anchor="middle">{}s</text>)~", ax.x(t), b.bottom() + 16, t);
  }
  return s;
}

// Grid lines and labels at the given fractions of the band.
std::string y_axis(const Band& b, const std::vector<std::pair<double, std::string>>& ticks) {
  std::string s;
  for (const auto& [fraction, label] : ticks) {
    double y = b.y(fraction);
    if (fraction > 0 && fraction < 1)
      s += fmt::format(R"~(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" class="grid"/>)~", kPlotLeft, kWidth - kPlotRight, y, y);
    s += fmt::format(R"~(<text x="{}" y="{:.1f}" class="ax" text-anchor="end">{}</text>)~", kPlotLeft - 4, y + 4, label);
  }
  return s;
}

using Bins = std::map<int64_t, TimeSeries::Bin>;
using BinIt = Bins::const_iterator;

// Maximal runs of consecutive bins (`width` seconds each) with traffic: a
// bin without any breaks the line rather than joining across it.
std::vector<std::pair<BinIt, BinIt>> runs(const Bins& bins, int64_t width) {
  std::vector<std::pair<BinIt, BinIt>> out;
  for (auto it = bins.begin(); it != bins.end();) {
    auto end = std::next(it);
    while (end != bins.end() && end->first == std::prev(end)->first + width) ++end;
    out.emplace_back(it, end);
    it = end;
  }
  return out;
}

// Legends are HTML above the chart, so they wrap on a narrow screen.
std::string legend_item(const std::string& swatch_css, const std::string& text) {
  return fmt::format(R"~(<span class="key"><i style="{}"></i>{}</span> )~", swatch_css, esc(text));
}
std::string legend(const std::string& items) { return "<div class=\"legend\">" + items + "</div>\n"; }
std::string swatch(const char* color) { return fmt::format("background:{}", color); }

}  // namespace

std::vector<double> nice_ticks(double max) {
  if (!(max > 0)) max = 1;
  double raw = max / 5, magnitude = std::pow(10.0, std::floor(std::log10(raw))), step = 10 * magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (max / (m * magnitude) <= 5 + 1e-9) {
      step = m * magnitude;
      break;
    }
  int n = static_cast<int>(std::ceil(max / step - 1e-9));
  std::vector<double> ticks;
  for (int i = 0; i <= std::max(n, 1); ++i) ticks.push_back(step * i);
  return ticks;
}

std::string share_chart_svg(const std::string& service, const Bins& bins, const sim::RunResult& r, int64_t width_s) {
  const double w = static_cast<double>(width_s);
  TimeAxis ax(r);
  Band b{12, 100};
  std::set<std::string> versions;
  for (const auto& [t, bin] : bins)
    for (const auto& [v, n] : bin.by_version) versions.emplace(v);
  std::string body = plot_frame(ax, b, r, true, true) + y_axis(b, {{0, "0%"}, {0.5, "50%"}, {1, "100%"}});
  std::string keys;
  size_t vi = 0;
  std::map<int64_t, double> below;  // cumulative share under the current version
  for (const auto& v : versions) {
    for (const auto& [first, last] : runs(bins, width_s)) {
      std::string top, bottom;
      for (auto it = first; it != last; ++it) {
        const auto& [t, bin] = *it;
        auto n = bin.by_version.find(v);
        double share = bin.requests && n != bin.by_version.end() ? static_cast<double>(n->second) / static_cast<double>(bin.requests) : 0;
        double lo = below[t], hi = lo + share;
        below[t] = hi;
        for (double edge : {static_cast<double>(t), static_cast<double>(t) + w}) {
          top += fmt::format("{:.1f},{:.1f} ", ax.x(edge), b.y(hi));
          bottom = fmt::format("{:.1f},{:.1f} ", ax.x(edge), b.y(lo)) + bottom;
        }
      }
      body += fmt::format(R"~(<polygon points="{}{}" fill="{}" fill-opacity="0.85"><title>{} {}</title></polygon>)~", top, bottom,
                          version_color(v, vi), esc(service), esc(v));
    }
    keys += legend_item(swatch(version_color(v, vi)), v);
    ++vi;
  }
  return legend(keys) + svg(body, static_cast<int>(b.bottom()) + kTimeLabels, kWidth, service + ": share of requests by version");
}

std::string error_chart_svg(const TimeSeries& series, const sim::RunResult& r) {
  TimeAxis ax(r);
  const int64_t width_s = series.bin_width_s();
  const double w = static_cast<double>(width_s);
  constexpr double kStrip = 50, kGap = 18, kTop = 12;
  std::string body =
      R"~(<defs><pattern id="passed-on" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="5" height="5" fill="#fbe3d3"/><rect width="2.2" height="5" fill="#f08a4b"/></pattern></defs>)~";
  std::string keys = legend_item(swatch("#c0392b"), "started here (the service or its sidecar)") +
                     legend_item("background:repeating-linear-gradient(45deg,#f08a4b 0 2px,#fbe3d3 2px 5px)",
                                 "passed on from a call it made that failed");
  size_t i = 0, n = series.services().size();
  for (const auto& [service, bins] : series.services()) {
    Band b{kTop + static_cast<double>(i) * (kStrip + kGap), kStrip};
    body += plot_frame(ax, b, r, i + 1 == n, i == 0) + y_axis(b, {{1, "100%"}});
    for (const auto& [first, last] : runs(bins, width_s)) {
      std::string own_top, all_top, base;
      for (auto it = first; it != last; ++it) {
        const auto& [t, bin] = *it;
        double requests = static_cast<double>(std::max<uint64_t>(1, bin.requests));
        double own = static_cast<double>(bin.errors - bin.errors_passed_on) / requests, all = static_cast<double>(bin.errors) / requests;
        for (double edge : {static_cast<double>(t), static_cast<double>(t) + w}) {
          own_top += fmt::format("{:.1f},{:.1f} ", ax.x(edge), b.y(own));
          all_top += fmt::format("{:.1f},{:.1f} ", ax.x(edge), b.y(all));
        }
      }
      // Closed along the bottom (own) or back along the own line (passed on).
      std::string own_back;
      for (auto it = std::make_reverse_iterator(last); it != std::make_reverse_iterator(first); ++it) {
        const auto& [t, bin] = *it;
        double own = static_cast<double>(bin.errors - bin.errors_passed_on) / static_cast<double>(std::max<uint64_t>(1, bin.requests));
        for (double edge : {static_cast<double>(t) + w, static_cast<double>(t)})
          own_back += fmt::format("{:.1f},{:.1f} ", ax.x(edge), b.y(own));
      }
      double x0 = ax.x(static_cast<double>(first->first)), x1 = ax.x(static_cast<double>(std::prev(last)->first) + w);
      body += fmt::format(R"~(<polygon points="{}{}" fill="url(#passed-on)"><title>{}: errors passed on from a failed call</title></polygon>)~",
                          all_top, own_back, esc(service));
      body += fmt::format(R"~(<polygon points="{:.1f},{:.1f} {}{:.1f},{:.1f}" fill="#c0392b"><title>{}: errors that started here</title></polygon>)~",
                          x0, b.bottom(), own_top, x1, b.bottom(), esc(service));
    }
    body += fmt::format(R"~(<text x="{}" y="{:.1f}" class="strip">{}</text>)~", kPlotLeft + 4, b.top + 13, esc(service));
    ++i;
  }
  double height = kTop + static_cast<double>(n) * (kStrip + kGap) - kGap + kTimeLabels;
  return legend(keys) + svg(body, static_cast<int>(std::ceil(height)), kWidth, "error rate per service");
}

std::string latency_chart_svg(const TimeSeries& series, const sim::RunResult& r) {
  TimeAxis ax(r);
  const int64_t width_s = series.bin_width_s();
  const double w = static_cast<double>(width_s);
  int64_t max_us = 0;
  for (const auto& [service, bins] : series.services())
    for (const auto& [t, bin] : bins) max_us = std::max(max_us, bin.latency.percentile(99));
  std::vector<double> ticks = nice_ticks(std::max(0.1, static_cast<double>(max_us) / 1000.0));
  double top_ms = ticks.back();
  std::string keys;
  size_t i = 0;
  for (const auto& [service, bins] : series.services()) keys += legend_item(swatch(series_color(i++)), service);
  keys += "<span class=\"key\">p50 solid, p99 dashed</span>";
  Band b{32, 140};  // the unit above the axis, clear of its top label even in a phone's larger text
  std::vector<std::pair<double, std::string>> labels;
  for (double t : ticks) labels.emplace_back(t / top_ms, fmt::format("{:g}", t));
  std::string body = fmt::format(R"~(<text x="{}" y="13" class="ax" text-anchor="end">ms</text>)~", kPlotLeft - 4) +
                     plot_frame(ax, b, r, true, true) + y_axis(b, labels);
  i = 0;
  for (const auto& [service, bins] : series.services()) {
    for (double p : {50.0, 99.0}) {
      for (const auto& [first, last] : runs(bins, width_s)) {
        std::string points;
        auto point = [&](double t, int64_t us) {
          points += fmt::format("{:.1f},{:.1f} ", ax.x(t), b.y(static_cast<double>(us) / 1000.0 / top_ms));
        };
        if (std::next(first) == last) {  // one second alone: a short level line
          point(static_cast<double>(first->first) + 0.1 * w, first->second.latency.percentile(p));
          point(static_cast<double>(first->first) + 0.9 * w, first->second.latency.percentile(p));
        }
        else {
          for (auto it = first; it != last; ++it) point(static_cast<double>(it->first) + 0.5 * w, it->second.latency.percentile(p));
        }
        body += fmt::format(R"~(<polyline points="{}" fill="none" stroke="{}" stroke-width="{}"{}><title>{} p{:g}</title></polyline>)~",
                            points, series_color(i), p == 99 ? 1.2 : 2, p == 99 ? R"~( stroke-dasharray="4 3")~" : "",
                            esc(service), p);
      }
    }
    ++i;
  }
  return legend(keys) + svg(body, static_cast<int>(b.bottom()) + kTimeLabels, kWidth, "latency per service");
}

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
  constexpr double kNodeWidth = 136, kNodeHeight = 28, kRow = 84, kColumnGap = 200;
  size_t rows = 1;
  for (const auto& [d, list] : columns) rows = std::max(rows, list.size());
  // Wide enough that every edge label fits between its two columns.
  double width = std::max<double>(kWidth, 16 + static_cast<double>(columns.size()) * (kNodeWidth + kColumnGap) - kColumnGap);
  double col_step = columns.size() > 1 ? (width - 16 - kNodeWidth) / static_cast<double>(columns.size() - 1) : 0;
  int height = static_cast<int>(static_cast<double>(rows) * kRow) + 8;
  std::map<std::string, std::pair<double, double>> pos;  // left, middle
  for (const auto& [d, list] : columns)
    for (size_t i = 0; i < list.size(); ++i)
      pos[list[i]] = {8 + d * col_step, (static_cast<double>(height) - 8) * (static_cast<double>(i) + 0.5) / static_cast<double>(list.size()) + 4};
  std::string lines, labels, boxes;
  std::string body =
      R"~(<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker><marker id="arrow-err" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#e15759"/></marker></defs>)~";
  for (const auto& [k, e] : t.edges()) {
    if (e.from == e.to) continue;
    auto [x1, y1] = pos[e.from];
    auto [x2, y2] = pos[e.to];
    x1 += kNodeWidth;
    double rps = seconds > 0 ? static_cast<double>(e.requests) / seconds : 0;
    double err = e.requests ? 100.0 * static_cast<double>(e.errors) / static_cast<double>(e.requests) : 0;
    lines += fmt::format(R"~(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="2" marker-end="url(#{})"/>)~", x1,
                         y1, x2, y2, e.errors ? "#e15759" : "#555", e.errors ? "arrow-err" : "arrow");
    // Two short lines a little past the middle of the edge, where edges
    // that fan out of one node are apart, on a white halo, drawn after every
    // edge so no line crosses a label; a label (about 100 units wide) ends
    // well before the arrowhead at the target box (the columns are 200 apart).
    double mx = x1 + 0.55 * (x2 - x1), my = y1 + 0.55 * (y2 - y1);
    labels += fmt::format(R"~(<text x="{:.1f}" y="{:.1f}" class="edge" text-anchor="middle"><tspan>{:.1f} rps{}</tspan><tspan x="{:.1f}" dy="13"{}>{:.1f}% errors</tspan></text>)~",
                          mx, my - 4, rps, e.mtls ? " · mTLS" : "", mx, e.errors ? R"~( class="edge-err")~" : "", err);
  }
  for (const auto& [n, xy] : pos)
    boxes += fmt::format(R"~(<rect x="{:.1f}" y="{:.1f}" width="{}" height="{}" rx="6" fill="#eef3fa" stroke="#4e79a7"/><text x="{:.1f}" y="{:.1f}" class="node" text-anchor="middle">{}</text>)~",
                         xy.first, xy.second - kNodeHeight / 2, kNodeWidth, kNodeHeight, xy.first + kNodeWidth / 2, xy.second + 4, esc(n));
  return svg(body + lines + boxes + labels, height, static_cast<int>(width), "service graph");
}

std::string trace_svg(const MeshTelemetry& t) {
  auto spans = t.sample_trace();
  if (spans.empty()) return "<p>No trace was sampled.</p>";
  int64_t t0 = spans.front().start.count(), t1 = t0;
  for (const auto& s : spans) t1 = std::max(t1, s.start.count() + s.duration.count());
  double total = static_cast<double>(std::max<int64_t>(1, t1 - t0));
  constexpr int kRow = 22, kLeft = 250, kRight = 64;
  constexpr double kBars = kWidth - kLeft - kRight;
  std::string body;
  for (size_t i = 0; i < spans.size(); ++i) {
    const auto& s = spans[i];
    int y = kRow * static_cast<int>(i);
    bool server = s.reporter == proxy::TelemetryEvent::Reporter::kDestination;
    double x = kLeft + kBars * static_cast<double>(s.start.count() - t0) / total;
    double w = std::max(2.0, kBars * static_cast<double>(s.duration.count()) / total);
    std::string label = fmt::format("{} {} → {}", server ? "server" : "client", server ? s.destination_workload : s.source_workload,
                                    proxy::short_name(s.destination_service));
    body += fmt::format(R"~(<text x="4" y="{}" class="span">{}</text>)~", y + 16, esc(label));
    body += fmt::format(R"~(<rect x="{:.1f}" y="{}" width="{:.1f}" height="14" fill="{}"/>)~", x, y + 5, w, server ? "#59a14f" : "#4e79a7");
    body += fmt::format(R"~(<text x="{:.1f}" y="{}" class="span">{:.1f} ms</text>)~", x + w + 4, y + 16,
                        static_cast<double>(s.duration.count()) / 1000.0);
  }
  return svg(body, kRow * static_cast<int>(spans.size()) + 8, kWidth, "a sampled trace");
}

}  // namespace meshsim::reports
