#include "err.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(certlc_err *err, const char *fmt, va_list ap)
{
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int certlc_err_set(certlc_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vset(err, fmt, ap);
    va_end(ap);
    return -1;
}

int certlc_err_ssl(certlc_err *err, const char *fmt, ...)
{
    if (err == NULL) {
        ERR_clear_error();
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    vset(err, fmt, ap);
    va_end(ap);

    const char *sep = ": ";
    unsigned long code;
    while ((code = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        size_t used = strlen(err->msg);
        snprintf(err->msg + used, sizeof err->msg - used, "%s%s", sep, buf);
        sep = "; ";
    }
    return -1;
}

void certlc_err_prefix(certlc_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    char prefix[CERTLC_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);

    /* Joined by hand: snprintf("%s: %s") of two full buffers is a
     * truncation warning under gcc, and truncation is what we want. */
    char old[CERTLC_ERR_MAX];
    memcpy(old, err->msg, sizeof old);
    size_t p = strlen(prefix), o = strnlen(old, sizeof old - 1);
    if (p > sizeof err->msg - 3)
        p = sizeof err->msg - 3;
    memcpy(err->msg, prefix, p);
    memcpy(err->msg + p, ": ", 2);
    size_t room = sizeof err->msg - p - 3;
    if (o > room)
        o = room;
    memcpy(err->msg + p + 2, old, o);
    err->msg[p + 2 + o] = '\0';
}

void certlc_err_ssl_clear(void)
{
    ERR_clear_error();
}
