#include "datastore.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "inifile.h"
#include "names.h"
#include "path.h"

const char *const certlc_datastore_keys[] = {
    "driver", "endpoints", "ca_cert", "ca_key", "client_cert", "client_key",
    "username", "password_file", NULL,
};

static void ds_fini(certlc_datastore *d)
{
    free(d->name);
    free(d->driver);
    for (size_t i = 0; i < d->n_endpoints; i++)
        free(d->endpoints[i]);
    free(d->endpoints);
    free(d->ca_cert);
    free(d->ca_key);
    free(d->client_cert);
    free(d->client_key);
    free(d->username);
    free(d->password_file);
    for (size_t i = 0; i < d->n_options; i++) {
        free(d->options[i].key);
        free(d->options[i].value);
    }
    free(d->options);
    free(d->file);
    free(d->source);
    memset(d, 0, sizeof *d);
}

void certlc_datastores_free(certlc_datastore *ds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ds_fini(&ds[i]);
    free(ds);
}

const certlc_datastore *certlc_datastore_find(const certlc_datastore *ds,
                                              size_t n, const char *name)
{
    for (size_t i = 0; name != NULL && i < n; i++)
        if (strcmp(ds[i].name, name) == 0)
            return &ds[i];
    return NULL;
}

static bool is_common(const char *key)
{
    for (size_t i = 0; certlc_datastore_keys[i] != NULL; i++)
        if (strcmp(certlc_datastore_keys[i], key) == 0)
            return true;
    return false;
}

/* "host:port", "[v6]:port": a non-empty host without spaces, a port. */
static bool is_endpoint(const char *s)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s || colon[1] == '\0')
        return false;
    if (s[0] == '[' && colon[-1] != ']')
        return false;
    for (const char *p = s; p < colon; p++)
        if (*p == ' ' || *p == '\t' || *p == '/')
            return false;
    long port = 0;
    for (const char *p = colon + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        port = port * 10 + (*p - '0');
        if (port > 65535)
            return false;
    }
    return port > 0;
}

