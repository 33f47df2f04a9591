/* Helpers shared by the datastore drivers: see drvutil.h. */
#include "drvutil.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int certlc_drv_errf(certlc_drv_err *err, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return rc;
}

void certlc_drv_append(char *buf, size_t size, const char *sep,
                       const char *s)
{
    size_t used = strlen(buf);
    if (used > 0)
        for (; *sep && used + 1 < size; sep++)
            buf[used++] = *sep;
    for (; *s && used + 1 < size; s++)
        buf[used++] = *s;
    buf[used] = '\0';
}

bool certlc_drv_split_endpoint(const char *ep, char *h, size_t hsize,
                               char *port, size_t psize)
{
    const char *colon = strrchr(ep, ':');
    if (colon == NULL)
        return false;
    const char *b = ep, *e = colon;
    if (*b == '[' && e > b && e[-1] == ']') {
        b++;
        e--;
    }
    if ((size_t)(e - b) >= hsize || strlen(colon + 1) >= psize)
        return false;
    memcpy(h, b, (size_t)(e - b));
    h[e - b] = '\0';
    snprintf(port, psize, "%s", colon + 1);
    return true;
}

int certlc_drv_new_password(char *out, size_t size)
{
    static const char set[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[64];
    if (size < 33 || getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < sizeof r && o < 32; i++)
        if (r[i] < 248) /* 248 = 4 * 62: no modulo bias */
            out[o++] = set[r[i] % 62];
    while (o < 32) { /* all but impossible: draw again */
        unsigned char c;
        if (getrandom(&c, 1, 0) != 1)
            return -1;
        if (c < 248)
            out[o++] = set[c % 62];
    }
    out[o] = '\0';
    explicit_bzero(r, sizeof r);
    return 0;
}

int certlc_drv_timeout_option(const certlc_drv_datastore *ds, long dflt,
                              long *secs, certlc_drv_err *err)
{
    *secs = dflt;
    for (size_t i = 0; i < ds->n_options; i++) {
        const char *v = ds->options[i].value;
        if (strcmp(ds->options[i].key, "timeout") != 0)
            continue;
        char *end;
        long t = strtol(v, &end, 10);
        if (*end != '\0' || t < 1 || t > 300)
            return certlc_drv_errf(err, CERTLC_DRV_ERROR, "%s: [datastore %s] "
                                   "timeout: \"%s\" is not a number of "
                                   "seconds (1-300)", ds->source, ds->name, v);
        *secs = t;
    }
    return CERTLC_DRV_OK;
}

int certlc_drv_tenant_password(const certlc_host *host, certlc_drv_call *call,
                               const certlc_drv_tenant *t, char *out,
                               size_t size, certlc_drv_err *err)
{
    if (t->password != NULL && *t->password != '\0') {
        snprintf(out, size, "%s", t->password);
        return CERTLC_DRV_OK;
    }
    certlc_drv_secret *s = NULL;
    int rc = host->secret_get(call, t->config_secret, &s, err);
    if (rc == CERTLC_DRV_NOTFOUND)
        return certlc_drv_errf(err, CERTLC_DRV_ERROR, "%s: no such Secret: "
                               "the tenant's password is unknown",
                               t->config_secret);
    if (rc != CERTLC_DRV_OK)
        return CERTLC_DRV_ERROR;
    out[0] = '\0';
    for (size_t i = 0; i < s->n_data; i++)
        if (strcmp(s->data[i].key, "DB_PASSWORD") == 0)
            snprintf(out, size, "%.*s", (int)s->data[i].len,
                     s->data[i].value);
    host->secret_free(s);
    if (out[0] == '\0')
        return certlc_drv_errf(err, CERTLC_DRV_ERROR, "%s: no DB_PASSWORD",
                               t->config_secret);
    return CERTLC_DRV_OK;
}

void certlc_drv_pin_library(const void *sym)
{
    static int pinned; /* one per driver: this file is built into each */
    Dl_info info;
    if (pinned || dladdr(sym, &info) == 0 || info.dli_fname == NULL)
        return;
    if (dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) != NULL)
        pinned = 1;
}

