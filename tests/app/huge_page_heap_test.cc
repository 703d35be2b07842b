// The heap past its first 16 MB is advised MADV_HUGEPAGE (app/huge_page_heap.h).
// The kernel shows the advice as the "hg" flag of the mapping in
// /proc/self/smaps (Documentation/filesystems/proc.rst, VmFlags), whatever
// its THP mode; whether it then backs the mapping with 2 MB pages is its
// choice, so the test checks the advice, not the pages.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "app/huge_page_heap.h"

namespace {

#if MESHSIM_HAVE_TCMALLOC
// The VmFlags of the mapping holding `address`, or "" if none does.
std::string vm_flags_of(const void* address) {
  auto at = reinterpret_cast<uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t from = 0, to = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> from >> dash >> to && dash == '-' && line.find(' ') != std::string::npos &&
        line.find(':') > line.find(' ')) {
      inside = from <= at && at < to;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

bool has_flag(const std::string& vm_flags, const std::string& flag) {
  std::istringstream words(vm_flags);
  std::string word;
  while (words >> word)
    if (word == flag) return true;
  return false;
}
#endif

TEST(HugePageHeap, MemoryPastTheSmallHeapIsAdvisedHugePages) {
#if !MESHSIM_HAVE_TCMALLOC
  GTEST_SKIP() << "built without tcmalloc (a sanitizer build): the heap is glibc's, left as it is";
#else
  if (!std::filesystem::exists("/sys/kernel/mm/transparent_hugepage/enabled"))
    GTEST_SKIP() << "this kernel has no transparent huge pages";
  unsetenv("MESHSIM_HUGE_PAGES");  // the test checks the advice given, not the switch
  meshsim::app::use_huge_pages_for_heap();
  // 1 MB blocks go to tcmalloc's page heap, which asks the system for more
  // as they add up: the first from the small heap, the last past it.
  std::vector<char*> blocks;
  for (int i = 0; i < 48; ++i) {
    blocks.push_back(static_cast<char*>(std::malloc(size_t{1} << 20)));
    std::memset(blocks.back(), 1, size_t{1} << 20);
  }
  std::string first = vm_flags_of(blocks.front()), last = vm_flags_of(blocks.back());
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(last.empty());
  EXPECT_FALSE(has_flag(first, "hg")) << first;
  EXPECT_TRUE(has_flag(last, "hg")) << last;
  for (char* block : blocks) std::free(block);
#endif
}

}  // namespace
