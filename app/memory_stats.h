// The allocator's own figures, as Envoy's admin endpoint GET /memory gives
// them (admin.v3.Memory, envoy/api/envoy/admin/v3/memory.proto): what the
// program holds (allocated) against what the allocator keeps from the
// system (heap_size, free pages, thread caches). A soak reads both: a leak
// grows `allocated`; an allocator keeping freed pages grows only the rest.
#pragma once

#include <nlohmann/json.hpp>

namespace meshsim::app {

// {"allocated", "heap_size", "pageheap_unmapped", "pageheap_free",
//  "total_thread_cache", "total_physical_bytes"}, each a decimal string as
// proto3's JSON mapping writes a uint64 (and so Envoy does).
nlohmann::ordered_json memory_stats();

}  // namespace meshsim::app
