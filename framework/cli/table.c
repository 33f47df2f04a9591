#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"

struct certlc_table {
    size_t columns;
    size_t *width;
    char **cells; /* rows * columns */
    size_t rows, cap;
};

certlc_table *certlc_table_new(size_t columns)
{
    certlc_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->columns = columns;
    t->width = calloc(columns, sizeof *t->width);
    if (t->width == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

int certlc_table_add(certlc_table *t, const char *const *cells)
{
    /* A row of cells is the element. */
    char **c = certlc_grow(t->cells, t->rows, &t->cap,
                           t->columns * sizeof *c, 16);
    if (c == NULL)
        return -1;
    t->cells = c;
    char **row = &t->cells[t->rows * t->columns];
    for (size_t i = 0; i < t->columns; i++) {
        row[i] = strdup(cells[i] != NULL ? cells[i] : "");
        if (row[i] == NULL) {
            while (i-- > 0)
                free(row[i]);
            return -1;
        }
        size_t w = strlen(row[i]);
        if (w > t->width[i])
            t->width[i] = w;
    }
    t->rows++;
    return 0;
}

void certlc_table_print_row(const certlc_table *t, const char *const *cells,
                            FILE *out)
{
    for (size_t i = 0; i < t->columns; i++) {
        const char *c = cells[i] != NULL ? cells[i] : "";
        if (i + 1 == t->columns)
            fprintf(out, "%s\n", c);
        else
            fprintf(out, "%-*s   ", (int)t->width[i], c);
    }
}

void certlc_table_print(const certlc_table *t, FILE *out)
{
    for (size_t r = 0; r < t->rows; r++)
        certlc_table_print_row(
            t, (const char *const *)&t->cells[r * t->columns], out);
}

size_t certlc_table_columns(const certlc_table *t)
{
    return t->columns;
}

void certlc_table_free(certlc_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->rows * t->columns; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->width);
    free(t);
}
