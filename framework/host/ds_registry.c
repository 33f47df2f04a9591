#include "ds_registry.h"

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file_read.h"
#include "host.h"
#include "inifile.h"
#include "log.h"
#include "path.h"
#include "pki.h"
#include "timefmt.h"

/* The DataStore instances of one runtime (ds_registry.h). */
struct certlc_ds_registry {
    certlc_plugins plugins;      /* the drivers the instances use */
    certlc_ds_instance **instances;
    size_t n_instances;
    certlc_host_settings host;   /* what issue_cert reads (host.h) */
};

static void secret_free(char *p, size_t len)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, len);
        free(p);
    }
}

static void instance_free(certlc_ds_instance *in)
{
    if (in == NULL)
        return;
    if (in->inst != NULL && in->plugin != NULL) {
        in->plugin->drv.fini(in->inst);
        in->plugin->n_instances--;
    }
    for (size_t i = 0; i < in->n_endpoints; i++)
        free(in->endpoints[i]);
    free(in->endpoints);
    free(in->ca_cert);
    secret_free(in->ca_key, in->ca_key_len);
    free(in->client_cert);
    secret_free(in->client_key, in->client_key_len);
    secret_free(in->password, in->password_len);
    free(in->username);
    free(in->source);
    free(in->ca_cert_path);
    for (size_t i = 0; in->options != NULL && i < in->n_options; i++) {
        free((char *)in->options[i].key);
        free((char *)in->options[i].value);
    }
    free(in->options);
    free(in->name);
    free(in->fingerprint);
    free(in);
}

certlc_ds_registry *certlc_ds_registry_new(void)
{
    return calloc(1, sizeof(certlc_ds_registry));
}

void certlc_ds_registry_free(certlc_ds_registry *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_instances; i++)
        instance_free(r->instances[i]);
    free(r->instances);
    certlc_plugins_clear(&r->plugins);
    certlc_host_bind(NULL);
    free(r);
}

/* The configuration's settings for the host services, bound before any
 * call into a driver of r. */
static void bind_host(certlc_ds_registry *r, const certlc_config *cfg)
{
    r->host.key_alg = cfg->key_algorithm;
    r->host.leaf_validity = cfg->leaf_validity;
    certlc_host_bind(&r->host);
}

/* Appends "text\n" to a growing string. */
static int fp_add(char **fp, size_t *len, const char *text)
{
    size_t n = strlen(text);
    char *v = realloc(*fp, *len + n + 2);
    if (v == NULL)
        return -1;
    memcpy(v + *len, text, n);
    v[*len + n] = '\n';
    v[*len + n + 1] = '\0';
    *fp = v;
    *len += n + 1;
    return 0;
}

