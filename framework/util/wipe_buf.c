#include "wipe_buf.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int certlc_wipe_buf_reserve(certlc_wipe_buf *b, size_t more)
{
    if (more > SIZE_MAX / 2 - b->n - 1)
        return -1;
    size_t need = b->n + more + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap != 0 ? b->cap : 1024;
    while (cap < need)
        cap *= 2;
    /* A new block and a copy, never realloc: realloc may free the old
     * block without clearing it. */
    char *p = malloc(cap);
    if (p == NULL)
        return -1;
    if (b->p != NULL) {
        memcpy(p, b->p, b->n);
        OPENSSL_cleanse(b->p, b->cap);
        free(b->p);
    }
    p[b->n] = '\0';
    b->p = p;
    b->cap = cap;
    return 0;
}

int certlc_wipe_buf_append(certlc_wipe_buf *b, const void *data, size_t size)
{
    if (certlc_wipe_buf_reserve(b, size) != 0)
        return -1;
    memcpy(b->p + b->n, data, size);
    b->n += size;
    b->p[b->n] = '\0';
    return 0;
}

void certlc_wipe_buf_free(certlc_wipe_buf *b)
{
    if (b->p != NULL) {
        OPENSSL_cleanse(b->p, b->cap);
        free(b->p);
    }
    memset(b, 0, sizeof *b);
}
