#include "proxy_core/telemetry_ids.h"

#include <deque>
#include <mutex>
#include <unordered_map>

namespace meshsim::proxy {

namespace {

// Given when a snapshot is built or first read (a few per endpoint, Service
// and inbound port), never per request: a mutex is cheap enough, and a
// sweep's worlds build on threads.
struct TextIds {
  std::mutex mutex;
  std::deque<std::string> texts{std::string()};  // by number; 0 is none. A deque: the map's views stay valid
  std::unordered_map<std::string_view, uint32_t> ids;
};

TextIds& text_ids() {
  static TextIds* ids = new TextIds;  // never destroyed: sinks on other threads may ask during exit
  return *ids;
}

}  // namespace

uint32_t telemetry_text_id(std::string_view text) {
  TextIds& t = text_ids();
  std::lock_guard lock(t.mutex);
  if (auto it = t.ids.find(text); it != t.ids.end()) return it->second;
  auto id = static_cast<uint32_t>(t.texts.size());
  std::string_view kept = t.texts.emplace_back(text);
  t.ids.emplace(kept, id);
  return id;
}

std::string telemetry_text_of(uint32_t id) {
  TextIds& t = text_ids();
  std::lock_guard lock(t.mutex);
  return id < t.texts.size() ? t.texts[id] : std::string();
}

std::string peer_identity_text(std::string_view workload, std::string_view ns, std::string_view version,
                               std::string_view app, std::string_view principal, std::string_view canonical_service,
                               std::string_view canonical_revision) {
  std::string text;
  text.reserve(workload.size() + ns.size() + version.size() + app.size() + principal.size() + canonical_service.size() +
               canonical_revision.size() + 7);
  // A leading separator: no Service name starts with one, so the two kinds never share a number.
  for (std::string_view part : {workload, ns, version, app, principal, canonical_service, canonical_revision})
    text.append(1, '\x1f').append(part);
  return text;
}

}  // namespace meshsim::proxy
