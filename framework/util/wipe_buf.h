/* A growable byte buffer for text that may hold a secret (a key in a
 * kubeconfig, a Secret's JSON, an etcd response): when it grows, the old
 * copy is cleansed before it is freed, so no stale copy of a key is left
 * on the heap; freeing it cleanses it too.
 */
#ifndef CERTLC_WIPE_BUF_H
#define CERTLC_WIPE_BUF_H

#include <stddef.h>

typedef struct certlc_wipe_buf {
    char *p;    /* NUL-terminated after n bytes once anything was added */
    size_t n;   /* bytes held */
    size_t cap; /* bytes allocated */
} certlc_wipe_buf;

/* Makes room for `more` bytes after the n held, and their NUL. 0, or -1
 * when out of memory (b unchanged). */
int certlc_wipe_buf_reserve(certlc_wipe_buf *b, size_t more);

/* Appends size bytes of data and a NUL after them. 0, or -1 when out of
 * memory (b unchanged). */
int certlc_wipe_buf_append(certlc_wipe_buf *b, const void *data, size_t size);

/* Cleanses and frees the bytes; b is empty again. */
void certlc_wipe_buf_free(certlc_wipe_buf *b);

#endif
