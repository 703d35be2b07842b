// report.html of a real run (the demo) in Debian's headless Chromium at a
// phone's width (390 px) and a wide screen's (1400 px): nothing sticks out
// of the page (document scrollWidth <= innerWidth; the expectations table
// may scroll inside its own box), chart text stays at least 6 px, graph edge
// labels overlap neither node boxes nor each other, and no console errors.
// Screenshots go to BUILD/report-screens/ for a person to look at.
// Also: the error chart tells bar (which denied) apart from frontend (which
// passed bar's 403 on), and the latency axis has 4 to 6 round ticks.
#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "reports/html_report.h"
#include "reports/mesh_telemetry.h"
#include "reports/time_series.h"
#include "sim/scenario_runner.h"
#include "tests/reports/headless_chromium.h"

namespace meshsim::reports {
namespace {

namespace fs = std::filesystem;

struct DemoRun {
  sim::RunResult result;
  TimeSeries series;
  MeshTelemetry telemetry;
  std::string html;
};

const DemoRun& demo() {
  static const DemoRun* run = [] {
    auto* d = new DemoRun();
    auto loaded = config::load_scenario({std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml"});
    EXPECT_TRUE(loaded.scenario.has_value());
    sim::RunOptions options;
    options.sinks = {&d->telemetry, &d->series};
    d->result = sim::run_scenario(*loaded.scenario, options);
    d->html = html_report(d->result, d->series, d->telemetry);
    return d;
  }();
  return *run;
}

fs::path screens_dir() {
  fs::path dir = fs::path(MESHSIM_BINARY_DIR) / "report-screens";
  fs::create_directories(dir);
  return dir;
}

TEST(HtmlReport, IsSelfContainedAndScalesWithThePage) {
  const std::string& html = demo().html;
  EXPECT_EQ(html.find("http://"), html.find("http://frontend/"));  // no fetches: the only URL is the demo's curl command
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"), std::string::npos);
  // Every SVG scales (viewBox, no width/height of its own), except the
  // marker and pattern definitions inside them.
  std::regex svg_tag("<svg[^>]*>");
  int svgs = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), svg_tag); it != std::sregex_iterator(); ++it, ++svgs) {
    std::string tag = it->str();
    EXPECT_NE(tag.find("viewBox=\""), std::string::npos) << tag;
    EXPECT_EQ(tag.find(" width="), std::string::npos) << tag;
    EXPECT_EQ(tag.find(" height="), std::string::npos) << tag;
  }
  EXPECT_GE(svgs, 6);  // shares of foo/bar/frontend, errors, latency, graph, trace
}

// The deny phase (120-140 s): bar's sidecar answers frontend 403 (RBAC) and
// frontend fails its own callers because of it. Frontend's errors are
// passed on; bar's started at bar: the root cause shows.
TEST(HtmlReport, ErrorsAreToldApartByWhereTheyStarted) {
  const auto& services = demo().series.services();
  ASSERT_TRUE(services.count("bar") && services.count("frontend"));
  uint64_t bar_own = 0, bar_passed = 0, front_own = 0, front_passed = 0;
  for (const auto& [t, b] : services.at("bar"))
    if (t >= 121 && t < 140) bar_own += b.errors - b.errors_passed_on, bar_passed += b.errors_passed_on;
  for (const auto& [t, b] : services.at("frontend"))
    if (t >= 121 && t < 140) front_own += b.errors - b.errors_passed_on, front_passed += b.errors_passed_on;
  EXPECT_GT(bar_own, 300u);
  EXPECT_EQ(bar_passed, 0u);
  EXPECT_EQ(front_own, 0u);
  EXPECT_GT(front_passed, 300u);
  // The page names where they started: bar answered 403.
  const auto& origins = demo().series.error_origins();
  ASSERT_TRUE(origins.count("bar"));
  EXPECT_EQ(origins.at("bar").begin()->first.substr(0, 3), "403");
  EXPECT_FALSE(origins.count("frontend"));
  EXPECT_NE(demo().html.find("<b>bar</b> returned 403"), std::string::npos);
}

TEST(HtmlReport, AxisTicksAreRoundNumbers) {
  for (double max : {0.3, 1.0, 7.3, 10.0, 13.0, 21.7, 49.0, 100.0, 1234.0}) {
    auto ticks = nice_ticks(max);
    EXPECT_GE(ticks.size(), 4u) << max;
    EXPECT_LE(ticks.size(), 6u) << max;
    EXPECT_EQ(ticks.front(), 0);
    EXPECT_GE(ticks.back(), max);
    double step = ticks[1];
    double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
    EXPECT_TRUE(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 || std::abs(mantissa - 2.5) < 1e-9 ||
                std::abs(mantissa - 5) < 1e-9)
        << max << ": step " << step;
  }
}

// A second without traffic breaks the line: the latency polylines of the
// demo are one per run of consecutive seconds, never drawn across a gap.
TEST(HtmlReport, GapsAreNotJoined) {
  TimeSeries series;
  proxy::TelemetryEvent e;
  e.reporter = proxy::TelemetryEvent::Reporter::kDestination;
  e.destination_service = "bar.default.svc.cluster.local";
  e.response_code = 200;
  for (int64_t s : {1, 2, 3, 10, 11}) {
    e.start = sim::Duration(s * 1'000'000);
    e.duration = sim::Duration(2000);
    series.record(e);
  }
  sim::RunResult r;
  r.duration = sim::Duration(20'000'000);
  std::string svg = latency_chart_svg(series, r);
  size_t polylines = 0;
  for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++polylines;
  EXPECT_EQ(polylines, 4u);  // p50 and p99, each in two pieces
}

struct Measure {
  nlohmann::json layout;
  std::string dom;
};

std::optional<Measure> measure(const std::string& html_path, int width) {
  std::string html;
  {
    std::ifstream in(html_path);
    html.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::string probe = html_path + ".measure.html";
  std::ofstream(probe) << html.substr(0, html.rfind("</body>")) << testing::kLayoutMeasureScript << "</body></html>\n";
  std::string frame = html_path + ".frame-" + std::to_string(width) + ".html";
  std::ofstream(frame) << testing::framed_page(fs::path(probe).filename().string(), width, 900);
  std::string why;
  auto dom = testing::chromium_dom("file://" + frame, width, 5000, &why);
  if (!dom) {
    ADD_FAILURE() << why;
    return std::nullopt;
  }
  std::smatch m;
  if (!std::regex_search(*dom, m, std::regex("<pre id=\"layout-measure\">([^<]*)</pre>"))) {
    ADD_FAILURE() << "no measurement in the DOM at " << width << " px";
    return std::nullopt;
  }
  std::string json = std::regex_replace(m[1].str(), std::regex("&quot;"), "\"");
  json = std::regex_replace(json, std::regex("&amp;"), "&");
  return Measure{nlohmann::json::parse(json), *dom};
}

TEST(HtmlReport, NothingIsCutOffAt390AndAt1400Pixels) {
  if (!testing::chromium_available()) GTEST_SKIP() << testing::kChromium << " not installed";
  fs::path page = screens_dir() / "report.html";
  std::ofstream(page) << demo().html;
  for (int width : {390, 1400}) {
    SCOPED_TRACE(width);
    auto m = measure(page.string(), width);
    ASSERT_TRUE(m);
    const auto& l = m->layout;
    EXPECT_EQ(l.at("inner"), width);
    EXPECT_LE(l.at("scroll").get<int>(), width) << l.dump();
    EXPECT_TRUE(l.at("overflowing").empty()) << l.dump();
    EXPECT_GE(l.at("minSvgFontPx").get<double>(), 6.0) << l.dump();
    EXPECT_GE(l.at("edgeLabels").get<int>(), 4) << l.dump();
    EXPECT_EQ(l.at("edgeLabelOverlaps"), 0) << l.dump();
    std::string why;
    fs::path png = screens_dir() / ("report-" + std::to_string(width) + ".png");
    int height = std::min(12000, l.at("height").get<int>());
    fs::path frame = screens_dir() / ("report-frame-" + std::to_string(width) + ".html");
    std::ofstream(frame) << testing::framed_page("report.html", width, height);
    EXPECT_TRUE(testing::chromium_screenshot("file://" + frame.string(), width, height, png.string(), &why)) << why;
    EXPECT_GT(fs::exists(png) ? fs::file_size(png) : 0, 30'000u);
    std::ifstream log(png.string() + ".log");
    std::string line;
    while (std::getline(log, line)) EXPECT_EQ(line.find("CONSOLE"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace meshsim::reports
