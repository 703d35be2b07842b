#include "proxy_core/http2_codec.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <unordered_map>
#include <utility>

#include <nghttp2/nghttp2.h>

namespace meshsim::proxy {

namespace {

// nghttp2 1.60 renamed the byte-pump calls (mem_recv2/mem_send2, nghttp2_ssize)
// and deprecated the ssize_t ones; 1.52 (Debian 12) has only the old names.
#if NGHTTP2_VERSION_NUM >= 0x013c00
inline long pump_recv(nghttp2_session* s, const uint8_t* in, size_t n) { return nghttp2_session_mem_recv2(s, in, n); }
inline long pump_send(nghttp2_session* s, const uint8_t** out) { return nghttp2_session_mem_send2(s, out); }
#else
inline long pump_recv(nghttp2_session* s, const uint8_t* in, size_t n) { return nghttp2_session_mem_recv(s, in, n); }
inline long pump_send(nghttp2_session* s, const uint8_t** out) { return nghttp2_session_mem_send(s, out); }
#endif

constexpr std::string_view kPrefacePrefix = "PRI * HTTP/2";

std::string_view view(const uint8_t* p, size_t n) { return {reinterpret_cast<const char*>(p), n}; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether `name` is listed in a Connection field's value (RFC 9110 §7.6.1).
bool named_by_connection(const HeaderMap& headers, std::string_view name) {
  for (const Header h : headers.all()) {
    if (!iequals(h.name, "connection")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      if (iequals(trim(rest.substr(0, comma)), name)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

// RFC 9113 §8.2.2: fields that MUST NOT go out on HTTP/2. Host becomes
// :authority; Content-Length is the codec's (the body's size); a TE other
// than "trailers" and HTTP2-Settings (an h2c upgrade leftover) go too.
bool dropped_on_output(const HeaderMap& headers, std::string_view name, std::string_view value) {
  static constexpr std::string_view kDropped[] = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                                  "upgrade", "host", "content-length", "http2-settings"};
  for (std::string_view d : kDropped)
    if (iequals(name, d)) return true;
  if (iequals(name, "te")) return !iequals(trim(value), "trailers");
  return named_by_connection(headers, name);
}

// The name/value pairs of one header block, lower-cased, kept alive until submitted.
class Block {
 public:
  void add(std::string_view name, std::string_view value) {
    size_t at = text_.size();
    text_.append(name);
    for (size_t i = at; i < text_.size(); ++i)
      if (text_[i] >= 'A' && text_[i] <= 'Z') text_[i] = static_cast<char>(text_[i] | 0x20);
    text_.append(value);
    spans_.push_back({at, name.size(), value.size()});
  }
  void add_fields(const HeaderMap& headers) {
    for (const Header h : headers.all())
      if (!dropped_on_output(headers, h.name, h.value)) add(h.name, h.value);
  }
  // Valid until the next add(); nghttp2 copies what it is given.
  const std::vector<nghttp2_nv>& nvs() {
    nvs_.clear();
    for (const Span& s : spans_) {
      auto* base = reinterpret_cast<uint8_t*>(text_.data()) + s.at;
      nvs_.push_back({base, base + s.name, s.name, s.value, NGHTTP2_NV_FLAG_NONE});
    }
    return nvs_;
  }

 private:
  struct Span {
    size_t at, name, value;
  };
  std::string text_;
  std::vector<Span> spans_;
  std::vector<nghttp2_nv> nvs_;
};

}  // namespace

const char* http2_error_name(Http2Error code) {
  switch (code) {
    case Http2Error::kNoError: return "NO_ERROR";
    case Http2Error::kProtocolError: return "PROTOCOL_ERROR";
    case Http2Error::kInternalError: return "INTERNAL_ERROR";
    case Http2Error::kFlowControlError: return "FLOW_CONTROL_ERROR";
    case Http2Error::kSettingsTimeout: return "SETTINGS_TIMEOUT";
    case Http2Error::kStreamClosed: return "STREAM_CLOSED";
    case Http2Error::kFrameSizeError: return "FRAME_SIZE_ERROR";
    case Http2Error::kRefusedStream: return "REFUSED_STREAM";
    case Http2Error::kCancel: return "CANCEL";
    case Http2Error::kCompressionError: return "COMPRESSION_ERROR";
    case Http2Error::kConnectError: return "CONNECT_ERROR";
    case Http2Error::kEnhanceYourCalm: return "ENHANCE_YOUR_CALM";
    case Http2Error::kInadequateSecurity: return "INADEQUATE_SECURITY";
    case Http2Error::kHttp11Required: return "HTTP_1_1_REQUIRED";
  }
  return "UNKNOWN";
}

std::optional<bool> starts_http2_preface(std::string_view bytes) {
  if (bytes.size() >= kPrefacePrefix.size()) return bytes.starts_with(kPrefacePrefix);
  if (kPrefacePrefix.starts_with(bytes)) return std::nullopt;
  return false;
}

struct Http2Connection::Impl {
  // One stream as the codec tracks it: the message coming in, the one going out.
  struct Stream {
    HttpRequest request;    // server: arriving
    HttpResponse response;  // client: arriving
    bool headers_done = false;  // the (final) header block is in; more HEADERS are trailers
    bool complete = false;      // END_STREAM received and the message handed over
    bool too_large = false;     // body over the limit: the rest is dropped
    bool head = false;          // answers a HEAD request: headers only
    size_t block_bytes = 0, block_fields = 0;
    std::string cookies;
    std::string host;
    // Outgoing body and trailers, read by nghttp2 through the data provider.
    std::string out_body;
    size_t out_at = 0;
    HeaderMap out_trailers;
  };

  bool server;
  Http2Settings settings;
  nghttp2_session* session = nullptr;
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams;
  std::vector<Http2ServerConnection::Request> requests;
  std::vector<Http2ClientConnection::Response> responses;
  std::vector<Http2Reset> resets;
  std::optional<Http2Error> goaway_in;
  std::optional<Http2Error> goaway_out;
  std::string pending;  // output produced while receiving
  bool broken = false;  // a fatal nghttp2 error: nothing more in or out

  Impl(bool is_server, Http2Settings s) : server(is_server), settings(s) {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &Impl::on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, &Impl::on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &Impl::on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &Impl::on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, &Impl::on_stream_close);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb, &Impl::on_invalid_frame);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, &Impl::on_frame_send);
    if (server) nghttp2_session_server_new(&session, cb, this);
    else nghttp2_session_client_new(&session, cb, this);
    nghttp2_session_callbacks_del(cb);

    std::vector<nghttp2_settings_entry> iv = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.initial_stream_window_size}};
    if (!server) iv.push_back({NGHTTP2_SETTINGS_ENABLE_PUSH, 0});  // Envoy's client codec refuses push
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, iv.data(), iv.size());
    nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0,
                                          static_cast<int32_t>(std::min<uint32_t>(settings.initial_connection_window_size,
                                                                                  NGHTTP2_MAX_WINDOW_SIZE)));
  }
  ~Impl() { nghttp2_session_del(session); }

  static Impl& self(void* user) { return *static_cast<Impl*>(user); }
  Stream* find(int32_t id) {
    auto it = streams.find(id);
    return it == streams.end() ? nullptr : it->second.get();
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    Impl& c = self(user);
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Stream* s = c.find(frame->hd.stream_id);
    if (!s && c.server && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      auto fresh = std::make_unique<Stream>();
      fresh->request.protocol = WireProtocol::kHttp2;
      fresh->request.target.clear();
      s = fresh.get();
      c.streams.emplace(frame->hd.stream_id, std::move(fresh));
    }
    if (s) s->block_bytes = s->block_fields = 0;  // each block (headers, trailers) has its own limits
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name_p, size_t name_n,
                       const uint8_t* value_p, size_t value_n, uint8_t, void* user) {
    Impl& c = self(user);
    Stream* s = c.find(frame->hd.stream_id);
    if (!s) return 0;
    // Envoy's saveHeader: over max_request_headers_kb or max_headers_count
    // -> the library resets the stream (RST_STREAM INTERNAL_ERROR).
    s->block_bytes += name_n + value_n;
    if (++s->block_fields > c.settings.header_count_max || s->block_bytes > c.settings.header_bytes_max)
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    std::string_view name = view(name_p, name_n), value = view(value_p, value_n);
    // nghttp2 has checked names (lower-case tokens) and values (no CR, LF, NUL): safe to add unchecked.
    if (s->headers_done) {
      (c.server ? s->request.trailers : s->response.trailers).add_checked(name, value);
      return 0;
    }
    if (c.server) {
      HttpRequest& r = s->request;
      if (name == ":method") r.method.assign(value);
      else if (name == ":path") r.target.assign(value);
      else if (name == ":authority") r.authority.assign(value);
      else if (name.starts_with(':')) return 0;  // :scheme (h2c: http), :protocol
      else if (name == "host") s->host.assign(value);
      else if (name == "cookie") {
        if (!s->cookies.empty()) s->cookies.append("; ");  // RFC 9113 §8.2.3
        s->cookies.append(value);
      } else if (name != "content-length") r.headers.add_checked(name, value);
      return 0;
    }
    HttpResponse& r = s->response;
    if (name == ":status") {
      int status = 0;
      std::from_chars(value.data(), value.data() + value.size(), status);
      r.status = status;
    } else if (!name.starts_with(':')) {
      r.headers.add_checked(name, value);
    }
    return 0;
  }

  void complete(int32_t id, Stream& s) {
    if (s.complete) return;
    s.complete = true;
    if (server) {
      if (s.too_large) return;
      s.head = s.request.method == "HEAD";
      requests.push_back({static_cast<uint32_t>(id), std::move(s.request)});
    } else {
      // Content-Length frames HTTP/1.1 only; a body-less one (HEAD) keeps it, as the HTTP/1.1 codec does.
      if (!s.response.body.empty()) s.response.headers.remove("content-length");
      s.response.protocol = WireProtocol::kHttp2;
      responses.push_back({static_cast<uint32_t>(id), std::move(s.response)});
    }
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    Impl& c = self(user);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      c.goaway_in = static_cast<Http2Error>(frame->goaway.error_code);
      return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    Stream* s = c.find(frame->hd.stream_id);
    if (!s) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !s->headers_done) {
      if (c.server) {
        // RFC 9113 §8.3.1: Host stands in for a missing :authority.
        if (s->request.authority.empty()) s->request.authority = std::move(s->host);
        if (!s->cookies.empty()) s->request.headers.add_checked("cookie", s->cookies);
        s->headers_done = true;
      } else if (s->response.status >= 200) {
        s->headers_done = true;
      } else {
        s->response.headers = HeaderMap();  // 1xx: informational, the final response follows
      }
    }
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) c.complete(frame->hd.stream_id, *s);
    return 0;
  }

  static int on_data_chunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data, size_t n, void* user) {
    Impl& c = self(user);
    Stream* s = c.find(id);
    if (!s || s->too_large) return 0;
    std::string& body = c.server ? s->request.body : s->response.body;
    if (body.size() + n > c.settings.body_bytes_max) {
      s->too_large = true;
      body.clear();
      if (c.server) {
        // What Envoy's connection manager answers when a request overflows its buffer limit.
        HttpResponse too_large;
        too_large.status = 413;
        too_large.body = "Payload Too Large";
        c.submit_response(id, std::move(too_large));
      } else {
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
      }
      return 0;
    }
    body.append(view(data, n));
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t id, uint32_t code, void* user) {
    Impl& c = self(user);
    auto it = c.streams.find(id);
    if (it == c.streams.end()) return 0;
    // A stream that ends before its message did, or by an error code, was reset.
    if (!it->second->complete || code != NGHTTP2_NO_ERROR)
      c.resets.push_back({static_cast<uint32_t>(id), static_cast<Http2Error>(code)});
    c.streams.erase(it);
    return 0;
  }

  static int on_invalid_frame(nghttp2_session*, const nghttp2_frame*, int lib_error, void* user) {
    Impl& c = self(user);
    // Envoy's onInvalidFrame: an HTTP messaging error ends the connection
    // unless stream_error_on_invalid_http_messaging; nghttp2 resets the
    // stream otherwise, and handles frame-level errors itself (GOAWAY).
    if ((lib_error == NGHTTP2_ERR_HTTP_HEADER || lib_error == NGHTTP2_ERR_HTTP_MESSAGING) &&
        !c.settings.stream_error_on_invalid_http_messaging)
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    return 0;
  }

  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type == NGHTTP2_GOAWAY) self(user).goaway_out = static_cast<Http2Error>(frame->goaway.error_code);
    return 0;
  }

  // The data provider: the stream's body from where it stopped, then its
  // trailers (a HEADERS frame with END_STREAM) if it has any.
  static long read_body(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length, uint32_t* flags,
                        nghttp2_data_source* source, void*) {
    auto* s = static_cast<Stream*>(source->ptr);
    size_t n = std::min(length, s->out_body.size() - s->out_at);
    if (n) std::memcpy(buf, s->out_body.data() + s->out_at, n);
    s->out_at += n;
    if (s->out_at == s->out_body.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (s->out_trailers.size()) {
        Block block;
        block.add_fields(s->out_trailers);
        const auto& nv = block.nvs();
        if (nghttp2_submit_trailer(session, id, nv.data(), nv.size()) == 0) *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      }
    }
    return static_cast<long>(n);
  }

  // HEADERS (END_STREAM when there is nothing more), then DATA, then trailers.
  nghttp2_data_provider* body_provider(Stream& s, std::string body, HeaderMap trailers, nghttp2_data_provider& p) {
    s.out_body = std::move(body);
    s.out_at = 0;
    s.out_trailers = std::move(trailers);
    if (s.out_body.empty() && !s.out_trailers.size()) return nullptr;
    p.source.ptr = &s;
    p.read_callback = &Impl::read_body;
    return &p;
  }

  void submit_response(int32_t id, HttpResponse response) {
    Stream* s = find(id);
    if (!s) return;
    Block block;
    char status[8];
    auto end = std::to_chars(status, status + sizeof status, std::clamp(response.status, 100, 999)).ptr;
    block.add(":status", std::string_view(status, static_cast<size_t>(end - status)));
    block.add_fields(response.headers);
    // Content-Length: the body's size, or the one stated for a body-less message (HEAD).
    bool no_body_status = response.status < 200 || response.status == 204 || response.status == 304;
    char length[24];
    auto length_end = std::to_chars(length, length + sizeof length, response.body.size()).ptr;
    if (s->head && !response.body.empty()) {
      // A response to HEAD has the GET response's headers and no body (RFC 9110 §9.3.2).
      block.add("content-length", std::string_view(length, static_cast<size_t>(length_end - length)));
      response.body.clear();
    } else if (!response.body.empty()) block.add("content-length", std::string_view(length, static_cast<size_t>(length_end - length)));
    else if (auto stated = response.headers.get("content-length"); stated && !no_body_status) block.add("content-length", *stated);
    nghttp2_data_provider provider{};
    auto* p = body_provider(*s, std::move(response.body), std::move(response.trailers), provider);
    const auto& nv = block.nvs();
    nghttp2_submit_response(session, id, nv.data(), nv.size(), p);
  }

  uint32_t submit_request(HttpRequest request) {
    auto s = std::make_unique<Stream>();
    Block block;
    block.add(":method", request.method);
    block.add(":scheme", "http");  // h2c: cleartext
    if (!request.authority.empty()) block.add(":authority", request.authority);
    block.add(":path", request.target.empty() ? std::string_view("/") : std::string_view(request.target));
    block.add_fields(request.headers);
    char length[24];
    auto end = std::to_chars(length, length + sizeof length, request.body.size()).ptr;
    if (!request.body.empty()) block.add("content-length", std::string_view(length, static_cast<size_t>(end - length)));
    nghttp2_data_provider provider{};
    auto* p = body_provider(*s, std::move(request.body), std::move(request.trailers), provider);
    const auto& nv = block.nvs();
    int32_t id = nghttp2_submit_request(session, nullptr, nv.data(), nv.size(), p, nullptr);
    if (id <= 0) return 0;
    streams.emplace(id, std::move(s));
    return static_cast<uint32_t>(id);
  }

  Http2Status receive(std::string_view bytes) {
    Http2Status status;
    if (broken) return {false, goaway_out, "connection already failed"};
    long rv = pump_recv(session, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (rv < 0) {
      status.ok = false;
      status.error = nghttp2_strerror(static_cast<int>(rv));
      if (rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
        // Not HTTP/2 after all: nghttp2 answers nothing, and Envoy closes
        // (multiplexed_integration_test.cc BadMagic: no response).
        broken = true;
        return status;
      }
      // Our messaging verdict (CALLBACK_FAILURE), a flood, or another fatal
      // error: GOAWAY with the code that says why, then close (RFC 9113 §5.4.1).
      uint32_t code = rv == NGHTTP2_ERR_FLOODED ? NGHTTP2_ENHANCE_YOUR_CALM
                      : rv == NGHTTP2_ERR_CALLBACK_FAILURE ? NGHTTP2_PROTOCOL_ERROR
                                                           : NGHTTP2_INTERNAL_ERROR;
      nghttp2_session_terminate_session(session, code);
    }
    flush(pending);
    if (goaway_out && *goaway_out != Http2Error::kNoError) status.ok = false;
    status.goaway = goaway_out;
    return status;
  }

  void flush(std::string& out) {
    if (broken) return;
    for (;;) {
      const uint8_t* data = nullptr;
      long n = pump_send(session, &data);
      if (n < 0) {
        broken = true;
        return;
      }
      if (n == 0) return;
      out.append(view(data, static_cast<size_t>(n)));
    }
  }

  void cut_off_streams() {
    for (auto& [id, s] : streams)
      if (!s->complete) resets.push_back({static_cast<uint32_t>(id), Http2Error::kNoError});
    streams.clear();
  }
};

