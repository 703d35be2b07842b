#include "tests/reports/headless_chromium.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace meshsim::testing {

namespace fs = std::filesystem;

namespace {

int run_count = 0;

// Chromium with nothing of its own going on: no sync, no updates, no GPU.
std::string chromium(int width, int height, const std::string& extra, const std::string& url, const std::string& out,
                     const std::string& log) {
  fs::path profile = fs::temp_directory_path() / fmt::format("meshsim-chromium-{}-{}", ::getpid(), ++run_count);
  return fmt::format(
      "timeout 90 {} --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --hide-scrollbars --user-data-dir={} --window-size={},{} {} '{}' > '{}' 2> '{}'; "
      "status=$?; rm -rf {}; exit $status",
      kChromium, profile.string(), width, height, extra, url, out, log, profile.string());
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

bool chromium_available() { return ::access(kChromium, X_OK) == 0; }

std::optional<std::string> chromium_dom(const std::string& url, int width, int budget_ms, std::string* why) {
  fs::path base = fs::temp_directory_path() / fmt::format("meshsim-dom-{}-{}", ::getpid(), run_count + 1);
  std::string out = base.string() + ".html", log = base.string() + ".log";
  std::string cmd = chromium(window_width(width), 900, fmt::format("--run-all-compositor-stages-before-draw --virtual-time-budget={} --dump-dom", budget_ms),
                             url, out, log);
  if (std::system(cmd.c_str()) != 0) {
    *why = "chromium --dump-dom failed: " + slurp(log);
    return std::nullopt;
  }
  std::string dom = slurp(out);
  fs::remove(out);
  fs::remove(log);
  return dom;
}

bool chromium_screenshot(const std::string& url, int width, int height, const std::string& png, std::string* why) {
  std::string log = png + ".log";
  fs::remove(png);
  std::string cmd =
      chromium(window_width(width), height, "--screenshot=" + png, url,
               "/dev/null", log);
  if (std::system(cmd.c_str()) != 0 || !fs::exists(png)) {
    *why = "chromium --screenshot failed: " + slurp(log);
    return false;
  }
  return true;
}

std::string framed_page(const std::string& src, int width, int height) {
  return fmt::format(R"~(<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body style="margin:0;background:#9aa">
<iframe src="{}" style="display:block;border:0;width:{}px;height:{}px;background:#fff"></iframe>
<script>
addEventListener("message", function (e) {{
  var pre = document.createElement("pre");
  pre.id = "layout-measure";
  pre.textContent = e.data;
  document.body.appendChild(pre);
}});
</script>
</body></html>
)~",
                     src, width, height);
}

const char* const kLayoutMeasureScript = R"~(<script>
addEventListener("load", function () {
  var w = window.innerWidth, out = [];
  document.querySelectorAll("body *").forEach(function (e) {
    if (e.closest(".scroll") && !e.classList.contains("scroll")) return;  // scrolls inside its own box
    if (e.closest("svg") && e.tagName.toLowerCase() !== "svg") return;    // the SVG's own box counts
    var r = e.getBoundingClientRect();
    if (r.width > 0 && (r.right > w + 0.5 || r.left < -0.5))
      out.push(e.tagName + (e.id ? "#" + e.id : "") + " " + Math.round(r.left) + ".." + Math.round(r.right));
  });
  var minFont = 1e9;
  document.querySelectorAll("svg.chart").forEach(function (s) {
    var scale = s.getBoundingClientRect().width / s.viewBox.baseVal.width;
    s.querySelectorAll("text").forEach(function (t) {
      minFont = Math.min(minFont, parseFloat(getComputedStyle(t).fontSize) * scale);
    });
  });
  function overlap(a, b) { return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; }
  var labels = Array.from(document.querySelectorAll("svg text.edge")).map(function (t) { return t.getBoundingClientRect(); });
  var boxes = Array.from(document.querySelectorAll("svg rect[rx]")).map(function (b) { return b.getBoundingClientRect(); });
  var overlaps = 0;
  labels.forEach(function (l, i) {
    boxes.forEach(function (b) { if (overlap(l, b)) overlaps++; });
    labels.slice(i + 1).forEach(function (m) { if (overlap(l, m)) overlaps++; });
  });
  var json = JSON.stringify({inner: w, scroll: document.documentElement.scrollWidth,
                             height: document.documentElement.scrollHeight, overflowing: out.slice(0, 20),
                             minSvgFontPx: minFont, edgeLabels: labels.length, edgeLabelOverlaps: overlaps});
  if (window.parent !== window) return window.parent.postMessage(json, "*");
  var pre = document.createElement("pre");
  pre.id = "layout-measure";
  pre.textContent = json;
  document.body.appendChild(pre);
});
</script>
)~";

}  // namespace meshsim::testing
