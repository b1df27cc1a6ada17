// Transparent huge pages for the large buffers a fit writes (its outputs, its
// row sample, R's unit weights and zero offsets): on Linux, where the kernel
// gives huge pages to memory that asks for them
// (/sys/kernel/mm/transparent_hugepage/enabled set to "madvise" or "always"),
// fresh memory is then mapped 2 MB at a time instead of 4 KB at a time. On
// the virtual machines this package is measured on, a 4 KB page fault costs
// about 10 microseconds (2.6 ms for each MB written), a fresh 2 MB page about
// 0.1 ms.
//
// Advice alone (advise_huge_pages()) reaches only the whole 2 MB pages inside
// a buffer; malloc() places a large buffer 16 bytes past a 4 KB boundary, so
// up to 2 MB at each end stays on 4 KB pages (about 1,000 faults for each
// buffer). The buffers below are therefore mapped 2 MB-aligned and 2 MB-sized
// (HugeDoubles for the engine's own buffers, huge_doubles() for R vectors,
// through R's custom allocators: Rf_allocVector3()), so that every byte of
// them lies on huge pages. Elsewhere, for buffers under 4 MB, or when the
// kernel declines, the memory is ordinary: huge pages are never needed for a
// right answer.
#ifndef GRADGLM_HUGE_PAGES_H
#define GRADGLM_HUGE_PAGES_H

#include <Rinternals.h>
#include <R_ext/Rallocators.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace gradglm {

namespace huge_detail {
constexpr std::size_t kHuge = std::size_t(1) << 21;  // 2 MB
// buffers from this size on are mapped on their own
constexpr std::size_t kMapFrom = 2 * kHuge;

inline std::size_t round_up(std::size_t bytes) { return (bytes + kHuge - 1) & ~(kHuge - 1); }

// A 2 MB-aligned mapping of `bytes` (a multiple of 2 MB) asked for as huge
// pages, or nullptr (no mmap on this system, or no room).
inline void* map_aligned(std::size_t bytes) {
#if defined(__linux__) && defined(MAP_ANONYMOUS)
  void* raw = mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const std::uintptr_t r = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t a = (r + kHuge - 1) & ~(std::uintptr_t)(kHuge - 1);
  // (the unaligned head and the tail beyond the buffer go back at once)
  if (a > r) munmap(raw, a - r);
  if (r + kHuge > a) munmap(reinterpret_cast<void*>(a + bytes), r + kHuge - a);
#if defined(MADV_HUGEPAGE)
  (void)madvise(reinterpret_cast<void*>(a), bytes, MADV_HUGEPAGE);
#endif
  return reinterpret_cast<void*>(a);
#else
  (void)bytes;
  return nullptr;
#endif
}

inline void unmap(void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MAP_ANONYMOUS)
  munmap(p, bytes);
#else
  (void)p;
  (void)bytes;
#endif
}

// R's custom allocator (R_ext/Rallocators.h): R asks for the vector's whole
// node (its header and data); the mapping's size is kept in the 64 bytes
// before the node, where the free function finds it.
constexpr std::size_t kHead = 64;
inline void* r_alloc(R_allocator_t*, std::size_t bytes) {
  const std::size_t total = round_up(bytes + kHead);
  void* base = map_aligned(total);
  if (!base) return nullptr;  // (R collects garbage, asks once more, then reports that it cannot allocate)
  *static_cast<std::size_t*>(base) = total;
  return static_cast<char*>(base) + kHead;
}
inline void r_free(R_allocator_t*, void* p) {
  char* base = static_cast<char*>(p) - kHead;
  unmap(base, *reinterpret_cast<std::size_t*>(base));
}
inline R_allocator_t* r_allocator() {
  static R_allocator_t a = {&r_alloc, &r_free, nullptr, nullptr};
  return &a;
}
inline bool can_map() {
#if defined(__linux__) && defined(MAP_ANONYMOUS)
  return true;
#else
  return false;
#endif
}
}  // namespace huge_detail

// Advice for a buffer allocated elsewhere (the whole 2 MB pages inside it).
// Call it before the buffer is first written.
inline void advise_huge_pages(void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const std::uintptr_t huge = huge_detail::kHuge;
  if (!p || bytes < 2 * huge) return;
  const std::uintptr_t start = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
  const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
  if (end > start) (void)madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

// A new double vector of R (unprotected, not initialised) of length len:
// from 4 MB on, on its own 2 MB-aligned huge pages, returned to the system
// when R collects the vector.
inline SEXP huge_doubles(R_xlen_t len) {
  if (huge_detail::can_map() && sizeof(double) * (std::size_t)len >= huge_detail::kMapFrom) {
    return Rf_allocVector3(REALSXP, len, huge_detail::r_allocator());
  }
  return Rf_allocVector(REALSXP, len);
}

// An n x m double matrix of R, as huge_doubles() (unprotected).
inline SEXP huge_double_matrix(R_xlen_t n, int m) {
  SEXP out = PROTECT(huge_doubles(n * m));
  SEXP dim = PROTECT(Rf_allocVector(INTSXP, 2));
  INTEGER(dim)[0] = (int)n;
  INTEGER(dim)[1] = m;
  Rf_setAttrib(out, R_DimSymbol, dim);
  UNPROTECT(2);
  return out;
}

// The engine's own buffer of n doubles (not initialised), as huge_doubles():
// mapped on huge pages from 4 MB on, from malloc() below that or where
// mapping fails. Throws std::bad_alloc when there is no room.
class HugeDoubles {
 public:
  HugeDoubles() = default;
  explicit HugeDoubles(std::size_t n) : bytes_(sizeof(double) * n) {
    if (bytes_ >= huge_detail::kMapFrom) {
      mapped_bytes_ = huge_detail::round_up(bytes_);
      p_ = static_cast<double*>(huge_detail::map_aligned(mapped_bytes_));
      if (!p_) mapped_bytes_ = 0;
    }
    if (!p_ && n) {
      p_ = static_cast<double*>(std::malloc(bytes_));
      if (!p_) throw std::bad_alloc();
    }
  }
  ~HugeDoubles() { release(); }
  HugeDoubles(const HugeDoubles&) = delete;
  HugeDoubles& operator=(const HugeDoubles&) = delete;
  double* data() { return p_; }
  const double* data() const { return p_; }

 private:
  void release() {
    if (mapped_bytes_) {
      huge_detail::unmap(p_, mapped_bytes_);
    } else {
      std::free(p_);
    }
    p_ = nullptr;
  }
  double* p_ = nullptr;
  std::size_t bytes_ = 0, mapped_bytes_ = 0;
};

}  // namespace gradglm

#endif
