#include "app/memory_stats.h"

#include <cstdint>
#include <string>

#if MESHSIM_HAVE_TCMALLOC
#include <gperftools/malloc_extension.h>
#else
#include <malloc.h>
#endif

namespace meshsim::app {

namespace {

nlohmann::ordered_json figures(uint64_t allocated, uint64_t heap_size, uint64_t unmapped, uint64_t free,
                               uint64_t thread_cache) {
  return {{"allocated", std::to_string(allocated)},
          {"heap_size", std::to_string(heap_size)},
          {"pageheap_unmapped", std::to_string(unmapped)},
          {"pageheap_free", std::to_string(free)},
          {"total_thread_cache", std::to_string(thread_cache)},
          // What Envoy reports for gperftools (source/common/memory/stats.cc):
          // the heap less its unmapped pages.
          {"total_physical_bytes", std::to_string(heap_size - unmapped)}};
}

}  // namespace

nlohmann::ordered_json memory_stats() {
#if MESHSIM_HAVE_TCMALLOC
  auto property = [](const char* name) {
    size_t value = 0;
    MallocExtension::instance()->GetNumericProperty(name, &value);
    return static_cast<uint64_t>(value);
  };
  return figures(property("generic.current_allocated_bytes"), property("generic.heap_size"),
                 property("tcmalloc.pageheap_unmapped_bytes"), property("tcmalloc.pageheap_free_bytes"),
                 property("tcmalloc.current_total_thread_cache_bytes"));
#else
  // glibc's malloc (sanitizer builds bring their own and may report zeros):
  // in use, mapped (arenas and mmapped chunks), and free in the arenas.
  struct mallinfo2 info = mallinfo2();
  return figures(info.uordblks + info.hblkhd, info.arena + info.hblkhd, 0, info.fordblks, 0);
#endif
}

}  // namespace meshsim::app
