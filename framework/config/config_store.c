/* The [store.etcd] section of certlc.ini.
 *
 *   [store.etcd]
 *   endpoints = https://10.0.0.1:2379, https://10.0.0.2:2379
 *   prefix = /certlc
 *   ca_cert = pki/etcd-ca.crt
 *   client_cert = pki/certlc.crt      ; CN-less with etcd 3.4 (see below)
 *   client_key = pki/certlc.key
 *   username = certlc                 ; optional: etcd auth
 *   password_file = pki/certlc.pass
 *
 * Kept apart from config.c so that the store's keys live in one place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "inifile.h"
#include "path.h"

static const char *const etcd_keys[] = {
    "endpoints", "prefix", "ca_cert", "client_cert", "client_key",
    "username", "password_file", NULL,
};

static char *dup_trim(const char *b, const char *e)
{
    while (b < e && (*b == ' ' || *b == '\t'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    char *d = malloc((size_t)(e - b) + 1);
    if (d != NULL) {
        memcpy(d, b, (size_t)(e - b));
        d[e - b] = '\0';
    }
    return d;
}

static int add_endpoints(certlc_etcd_config *ec, const certlc_ini_where *w,
                         const certlc_ini_kv *kv, certlc_err *err)
{
    const char *p = kv->value;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        char *ep = dup_trim(p, end);
        if (ep == NULL)
            return certlc_err_set(err, "out of memory");
        size_t n = strlen(ep);
        while (n > 0 && ep[n - 1] == '/')
            ep[--n] = '\0';
        if (strncmp(ep, "https://", 8) != 0 && strncmp(ep, "http://", 7) != 0) {
            certlc_ini_key_err(w, kv, err, "\"%s\" is not an http(s):// URL "
                               "(e.g. https://127.0.0.1:2379)", ep);
            free(ep);
            return -1;
        }
        char **v = realloc(ec->endpoints, (ec->n_endpoints + 1) * sizeof *v);
        if (v == NULL) {
            free(ep);
            return certlc_err_set(err, "out of memory");
        }
        ec->endpoints = v;
        v[ec->n_endpoints++] = ep;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

static int set_path(char **field, const char *value, const char *base_dir,
                    certlc_err *err)
{
    free(*field);
    *field = value[0] == '/' ? strdup(value) : certlc_path_join(base_dir, value);
    return *field == NULL ? certlc_err_set(err, "out of memory") : 0;
}

int certlc_config_store_etcd(certlc_config *cfg,
                             const struct certlc_ini_section *sec,
                             const char *file, const char *base_dir,
                             certlc_err *err)
{
    certlc_etcd_config *ec = &cfg->etcd;
    ec->prefix = strdup("/certlc");
    if (ec->prefix == NULL)
        return certlc_err_set(err, "out of memory");
    if (sec != NULL) {
        certlc_ini_where w = {file, sec->name};
        if (certlc_ini_check_keys(&w, sec, etcd_keys, NULL, err) != 0)
            return -1;
        for (size_t i = 0; i < sec->n_kv; i++) {
            const certlc_ini_kv *kv = &sec->kv[i];
            const char *k = kv->key, *v = kv->value;
            int rc = 0;
            if (strcmp(k, "endpoints") == 0) {
                rc = add_endpoints(ec, &w, kv, err);
            } else if (strcmp(k, "prefix") == 0) {
                size_t n = strlen(v);
                while (n > 1 && v[n - 1] == '/')
                    n--;
                if (v[0] != '/' || n < 2)
                    return certlc_ini_key_err(&w, kv, err, "\"%s\" must start "
                                              "with '/' and name something "
                                              "(e.g. /certlc)", v);
                free(ec->prefix);
                ec->prefix = dup_trim(v, v + n);
                rc = ec->prefix == NULL ? certlc_err_set(err, "out of memory") : 0;
            } else if (strcmp(k, "username") == 0) {
                free(ec->username);
                ec->username = v[0] != '\0' ? strdup(v) : NULL;
            } else {
                char **field = strcmp(k, "ca_cert") == 0       ? &ec->ca_cert
                               : strcmp(k, "client_cert") == 0 ? &ec->client_cert
                               : strcmp(k, "client_key") == 0  ? &ec->client_key
                                                               : &ec->password_file;
                if (v[0] == '\0')
                    return certlc_ini_key_err(&w, kv, err, "must not be empty");
                rc = set_path(field, v, base_dir, err);
            }
            if (rc != 0)
                return -1;
        }
        if ((ec->client_cert == NULL) != (ec->client_key == NULL))
            return certlc_err_set(err, "%s:%d: [%s] client_cert and client_key "
                                  "go together", file, sec->line, sec->name);
        if ((ec->username == NULL) != (ec->password_file == NULL))
            return certlc_err_set(err, "%s:%d: [%s] username and password_file "
                                  "go together", file, sec->line, sec->name);
    }
    if (cfg->store == CERTLC_STORE_ETCD && ec->n_endpoints == 0)
        return certlc_err_set(err, "%s: store = etcd needs a [store.etcd] "
                              "section with endpoints (e.g. endpoints = "
                              "https://127.0.0.1:2379)", file);
    return 0;
}

void certlc_etcd_config_fini(certlc_etcd_config *ec)
{
    for (size_t i = 0; i < ec->n_endpoints; i++)
        free(ec->endpoints[i]);
    free(ec->endpoints);
    free(ec->prefix);
    free(ec->ca_cert);
    free(ec->client_cert);
    free(ec->client_key);
    free(ec->username);
    free(ec->password_file);
    memset(ec, 0, sizeof *ec);
}
