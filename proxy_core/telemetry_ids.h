// Numbers for the texts telemetry reports repeat: a workload's identity
// (workload, namespace, version, app, principal) and a service's name. A
// report carries them beside its text so that a sink finds its aggregates by
// a few integers instead of copying, hashing and comparing ~150 bytes read
// from endpoints last touched many hops ago (issue 20), as Envoy resolves a
// stat's name once, when the config is built, not per request.
//
// Process-wide: every snapshot, and every world of a sweep, gives the same
// text the same number, so a number outlives config pushes. Numbers are
// lookup keys only; no output depends on their values. 0 is never given: it
// says "no number, read the text".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace meshsim::proxy {

// The number of `text`, given on its first sight. Thread-safe.
uint32_t telemetry_text_id(std::string_view text);
// The text a number stands for ("" for 0 or a number never given).
std::string telemetry_text_of(uint32_t id);

// The text a workload's identity number stands for: its seven report fields
// (source_* or destination_* of a report), joined by \x1f.
std::string peer_identity_text(std::string_view workload, std::string_view ns, std::string_view version,
                               std::string_view app, std::string_view principal, std::string_view canonical_service,
                               std::string_view canonical_revision);

}  // namespace meshsim::proxy
