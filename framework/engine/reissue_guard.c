/* The reissue loop guard (reissue_guard.h): a small table of keys, each
 * with the start of its window and its count. */
#include "reissue_guard.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *key;
    int64_t since; /* the first reissue of the window */
    int count;
} entry;

static entry *table;
static size_t n_table, cap_table;

/* Drops the entries whose window has ended: the table stays as small as
 * the number of Secrets reissued within the last hour. */
static void expire(int64_t now)
{
    size_t k = 0;
    for (size_t i = 0; i < n_table; i++) {
        if (now - table[i].since >= CERTLC_REISSUE_WINDOW ||
            now < table[i].since) { /* the clock stepped back */
            free(table[i].key);
            continue;
        }
        table[k++] = table[i];
    }
    n_table = k;
}

int certlc_reissue_guard_note(const char *key, int64_t now)
{
    expire(now);
    for (size_t i = 0; i < n_table; i++)
        if (strcmp(table[i].key, key) == 0)
            return ++table[i].count;
    if (n_table == cap_table) {
        size_t cap = cap_table ? cap_table * 2 : 16;
        entry *v = realloc(table, cap * sizeof *v);
        if (v == NULL)
            return -1;
        table = v;
        cap_table = cap;
    }
    char *k = strdup(key);
    if (k == NULL)
        return -1;
    table[n_table++] = (entry){k, now, 1};
    return 1;
}

int certlc_reissue_guard_limit(int64_t leaf_validity, int64_t renew_before,
                               bool for_age)
{
    if (!for_age)
        return CERTLC_REISSUE_LIMIT;
    int64_t every = leaf_validity - renew_before;
    if (every < 1)
        every = 1;
    int64_t n = CERTLC_REISSUE_WINDOW / every;
    return n > 100000 ? 100000 + CERTLC_REISSUE_LIMIT
                      : (int)n + CERTLC_REISSUE_LIMIT;
}

void certlc_reissue_guard_reset(void)
{
    for (size_t i = 0; i < n_table; i++)
        free(table[i].key);
    free(table);
    table = NULL;
    n_table = cap_table = 0;
}
