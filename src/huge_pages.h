// Transparent huge pages for the large buffers a fit writes (its outputs and
// its row sample): on Linux, where the kernel gives huge pages to memory
// that asks for them (/sys/kernel/mm/transparent_hugepage/enabled set to
// "madvise" or "always"), fresh memory is then mapped 2 MB at a time instead
// of 4 KB at a time, so that writing a new 8 MB vector costs 4 page faults
// instead of 2,048. Advice only: elsewhere, or when the kernel declines, the
// memory behaves as before. Call it before the buffer is first written.
#ifndef GRADGLM_HUGE_PAGES_H
#define GRADGLM_HUGE_PAGES_H

#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace gradglm {

inline void advise_huge_pages(void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const std::uintptr_t huge = std::uintptr_t(1) << 21;  // 2 MB
  if (!p || bytes < 2 * huge) return;
  // (the whole huge pages inside the buffer)
  const std::uintptr_t start = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
  const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
  if (end > start) (void)madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace gradglm

#endif