static int fp_file(char **fp, size_t *len, const char *path)
{
    char line[4200];
    struct stat st;
    if (path == NULL)
        return fp_add(fp, len, "-");
    if (stat(path, &st) != 0)
        snprintf(line, sizeof line, "%s missing", path);
    else
        snprintf(line, sizeof line, "%s %lu %lld %lld.%09ld", path,
                 (unsigned long)st.st_ino, (long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    return fp_add(fp, len, line);
}

/* Everything that, when it changes, makes the instance anew. */
static char *fingerprint(const certlc_config *cfg, const certlc_datastore *d,
                         const char *so)
{
    char *fp = NULL;
    size_t len = 0;
    int bad = fp_add(&fp, &len, d->name) | fp_add(&fp, &len, d->driver) |
              fp_add(&fp, &len, d->source) | fp_file(&fp, &len, so) |
              fp_file(&fp, &len, d->ca_cert) | fp_file(&fp, &len, d->ca_key) |
              fp_file(&fp, &len, d->client_cert) |
              fp_file(&fp, &len, d->client_key) |
              fp_file(&fp, &len, d->password_file) |
              fp_add(&fp, &len, d->username ? d->username : "-");
    char buf[64];
    snprintf(buf, sizeof buf, "%d %lld", (int)cfg->key_algorithm,
             (long long)cfg->leaf_validity);
    bad |= fp_add(&fp, &len, buf);
    for (size_t i = 0; i < d->n_endpoints; i++)
        bad |= fp_add(&fp, &len, d->endpoints[i]);
    for (size_t i = 0; i < d->n_options; i++) {
        bad |= fp_add(&fp, &len, d->options[i].key);
        bad |= fp_add(&fp, &len, d->options[i].value);
    }
    if (bad) {
        free(fp);
        return NULL;
    }
    return fp;
}

static int load_pem(const char *path, const char *key, const char *ds_name,
                    char **out, size_t *len, certlc_err *err)
{
    if (path == NULL)
        return 0;
    *out = certlc_file_read(path, len, err);
    if (*out == NULL) {
        certlc_err_prefix(err, "datastore '%s': %s", ds_name, key);
        return -1;
    }
    return 0;
}

/* A private key file others can read is not refused (it may be shared
 * with the DataStore's own tooling on purpose), but it is said. */
static void warn_readable(const char *path, const char *key,
                          const char *ds_name)
{
    struct stat st;
    if (path == NULL || stat(path, &st) != 0 ||
        !(st.st_mode & (S_IRGRP | S_IROTH)))
        return;
    certlc_warn("plugin", "datastore '%s': %s %s is readable by %s (mode "
                "%04o): a private key should be 0600 (chmod go-rwx %s)",
                ds_name, key, path,
                (st.st_mode & S_IRGRP) && (st.st_mode & S_IROTH)
                    ? "group and others"
                : (st.st_mode & S_IRGRP) ? "group" : "others",
                (unsigned)(st.st_mode & 07777), path);
}

certlc_ds_ca_time certlc_ds_ca_valid_at(const char *path, const char *pem,
                                        size_t len, int64_t now,
                                        certlc_err *err)
{
    X509 *crt = certlc_cert_from_pem(pem, len, err);
    if (crt == NULL) {
        certlc_err_prefix(err, "ca_cert %s", path);
        return CERTLC_DS_CA_UNREADABLE;
    }
    int64_t nb = certlc_cert_not_before(crt), na = certlc_cert_not_after(crt);
    X509_free(crt);
    char when[32];
    if (now >= na) {
        certlc_time_rfc3339(na, when, sizeof when);
        certlc_err_set(err, "ca_cert %s expired at %s (its notAfter): a "
                       "certificate it signed would end with it, already "
                       "expired; renew the DataStore CA", path, when);
        return CERTLC_DS_CA_EXPIRED;
    }
    if (now < nb) {
        certlc_time_rfc3339(nb, when, sizeof when);
        certlc_err_set(err, "ca_cert %s is not valid before %s (its "
                       "notBefore): nothing it signs is issued until then",
                       path, when);
        return CERTLC_DS_CA_NOT_YET_VALID;
    }
    return CERTLC_DS_CA_VALID;
}

/* The DataStore CA's key must be the key of ca_cert, and ca_cert not
 * expired: said at load rather than at the first issuance, which would
 * sign with a CA no one trusts, or make certificates already expired. */
static int check_ds_keys(const certlc_datastore *d,
                         const certlc_ds_instance *in, certlc_err *err)
{
    warn_readable(d->ca_key, "ca_key", d->name);
    warn_readable(d->client_key, "client_key", d->name);
    certlc_err e;
    /* Not valid yet is left to the pass: the clock may catch up. */
    if (in->ca_cert != NULL &&
        certlc_ds_ca_valid_at(d->ca_cert, in->ca_cert, in->ca_cert_len,
                              certlc_now(), &e) == CERTLC_DS_CA_EXPIRED)
        return certlc_err_set(err, "%s: [datastore %s] %s", d->source,
                              d->name, e.msg);
    if (in->ca_key == NULL)
        return 0;
    X509 *crt = certlc_cert_from_pem(in->ca_cert, in->ca_cert_len, &e);
    if (crt == NULL)
        return certlc_err_set(err, "%s: [datastore %s] ca_cert %s: %s",
                              d->source, d->name, d->ca_cert, e.msg);
    EVP_PKEY *key = certlc_private_key_from_pem(in->ca_key, in->ca_key_len,
                                                &e);
    int rc = 0;
    if (key == NULL)
        rc = certlc_err_set(err, "%s: [datastore %s] ca_key %s: %s",
                            d->source, d->name, d->ca_key, e.msg);
    else if (certlc_key_matches_cert(key, crt, &e) != 0)
        rc = certlc_err_set(err, "%s: [datastore %s] ca_key %s does not "
                            "match ca_cert %s: expected the private key of "
                            "the DataStore CA", d->source, d->name,
                            d->ca_key, d->ca_cert);
    EVP_PKEY_free(key);
    X509_free(crt);
    return rc;
}

/* Unknown keys: neither common nor declared by the driver. */
static int check_options(const certlc_datastore *d, const certlc_driver *drv,
                         certlc_err *err)
{
    for (size_t i = 0; i < d->n_options; i++) {
        const certlc_ds_option *o = &d->options[i];
        bool ok = false;
        for (size_t k = 0; drv->keys != NULL && drv->keys[k] != NULL && !ok;
             k++)
            ok = strcmp(drv->keys[k], o->key) == 0;
        if (ok)
            continue;
        const char *hint = certlc_ini_suggest(o->key, certlc_datastore_keys);
        if (hint == NULL && drv->keys != NULL)
            hint = certlc_ini_suggest(o->key, drv->keys);
        char dym[128] = "";
        if (hint != NULL)
            snprintf(dym, sizeof dym, " (did you mean '%s'?)", hint);
        return certlc_err_set(err, "%s:%d: [datastore %s] unknown key '%s' "
                              "for driver '%s'%s", d->file, o->line, d->name,
                              o->key, drv->name, dym);
    }
    return 0;
}

/* The keys a driver of this mode cannot do without. */
static int check_required(const certlc_datastore *d, const certlc_driver *drv,
                          certlc_err *err)
{
    if (drv->mode == CERTLC_DRV_MODE_ISSUE && d->ca_key == NULL)
        return certlc_err_set(err, "%s: [datastore %s] missing key 'ca_key': "
                              "driver '%s' rotates in mode issue and signs "
                              "the tenants' certificates with the DataStore "
                              "CA's key", d->source, d->name, drv->name);
    if (d->ca_cert == NULL)
        return certlc_err_set(err, "%s: [datastore %s] missing key 'ca_cert': "
                              "the DataStore CA that the tenants' "
                              "certificates chain to", d->source, d->name);
    return 0;
}

/* The files the section names, read into in and checked. */
static int read_files(const certlc_datastore *d, certlc_ds_instance *in,
                      certlc_err *err)
{
    if (load_pem(d->ca_cert, "ca_cert", d->name, &in->ca_cert,
                 &in->ca_cert_len, err) != 0 ||
        load_pem(d->ca_key, "ca_key", d->name, &in->ca_key, &in->ca_key_len,
                 err) != 0 ||
        load_pem(d->client_cert, "client_cert", d->name, &in->client_cert,
                 &in->client_cert_len, err) != 0 ||
        load_pem(d->client_key, "client_key", d->name, &in->client_key,
                 &in->client_key_len, err) != 0 ||
        load_pem(d->password_file, "password_file", d->name, &in->password,
                 &in->password_len, err) != 0)
        return -1;
    if (check_ds_keys(d, in, err) != 0)
        return -1;
    if (in->password != NULL) {
        /* The first line only. */
        size_t n = strcspn(in->password, "\r\n");
        OPENSSL_cleanse(in->password + n, in->password_len - n);
        in->password_len = n;
    }
    return 0;
}

/* Copies of the section's values: the instance outlives the configuration
 * it was made from (a reload frees that one) and ds_option() reads them
 * later. -1: out of memory (instance_free copes with what was copied). */
static int copy_section(const certlc_datastore *d, certlc_ds_instance *in)
{
    in->endpoints = calloc(d->n_endpoints + 1, sizeof *in->endpoints);
    in->options = calloc(d->n_options + 1, sizeof *in->options);
    if (in->endpoints == NULL || in->options == NULL)
        return -1;
    for (size_t i = 0; i < d->n_endpoints; i++, in->n_endpoints++)
        if ((in->endpoints[i] = strdup(d->endpoints[i])) == NULL)
            return -1;
    if ((d->username && (in->username = strdup(d->username)) == NULL) ||
        (in->source = strdup(d->source)) == NULL ||
        (d->ca_cert && (in->ca_cert_path = strdup(d->ca_cert)) == NULL))
        return -1;
    in->n_options = d->n_options; /* calloc'd: instance_free copes */
    for (size_t i = 0; i < d->n_options; i++) {
        char *k = strdup(d->options[i].key);
        char *val = strdup(d->options[i].value);
        in->options[i].key = k;
        in->options[i].value = val;
        if (k == NULL || val == NULL)
            return -1;
        in->options[i].len = strlen(val);
    }
    return 0;
}

/* What the driver's init receives: views of in's own storage. */
static void fill_view(certlc_ds_instance *in)
{
    certlc_drv_datastore *v = &in->view;
    v->size = sizeof *v;
    v->name = in->name;
    v->source = in->source;
    v->endpoints = (const char *const *)in->endpoints;
    v->n_endpoints = in->n_endpoints;
    v->ca_cert_pem = in->ca_cert;
    v->ca_cert_len = in->ca_cert_len;
    v->ca_key_pem = in->ca_key;
    v->ca_key_len = in->ca_key_len;
    v->client_cert_pem = in->client_cert;
    v->client_cert_len = in->client_cert_len;
    v->client_key_pem = in->client_key;
    v->client_key_len = in->client_key_len;
    v->username = in->username;
    v->password = in->password;
    v->options = in->options;
    v->n_options = in->n_options;
}

static certlc_ds_instance *instance_new(certlc_ds_registry *r,
                                        const certlc_config *cfg,
                                        const certlc_datastore *d,
                                        const char *so, char *fp,
                                        certlc_err *err)
{
    certlc_ds_instance *in = calloc(1, sizeof *in);
    if (in == NULL) {
        free(fp);
        certlc_err_set(err, "out of memory");
        return NULL;
    }
    in->fingerprint = fp;
    in->name = strdup(d->name);
    if (in->name == NULL)
        goto oom;
    certlc_plugin *p;
    if (certlc_plugins_load(&r->plugins, so, &p, err) != 0) {
        certlc_err_prefix(err, "datastore '%s': driver '%s'", d->name,
                          d->driver);
        goto fail;
    }
    const certlc_driver *drv = &p->drv;
    if (check_options(d, drv, err) != 0 || check_required(d, drv, err) != 0 ||
        read_files(d, in, err) != 0)
        goto fail;
    if (copy_section(d, in) != 0)
        goto oom;
    fill_view(in);
    bind_host(r, cfg);
    certlc_drv_err derr = {{0}};
    void *inst = NULL;
    if (drv->init(&in->view, &inst, &derr) != CERTLC_DRV_OK) {
        certlc_host_err(err, &derr);
        certlc_err_prefix(err, "datastore '%s': driver '%s': init failed",
                          d->name, drv->name);
        goto fail;
    }
    in->plugin = p;
    in->inst = inst;
    p->n_instances++;
    return in;
oom:
    certlc_err_set(err, "out of memory");
fail:
    instance_free(in);
    return NULL;
}

/* Unloads drivers that no instance uses any more. */
static void unload_unused(certlc_ds_registry *r)
{
    size_t j = 0;
    for (size_t i = 0; i < r->plugins.n; i++) {
        certlc_plugin *p = r->plugins.items[i];
        if (p->n_instances == 0) {
            dlclose(p->handle);
            free(p->path);
            free(p);
        } else {
            r->plugins.items[j++] = p;
        }
    }
    r->plugins.n = j;
}

/* plugins_dir/<driver>.so of d and the fingerprint of d. */
static int driver_file(const certlc_config *cfg, const certlc_datastore *d,
                       char **so, char **fp, certlc_err *err)
{
    char so_name[300];
    snprintf(so_name, sizeof so_name, "%s.so", d->driver);
    *so = certlc_path_join(cfg->plugins_dir, so_name);
    *fp = *so ? fingerprint(cfg, d, *so) : NULL;
    if (*fp == NULL) {
        free(*so);
        *so = NULL;
        return certlc_err_set(err, "out of memory");
    }
    return 0;
}

static void log_made(const certlc_ds_instance *in)
{
    certlc_info("plugin", "datastore '%s': driver '%s' %s (mode %s) from %s",
                in->name, in->plugin->drv.name,
                in->plugin->drv.version ? in->plugin->drv.version : "?",
                in->plugin->drv.mode == CERTLC_DRV_MODE_ISSUE ? "issue"
                                                              : "external",
                in->plugin->path);
}

static certlc_ds_instance *running(const certlc_ds_registry *r,
                                   const char *name, const char *fp)
{
    for (size_t i = 0; i < r->n_instances; i++)
        if (strcmp(r->instances[i]->name, name) == 0 &&
            strcmp(r->instances[i]->fingerprint, fp) == 0)
            return r->instances[i];
    return NULL;
}

static bool running_ptr(const certlc_ds_registry *r,
                        const certlc_ds_instance *in)
{
    for (size_t i = 0; i < r->n_instances; i++)
        if (r->instances[i] == in)
            return true;
    return false;
}

/* Every instance of the next set that is not a running one. */
static void free_fresh(const certlc_ds_registry *r,
                       certlc_ds_instance **next, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (next[i] != NULL && !running_ptr(r, next[i]))
            instance_free(next[i]);
    free(next);
}

int certlc_ds_registry_reload(certlc_ds_registry *r, const certlc_config *cfg,
                              certlc_err *err)
{
    size_t n = cfg->n_datastores;
    certlc_ds_instance **next = calloc(n + 1, sizeof *next);
    if (next == NULL)
        return certlc_err_set(err, "out of memory");
    /* Made beside the running instances, which stay untouched until every
     * one of the next set is made. */
    for (size_t i = 0; i < n; i++) {
        const certlc_datastore *d = &cfg->datastores[i];
        char *so, *fp;
        if (driver_file(cfg, d, &so, &fp, err) != 0) {
            free_fresh(r, next, i);
            unload_unused(r);
            return -1;
        }
        next[i] = running(r, d->name, fp);
        if (next[i] != NULL) {
            free(fp);
        } else {
            next[i] = instance_new(r, cfg, d, so, fp, err);
            if (next[i] != NULL)
                log_made(next[i]);
        }
        free(so);
        if (next[i] == NULL) {
            free_fresh(r, next, i);
            unload_unused(r);
            return -1;
        }
    }
    /* The swap: running instances that are not in the next set go. */
    for (size_t i = 0; i < r->n_instances; i++) {
        bool kept = false;
        for (size_t k = 0; k < n && !kept; k++)
            kept = next[k] == r->instances[i];
        if (!kept)
            instance_free(r->instances[i]);
    }
    free(r->instances);
    r->instances = next;
    r->n_instances = n;
    unload_unused(r);
    bind_host(r, cfg);
    return 0;
}

certlc_ds_instance *certlc_ds_registry_get(certlc_ds_registry *r,
                                           const certlc_config *cfg,
                                           const char *name, certlc_err *err)
{
    const certlc_datastore *d =
        certlc_datastore_find(cfg->datastores, cfg->n_datastores, name);
    if (d == NULL) {
        certlc_err_set(err, "no datastore '%s' in %s", name,
                       cfg->datastores_dir);
        return NULL;
    }
    char *so, *fp;
    if (driver_file(cfg, d, &so, &fp, err) != 0)
        return NULL;
    size_t slot = r->n_instances;
    for (size_t i = 0; i < r->n_instances; i++) {
        if (strcmp(r->instances[i]->name, name) != 0)
            continue;
        if (strcmp(r->instances[i]->fingerprint, fp) == 0) {
            free(fp);
            free(so);
            bind_host(r, cfg);
            return r->instances[i];
        }
        certlc_info("plugin", "datastore '%s' changed: making it anew",
                    name);
        instance_free(r->instances[i]);
        r->instances[i] = NULL;
        slot = i;
        unload_unused(r);
    }
    certlc_ds_instance *in = instance_new(r, cfg, d, so, fp, err);
    free(so);
    if (in == NULL) {
        if (slot < r->n_instances) {
            r->instances[slot] = r->instances[--r->n_instances];
        }
        unload_unused(r);
        return NULL;
    }
    if (slot == r->n_instances) {
        certlc_ds_instance **v = realloc(r->instances,
                                         (r->n_instances + 1) * sizeof *v);
        if (v == NULL) {
            instance_free(in);
            certlc_err_set(err, "out of memory");
            return NULL;
        }
        r->instances = v;
        r->n_instances++;
    }
    r->instances[slot] = in;
    log_made(in);
    return in;
}
