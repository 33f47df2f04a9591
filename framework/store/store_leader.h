/* How a store fills the certlc_store_leader it answers with (store.h):
 * one field a call, in the order of the table's columns. */
#ifndef CERTLC_STORE_LEADER_H
#define CERTLC_STORE_LEADER_H

#include "store.h"

/* A field shown as text in the table and as the JSON string str (text
 * when str is NULL). header NULL: in -o json|yaml only. */
void certlc_store_leader_add(certlc_store_leader *l, const char *key,
                             const char *header, int width, const char *text,
                             const char *str);
/* A field shown as text in the table and as the JSON number n. */
void certlc_store_leader_add_number(certlc_store_leader *l, const char *key,
                                    const char *header, int width,
                                    const char *text, long long n);

#endif
