#include "deadline.h"

#include <stdlib.h>

#include "grow.h"

static void swap(certlc_deadline *a, certlc_deadline *b)
{
    certlc_deadline t = *a;
    *a = *b;
    *b = t;
}

int certlc_deadlines_push(certlc_deadlines *q, certlc_deadline d)
{
    certlc_deadline *h = certlc_grow(q->heap, q->n, &q->cap, sizeof *h, 64);
    if (h == NULL)
        return -1;
    q->heap = h;
    size_t i = q->n++;
    q->heap[i] = d;
    while (i > 0 && q->heap[(i - 1) / 2].at > q->heap[i].at) {
        swap(&q->heap[(i - 1) / 2], &q->heap[i]);
        i = (i - 1) / 2;
    }
    return 0;
}

const certlc_deadline *certlc_deadlines_peek(const certlc_deadlines *q)
{
    return q->n > 0 ? &q->heap[0] : NULL;
}

void certlc_deadlines_pop(certlc_deadlines *q)
{
    if (q->n == 0)
        return;
    q->heap[0] = q->heap[--q->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->n && q->heap[l].at < q->heap[m].at)
            m = l;
        if (r < q->n && q->heap[r].at < q->heap[m].at)
            m = r;
        if (m == i)
            break;
        swap(&q->heap[i], &q->heap[m]);
        i = m;
    }
}

void certlc_deadlines_free(certlc_deadlines *q)
{
    free(q->heap);
    q->heap = NULL;
    q->n = q->cap = 0;
}
