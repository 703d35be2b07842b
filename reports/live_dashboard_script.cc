#include "reports/live_dashboard_script.h"

#include <fmt/format.h>

namespace meshsim::reports {

// Mirrors html_report.cc's server-side rendering (the same words, classes
// and number formats), so a poll changes only what moved.
std::string live_dashboard_script(int refresh_seconds) {
  return fmt::format(R"~(<script>
(function () {{
  "use strict";
  var every = {} * 1000;
  function esc(s) {{
    return String(s).replace(/[&<>"']/g, function (c) {{
      return {{"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}}[c];
    }});
  }}
  function set(id, text) {{ var e = document.getElementById(id); if (e) e.textContent = text; }}
  function render(j) {{
    var now = j.run.duration_s, held = 0, pending = 0, failed = 0;
    j.expectations.forEach(function (e) {{ if (e.passed) held++; else if (!e.reached) pending++; else failed++; }});
    var planned = j.phases.length ? j.phases[j.phases.length - 1].end_s : 0;
    set("seconds", Math.round(now));
    set("planned", now < planned ? " of " + planned : "");
    set("requests", j.run.requests);
    var v = document.getElementById("verdict");
    v.textContent = held + " of " + j.expectations.length + " held" + (pending ? " · " + pending + " pending" : "") +
                    (failed ? " · " + failed + " failed" : "");
    v.className = failed ? "fail" : (pending || !j.expectations.length) ? "pending" : "pass";
    document.getElementById("timeline").innerHTML = j.phases.map(function (p) {{
      var state = p.end_s <= now ? "" : p.start_s <= now ? "now" : "later";
      return "<li" + (state ? ' class="' + state + '"' : "") + "><b>" + p.start_s + " s</b> " + esc(p.caption || "-") +
             (p.command ? " <code>" + esc(p.command) + "</code>" : "") +
             p.notes.map(function (n) {{ return "<br><i>" + esc(n) + "</i>"; }}).join("") + "</li>";
    }}).join("\n");
    document.getElementById("expectations").innerHTML = j.expectations.map(function (e) {{
      var css = e.passed ? "pass" : e.reached ? "fail" : "pending";
      var word = e.passed ? "PASS" : e.reached ? "FAIL" : "pending";
      return '<tr><td class="' + css + '">' + word + "</td><td>" + esc(e.name) + "</td><td>" + esc(e.observed) + "</td></tr>";
    }}).join("\n");
  }}
  function poll() {{
    fetch("report.json", {{cache: "no-store"}})
      .then(function (r) {{ if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); }})
      .then(function (j) {{
        render(j);
        set("live-status", "· live, updated " + new Date().toLocaleTimeString());
        return fetch("./", {{cache: "no-store"}}).then(function (r) {{ return r.text(); }});
      }})
      .then(function (page) {{
        var fresh = new DOMParser().parseFromString(page, "text/html").getElementById("charts");
        var old = document.getElementById("charts");
        if (fresh && old) old.replaceWith(fresh);
      }})
      .catch(function (e) {{ set("live-status", "· not connected (" + e.message + ")"); }})
      .then(function () {{ setTimeout(poll, every); }});
  }}
  setTimeout(poll, every);
}})();
</script>
)~",
                     refresh_seconds);
}

}  // namespace meshsim::reports
