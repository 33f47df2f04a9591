/* Standard base64 (RFC 4648, with padding), as Kubernetes uses for Secret data
 * and kubeconfig *-data fields. */
#ifndef CERTLC_BASE64_H
#define CERTLC_BASE64_H

#include <stddef.h>

/* malloc'd, NUL-terminated; *out_len excludes the NUL. NULL on ENOMEM. */
char *certlc_base64_encode(const void *in, size_t len, size_t *out_len);
/* malloc'd with a NUL after the data; NULL when `in` is not valid base64
 * (whitespace is not accepted). */
unsigned char *certlc_base64_decode(const char *in, size_t len,
                                    size_t *out_len);

#endif
