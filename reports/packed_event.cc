#include "reports/packed_event.h"
#include "reports/varint.h"

#include <array>
#include <cstring>
#include <string>
#include <vector>

namespace meshsim::reports {

namespace {

// Every field of the event, in one order for packing and unpacking. A field
// added to proxy::BasicTelemetryEvent changes its size: the assert below
// fails until the field is listed here too (else spans would lose it).
// The identity numbers (source_peer_id, destination_peer_id,
// destination_service_id) are not packed: they are shortcuts a sink may
// take, and an unpacked span, without them, says "read the text". The two
// ports follow the times.
static_assert(sizeof(proxy::TelemetryEvent) == 472, "a telemetry event field is not packed: list it in packed_event.cc");

template <typename Text>
constexpr auto text_fields() {
  using E = proxy::BasicTelemetryEvent<Text>;
  return std::array{&E::source_workload,      &E::source_namespace,      &E::source_version,
                    &E::source_app,           &E::source_principal,      &E::source_canonical_service,
                    &E::source_canonical_revision,
                    &E::destination_workload, &E::destination_namespace, &E::destination_version,
                    &E::destination_app,      &E::destination_service,   &E::destination_principal,
                    &E::destination_canonical_service, &E::destination_canonical_revision, &E::route,
                    &E::method,               &E::path,                  &E::authority,
                    &E::response_flags,
                    &E::trace_id,             &E::span_id,               &E::parent_span_id,
                    &E::request_id};
}

template <typename Text>
constexpr auto count_fields() {
  using E = proxy::BasicTelemetryEvent<Text>;
  return std::array{&E::request_bytes, &E::response_bytes, &E::request_messages, &E::response_messages};
}

template <typename Text>
constexpr auto int_fields() {
  using E = proxy::BasicTelemetryEvent<Text>;
  return std::array{&E::response_code, &E::attempts, &E::grpc_response_status};
}

template <typename Text>
constexpr auto flag_fields() {
  using E = proxy::BasicTelemetryEvent<Text>;
  return std::array{&E::mtls, &E::sampled, &E::grpc};
}

// Signed numbers (times may be negative, grpc_response_status is -1) zigzagged.
uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

PackedEvent::PackedEvent(const proxy::TelemetryEvent& e) {
  std::vector<uint8_t> out;
  out.reserve(512);
  for (auto field : text_fields<std::string_view>()) {
    std::string_view text = e.*field;
    put_varint(out, text.size());
    out.insert(out.end(), text.begin(), text.end());
  }
  for (auto field : count_fields<std::string_view>()) put_varint(out, e.*field);
  for (auto field : int_fields<std::string_view>()) put_varint(out, zigzag(e.*field));
  uint64_t flags = e.reporter == proxy::TelemetryReporter::kDestination ? 1 : 0;
  int bit = 1;
  for (auto field : flag_fields<std::string_view>()) flags |= static_cast<uint64_t>(e.*field) << bit++;
  put_varint(out, flags);
  put_varint(out, zigzag(e.start.count()));
  put_varint(out, zigzag(e.duration.count()));
  put_varint(out, e.destination_port);
  put_varint(out, e.destination_target_port);
  size_ = out.size();
  bytes_ = std::make_unique_for_overwrite<uint8_t[]>(size_);
  std::memcpy(bytes_.get(), out.data(), size_);
}

proxy::StoredTelemetryEvent PackedEvent::unpack() const {
  proxy::StoredTelemetryEvent e;
  size_t pos = 0;
  const uint8_t* in = bytes_.get();
  for (auto field : text_fields<std::string>()) {
    size_t n = get_varint(in, pos);
    (e.*field).assign(reinterpret_cast<const char*>(in + pos), n);
    pos += n;
  }
  for (auto field : count_fields<std::string>()) e.*field = get_varint(in, pos);
  for (auto field : int_fields<std::string>()) e.*field = static_cast<int>(unzigzag(get_varint(in, pos)));
  uint64_t flags = get_varint(in, pos);
  e.reporter = flags & 1 ? proxy::TelemetryReporter::kDestination : proxy::TelemetryReporter::kSource;
  int bit = 1;
  for (auto field : flag_fields<std::string>()) e.*field = (flags >> bit++ & 1) != 0;
  e.start = proxy::TimePoint(unzigzag(get_varint(in, pos)));
  e.duration = proxy::Duration(unzigzag(get_varint(in, pos)));
  e.destination_port = static_cast<uint16_t>(get_varint(in, pos));
  e.destination_target_port = static_cast<uint16_t>(get_varint(in, pos));
  return e;
}

}  // namespace meshsim::reports
