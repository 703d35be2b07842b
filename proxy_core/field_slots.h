// A few fields one pass reads and sets, found in one pass over a HeaderMap.
// A sidecar reads and rewrites the trace context (x-request-id, traceparent,
// the B3 fields) at every pass, and the Date and Server fields of every
// response; each get or set on the map scanned every field again (issue 20:
// one scan instead of about ten took 3.7% of world_bench's instructions).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "proxy_core/http.h"

namespace meshsim::proxy {

// Distinct names to find at once, with what lets a scan skip most fields
// without comparing them: the names' sizes as bits and, per name, its
// middle byte case-folded (the trace fields share two sizes, 11 and 12).
template <size_t N>
struct FieldNameSet {
  consteval FieldNameSet(std::array<FieldName, N> names) : names(names) {  // NOLINT: implicit by design
    for (size_t k = 0; k < N; ++k) {
      std::string_view name = names[k].view();
      if (name.size() >= 64) throw "names of 64 bytes or more are not supported";  // a compile error
      sizes |= uint64_t{1} << name.size();
      middles[k] = middle_byte(name);
    }
  }
  static constexpr char middle_byte(std::string_view name) { return static_cast<char>(name[name.size() / 2] | 0x20); }
  // The place of `name` among the names (case-insensitive), or -1: compared
  // only with the names of its size and middle byte.
  int find(std::string_view name) const {
    if (name.size() >= 64 || !((sizes >> name.size()) & 1)) return -1;
    char middle = middle_byte(name);
    for (size_t k = 0; k < N; ++k)
      if (middles[k] == middle && iequals(name, names[k].view())) return static_cast<int>(k);
    return -1;
  }
  std::array<FieldName, N> names;
  uint64_t sizes = 0;
  std::array<char, N> middles{};
};

// Gets and sets mean what HeaderMap's do: the first value; a set replaces
// the first and drops repeats. While the map is edited through these slots
// only, the places found stay right: a set replaces in place or appends, a
// remove shifts the places after it. When any of the names occurs twice the
// slots take HeaderMap's own calls, which handle repeats.
template <size_t N>
class FieldSlots {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;
  // `names` must outlive the slots.
  FieldSlots(HeaderMap& map, const FieldNameSet<N>& names) : map_(map), names_(names.names) {
    at_.fill(kAbsent);
    for (size_t i = 0; i < map.size(); ++i) {
      int k = names.find(map.field(i).name);
      if (k < 0) continue;
      if (at_[k] == kAbsent) at_[k] = static_cast<uint32_t>(i);
      else repeated_ = true;
    }
  }

  std::optional<std::string_view> get(size_t slot) const {
    if (repeated_) return map_.get(names_[slot].view());
    if (at_[slot] == kAbsent) return std::nullopt;
    return map_.field(at_[slot]).value;
  }
  bool has(size_t slot) const { return get(slot).has_value(); }

  // HeaderMap::set_checked: for values known to be safe to write.
  void set(size_t slot, std::string_view value) {
    if (repeated_) return map_.set_checked(names_[slot], value);
    if (at_[slot] == kAbsent) {
      at_[slot] = static_cast<uint32_t>(map_.size());
      map_.add_checked(names_[slot].view(), value);
    } else {
      map_.replace_value(at_[slot], value);
    }
  }

  void remove(size_t slot) {
    if (repeated_) return map_.remove(names_[slot].view());
    uint32_t gone = at_[slot];
    if (gone == kAbsent) return;
    map_.remove(names_[slot].view());
    for (uint32_t& at : at_)
      if (at != kAbsent && at > gone) --at;
    at_[slot] = kAbsent;
  }

 private:
  HeaderMap& map_;
  const std::array<FieldName, N>& names_;
  std::array<uint32_t, N> at_;
  bool repeated_ = false;
};

}  // namespace meshsim::proxy
