// The HTTP/1.1 fast path (proxy_core/whole_message_parser) must take only
// messages Beast takes, and read them as Beast does: the fuzz targets check
// every input the fast path accepts against the decoder fed its first byte
// alone, which starts the message on Beast's parser.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy_core/codec.h"
#include "proxy_core/whole_message_parser.h"

namespace meshsim::fuzz {

template <typename Decoder>
bool beast_decode(std::string_view bytes, const proxy::CodecLimits& limits, typename Decoder::Message& out,
                  size_t* used) {
  Decoder decoder(limits);
  std::string_view rest = bytes;
  std::string_view first = rest.substr(0, 1);
  proxy::DecodeOutcome o = decoder.feed(first);
  if (first.empty()) rest.remove_prefix(1);
  if (o.kind == proxy::DecodeOutcome::Kind::kNeedMore) o = decoder.feed(rest);
  if (o.kind != proxy::DecodeOutcome::Kind::kMessage) return false;
  out = decoder.take();
  *used = bytes.size() - rest.size();
  return true;
}

inline std::vector<std::pair<std::string, std::string>> fields_of(const proxy::HeaderMap& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const proxy::Header h : headers.all()) out.emplace_back(h.name, h.value);
  return out;
}

[[noreturn]] inline void differs(std::string_view bytes, const char* what) {
  std::fprintf(stderr, "fast path and Beast differ on %s for:\n%.*s\n", what, static_cast<int>(bytes.size()),
               bytes.data());
  __builtin_trap();
}

inline void check_fast_request(std::string_view bytes, const proxy::CodecLimits& limits) {
  proxy::HttpRequest fast;
  size_t fast_used = 0;
  if (!proxy::parse_whole_request(bytes, limits, fast, &fast_used)) return;
  proxy::HttpRequest beast;
  size_t beast_used = 0;
  if (!beast_decode<proxy::RequestDecoder>(bytes, limits, beast, &beast_used)) differs(bytes, "acceptance");
  if (fast.method != beast.method || fast.target != beast.target || fast.authority != beast.authority)
    differs(bytes, "the request line or Host");
  if (fields_of(fast.headers) != fields_of(beast.headers)) differs(bytes, "the fields");
  if (fast.body != beast.body || fast_used != beast_used) differs(bytes, "the body or its end");
}

inline void check_fast_response(std::string_view bytes, const proxy::CodecLimits& limits) {
  proxy::HttpResponse fast;
  size_t fast_used = 0;
  if (!proxy::parse_whole_response(bytes, limits, fast, &fast_used)) return;
  proxy::HttpResponse beast;
  size_t beast_used = 0;
  if (!beast_decode<proxy::ResponseDecoder>(bytes, limits, beast, &beast_used)) differs(bytes, "acceptance");
  if (fast.status != beast.status) differs(bytes, "the status");
  if (fields_of(fast.headers) != fields_of(beast.headers)) differs(bytes, "the fields");
  if (fast.body != beast.body || fast_used != beast_used) differs(bytes, "the body or its end");
}

}  // namespace meshsim::fuzz
