#include "store_leader.h"

#include <stdio.h>

static certlc_store_leader_field *add(certlc_store_leader *l, const char *key,
                                     const char *header, int width,
                                     const char *text)
{
    if (l->n == CERTLC_STORE_LEADER_MAX)
        return NULL;
    certlc_store_leader_field *f = &l->f[l->n++];
    f->key = key;
    f->header = header;
    f->width = width;
    snprintf(f->text, sizeof f->text, "%s", text);
    f->str[0] = '\0';
    f->is_number = false;
    f->number = 0;
    return f;
}

void certlc_store_leader_add(certlc_store_leader *l, const char *key,
                             const char *header, int width, const char *text,
                             const char *str)
{
    certlc_store_leader_field *f = add(l, key, header, width, text);
    if (f != NULL)
        snprintf(f->str, sizeof f->str, "%s", str != NULL ? str : text);
}

void certlc_store_leader_add_number(certlc_store_leader *l, const char *key,
                                    const char *header, int width,
                                    const char *text, long long n)
{
    certlc_store_leader_field *f = add(l, key, header, width, text);
    if (f != NULL) {
        f->is_number = true;
        f->number = n;
    }
}