static int add_endpoints(certlc_datastore *d, const certlc_ini_where *w,
                         const certlc_ini_kv *kv, certlc_err *err)
{
    const char *p = kv->value;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *e = end;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (p == e)
            return certlc_ini_key_err(w, kv, err, "empty entry in \"%s\" (use "
                                      "host:port, comma-separated)", kv->value);
        char *ep = strndup(p, (size_t)(e - p));
        if (ep == NULL)
            return certlc_err_set(err, "out of memory");
        if (!is_endpoint(ep)) {
            certlc_ini_key_err(w, kv, err, "\"%s\" is not host:port", ep);
            free(ep);
            return -1;
        }
        char **v = realloc(d->endpoints, (d->n_endpoints + 1) * sizeof *v);
        if (v == NULL) {
            free(ep);
            return certlc_err_set(err, "out of memory");
        }
        d->endpoints = v;
        v[d->n_endpoints++] = ep;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

/* A path relative to the folder of the file that names it. */
static char *resolve(const char *base, const char *value)
{
    if (value[0] == '/')
        return strdup(value);
    return certlc_path_join(base, value);
}

/* The NAME of a [datastore NAME] section into *out. */
static int section_name(const certlc_ini_section *sec, const char *file,
                        const char **out, certlc_err *err)
{
    const char *name = NULL;
    if (strncmp(sec->name, "datastore", 9) == 0 &&
        (sec->name[9] == ' ' || sec->name[9] == '\t' || sec->name[9] == '\0')) {
        name = sec->name + 9;
        while (*name == ' ' || *name == '\t')
            name++;
    }
    if (name == NULL)
        return certlc_err_set(err, "%s:%d: unknown section [%s] (datastore "
                              "files hold [datastore NAME] sections)", file,
                              sec->line, sec->name);
    if (*name == '\0')
        return certlc_err_set(err, "%s:%d: [datastore] needs a name: "
                              "[datastore NAME]", file, sec->line);
    if (!certlc_dns1123_label(name))
        return certlc_err_set(err, "%s:%d: datastore name \"%s\" is not a "
                              "DNS-1123 label (lowercase letters, digits and "
                              "'-', at most 63)", file, sec->line, name);
    *out = name;
    return 0;
}

/* A key that is not one of the common ones: the driver's option. */
static int add_option(certlc_datastore *d, const certlc_ini_kv *kv,
                      certlc_err *err)
{
    certlc_ds_option *o = realloc(d->options, (d->n_options + 1) * sizeof *o);
    if (o == NULL)
        return certlc_err_set(err, "out of memory");
    d->options = o;
    o = &o[d->n_options];
    o->key = strdup(kv->key);
    o->value = strdup(kv->value);
    o->line = kv->line;
    if (o->key == NULL || o->value == NULL) {
        free(o->key);
        free(o->value);
        return certlc_err_set(err, "out of memory");
    }
    d->n_options++;
    return 0;
}

/* One of the common keys (is_common), not empty. */
static int set_common(certlc_datastore *d, const certlc_ini_where *w,
                      const char *base, const certlc_ini_kv *kv,
                      certlc_err *err)
{
    const char *k = kv->key, *v = kv->value;
    if (strcmp(k, "endpoints") == 0)
        return add_endpoints(d, w, kv, err);
    char **field = NULL;
    bool path = true;
    if (strcmp(k, "driver") == 0) {
        if (strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(v) ||
            v[0] == '-')
            return certlc_ini_key_err(w, kv, err, "\"%s\" is not a driver "
                                      "name (plugins_dir/NAME.so)", v);
        field = &d->driver;
        path = false;
    } else if (strcmp(k, "username") == 0) {
        field = &d->username;
        path = false;
    } else if (strcmp(k, "ca_cert") == 0) {
        field = &d->ca_cert;
    } else if (strcmp(k, "ca_key") == 0) {
        field = &d->ca_key;
    } else if (strcmp(k, "client_cert") == 0) {
        field = &d->client_cert;
    } else if (strcmp(k, "client_key") == 0) {
        field = &d->client_key;
    } else {
        field = &d->password_file;
    }
    *field = path ? resolve(base, v) : strdup(v);
    return *field != NULL ? 0 : certlc_err_set(err, "out of memory");
}

/* What a section must have, and the keys that go together. */
static int check_complete(const certlc_datastore *d, const char *file,
                          const certlc_ini_section *sec, certlc_err *err)
{
    if (d->driver == NULL)
        return certlc_err_set(err, "%s:%d: [%s] missing required key "
                              "'driver'", file, sec->line, sec->name);
    if (d->n_endpoints == 0)
        return certlc_err_set(err, "%s:%d: [%s] missing required key "
                              "'endpoints'", file, sec->line, sec->name);
    if ((d->client_cert == NULL) != (d->client_key == NULL))
        return certlc_err_set(err, "%s:%d: [%s] client_cert and client_key go "
                              "together: give both or neither", file,
                              sec->line, sec->name);
    if (d->password_file != NULL && d->username == NULL)
        return certlc_err_set(err, "%s:%d: [%s] password_file needs a "
                              "username", file, sec->line, sec->name);
    return 0;
}

static int load_one(certlc_datastore *d, const char *file, const char *base,
                    const certlc_ini_section *sec, certlc_err *err)
{
    memset(d, 0, sizeof *d);
    const char *name = NULL;
    if (section_name(sec, file, &name, err) != 0)
        return -1;
    certlc_ini_where w = {file, sec->name};
    char source[PATH_MAX + 32];
    snprintf(source, sizeof source, "%s:%d", file, sec->line);
    d->name = strdup(name);
    d->file = strdup(file);
    d->source = strdup(source);
    if (d->name == NULL || d->file == NULL || d->source == NULL) {
        certlc_err_set(err, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < sec->n_kv; i++) {
        const certlc_ini_kv *kv = &sec->kv[i];
        for (size_t j = 0; j < i; j++)
            if (strcmp(sec->kv[j].key, kv->key) == 0) {
                certlc_err_set(err, "%s:%d: [%s] duplicate key '%s' (first set "
                               "at line %d)", file, kv->line, sec->name,
                               kv->key, sec->kv[j].line);
                goto fail;
            }
        if (!is_common(kv->key)) {
            if (add_option(d, kv, err) != 0)
                goto fail;
            continue;
        }
        if (*kv->value == '\0') {
            certlc_ini_key_err(&w, kv, err, "must not be empty");
            goto fail;
        }
        if (set_common(d, &w, base, kv, err) != 0)
            goto fail;
    }
    if (check_complete(d, file, sec, err) != 0)
        goto fail;
    return 0;
fail:
    ds_fini(d);
    return -1;
}

static int ds_cmp(const void *a, const void *b)
{
    return strcmp(((const certlc_datastore *)a)->name,
                  ((const certlc_datastore *)b)->name);
}

int certlc_datastores_load(const char *dir, const char *display,
                           certlc_datastore **out, size_t *n_out,
                           certlc_err *err)
{
    *out = NULL;
    *n_out = 0;
    struct stat st;
    if (stat(dir, &st) != 0 && errno == ENOENT)
        return 0;
    char **files;
    size_t n_files;
    if (certlc_ini_list_files(dir, display, &files, &n_files, err) != 0)
        return -1;
    certlc_datastore *ds = NULL;
    size_t n = 0;
    int rc = 0;
    char *base = strdup(dir);
    if (base == NULL)
        rc = certlc_err_set(err, "out of memory");
    for (size_t f = 0; f < n_files && rc == 0; f++) {
        char *path = certlc_path_join(dir, files[f]);
        char *shown = certlc_path_join(display, files[f]);
        certlc_ini_doc doc = {0};
        if (path == NULL || shown == NULL) {
            rc = certlc_err_set(err, "out of memory");
        } else if (certlc_ini_read(path, shown, &doc, err) != 0) {
            rc = -1;
        }
        for (size_t s = 0; rc == 0 && s < doc.n_sec; s++) {
            certlc_datastore *v = realloc(ds, (n + 1) * sizeof *v);
            if (v == NULL) {
                rc = certlc_err_set(err, "out of memory");
                break;
            }
            ds = v;
            if (load_one(&ds[n], shown, base, &doc.sec[s], err) != 0) {
                rc = -1;
                break;
            }
            const certlc_datastore *o = certlc_datastore_find(ds, n,
                                                              ds[n].name);
            if (o != NULL) {
                rc = certlc_err_set(err, "%s: datastore \"%s\" is defined "
                                    "twice: here and at %s", ds[n].source,
                                    ds[n].name, o->source);
                ds_fini(&ds[n]);
                break;
            }
            n++;
        }
        certlc_ini_doc_free(&doc);
        free(path);
        free(shown);
    }
    free(base);
    for (size_t f = 0; f < n_files; f++)
        free(files[f]);
    free(files);
    if (rc != 0) {
        certlc_datastores_free(ds, n);
        return -1;
    }
    if (n > 1)
        qsort(ds, n, sizeof *ds, ds_cmp);
    *out = ds;
    *n_out = n;
    return 0;
}
