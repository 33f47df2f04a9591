#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "datastore.h"
#include "duration.h"
#include "inifile.h"
#include "names.h"
#include "path.h"
#include "timefmt.h"

/* ---- small helpers ---------------------------------------------------- */


/* Lexical cleanup of an absolute path: collapses "//", "." and "..", as
 * Go's filepath.Clean does. In place; the result is never longer. */
static void path_clean_abs(char *p)
{
    const char *end = p + strlen(p);
    const char *in = p + 1;
    char *out = p + 1; /* after the leading '/'; never ahead of `in` */
    while (in < end) {
        const char *slash = memchr(in, '/', (size_t)(end - in));
        size_t n = slash ? (size_t)(slash - in) : (size_t)(end - in);
        if (n == 0 || (n == 1 && in[0] == '.')) {
            /* skip */
        } else if (n == 2 && in[0] == '.' && in[1] == '.') {
            if (out > p + 1) {
                out--; /* the '/' ending the previous component */
                while (out > p + 1 && out[-1] != '/')
                    out--;
            }
        } else {
            memmove(out, in, n);
            out += n;
            *out++ = '/';
        }
        in += n + 1;
    }
    if (out > p + 1)
        out--; /* no trailing '/' */
    *out = '\0';
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* ---- value checks ---------------------------------------------------------- */

/* A DNS name (names.c), lowercase, at most 253 characters, labels of
 * at most 63. With `wildcard`, a leading "*." is allowed too. A name whose
 * last label is all digits ("999.1.1.1") is no host name (RFC 1123 2.1, RFC
 * 3696 2): it is a mistyped IPv4 address. */
static bool dns1123_subdomain(const char *s, bool wildcard)
{
    if (wildcard && s[0] == '*' && s[1] == '.')
        s += 2;
    if (!certlc_dns1123_subdomain(s, CERTLC_DNS_NAME_MAX,
                                  CERTLC_DNS_LABEL_MAX))
        return false;
    const char *last = strrchr(s, '.');
    last = last ? last + 1 : s;
    return strspn(last, "0123456789") != strlen(last);
}

/* DNS is case-insensitive: names are taken in any case and kept in
 * lowercase, the form Kubernetes and certificates use. NULL when out of
 * memory. */
static char *dns_lower(const char *s)
{
    char *l = strdup(s);
    for (char *p = l; p != NULL && *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return l;
}

static bool is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int certlc_cidr_first_ip(const char *cidr, char *buf, size_t size, certlc_err *err)
{
    const char *slash = cidr ? strchr(cidr, '/') : NULL;
    if (slash == NULL || slash == cidr || (size_t)(slash - cidr) >= INET6_ADDRSTRLEN)
        goto bad;
    char addr[INET6_ADDRSTRLEN];
    memcpy(addr, cidr, (size_t)(slash - cidr));
    addr[slash - cidr] = '\0';

    int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    int bits = family == AF_INET6 ? 128 : 32;
    unsigned char ip[16];
    if (inet_pton(family, addr, ip) != 1)
        goto bad;

    const char *p = slash + 1;
    int prefix = 0;
    if (*p == '\0' || (p[0] == '0' && p[1] != '\0'))
        goto bad;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            goto bad;
        prefix = prefix * 10 + (*p - '0');
        if (prefix > bits)
            goto bad;
    }
    if (prefix == bits)
        return certlc_err_set(err, "\"%s\" has no address after its network address",
                              cidr);

    /* Clear the host bits, then add one: the lowest bit is a host bit. */
    for (int i = 0; i < bits / 8; i++) {
        int keep = prefix - i * 8;
        if (keep <= 0)
            ip[i] = 0;
        else if (keep < 8)
            ip[i] &= (unsigned char)(0xFF << (8 - keep));
    }
    ip[bits / 8 - 1] |= 1;

    char out[INET6_ADDRSTRLEN];
    if (inet_ntop(family, ip, out, sizeof out) == NULL)
        goto bad;
    if (buf == NULL || strlen(out) >= size)
        return certlc_err_set(err, "buffer too small for the first address of \"%s\"",
                              cidr);
    memcpy(buf, out, strlen(out) + 1);
    return 0;

bad:
    return certlc_err_set(err, "\"%s\" is not an IPv4 or IPv6 CIDR (e.g. 10.96.0.0/16 "
                          "or fd00:10:96::/112)", cidr ? cidr : "");
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "1"};
    static const char *const no[] = {"false", "no", "0"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static bool parse_port(const char *s, int *out)
{
    int v = 0;
    if (*s == '\0' || *s == '0')
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (*s - '0');
        if (v > 65535)
            return false;
    }
    *out = v;
    return true;
}

/* "v1.26.0", with an optional pre-release or build suffix ("v1.27.0-rc.1"). */
static bool is_version(const char *s)
{
    if (*s++ != 'v')
        return false;
    for (int part = 0; part < 3; part++) {
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
        if (part < 2 && *s++ != '.')
            return false;
    }
    if (*s == '\0')
        return true;
    if (*s != '-' && *s != '+')
        return false;
    if (*++s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+'))
            return false;
    }
    return true;
}

/* "auto" (0) or a decimal count in [min, max]. */
static int parse_count(const char *text, unsigned min, unsigned max,
                       unsigned *out)
{
    if (strcmp(text, "auto") == 0) {
        *out = 0;
        return 0;
    }
    if (text[0] < '0' || text[0] > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* ---- certlc.ini ----------------------------------------------------------- */

/* ca_rotation = replace | overlap: 0, 1, or -1 for anything else. */
static int parse_ca_rotation(const char *v)
{
    if (strcmp(v, "replace") == 0)
        return 0;
    if (strcmp(v, "overlap") == 0)
        return 1;
    return -1;
}

static const char *const certlc_keys[] = {
    "state_dir", "plugins_dir", "tenants_dir", "datastores_dir", "key_algorithm",
    "ca_validity", "leaf_validity", "renew_before", "rollout_hook", "log_level",
    "log_format", "metrics_listen",
    "store", "leader_lease",
    "encryption_config",
    "reissue_on_removed_san",
    "rollout_hook_timeout",
    "ca_rotation", "ca_overlap",
    "workers", "key_pool",
    NULL,
};

/* A directory setting: where it resolves to and how to show it. */
typedef struct dir_setting {
    const char *key;
    const char *value; /* as written, or the default */
    int line;          /* 0 for the default */
    char **abs;        /* into certlc_config */
    char *display;     /* relative to the working directory when possible */
} dir_setting;

typedef struct duration_setting {
    const char *key;
    const char *text;
    int line;
    int64_t *out;
} duration_setting;

/* malloc'd folder part of `path` as given ("" when there is none). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup("");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static int resolve_dir(dir_setting *d, const char *base_real, const char *base_given,
                       const certlc_ini_where *w, certlc_err *err)
{
    if (d->value[0] == '\0')
        return certlc_err_set(err, "%s:%d: [%s] %s: must not be empty", w->file,
                              d->line, w->section, d->key);
    char *abs = d->value[0] == '/' ? strdup(d->value) : certlc_path_join(base_real, d->value);
    char *display = d->value[0] == '/' || base_given[0] == '\0'
                        ? strdup(d->value) : certlc_path_join(base_given, d->value);
    if (abs == NULL || display == NULL) {
        free(abs);
        free(display);
        return certlc_err_set(err, "out of memory");
    }
    path_clean_abs(abs);
    *d->abs = abs;
    d->display = display;
    return 0;
}

/* [certlc] and [store.etcd] of certlc.ini, each at most once and
 * nothing else; either may be missing (*main_sec, *etcd_sec NULL). */
static int find_sections(const certlc_ini_doc *doc, const char *file,
                         const certlc_ini_section **main_sec,
                         const certlc_ini_section **etcd_sec, certlc_err *err)
{
    *main_sec = *etcd_sec = NULL;
    for (size_t i = 0; i < doc->n_sec; i++) {
        const certlc_ini_section *sec = &doc->sec[i];
        if (strcmp(sec->name, "store.etcd") == 0) {
            if (*etcd_sec != NULL)
                return certlc_err_set(err, "%s:%d: duplicate section [store.etcd] "
                                      "(first at line %d)", file, sec->line,
                                      (*etcd_sec)->line);
            *etcd_sec = sec;
            continue;
        }
        if (strcmp(sec->name, "certlc") != 0)
            return certlc_err_set(err, "%s:%d: unknown section [%s] (certlc.ini has "
                                  "[certlc] and [store.etcd])", file, sec->line, sec->name);
        if (*main_sec != NULL)
            return certlc_err_set(err, "%s:%d: duplicate section [certlc] (first at "
                                  "line %d)", file, sec->line, (*main_sec)->line);
        *main_sec = sec;
    }
    return 0;
}

/* The settings of [certlc] as written (or their defaults), before they are
 * checked and resolved into the certlc_config. */
#define N_DIRS 4
#define N_DURS 6
typedef struct main_settings {
    dir_setting dirs[N_DIRS];      /* state, plugins, tenants, datastores */
    duration_setting durs[N_DURS]; /* see settings_init for the order */
    const char *rollout_hook;
    const char *metrics_listen;
    const certlc_ini_kv *encryption_kv;
} main_settings;

static void settings_init(main_settings *ms, certlc_config *cfg)
{
    *ms = (main_settings){
        .dirs = {
            {"state_dir", "var", 0, &cfg->state_dir, NULL},
            {"plugins_dir", "plugins.d", 0, &cfg->plugins_dir, NULL},
            {"tenants_dir", "tenants.d", 0, &cfg->tenants_dir, NULL},
            {"datastores_dir", "datastores.d", 0, &cfg->datastores_dir, NULL},
        },
        /* 0 ca_validity, 1 leaf_validity, 2 renew_before, 3 leader_lease,
         * 4 rollout_hook_timeout, 5 ca_overlap: the checks below name
         * them by index. */
        .durs = {
            {"ca_validity", "87600h", 0, &cfg->ca_validity},
            {"leaf_validity", "8760h", 0, &cfg->leaf_validity},
            {"renew_before", "24h", 0, &cfg->renew_before},
            {"leader_lease", "15s", 0, &cfg->leader_lease},
            {"rollout_hook_timeout", "300s", 0, &cfg->rollout_hook_timeout},
            {"ca_overlap", "24h", 0, &cfg->ca_overlap},
        },
        .rollout_hook = "",
        .metrics_listen = CERTLC_METRICS_LISTEN_DEFAULT,
    };
    cfg->key_algorithm = CERTLC_KEY_RSA2048;
    cfg->log_level = CERTLC_LOG_INFO;
    cfg->reissue_on_removed_san = true;
    cfg->workers = 0;
    cfg->key_pool = -1;
}

/* kv when it is a directory or a duration: its text is kept for later. */
static bool take_dir_or_duration(main_settings *ms, const certlc_ini_kv *kv)
{
    for (size_t k = 0; k < N_DIRS; k++) {
        if (strcmp(kv->key, ms->dirs[k].key) == 0) {
            ms->dirs[k].value = kv->value;
            ms->dirs[k].line = kv->line;
            return true;
        }
    }
    for (size_t k = 0; k < N_DURS; k++) {
        if (strcmp(kv->key, ms->durs[k].key) == 0) {
            ms->durs[k].text = kv->value;
            ms->durs[k].line = kv->line;
            return true;
        }
    }
    return false;
}

/* One key of [certlc] (the keys were checked against certlc_keys). */
static int read_main_key(certlc_config *cfg, main_settings *ms,
                         const certlc_ini_where *w, const certlc_ini_kv *kv,
                         certlc_err *err)
{
    if (take_dir_or_duration(ms, kv))
        return 0;
    if (strcmp(kv->key, "key_algorithm") == 0) {
        if (certlc_key_alg_parse(kv->value, &cfg->key_algorithm) != 0)
            return certlc_ini_key_err(w, kv, err, "unknown key algorithm \"%s\" (use "
                           "rsa-2048, rsa-3072, rsa-4096, ecdsa-p256 or "
                           "ecdsa-p384)", kv->value);
    } else if (strcmp(kv->key, "log_level") == 0) {
        if (certlc_log_level_parse(kv->value, &cfg->log_level) != 0)
            return certlc_ini_key_err(w, kv, err, "unknown log level \"%s\" (use debug, "
                           "info, warn or error)", kv->value);
    } else if (strcmp(kv->key, "rollout_hook") == 0) {
        ms->rollout_hook = kv->value;
    } else if (strcmp(kv->key, "workers") == 0) {
        if (parse_count(kv->value, 1, 256, &cfg->workers) != 0)
            return certlc_ini_key_err(w, kv, err, "\"%s\" is not auto or a "
                           "number of workers from 1 to 256", kv->value);
    } else if (strcmp(kv->key, "key_pool") == 0) {
        unsigned n;
        if (parse_count(kv->value, 0, 1024, &n) != 0)
            return certlc_ini_key_err(w, kv, err, "\"%s\" is not auto or a "
                           "number of keys from 0 to 1024", kv->value);
        cfg->key_pool = strcmp(kv->value, "auto") == 0 ? -1 : (int)n;
    } else if (strcmp(kv->key, "ca_rotation") == 0) {
        int mode = parse_ca_rotation(kv->value);
        if (mode < 0)
            return certlc_ini_key_err(w, kv, err, "\"%s\" is neither "
                           "replace nor overlap", kv->value);
        cfg->ca_rotation_overlap = mode == 1;
    } else if (strcmp(kv->key, "encryption_config") == 0) {
        if (kv->value[0] == '\0')
            return certlc_ini_key_err(w, kv, err, "must name an "
                           "EncryptionConfiguration file");
        ms->encryption_kv = kv;
    } else if (strcmp(kv->key, "reissue_on_removed_san") == 0) {
        if (!parse_bool(kv->value, &cfg->reissue_on_removed_san))
            return certlc_ini_key_err(w, kv, err, "\"%s\" is not a boolean (use "
                           "true or false)", kv->value);
    } else if (strcmp(kv->key, "log_format") == 0) {
        if (certlc_log_format_parse(kv->value, &cfg->log_format) != 0)
            return certlc_ini_key_err(w, kv, err, "unknown log format \"%s\" (use "
                           "text or json)", kv->value);
    } else if (strcmp(kv->key, "store") == 0) {
        if (strcmp(kv->value, "file") == 0)
            cfg->store = CERTLC_STORE_FILE;
        else if (strcmp(kv->value, "etcd") == 0)
            cfg->store = CERTLC_STORE_ETCD;
        else
            return certlc_ini_key_err(w, kv, err, "unknown store \"%s\" (use "
                           "file or etcd)", kv->value);
    } else if (strcmp(kv->key, "metrics_listen") == 0) {
        if (kv->value[0] != '\0' &&
            certlc_listen_parse(kv->value, NULL, NULL, err) != 0) {
            certlc_err_prefix(err, "%s:%d: [certlc] metrics_listen", w->file,
                              kv->line);
            return -1;
        }
        ms->metrics_listen = kv->value;
    }
    return 0;
}

/* The durations parsed, and the ones certificates depend on checked
 * against each other and against the end of X.509 time. */
static int check_durations(const certlc_config *cfg, main_settings *ms,
                           const char *file, certlc_err *err)
{
    duration_setting *durs = ms->durs;
    for (size_t k = 0; k < N_DURS; k++) {
        if (certlc_duration_parse(durs[k].text, durs[k].out, err) != 0) {
            certlc_err_prefix(err, "%s:%d: [certlc] %s", file, durs[k].line, durs[k].key);
            return -1;
        }
    }
    /* A certificate issued now must end by 9999-12-31T23:59:59Z, the last
     * time X.509 can hold: say so here rather than at the first issuance. */
    for (size_t k = 0; k < 2; k++) {
        const int64_t last = INT64_C(253402300799);
        int64_t now = certlc_now();
        if (*durs[k].out > last - now)
            return certlc_err_set(err, "%s:%d: [certlc] %s (%s) is too long: a "
                                  "certificate issued now would end after "
                                  "9999-12-31, the last date X.509 can hold",
                                  file, durs[k].line, durs[k].key, durs[k].text);
    }
    if (cfg->renew_before >= cfg->leaf_validity) {
        int line = durs[2].line > durs[1].line ? durs[2].line : durs[1].line;
        return certlc_err_set(err, "%s:%d: [certlc] renew_before (%s) must be shorter "
                              "than leaf_validity (%s)", file, line, durs[2].text,
                              durs[1].text);
    }
    if (cfg->ca_validity < cfg->leaf_validity) {
        int line = durs[0].line > durs[1].line ? durs[0].line : durs[1].line;
        return certlc_err_set(err, "%s:%d: [certlc] ca_validity (%s) must not be "
                              "shorter than leaf_validity (%s)", file, line,
                              durs[0].text, durs[1].text);
    }
    return 0;
}

/* The directories and encryption_config, relative to certlc.ini's folder
 * (base_real resolved, base_given as written). */
static int resolve_paths(certlc_config *cfg, main_settings *ms,
                         const certlc_ini_where *w, const char *base_real,
                         const char *base_given, certlc_err *err)
{
    for (size_t k = 0; k < N_DIRS; k++) {
        if (resolve_dir(&ms->dirs[k], base_real, base_given, w, err) != 0)
            return -1;
    }
    /* encryption_config is read when the store opens (encryption.h). */
    const certlc_ini_kv *kv = ms->encryption_kv;
    if (kv != NULL) {
        cfg->encryption_config = kv->value[0] == '/'
                                     ? strdup(kv->value)
                                     : certlc_path_join(base_real, kv->value);
        if (cfg->encryption_config == NULL)
            return certlc_err_set(err, "out of memory");
    }
    return 0;
}

/* What the store and the operator loop need of the durations. */
static int check_store_durations(const certlc_config *cfg,
                                 const main_settings *ms, const char *file,
                                 certlc_err *err)
{
    const duration_setting *durs = ms->durs;
    if (cfg->leader_lease < 3)
        return certlc_err_set(err, "%s:%d: [certlc] leader_lease (%s) must be at least 3s",
                              file, durs[3].line, durs[3].text);
    if (cfg->rollout_hook_timeout < 1)
        return certlc_err_set(err, "%s:%d: [certlc] rollout_hook_timeout (%s) must be at "
                              "least 1s", file, durs[4].line, durs[4].text);
    return 0;
}

static int load_certlc_ini(certlc_config *cfg, const certlc_ini_doc *doc,
                           dir_setting *tenants, dir_setting *datastores,
                           certlc_err *err)
{
    const char *file = cfg->path;
    certlc_ini_where w = {file, "certlc"};
    const certlc_ini_section *main_sec, *etcd_sec;
    if (find_sections(doc, file, &main_sec, &etcd_sec, err) != 0)
        return -1;
    main_settings ms;
    settings_init(&ms, cfg);
    if (main_sec != NULL) {
        if (certlc_ini_check_keys(&w, main_sec, certlc_keys, NULL, err) != 0)
            return -1;
        for (size_t i = 0; i < main_sec->n_kv; i++)
            if (read_main_key(cfg, &ms, &w, &main_sec->kv[i], err) != 0)
                return -1;
    }
    if (check_durations(cfg, &ms, file, err) != 0)
        return -1;
    cfg->rollout_hook = strdup(ms.rollout_hook);
    if (cfg->rollout_hook == NULL)
        return certlc_err_set(err, "out of memory");
    cfg->metrics_listen = strdup(ms.metrics_listen);
    if (cfg->metrics_listen == NULL)
        return certlc_err_set(err, "out of memory");

    /* Relative paths are relative to the folder of certlc.ini. */
    int rc = -1;
    char *base_given = dir_of(file);
    char *base_real = NULL;
    if (base_given == NULL)
        return certlc_err_set(err, "out of memory");
    base_real = realpath(base_given[0] ? base_given : ".", NULL);
    if (base_real == NULL) {
        certlc_err_set(err, "%s: cannot resolve its folder: %s", file, strerror(errno));
        goto out;
    }
    if (resolve_paths(cfg, &ms, &w, base_real, base_given, err) != 0)
        goto out;
    /* [store.etcd], paths relative to certlc.ini's folder */
    if (certlc_config_store_etcd(cfg, etcd_sec, file, base_real, err) != 0 ||
        check_store_durations(cfg, &ms, file, err) != 0)
        goto out;
    rc = 0;
    *tenants = ms.dirs[2];
    ms.dirs[2].display = NULL;
    *datastores = ms.dirs[3];
    ms.dirs[3].display = NULL;
out:
    for (size_t k = 0; k < N_DIRS; k++)
        free(ms.dirs[k].display);
    free(base_real);
    free(base_given);
    return rc;
}

/* ---- tenants.d ------------------------------------------------------------- */

static const char *const tenant_keys[] = {
    "namespace", "version", "address", "port", "service_cidr", "cluster_domain",
    "cert_sans", "konnectivity", "datastore",
    "datastore_schema", "datastore_user",
    "reissue_on_removed_san",
    "ca_source", "front_proxy_ca_source", "provided_certificates",
    "ca_rotation", "ca_overlap",
    NULL,
};

/* The leaf Secrets an external issuer may provide: those that hold a
 * certificate and its key, not the kubeconfigs (which embed a key that
 * certlc must make) nor the datastore's (its driver's business). */
static const char *const providable_certs[] = {
    "api-server-certificate", "api-server-kubelet-client-certificate",
    "front-proxy-client-certificate", "konnectivity-certificate", NULL,
};

bool certlc_tenant_provides(const certlc_tenant *t, const char *suffix)
{
    for (size_t i = 0; i < t->n_provided_certs; i++)
        if (strcmp(t->provided_certs[i], suffix) == 0)
            return true;
    return false;
}

/* ca_source = generate | provided */
static int parse_ca_source(const certlc_ini_where *w, const certlc_ini_kv *kv,
                           bool *provided, certlc_err *err)
{
    if (strcmp(kv->value, "generate") == 0)
        *provided = false;
    else if (strcmp(kv->value, "provided") == 0)
        *provided = true;
    else
        return certlc_ini_key_err(w, kv, err, "\"%s\" is neither generate nor "
                                  "provided", kv->value);
    return 0;
}

/* provided_certificates = SUFFIX, ... (commas or blanks between). */
static int add_provided(certlc_tenant *t, const certlc_ini_where *w,
                        const certlc_ini_kv *kv, certlc_err *err)
{
    const char *p = kv->value;
    while (*p != '\0') {
        size_t skip = strspn(p, " \t,");
        p += skip;
        size_t n = strcspn(p, " \t,");
        if (n == 0)
            break;
        size_t k = 0;
        while (providable_certs[k] != NULL &&
               (strlen(providable_certs[k]) != n ||
                strncmp(providable_certs[k], p, n) != 0))
            k++;
        if (providable_certs[k] == NULL)
            return certlc_ini_key_err(w, kv, err, "\"%.*s\" is not a "
                                      "certificate that can be provided (one "
                                      "of api-server-certificate, "
                                      "api-server-kubelet-client-certificate, "
                                      "front-proxy-client-certificate, "
                                      "konnectivity-certificate)", (int)n, p);
        if (!certlc_tenant_provides(t, providable_certs[k])) {
            char **v = realloc(t->provided_certs,
                               (t->n_provided_certs + 1) * sizeof *v);
            if (v == NULL)
                return certlc_err_set(err, "out of memory");
            t->provided_certs = v;
            if ((v[t->n_provided_certs] = strdup(providable_certs[k])) == NULL)
                return certlc_err_set(err, "out of memory");
            t->n_provided_certs++;
        }
        p += n;
    }
    return 0;
}

static void tenant_fini(certlc_tenant *t)
{
    free(t->name);
    free(t->namespace);
    free(t->version);
    free(t->address);
    free(t->service_cidr);
    free(t->cluster_domain);
    strv_free(t->cert_sans, t->n_cert_sans);
    free(t->datastore);
    free(t->source);
    free(t->datastore_schema);
    free(t->datastore_user);
    strv_free(t->provided_certs, t->n_provided_certs);
    memset(t, 0, sizeof *t);
}

static int add_sans(certlc_tenant *t, const certlc_ini_where *w, const certlc_ini_kv *kv, certlc_err *err)
{
    const char *p = kv->value;
    if (*p == '\0')
        return 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        const char *b = p, *e = end;
        while (b < e && is_space(*b))
            b++;
        while (e > b && is_space(e[-1]))
            e--;
        if (b == e)
            return certlc_ini_key_err(w, kv, err, "empty entry in \"%s\"", kv->value);
        char *given = strndup(b, (size_t)(e - b));
        char *san = given && !is_ip(given) ? dns_lower(given) : given;
        if (san != given)
            free(given);
        if (san == NULL)
            return certlc_err_set(err, "out of memory");
        if (!is_ip(san) && !dns1123_subdomain(san, true)) {
            certlc_ini_key_err(w, kv, err, "\"%s\" is neither an IP address nor a DNS name",
                    san);
            free(san);
            return -1;
        }
        char **v = realloc(t->cert_sans, (t->n_cert_sans + 1) * sizeof *v);
        if (v == NULL) {
            free(san);
            return certlc_err_set(err, "out of memory");
        }
        t->cert_sans = v;
        v[t->n_cert_sans++] = san;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

static int set_str(char **field, const char *value, certlc_err *err)
{
    char *d = strdup(value);
    if (d == NULL)
        return certlc_err_set(err, "out of memory");
    free(*field);
    *field = d;
    return 0;
}

#define DNS1123_RULE "(lowercase letters, digits and '-', at most 63)"

/* NAME of "[tenant NAME]", a DNS-1123 label; NULL after a message. */
static const char *tenant_name(const char *file, const certlc_ini_section *sec,
                               certlc_err *err)
{
    if (strncmp(sec->name, "tenant", 6) != 0 ||
        (sec->name[6] != '\0' && !is_space(sec->name[6]))) {
        certlc_err_set(err, "%s:%d: unknown section [%s] (tenant files hold "
                       "[tenant NAME] sections)", file, sec->line, sec->name);
        return NULL;
    }
    const char *name = sec->name + 6;
    while (is_space(*name))
        name++;
    if (*name == '\0') {
        certlc_err_set(err, "%s:%d: [tenant] needs a name: [tenant NAME]",
                       file, sec->line);
        return NULL;
    }
    if (!certlc_dns1123_label(name)) {
        certlc_err_set(err, "%s:%d: tenant name \"%s\" is not a DNS-1123 label "
                       DNS1123_RULE, file, sec->line, name);
        return NULL;
    }
    return name;
}

static int tenant_defaults(certlc_tenant *t, const char *name,
                           const char *file, int line, certlc_err *err)
{
    char source[PATH_MAX + 32];
    snprintf(source, sizeof source, "%s:%d", file, line);
    if (set_str(&t->name, name, err) || set_str(&t->namespace, "default", err) ||
        set_str(&t->service_cidr, "10.96.0.0/16", err) ||
        set_str(&t->cluster_domain, "cluster.local", err) ||
        set_str(&t->datastore, "", err) || set_str(&t->source, source, err) ||
        set_str(&t->datastore_schema, "", err) ||
        set_str(&t->datastore_user, "", err))
        return -1;
    t->port = 6443;
    t->konnectivity = false;
    t->reissue_on_removed_san = -1;
    t->ca_rotation_overlap = -1;
    return 0;
}

/* A name valid as an etcd prefix, a SQL identifier and a NATS bucket
 * alike: datastore_schema and datastore_user. */
static int set_datastore_name(certlc_tenant *t, const certlc_ini_where *w,
                              const certlc_ini_kv *kv, certlc_err *err)
{
    const char *v = kv->value;
    size_t n = strlen(v);
    if (n == 0 || n > 63 ||
        strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "0123456789_") != n)
        return certlc_ini_key_err(w, kv, err, "\"%s\" is not a name of 1-63 "
                                  "letters, digits and '_'", v);
    return set_str(strcmp(kv->key, "datastore_schema") == 0 ? &t->datastore_schema
                                                            : &t->datastore_user,
                   v, err);
}

/* The tenant keys that are not strings. *taken tells whether kv was one. */
static int read_tenant_value(certlc_tenant *t, const certlc_ini_where *w,
                             const certlc_ini_kv *kv, bool *taken,
                             certlc_err *err)
{
    const char *k = kv->key, *v = kv->value;
    *taken = true;
    if (strcmp(k, "cert_sans") == 0)
        return add_sans(t, w, kv, err);
    if (strcmp(k, "port") == 0) {
        if (!parse_port(v, &t->port))
            return certlc_ini_key_err(w, kv, err, "\"%s\" is not a port number (1-65535)", v);
        return 0;
    }
    if (strcmp(k, "reissue_on_removed_san") == 0) {
        bool b;
        if (!parse_bool(v, &b))
            return certlc_ini_key_err(w, kv, err, "\"%s\" is not a boolean (use true or false)", v);
        t->reissue_on_removed_san = b;
        return 0;
    }
    if (strcmp(k, "ca_source") == 0 || strcmp(k, "front_proxy_ca_source") == 0)
        return parse_ca_source(w, kv, k[0] == 'c' ? &t->ca_provided
                                                  : &t->front_proxy_ca_provided,
                               err);
    if (strcmp(k, "provided_certificates") == 0)
        return add_provided(t, w, kv, err);
    if (strcmp(k, "ca_rotation") == 0) {
        if ((t->ca_rotation_overlap = parse_ca_rotation(v)) < 0)
            return certlc_ini_key_err(w, kv, err, "\"%s\" is neither replace "
                                      "nor overlap", v);
        return 0;
    }
    if (strcmp(k, "ca_overlap") == 0) {
        /* A duration is at least 1s (duration.h). */
        if (certlc_duration_parse(v, &t->ca_overlap, err) != 0) {
            certlc_err_prefix(err, "%s:%d: [%s] ca_overlap", w->file, kv->line,
                              w->section);
            return -1;
        }
        return 0;
    }
    if (strcmp(k, "konnectivity") == 0) {
        if (!parse_bool(v, &t->konnectivity))
            return certlc_ini_key_err(w, kv, err, "\"%s\" is not a boolean (use true or false)", v);
        return 0;
    }
    if (strcmp(k, "datastore_schema") == 0 || strcmp(k, "datastore_user") == 0)
        return set_datastore_name(t, w, kv, err);
    *taken = false;
    return 0;
}

/* The datastores a tenant's `datastore` may name. */
typedef struct datastore_names {
    const certlc_datastore *ds;
    size_t n;
    const char *dir; /* datastores_dir as shown */
} datastore_names;

/* A DNS name in lowercase, or an IP address as written (address); *own is
 * what to free. NULL when out of memory. */
static const char *host_value(const char *v, bool ip_ok, char **own)
{
    *own = NULL;
    if (ip_ok && is_ip(v))
        return v;
    return *own = dns_lower(v);
}

/* The string keys of a tenant, each checked; unknown keys were refused
 * before. */
static int read_tenant_str(certlc_tenant *t, const certlc_ini_where *w,
                           const certlc_ini_kv *kv, const datastore_names *dn,
                           certlc_err *err)
{
    const char *k = kv->key, *v = kv->value;
    char *lowered = NULL; /* a DNS name's value in lowercase */
    char **field = NULL;
    int rc = -1;
    if (strcmp(k, "namespace") == 0) {
        if (!certlc_dns1123_label(v))
            return certlc_ini_key_err(w, kv, err, "\"%s\" is not a DNS-1123 label " DNS1123_RULE, v);
        field = &t->namespace;
    } else if (strcmp(k, "version") == 0) {
        if (!is_version(v))
            return certlc_ini_key_err(w, kv, err, "\"%s\" is not a Kubernetes version like v1.26.0",
                                      v);
        field = &t->version;
    } else if (strcmp(k, "address") == 0 || strcmp(k, "cluster_domain") == 0) {
        bool address = k[0] == 'a';
        if ((v = host_value(v, address, &lowered)) == NULL)
            return certlc_err_set(err, "out of memory");
        if (!(address && is_ip(v)) && !dns1123_subdomain(v, false)) {
            certlc_ini_key_err(w, kv, err, address ? "\"%s\" is neither an IP address nor a DNS name"
                                                   : "\"%s\" is not a DNS name",
                               kv->value);
            goto out;
        }
        field = address ? &t->address : &t->cluster_domain;
    } else if (strcmp(k, "service_cidr") == 0) {
        char first[INET6_ADDRSTRLEN];
        if (certlc_cidr_first_ip(v, first, sizeof first, err) != 0) {
            certlc_err_prefix(err, "%s:%d: [%s] %s", w->file, kv->line, w->section, k);
            return -1;
        }
        field = &t->service_cidr;
    } else if (strcmp(k, "datastore") == 0) {
        if (v[0] != '\0' && certlc_datastore_find(dn->ds, dn->n, v) == NULL)
            return certlc_ini_key_err(w, kv, err, "no [datastore %s] in %s%s", v,
                                      dn->dir, dn->n == 0 ? " (it has none)" : "");
        field = &t->datastore;
    }
    rc = field != NULL ? set_str(field, v, err) : 0;
out:
    free(lowered);
    return rc;
}

static int load_tenant(certlc_tenant *t, const char *file, const certlc_ini_section *sec,
                       const certlc_datastore *ds, size_t n_ds, const char *ds_dir,
                       certlc_err *err)
{
    memset(t, 0, sizeof *t);
    const char *name = tenant_name(file, sec, err);
    if (name == NULL)
        return -1;
    certlc_ini_where w = {file, sec->name};
    if (certlc_ini_check_keys(&w, sec, tenant_keys, "cert_sans", err) != 0)
        return -1;
    if (tenant_defaults(t, name, file, sec->line, err) != 0)
        goto fail;
    datastore_names dn = {ds, n_ds, ds_dir};
    for (size_t i = 0; i < sec->n_kv; i++) {
        bool taken;
        if (read_tenant_value(t, &w, &sec->kv[i], &taken, err) != 0 ||
            (!taken && read_tenant_str(t, &w, &sec->kv[i], &dn, err) != 0))
            goto fail;
    }
    if (t->version == NULL) {
        certlc_err_set(err, "%s:%d: [%s] missing required key 'version'", file,
                       sec->line, sec->name);
        goto fail;
    }
    if (t->address == NULL) {
        certlc_err_set(err, "%s:%d: [%s] missing required key 'address'", file,
                       sec->line, sec->name);
        goto fail;
    }
    return 0;
fail:
    tenant_fini(t);
    return -1;
}

static int tenant_cmp(const void *a, const void *b)
{
    const certlc_tenant *x = a, *y = b;
    int c = strcmp(x->namespace, y->namespace);
    return c != 0 ? c : strcmp(x->name, y->name);
}

/* Tenant indexes in name order, the first defined first among equals. */
static int index_cmp(const void *a, const void *b, void *arg)
{
    const certlc_tenant *v = arg;
    size_t i = *(const size_t *)a, k = *(const size_t *)b;
    int c = tenant_cmp(&v[i], &v[k]);
    return c != 0 ? c : (i > k) - (i < k);
}

/* A tenant defined twice is refused, naming both places. Sorting finds
 * them at any number of tenants; a scan of those loaded before each one
 * took most of a 10,000-tenant configuration's load. */
static int refuse_twice(const certlc_config *cfg, certlc_err *err)
{
    if (cfg->n_tenants < 2)
        return 0;
    size_t *ix = malloc(cfg->n_tenants * sizeof *ix);
    if (ix == NULL)
        return certlc_err_set(err, "out of memory");
    for (size_t i = 0; i < cfg->n_tenants; i++)
        ix[i] = i;
    qsort_r(ix, cfg->n_tenants, sizeof *ix, index_cmp, cfg->tenants);
    /* The duplicate defined earliest in the files is the one named. */
    const certlc_tenant *first = NULL, *again = NULL;
    size_t again_at = SIZE_MAX;
    for (size_t i = 1; i < cfg->n_tenants; i++) {
        const certlc_tenant *a = &cfg->tenants[ix[i - 1]];
        const certlc_tenant *b = &cfg->tenants[ix[i]];
        if (tenant_cmp(a, b) == 0 && ix[i] < again_at) {
            size_t f = i - 1;
            while (f > 0 && tenant_cmp(&cfg->tenants[ix[f - 1]], b) == 0)
                f--;
            first = &cfg->tenants[ix[f]];
            again = b;
            again_at = ix[i];
        }
    }
    free(ix);
    if (again == NULL)
        return 0;
    return certlc_err_set(err, "%s: tenant %s/%s is defined twice: here and "
                               "at %s",
                          again->source, again->namespace, again->name,
                          first->source);
}

static int load_tenants(certlc_config *cfg, const dir_setting *td,
                        const char *ds_display, certlc_err *err)
{
    char **files;
    size_t n_files;
    if (certlc_ini_list_files(cfg->tenants_dir, td->display, &files, &n_files, err) != 0) {
        if (td->line > 0)
            certlc_err_prefix(err, "%s:%d: [certlc] tenants_dir", cfg->path, td->line);
        else
            certlc_err_prefix(err, "%s: [certlc] tenants_dir (default)", cfg->path);
        return -1;
    }
    int rc = 0;
    for (size_t f = 0; f < n_files && rc == 0; f++) {
        char *path = certlc_path_join(cfg->tenants_dir, files[f]);
        char *display = certlc_path_join(td->display, files[f]);
        certlc_ini_doc doc;
        if (path == NULL || display == NULL) {
            rc = certlc_err_set(err, "out of memory");
        } else if (certlc_ini_read(path, display, &doc, err) != 0) {
            rc = -1;
        } else {
            for (size_t s = 0; s < doc.n_sec && rc == 0; s++) {
                certlc_tenant *v = realloc(cfg->tenants,
                                           (cfg->n_tenants + 1) * sizeof *v);
                if (v == NULL) {
                    rc = certlc_err_set(err, "out of memory");
                    break;
                }
                cfg->tenants = v;
                certlc_tenant *t = &v[cfg->n_tenants];
                if (load_tenant(t, display, &doc.sec[s], cfg->datastores,
                                cfg->n_datastores, ds_display, err) != 0) {
                    rc = -1;
                    break;
                }
                cfg->n_tenants++;
            }
            certlc_ini_doc_free(&doc);
        }
        free(path);
        free(display);
    }
    strv_free(files, n_files);
    if (rc == 0)
        rc = refuse_twice(cfg, err);
    if (rc == 0 && cfg->n_tenants > 1)
        qsort(cfg->tenants, cfg->n_tenants, sizeof *cfg->tenants, tenant_cmp);
    return rc;
}

/* ---- public ----------------------------------------------------------------- */

int certlc_config_load(const char *path, certlc_config **out, certlc_err *err)
{
    *out = NULL;
    if (path == NULL || *path == '\0')
        return certlc_err_set(err, "no configuration file given");
    certlc_config *cfg = calloc(1, sizeof *cfg);
    if (cfg == NULL || (cfg->path = strdup(path)) == NULL) {
        free(cfg);
        return certlc_err_set(err, "out of memory");
    }
    certlc_ini_doc doc;
    if (certlc_ini_read(path, path, &doc, err) != 0) {
        certlc_config_free(cfg);
        return -1;
    }
    dir_setting tenants = {0}, datastores = {0};
    int rc = load_certlc_ini(cfg, &doc, &tenants, &datastores, err);
    certlc_ini_doc_free(&doc);
    if (rc == 0)
        rc = certlc_datastores_load(cfg->datastores_dir, datastores.display,
                                    &cfg->datastores, &cfg->n_datastores, err);
    if (rc == 0)
        rc = load_tenants(cfg, &tenants, datastores.display, err);
    free(tenants.display);
    free(datastores.display);
    if (rc != 0) {
        certlc_config_free(cfg);
        return -1;
    }
    *out = cfg;
    return 0;
}

void certlc_config_free(certlc_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->path);
    free(cfg->state_dir);
    free(cfg->plugins_dir);
    free(cfg->tenants_dir);
    free(cfg->datastores_dir);
    free(cfg->rollout_hook);
    free(cfg->metrics_listen);
    free(cfg->encryption_config);
    certlc_etcd_config_fini(&cfg->etcd);
    for (size_t i = 0; i < cfg->n_tenants; i++)
        tenant_fini(&cfg->tenants[i]);
    free(cfg->tenants);
    certlc_datastores_free(cfg->datastores, cfg->n_datastores);
    free(cfg);
}

const certlc_tenant *certlc_config_tenant(const certlc_config *cfg, const char *ns,
                                          const char *name)
{
    if (cfg == NULL || name == NULL || cfg->n_tenants == 0)
        return NULL;
    if (ns == NULL)
        ns = "default";
    /* The loader sorts the tenants by namespace and name. */
    certlc_tenant key = {.namespace = (char *)ns, .name = (char *)name};
    return bsearch(&key, cfg->tenants, cfg->n_tenants, sizeof *cfg->tenants,
                   tenant_cmp);
}

/* ---- metrics_listen ------------------------------------------------ */

int certlc_listen_parse(const char *text, struct sockaddr_storage *out,
                        socklen_t *len, certlc_err *err)
{
    const char *colon = text ? strrchr(text, ':') : NULL;
    int port = 0;
    if (colon == NULL || !parse_port(colon + 1, &port))
        return certlc_err_set(err, "\"%s\" is not ADDRESS:PORT (e.g. 127.0.0.1:9464, "
                              "[::1]:9464, 0.0.0.0:9464; empty: no metrics)",
                              text ? text : "");
    char host[INET6_ADDRSTRLEN + 2];
    size_t n = (size_t)(colon - text);
    if (n >= sizeof host)
        return certlc_err_set(err, "\"%s\": the address is too long", text);
    memcpy(host, text, n);
    host[n] = '\0';
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        host[n - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return certlc_err_set(err, "\"%s\": \"%s\" is not an IPv6 address", text,
                                  host + 1);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        sl = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        if (n == 0)
            a->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            return certlc_err_set(err, "\"%s\": \"%s\" is not an IPv4 address (an IPv6 "
                                  "one goes in brackets: [::1]:9464; host names are not "
                                  "accepted)", text, host);
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        sl = sizeof *a;
    }
    if (out != NULL)
        *out = ss;
    if (len != NULL)
        *len = sl;
    return 0;
}
