// Transparent huge pages for the large vectors a fit writes (its outputs, the
// response as doubles when it is not integers, zero offsets, the package's lazy
// vectors once written in full): on Linux, where the kernel gives
// huge pages to memory that asks for them
// (/sys/kernel/mm/transparent_hugepage/enabled set to "madvise" or "always"),
// fresh memory is then mapped 2 MB at a time instead of 4 KB at a time. On
// the virtual machines this package is measured on, a 4 KB page fault costs
// about 10 microseconds (2.6 ms for each MB written).
//
// Advice alone (madvise() on a vector R allocated) reaches only the whole
// 2 MB pages inside it; malloc() places a large block 16 bytes past a 4 KB
// boundary, so up to 2 MB at each end stays on 4 KB pages (about 1,000 faults
// for each vector). huge_doubles() therefore maps the vector 2 MB-aligned and
// 2 MB-sized, through R's custom allocators (Rf_allocVector3()), so that all
// of it lies on huge pages; R hands it back when it collects it. Elsewhere,
// under 4 MB, or when the kernel declines, the memory is ordinary: huge
// pages are never needed for a right answer.
//
// Memory given back to the system is not cheap to take again: on virtual
// machines that report free memory to their host (Linux's free page
// reporting), the host takes back the pages, and writing them again costs a
// fault at the host for each, 2-3 ms a MB on the machines this package is
// measured on, where memory a process has kept is written at 0.1 ms a MB.
// A mapping R gives back is therefore kept (up to kCacheBytes and
// kCacheCount in all, the oldest given back to the system first) and handed
// out again for a vector of its size (or up to half its size);
// kept mappings are marked MADV_FREE, so that the kernel may still take
// their pages when memory runs short (they then come back as fresh pages).
#ifndef GRADGLM_HUGE_PAGES_H
#define GRADGLM_HUGE_PAGES_H

#include <Rinternals.h>
#include <R_ext/Rallocators.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>

#if defined(__linux__)
#include <dlfcn.h>
#include <sys/mman.h>
#endif
// (where anonymous memory can be mapped and given back on its own)
#if defined(__linux__) && defined(MAP_ANONYMOUS)
#define GRADGLM_CAN_MAP 1
#else
#define GRADGLM_CAN_MAP 0
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
#if GRADGLM_CAN_MAP
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
#if GRADGLM_CAN_MAP
  munmap(p, bytes);
#else
  (void)p;
  (void)bytes;
#endif
}

// The mappings kept for reuse (their base and size), the oldest given back
// first. R's allocator calls come from R's main thread only (R allocates and
// collects there), so the cache takes no lock.
constexpr std::size_t kCacheBytes = std::size_t(1) << 30;  // 1 GB
constexpr std::size_t kCacheCount = 32;
struct MapCache {
  std::deque<std::pair<void*, std::size_t>> maps;
  std::size_t bytes = 0;
  double hits = 0, misses = 0;
};
inline MapCache& map_cache() {
  static MapCache* c = new MapCache();  // (never destroyed: R may free vectors at exit)
  return *c;
}
inline void drop_oldest() {
  MapCache& c = map_cache();
  unmap(c.maps.front().first, c.maps.front().second);
  c.bytes -= c.maps.front().second;
  c.maps.pop_front();
}
// Every kept mapping given back to the system.
inline void release_cache() {
  while (!map_cache().maps.empty()) drop_oldest();
}
// A kept mapping of `bytes` up to twice that (the smallest such), or nullptr.
inline std::pair<void*, std::size_t> take_cached(std::size_t bytes) {
  MapCache& c = map_cache();
  std::size_t best = c.maps.size();
  for (std::size_t i = 0; i < c.maps.size(); ++i) {
    const std::size_t sz = c.maps[i].second;
    if (sz >= bytes && sz / 2 <= bytes && (best == c.maps.size() || sz < c.maps[best].second)) best = i;
  }
  if (best == c.maps.size()) {
    c.misses += 1;
    return {nullptr, 0};
  }
  const std::pair<void*, std::size_t> out = c.maps[best];
  c.maps.erase(c.maps.begin() + (std::ptrdiff_t)best);
  c.bytes -= out.second;
  c.hits += 1;
  return out;
}
inline void keep_mapping(void* base, std::size_t bytes) {
  if (bytes > kCacheBytes) {
    unmap(base, bytes);
    return;
  }
#if GRADGLM_CAN_MAP && defined(MADV_FREE)
  (void)madvise(base, bytes, MADV_FREE);
#endif
  MapCache& c = map_cache();
  c.maps.emplace_back(base, bytes);
  c.bytes += bytes;
  while (c.bytes > kCacheBytes || c.maps.size() > kCacheCount) drop_oldest();
}

// R's custom allocator (R_ext/Rallocators.h): R asks for the vector's whole
// node (its header and data); the mapping's size is kept in the 64 bytes
// before the node, where the free function finds it.
constexpr std::size_t kHead = 64;
inline void* r_alloc(R_allocator_t*, std::size_t bytes) {
  const std::size_t total = round_up(bytes + kHead);
  std::pair<void*, std::size_t> m = take_cached(total);
  if (!m.first) {
    m = {map_aligned(total), total};
    if (!m.first && !map_cache().maps.empty()) {
      release_cache();
      m.first = map_aligned(total);
    }
  }
  if (!m.first) return nullptr;  // (R collects garbage, asks once more, then reports that it cannot allocate)
  *static_cast<std::size_t*>(m.first) = m.second;
  return static_cast<char*>(m.first) + kHead;
}
inline void r_free(R_allocator_t*, void* p) {
  char* base = static_cast<char*>(p) - kHead;
  keep_mapping(base, *reinterpret_cast<std::size_t*>(base));
}
// R calls r_free() whenever it collects such a vector, possibly after the
// package's namespace was unloaded (pkgload unloads the library): the
// library is therefore kept mapped for the rest of the session once it has
// made one (RTLD_NODELETE), as if it were never unloaded.
inline void keep_library_loaded() {
#if defined(__linux__) && defined(RTLD_NODELETE) && defined(RTLD_NOLOAD)
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&r_free), &info) && info.dli_fname) {
    (void)dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
  }
#endif
}
inline R_allocator_t* r_allocator() {
  static R_allocator_t a = {&r_alloc, &r_free, nullptr, nullptr};
  static const bool pinned = (keep_library_loaded(), true);
  (void)pinned;
  return &a;
}
inline bool can_map() { return GRADGLM_CAN_MAP != 0; }
}  // namespace huge_detail

// A new double vector of R (unprotected, not initialised) of length len:
// from 4 MB on, on its own 2 MB-aligned huge pages (a kept mapping of its
// size if there is one), kept for reuse when R collects the vector.
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

}  // namespace gradglm

#endif
