// Counts heap allocations by defining the C allocator's entry points in the executable.
//
// The dynamic linker binds every reference to malloc & co. in the process — libswiftCore,
// Foundation, libc itself — to the first definition in lookup order, and the executable comes
// first. These definitions count (when enabled) and forward to glibc's own allocator through
// its exported __libc_* entry points, so memory stays glibc's (malloc_usable_size, mallopt and
// frees of memory allocated before counting started all keep working). The executable must
// export them in its dynamic symbol table: the linker does so for a symbol that a shared
// library it links against also defines or references, and journeys-microbench checks at start
// that an allocation made by the Swift runtime moves the counter.
#include "CAllocCount.h"

#if defined(__linux__) && defined(__GLIBC__)
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

static atomic_int enabled;
static atomic_ullong allocations;
static atomic_ullong frees;
static atomic_ullong bytes;

static inline void count_alloc(size_t size) {
    if (atomic_load_explicit(&enabled, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&bytes, size, memory_order_relaxed);
    }
}

static inline void count_free(void) {
    if (atomic_load_explicit(&enabled, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&frees, 1, memory_order_relaxed);
    }
}

void *malloc(size_t size) {
    count_alloc(size);
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    count_alloc(count * size);
    return __libc_calloc(count, size);
}

void *realloc(void *ptr, size_t size) {
    if (ptr == NULL) {
        count_alloc(size);
    } else if (size == 0) {
        count_free();
    } else {
        count_alloc(size); // a resize may move the block: count it as an allocation
    }
    return __libc_realloc(ptr, size);
}

void free(void *ptr) {
    if (ptr != NULL) count_free();
    __libc_free(ptr);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    count_alloc(size);
    void *p = __libc_memalign(alignment, size);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    count_alloc(size);
    return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    count_alloc(size);
    return __libc_memalign(alignment, size);
}

void *valloc(size_t size) {
    count_alloc(size);
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    count_alloc(size);
    return __libc_pvalloc(size);
}

int journeys_alloc_count_supported(void) { return 1; }

void journeys_alloc_count_enable(int on) { atomic_store(&enabled, on ? 1 : 0); }

void journeys_alloc_count_reset(void) {
    atomic_store(&allocations, 0);
    atomic_store(&frees, 0);
    atomic_store(&bytes, 0);
}

journeys_alloc_counts journeys_alloc_count_read(void) {
    journeys_alloc_counts c;
    c.allocations = atomic_load(&allocations);
    c.frees = atomic_load(&frees);
    c.bytes = atomic_load(&bytes);
    return c;
}

#else

int journeys_alloc_count_supported(void) { return 0; }
void journeys_alloc_count_enable(int on) { (void)on; }
void journeys_alloc_count_reset(void) {}
journeys_alloc_counts journeys_alloc_count_read(void) {
    journeys_alloc_counts c = {0, 0, 0};
    return c;
}

#endif
