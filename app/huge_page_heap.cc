#include "app/huge_page_heap.h"

#if MESHSIM_HAVE_TCMALLOC
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <gperftools/malloc_extension.h>
#endif

namespace meshsim::app {

#if MESHSIM_HAVE_TCMALLOC
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
// Below this much heap, 4 KB pages: the TLB's reach is a few MB, and a
// 10-service run's heap is under 10 MB.
constexpr size_t kSmallHeap = size_t{16} << 20;
// Address space is reserved this much at a time (MAP_NORESERVE: nothing is
// committed until touched) and carved into what tcmalloc asks for, ~1 MB at
// a time, so that its spans fill whole 2 MB pages.
constexpr size_t kReservation = size_t{64} << 20;

uintptr_t round_up(uintptr_t n, size_t to) { return (n + to - 1) & ~(uintptr_t{to} - 1); }

// tcmalloc's source of system memory (gperftools' SysAllocator). tcmalloc
// calls Alloc only from TCMalloc_SystemAlloc, under that function's own
// lock (system-alloc.cc), so this needs no lock of its own.
class HugePageAllocator final : public SysAllocator {
 public:
  explicit HugePageAllocator(SysAllocator* small_heap) : small_heap_(small_heap) {}

  void* Alloc(size_t size, size_t* actual_size, size_t alignment) override {
    if (small_heap_bytes_ < kSmallHeap) {
      // tcmalloc's own allocator (brk, then mmap), exactly as without this one.
      size_t got = 0;
      void* memory = small_heap_->Alloc(size, &got, alignment);
      if (memory != nullptr) small_heap_bytes_ += got;
      if (actual_size != nullptr) *actual_size = got;
      return memory;
    }
    alignment = std::max<size_t>(alignment, 4096);
    size = round_up(size, 4096);
    if (!fits(size, alignment) && !reserve(size + alignment)) return small_heap_->Alloc(size, actual_size, alignment);
    uintptr_t at = round_up(next_, alignment);
    next_ = at + size;
    if (actual_size != nullptr) *actual_size = size;
    return reinterpret_cast<void*>(at);
  }

 private:
  bool fits(size_t size, size_t alignment) const { return next_ != 0 && round_up(next_, alignment) + size <= end_; }

  bool reserve(size_t at_least) {
    size_t length = std::max(kReservation, round_up(at_least, kHugePage));
    void* mapped = mmap(nullptr, length + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                        -1, 0);
    if (mapped == MAP_FAILED) return false;
    uintptr_t start = round_up(reinterpret_cast<uintptr_t>(mapped), kHugePage);
    madvise(reinterpret_cast<void*>(start), length, MADV_HUGEPAGE);  // advice: failure is harmless
    next_ = start;
    end_ = start + length;
    return true;
  }

  SysAllocator* small_heap_;
  size_t small_heap_bytes_ = 0;
  uintptr_t next_ = 0, end_ = 0;  // what is left of the current reservation
};

}  // namespace

void use_huge_pages_for_heap() {
  if (const char* setting = std::getenv("MESHSIM_HUGE_PAGES"); setting != nullptr && std::strcmp(setting, "off") == 0)
    return;
  // tcmalloc's own allocator exists once anything was allocated (before
  // main, always); without it there is nothing to fall back on.
  SysAllocator* small_heap = MallocExtension::instance()->GetSystemAllocator();
  if (small_heap == nullptr) return;
  // Never destroyed: tcmalloc may ask for memory until the process ends
  // (malloc_extension.h: a SysAllocator must outlive its use).
  static auto* allocator = new HugePageAllocator(small_heap);
  MallocExtension::instance()->SetSystemAllocator(allocator);
}
#else
void use_huge_pages_for_heap() {}
#endif

}  // namespace meshsim::app
