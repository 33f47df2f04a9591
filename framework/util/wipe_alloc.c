#include "wipe_alloc.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>

/* Each block is preceded by its size, so that free knows what to wipe. The
 * header keeps max_align_t alignment for the caller's part. */
typedef union header {
    size_t size;
    max_align_t align;
} header;

static void *wipe_malloc(size_t size)
{
    header *h = malloc(sizeof *h + size);
    if (h == NULL)
        return NULL;
    h->size = size;
    return h + 1;
}

static void wipe_free(void *p)
{
    if (p == NULL)
        return;
    header *h = (header *)p - 1;
    OPENSSL_cleanse(p, h->size);
    free(h);
}

void certlc_wipe_alloc_install(void)
{
    json_set_alloc_funcs(wipe_malloc, wipe_free);
}

void certlc_json_free(void *p)
{
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    if (p != NULL)
        (f != NULL ? f : free)(p);
}
