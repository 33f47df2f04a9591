/* `certlc get secrets -w` and `certlc get events -w`: after the listing,
 * one line per change, as kubectl's watch prints them. */
#ifndef CERTLC_GET_WATCH_H
#define CERTLC_GET_WATCH_H

#include <stdbool.h>

#include "cli.h"
#include "events.h"
#include "selector.h"
#include "table.h"

/* The cells of one Secret row (cells has room for the table's columns);
 * returns how many it filled. Strings are malloc'd. */
typedef size_t (*certlc_secret_row_fn)(const certlc_secret *s, void *ctx,
                                       char **cells);

/* Prints a row (widths of HEADER) for each Secret of namespace NS (NULL:
 * all) matching SEL and, when N_NAMES > 0, one of NAMES, whenever it is
 * created, changed or deleted (a deleted Secret shows its last row).
 * Returns only on a watch error. */
int certlc_secret_watch(certlc_cli *c, const certlc_table *header,
                        const char *ns, const certlc_selector *sel,
                        char **names, int n_names, certlc_secret_row_fn row,
                        void *ctx);

/* Prints each event recorded after SHOWN (the events already listed) for
 * the tenants of NS (NULL: all), ONLY (NULL: every tenant), one line each
 * in the columns of `get events`. Returns only on a watch error. */
int certlc_events_watch(certlc_cli *c, const char *ns, const char *only,
                        const certlc_event_list *shown, bool wide);

#endif
