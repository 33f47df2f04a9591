/* Error reporting: one sentence a person can act on.
 *
 * Every function that can fail takes a `certlc_err *` (which may be NULL) and
 * returns -1 (or NULL) after filling it. Callers add context in front with
 * certlc_err_prefix(), so the final message reads from the outside in:
 * "conf/tenants.d/a.ini:3: key 'port': not a number: 'x'".
 */
#ifndef CERTLC_ERR_H
#define CERTLC_ERR_H

#include <stddef.h>

#define CERTLC_ERR_MAX 1024

/* Status codes besides 0 (ok) and -1 (error, message in certlc_err). */
#define CERTLC_NOTFOUND 1
#define CERTLC_CONFLICT 2
/* A stored value that no configured encryption provider can decrypt
 * (encryption.h). Negative, so that a caller that does not know it treats
 * it as an error; it must never be taken for a missing or broken Secret
 * that may be replaced. */
#define CERTLC_UNDECRYPTABLE (-3)

typedef struct certlc_err {
    char msg[CERTLC_ERR_MAX];
} certlc_err;

#if defined(__GNUC__)
#define CERTLC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CERTLC_PRINTF(a, b)
#endif

/* Sets the message; returns -1 so that `return certlc_err_set(...)` reads well. */
int certlc_err_set(certlc_err *err, const char *fmt, ...) CERTLC_PRINTF(2, 3);

/* Like certlc_err_set, then appends ": " and every entry of OpenSSL's error
 * queue (which it drains), so no stale OpenSSL error leaks into a later call. */
int certlc_err_ssl(certlc_err *err, const char *fmt, ...) CERTLC_PRINTF(2, 3);

/* Puts "<context>: " in front of the current message. */
void certlc_err_prefix(certlc_err *err, const char *fmt, ...) CERTLC_PRINTF(2, 3);

/* Empties OpenSSL's error queue without reporting it. */
void certlc_err_ssl_clear(void);

#endif
