/* Column-aligned tables as kubectl prints them: every column but the last
 * padded to its widest cell plus three spaces. */
#ifndef CERTLC_TABLE_H
#define CERTLC_TABLE_H

#include <stddef.h>
#include <stdio.h>

typedef struct certlc_table certlc_table;

certlc_table *certlc_table_new(size_t columns);
/* Copies the cells; exactly `columns` of them. Returns 0 or -1 (ENOMEM). */
int certlc_table_add(certlc_table *t, const char *const *cells);
void certlc_table_print(const certlc_table *t, FILE *out);
void certlc_table_free(certlc_table *t);
/* How many cells a row of T has (what a row printed later must fill). */
size_t certlc_table_columns(const certlc_table *t);

/* One row formatted with the widths of the table, for printing a row that
 * arrives later (get tcp -w) under a header printed earlier. */
void certlc_table_print_row(const certlc_table *t, const char *const *cells,
                            FILE *out);

#endif
