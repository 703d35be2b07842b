// libFuzzer target: arbitrary bytes into the server side of the HTTP/2
// codec, as a client's connection delivers them (in chunks of varying size),
// with every completed request answered (body and trailers) so the output
// side runs too. Any crash, sanitizer report or leak is a bug; so is output
// after the codec said the connection is finished.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy_core/http2_codec.h"

using namespace meshsim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte steers: bit 0 prepends a valid preface and SETTINGS (so
  // the fuzzer spends its time on frames); the rest sets the chunk size.
  const uint8_t mode = data[0];
  std::string bytes;
  if (mode & 1) bytes.append("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0", 33);
  bytes.append(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t chunk = (mode >> 1) * 7 + 1;

  proxy::Http2Settings settings;
  settings.header_bytes_max = 8 * 1024;
  settings.body_bytes_max = 64 * 1024;
  settings.max_concurrent_streams = 16;
  settings.stream_error_on_invalid_http_messaging = (mode & 0x80) != 0;
  proxy::Http2ServerConnection server(settings);
  std::string out;
  std::string_view rest = bytes;
  while (!rest.empty()) {
    std::string_view piece = rest.substr(0, chunk);
    rest.remove_prefix(piece.size());
    proxy::Http2Status status = server.receive(piece);
    for (auto& [id, request] : server.take_requests()) {
      proxy::HttpResponse response;
      response.headers.add("X-Method", request.method);
      response.body = request.target + request.authority + request.body;
      if (request.trailers.size()) response.trailers.add("grpc-status", "0");
      server.respond(id, std::move(response));
    }
    server.take_resets();
    out.clear();
    server.write_to(out);
    if (!status.ok || server.finished()) break;
  }
  if (server.finished()) {
    out.clear();
    server.write_to(out);
    if (!out.empty()) __builtin_trap();  // finished means nothing more to write
  }
  return 0;
}
