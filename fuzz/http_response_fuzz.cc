// libFuzzer target: arbitrary bytes as the responses an upstream sends on
// one connection (what a sidecar's outbound side and `meshsim proxy` parse
// from apps they do not control). Decode up to 8 pipelined responses, the
// first byte choosing whether the first answers a HEAD request; every
// decoded response must serialize to bytes that parse again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "fuzz/fast_path_differential.h"
#include "proxy_core/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool answers_head = data[0] & 1;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string_view view = bytes;
  meshsim::proxy::CodecLimits limits;
  limits.header_bytes_max = 8 * 1024;
  limits.body_bytes_max = 64 * 1024;
  if (!answers_head) meshsim::fuzz::check_fast_response(view, limits);
  meshsim::proxy::ResponseDecoder decoder(limits);
  if (answers_head) decoder.expect_headers_only();
  for (int i = 0; i < 8 && !view.empty(); ++i) {
    meshsim::proxy::DecodeOutcome outcome = decoder.feed(view);
    if (outcome.kind != meshsim::proxy::DecodeOutcome::Kind::kMessage) break;
    meshsim::proxy::HttpResponse response = decoder.take();
    std::string out = meshsim::proxy::serialize(response);
    // What we write must parse again, with the same HEAD knowledge: a
    // response to HEAD keeps its Content-Length but has no body.
    // Writing adds a Content-Length line and a space after each colon: a
    // response just under the header limit may come out just over it (the
    // next hop then refuses it, as Envoy's would). The grammar is checked
    // with room for that.
    meshsim::proxy::CodecLimits roomy = limits;
    roomy.header_bytes_max = 2 * limits.header_bytes_max;
    roomy.header_count_max = limits.header_count_max + 1;
    meshsim::proxy::ResponseDecoder again(roomy);
    if (answers_head && i == 0) again.expect_headers_only();
    std::string_view rest = out;
    meshsim::proxy::DecodeOutcome reparsed = again.feed(rest);
    if (reparsed.kind != meshsim::proxy::DecodeOutcome::Kind::kMessage) {
      std::fprintf(stderr, "wrote:\n%s\nwhich does not parse: %s\n", out.c_str(), reparsed.error.c_str());
      __builtin_trap();
    }
    meshsim::proxy::HttpResponse back = again.take();
    if (back.status != response.status || back.body != response.body) {
      std::fprintf(stderr, "wrote:\n%s\nwhich parses back as status %d, body %zu bytes (was %d, %zu)\n",
                   out.c_str(), back.status, back.body.size(), response.status, response.body.size());
      __builtin_trap();
    }
  }
  return 0;
}
