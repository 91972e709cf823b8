#ifndef JOURNEYS_ALLOC_COUNT_H
#define JOURNEYS_ALLOC_COUNT_H
#include <stdint.h>

/// Heap allocation counts while counting was on.
typedef struct {
    /// malloc, calloc, realloc (to a new size), posix_memalign, aligned_alloc, memalign, valloc, pvalloc.
    uint64_t allocations;
    /// free (of a non-null pointer), and realloc to size 0.
    uint64_t frees;
    /// Bytes requested by the allocations.
    uint64_t bytes;
} journeys_alloc_counts;

/// 1 when this build replaces the C allocator with the counting one (Linux, glibc), else 0.
int journeys_alloc_count_supported(void);
/// Turns counting on (non-zero) or off. Counting is off at start; the counters are process-wide and atomic.
void journeys_alloc_count_enable(int on);
/// Sets the counters to zero.
void journeys_alloc_count_reset(void);
/// The counters now.
journeys_alloc_counts journeys_alloc_count_read(void);

#endif
