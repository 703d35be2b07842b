// A kept telemetry event (a span of a sampled trace) as one block of bytes:
// each text field as its length and bytes, each number as a varint. About
// 0.4 KB for a span of the 10-service tree, against 0.9 KB for a
// proxy::StoredTelemetryEvent (24 std::string, the longer ones each with an
// allocation of its own), so the traces the reservoir keeps up to its bound
// are small (issue 20). Immutable; unpack() gives the event back, field for
// field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "proxy_core/telemetry.h"

namespace meshsim::reports {

class PackedEvent {
 public:
  explicit PackedEvent(const proxy::TelemetryEvent& event);
  proxy::StoredTelemetryEvent unpack() const;
  size_t size_bytes() const { return size_; }

 private:
  std::unique_ptr<uint8_t[]> bytes_;
  size_t size_ = 0;
};

}  // namespace meshsim::reports
