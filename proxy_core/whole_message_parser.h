// A fast path for whole HTTP/1.1 messages in the common shape (what the
// simulated world's hops and well-behaved peers write): request or status
// line, token-named fields with printable values, Content-Length framing.
// It accepts only bytes Beast accepts and yields the message Beast's parser
// (codec.cc DirectParser) would; anything else (obs-fold, Transfer-Encoding,
// Connection other than keep-alive, non-ASCII, other versions, 1xx/204/304, a short body, ...)
// returns false and the caller parses with Beast, which then gives the
// answer, error or not. Beast's field loop was a quarter of world_bench's
// instructions (bench/README.md); this reads each byte once.
#pragma once

#include <string_view>

#include "proxy_core/http.h"

namespace meshsim::proxy {

struct CodecLimits;

// True: `out` is the whole message at the start of `bytes`, `*used` bytes
// long (bytes beyond it are left alone: parse_request ignores them, a
// connection keeps them for the next message). Such a message has no
// Connection field other than keep-alive and is HTTP/1.1, so its
// connection stays open. `out`
// must be a default-constructed message; it is written in place (no copy
// per hop). False: not decided here, and `out` holds whatever was read.
bool parse_whole_request(std::string_view bytes, const CodecLimits& limits, HttpRequest& out, size_t* used = nullptr);
bool parse_whole_response(std::string_view bytes, const CodecLimits& limits, HttpResponse& out, size_t* used = nullptr);

}  // namespace meshsim::proxy
