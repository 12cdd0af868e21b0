// A malloc call counter for LD_PRELOAD: `zoo bench` reads kiln_malloc_count() (when present) around
// Executable.run() to show that a compiled step allocates nothing. Build: gcc -O2 -shared -fPIC -o libkilncount.so
#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
static atomic_long calls = 0;

void *malloc(size_t n) {
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    return __libc_malloc(n);
}

long kiln_malloc_count(void) { return (long)atomic_load(&calls); }
