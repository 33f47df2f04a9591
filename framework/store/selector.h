/* Label selectors in kubectl's syntax: comma-separated requirements, each one
 * of `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`.
 * All requirements must hold. */
#ifndef CERTLC_SELECTOR_H
#define CERTLC_SELECTOR_H

#include <stdbool.h>

#include "err.h"
#include "secret.h"

typedef struct certlc_selector certlc_selector;

/* NULL or "" selects everything. Errors quote the offending text. */
certlc_selector *certlc_selector_parse(const char *text, certlc_err *err);
bool certlc_selector_match(const certlc_selector *sel,
                           const certlc_kvlist *labels);
void certlc_selector_free(certlc_selector *sel);

/* What a listing does with each Secret it read: s goes into out when sel
 * matches its labels, and is freed otherwise. 0, or -1 out of memory (s
 * freed). */
int certlc_selector_keep(const certlc_selector *sel, certlc_secret *s,
                         certlc_secret_list *out);

/* The selector in canonical text (`==` written `=`, no blanks but the one
 * before `in`/`notin` and after them): parsing it gives the same selector.
 * malloc'd; NULL when out of memory. "" for the select-everything one. */
char *certlc_selector_format(const certlc_selector *sel);

#endif