Http2Connection::Http2Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Http2Connection::~Http2Connection() = default;
Http2Connection::Http2Connection(Http2Connection&&) noexcept = default;
Http2Connection& Http2Connection::operator=(Http2Connection&&) noexcept = default;

Http2Status Http2Connection::receive(std::string_view bytes) { return impl_->receive(bytes); }

void Http2Connection::write_to(std::string& out) {
  if (out.empty()) out.swap(impl_->pending);
  else out.append(impl_->pending);
  impl_->pending.clear();
  impl_->flush(out);
}

bool Http2Connection::finished() const {
  if (impl_->broken) return impl_->pending.empty();
  return impl_->pending.empty() && !nghttp2_session_want_read(impl_->session) &&
         !nghttp2_session_want_write(impl_->session);
}

void Http2Connection::shut_down() {
  nghttp2_submit_goaway(impl_->session, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(impl_->session),
                        NGHTTP2_NO_ERROR, nullptr, 0);
}

size_t Http2Connection::open_streams() const { return impl_->streams.size(); }

std::vector<Http2Reset> Http2Connection::take_resets() {
  if (impl_->broken) impl_->cut_off_streams();
  return std::exchange(impl_->resets, {});
}

std::optional<Http2Error> Http2Connection::goaway_received() const { return impl_->goaway_in; }

