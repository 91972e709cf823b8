#ifndef JOURNEYS_CZLIB_SHIM_H
#define JOURNEYS_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 is a macro (it passes ZLIB_VERSION and sizeof(z_stream)), which Swift cannot call. */
static inline int journeys_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
static inline int journeys_deflateInit2(z_streamp strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}

#if defined(__GLIBC__)
#include <malloc.h>
#endif
/* Serve large buffers (the ~1 MiB line chunks) from malloc's heap instead of a fresh mmap each,
   whose pages the kernel would zero again every time. No-op off glibc. */
static inline void journeys_tune_malloc(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
}

/* Hands memory malloc holds free back to the kernel (between partitions of a run). */
static inline void journeys_release_free_memory(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
#endif
