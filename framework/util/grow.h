/* Growing an array one element at a time, by doubling: the one way the
 * core makes room in its lists, queues and tables. Inline, so that every
 * module that grows an array links nothing more. */
#ifndef CERTLC_GROW_H
#define CERTLC_GROW_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Room for one more element in the array v of n elements of elem bytes
 * that has room for *cap: v itself when n < *cap; else v reallocated to
 * twice *cap (`first` when *cap is 0), *cap updated. NULL when out of
 * memory (v and *cap are then untouched, v still valid). */
static inline void *certlc_grow(void *v, size_t n, size_t *cap, size_t elem,
                                size_t first)
{
    if (n < *cap)
        return v;
    size_t want = *cap ? *cap * 2 : first;
    if (want < *cap || (elem != 0 && want > SIZE_MAX / elem))
        return NULL;
    void *nv = realloc(v, want * elem);
    if (nv != NULL)
        *cap = want;
    return nv;
}

#endif