Http2ServerConnection::Http2ServerConnection(Http2Settings settings)
    : Http2Connection(std::make_unique<Impl>(true, settings)) {}

std::vector<Http2ServerConnection::Request> Http2ServerConnection::take_requests() {
  return std::exchange(impl_->requests, {});
}

void Http2ServerConnection::respond(uint32_t stream_id, HttpResponse response) {
  impl_->submit_response(static_cast<int32_t>(stream_id), std::move(response));
}

void Http2ServerConnection::reset(uint32_t stream_id, Http2Error code) {
  nghttp2_submit_rst_stream(impl_->session, NGHTTP2_FLAG_NONE, static_cast<int32_t>(stream_id),
                            static_cast<uint32_t>(code));
}

Http2ClientConnection::Http2ClientConnection(Http2Settings settings)
    : Http2Connection(std::make_unique<Impl>(false, settings)) {}

bool Http2ClientConnection::can_submit() const {
  if (impl_->broken || impl_->goaway_in || !nghttp2_session_check_request_allowed(impl_->session)) return false;
  uint32_t peer_max = nghttp2_session_get_remote_settings(impl_->session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  return impl_->streams.size() < peer_max;
}

uint32_t Http2ClientConnection::submit(HttpRequest request) {
  if (impl_->broken || impl_->goaway_in) return 0;
  return impl_->submit_request(std::move(request));
}

std::vector<Http2ClientConnection::Response> Http2ClientConnection::take_responses() {
  return std::exchange(impl_->responses, {});
}

}  // namespace meshsim::proxy