int certlc_drv_accept_any(void *p, certlc_drv_call *call,
                          const certlc_drv_tenant *t, const char *cert_pem,
                          size_t cert_len, certlc_drv_err *err)
{
    (void)p;
    (void)call;
    (void)t;
    if (cert_pem == NULL || cert_len == 0)
        return certlc_drv_errf(err, CERTLC_DRV_ERROR, "no certificate");
    return CERTLC_DRV_OK;
}

void certlc_drv_log_awaiting_external(const certlc_host *host,
                                      const char *driver,
                                      const certlc_drv_tenant *t,
                                      const char *reason)
{
    host->log(CERTLC_DRV_LOG_INFO, driver, "%s/%s: the datastore certificate "
              "is due (%s): awaiting the external PKI", t->namespace, t->name,
              reason);
}

void certlc_drv_tally_init(certlc_drv_tally *ta)
{
    ta->ok[0] = ta->bad[0] = '\0';
    ta->n = ta->n_ok = 0;
    ta->all_unreachable = true;
}

void certlc_drv_tally_add(certlc_drv_tally *ta, const char *ep, int rc,
                          const char *msg)
{
    ta->n++;
    if (rc == CERTLC_DRV_OK) {
        certlc_drv_append(ta->ok, sizeof ta->ok, ", ", ep);
        ta->n_ok++;
    } else {
        ta->all_unreachable &= rc == CERTLC_DRV_UNREACHABLE;
        certlc_drv_append(ta->bad, sizeof ta->bad, "; ", msg);
    }
}

int certlc_drv_tally_fail(const certlc_drv_tally *ta, certlc_drv_err *err)
{
    return certlc_drv_errf(err, ta->n_ok == 0 && ta->all_unreachable
                                    ? CERTLC_DRV_UNREACHABLE
                                    : CERTLC_DRV_ERROR,
                           "%s", ta->bad);
}

int certlc_drv_tally_end(const certlc_drv_tally *ta, certlc_drv_err *err)
{
    return ta->n_ok == ta->n ? CERTLC_DRV_OK : certlc_drv_tally_fail(ta, err);
}

/* ---- memfd files ---------------------------------------------------------
 *
 * Why a memfd: libpq and libmariadb take the CA, the client certificate
 * and above all the client key only as file names. Writing the key to a
 * temporary file would put it on a disk (and in backups, and leave it
 * behind on a crash); a memfd lives in memory only, dies with its last
 * descriptor, and /proc/self/fd/N names it for the library. */

int certlc_drv_memfile_open(certlc_drv_memfile *m, const char *name,
                            const char *pem, size_t len)
{
    m->fd = -1;
    m->path[0] = '\0';
    if (pem == NULL)
        return 0;
    m->fd = memfd_create(name, MFD_CLOEXEC);
    if (m->fd < 0)
        return -1;
    /* libpq refuses a key file that group or others may read. */
    if (fchmod(m->fd, 0600) != 0) {
        close(m->fd);
        m->fd = -1;
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(m->fd, pem + off, len - off);
        if (w <= 0) {
            close(m->fd);
            m->fd = -1;
            return -1;
        }
        off += (size_t)w;
    }
    snprintf(m->path, sizeof m->path, "/proc/self/fd/%d", m->fd);
    return 0;
}

void certlc_drv_memfile_close(certlc_drv_memfile *m)
{
    if (m->fd >= 0) {
        /* Overwrite the pages before they go back. */
        struct stat st;
        if (fstat(m->fd, &st) == 0 && st.st_size > 0) {
            static const char zero[4096];
            off_t left = st.st_size;
            lseek(m->fd, 0, SEEK_SET);
            while (left > 0) {
                size_t n = left > (off_t)sizeof zero ? sizeof zero
                                                      : (size_t)left;
                if (write(m->fd, zero, n) <= 0)
                    break;
                left -= (off_t)n;
            }
        }
        close(m->fd);
    }
    m->fd = -1;
}

int certlc_drv_issue(const certlc_host *host, certlc_drv_call *call,
                     const certlc_drv_cert_req *req, char **cert_pem,
                     size_t *cert_len, char **key_pem, size_t *key_len,
                     certlc_drv_err *err)
{
    if (CERTLC_HAS_FIELD(certlc_host, host->size, issue_cert_in) &&
        host->issue_cert_in != NULL)
        return host->issue_cert_in(call, req, cert_pem, cert_len, key_pem,
                                   key_len, err);
    return host->issue_cert(req, cert_pem, cert_len, key_pem, key_len, err);
}
