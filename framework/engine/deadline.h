/* A priority queue of deadlines: (time, tenant index) pairs, earliest first.
 * Entries are never removed from the middle: a tenant's newer deadline is
 * pushed with a higher generation and stale ones are skipped when popped. */
#ifndef CERTLC_DEADLINE_H
#define CERTLC_DEADLINE_H

#include <stddef.h>
#include <stdint.h>

typedef struct certlc_deadline {
    int64_t at;
    size_t tenant;
    uint64_t generation;
} certlc_deadline;

typedef struct certlc_deadlines {
    certlc_deadline *heap;
    size_t n, cap;
} certlc_deadlines;

int certlc_deadlines_push(certlc_deadlines *q, certlc_deadline d);
/* The earliest entry, or NULL when empty. */
const certlc_deadline *certlc_deadlines_peek(const certlc_deadlines *q);
void certlc_deadlines_pop(certlc_deadlines *q);
void certlc_deadlines_free(certlc_deadlines *q);

#endif
