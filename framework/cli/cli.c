#include "cli.h"

#include <stdarg.h>
#include <stdio.h>


int certlc_cli_open(certlc_cli *c)
{
    certlc_err err;
    if (certlc_runtime_open(c, &err) != 0) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    return CERTLC_EXIT_OK;
}

/* Here and not in main.c: every command reports its usage errors through
 * it, and the commands must not call back into the entry point. */
int certlc_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "certlc: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nSee 'certlc %s%s--help'.\n", cmd ? cmd : "",
            cmd ? " " : "");
    va_end(ap);
    return CERTLC_EXIT_USAGE;
}
