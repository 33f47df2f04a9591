#include "get_tcp_watch.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* How often a quiet watch checks that its store is still there: a state
 * directory removed under it leaves inotify with nothing to report, ever
 * (certlc_store_lost; an etcd store is never lost). */
#define STORE_CHECK_MS 5000

static bool store_gone(certlc_cli *c)
{
    certlc_err err;
    if (!certlc_store_lost(c->store, &err))
        return false;
    fprintf(stderr, "certlc: the store is gone, stopping the watch: %s\n",
            err.msg);
    return true;
}

int certlc_tcp_watch(certlc_cli *c, const certlc_table *header,
                     const char *ns)
{
    certlc_err err;
    int fd = c->store->ops->watch_fd(c->store, &err);
    if (fd < 0) {
        fprintf(stderr, "certlc: cannot watch the store: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    size_t n = c->cfg->n_tenants;
    char(*last)[48] = calloc(n + 1, sizeof *last);
    if (last == NULL)
        return CERTLC_EXIT_FAIL;
    /* What the table just printed is the starting point. */
    for (size_t i = 0; i < n; i++) {
        certlc_tcp_status st;
        const certlc_tenant *t = &c->cfg->tenants[i];
        if (certlc_status_load(c->store, t->namespace, t->name, &st, &err) ==
            0)
            snprintf(last[i], sizeof last[i], "%s", st.phase);
    }
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, STORE_CHECK_MS);
        if (r < 0 && errno != EINTR)
            break;
        certlc_store_event evs[64];
        size_t got = 0;
        if (r > 0 &&
            c->store->ops->watch_read(c->store, evs, 64, &got, &err) != 0) {
            fprintf(stderr, "certlc: watch: %s\n", err.msg);
            break;
        }
        bool overflow = false;
        for (size_t k = 0; k < got; k++)
            overflow |= evs[k].overflow;
        if ((r == 0 || overflow) && store_gone(c))
            break;
        for (size_t i = 0; i < n; i++) {
            const certlc_tenant *t = &c->cfg->tenants[i];
            if (ns != NULL && strcmp(t->namespace, ns) != 0)
                continue;
            bool touched = false;
            for (size_t k = 0; k < got; k++)
                touched |= evs[k].overflow ||
                           (evs[k].status && strcmp(evs[k].ns, t->namespace) == 0 &&
                            strcmp(evs[k].name, t->name) == 0);
            certlc_tcp_status st;
            if (!touched || certlc_status_load(c->store, t->namespace,
                                               t->name, &st, &err) != 0 ||
                strcmp(st.phase, last[i]) == 0)
                continue;
            snprintf(last[i], sizeof last[i], "%s", st.phase);
            char cells[8][320];
            certlc_tcp_row(t, &st, cells);
            const char *row[] = {cells[7], cells[0], cells[1], cells[2],
                                 cells[3], cells[4], cells[5], cells[6]};
            certlc_table_print_row(header, ns == NULL ? row : row + 1, stdout);
            fflush(stdout);
        }
    }
    free(last);
    return CERTLC_EXIT_FAIL;
}
