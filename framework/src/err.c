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

    char old[CERTLC_ERR_MAX];
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
}

void certlc_err_ssl_clear(void)
{
    ERR_clear_error();
}
