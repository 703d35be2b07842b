// Pages rendered by Debian's headless Chromium for tests: the DOM after the
// page's scripts ran, and full-page screenshots. Every run is bounded in
// time (timeout + --virtual-time-budget) and has its own profile directory.
#pragma once

#include <optional>
#include <string>

namespace meshsim::testing {

inline constexpr const char* kChromium = "/usr/bin/chromium";

bool chromium_available();

// The serialized DOM of `url` in a window `width` px wide, after `budget_ms`
// of virtual time; nullopt (with the log path in *why) when Chromium failed.
std::optional<std::string> chromium_dom(const std::string& url, int width, int budget_ms, std::string* why);

// Headless Chromium's window is at least 500 px wide, so a narrower
// viewport is an iframe of that width: this page shows `src` (relative to
// the page) in a width x height frame at its top left, and puts what the
// framed page posts (kLayoutMeasureScript) into its own DOM.
std::string framed_page(const std::string& src, int width, int height);
// The window size for a framed page of that width.
inline int window_width(int width) { return width < 500 ? 500 : width; }

// A screenshot of `url` at width x height into `png` (a page without
// scripts: no virtual time, which made tall screenshots hang now and then);
// false on failure.
bool chromium_screenshot(const std::string& url, int width, int height, const std::string& png, std::string* why);

// A script that, once the page has loaded, measures its layout and appends
// <pre id="layout-measure">{JSON}</pre> to the body (its parent's, when
// framed): innerWidth,
// scrollWidth, scrollHeight, the elements that stick out of the viewport
// (those inside a box that scrolls by itself excepted), the smallest text in
// an SVG chart in CSS px, and how many graph edge labels overlap a node box
// or another label.
extern const char* const kLayoutMeasureScript;

}  // namespace meshsim::testing
