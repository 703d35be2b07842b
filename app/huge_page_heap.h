// The heap in transparent huge pages once it outgrows the TLB's reach
// (issue 20). A 1,000-service mesh keeps ~80 MB of state that hops touch in
// no particular order; in 4 KB pages each of a hop's ~300 cold cache lines
// is also a TLB miss, and in a virtual machine a TLB miss walks two page
// tables. 2 MB pages cover that state with a few dozen TLB entries.
// Small processes (a 10-service run, `meshsim proxy`) stay in 4 KB pages:
// their heap fits the TLB's reach, and 2 MB pages would only round their
// RSS up.
// tcmalloc still returns free pages to the system (madvise DONTNEED, 8 KB
// at a time): a 2 MB page partly returned is split back into 4 KB ones,
// and the kernel's khugepaged may later merge it again, filling the
// returned part. Both stay within the heap's peak, rounded up to 2 MB.
#pragma once

namespace meshsim::app {

// Hands tcmalloc memory whose part past the first 16 MB is advised
// MADV_HUGEPAGE (the kernel's THP mode "madvise", Debian's default; "always"
// needs no advice, "never" ignores it). Call first thing in main(). A no-op
// without tcmalloc (sanitizer builds) or with MESHSIM_HUGE_PAGES=off in the
// environment (no advice; for before/after measurements in one binary).
void use_huge_pages_for_heap();

}  // namespace meshsim::app
