/* INI files (inifile.c through config.c): certlc.ini, a tenants.d file and
 * a datastores.d file, loaded by certlc_config_load from a temporary
 * folder as the program loads them. The input holds up to three files
 * separated by a line "%%": certlc.ini, tenants.d/t.ini, datastores.d/d.ini
 * (an absent one is not written; an empty certlc.ini is one with only
 * "[certlc]"). There is no writer to round-trip through, so what a
 * successful load promises is checked instead: every name a DNS-1123
 * label, every duration positive, every tenant's datastore loaded. */
#include <inttypes.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

static char dir[64];
static char ini[128], tdir[128], ddir[128], tfile[160], dfile[160];

static void cleanup(void)
{
    unlink(tfile);
    unlink(dfile);
    unlink(ini);
    rmdir(tdir);
    rmdir(ddir);
    rmdir(dir);
}

static bool setup(void)
{
    if (dir[0] != '\0')
        return true;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/certlc-fuzz-ini.XXXXXX",
             tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("fuzz_ini: mkdtemp");
        abort();
    }
    snprintf(ini, sizeof ini, "%s/certlc.ini", dir);
    snprintf(tdir, sizeof tdir, "%s/tenants.d", dir);
    snprintf(ddir, sizeof ddir, "%s/datastores.d", dir);
    snprintf(tfile, sizeof tfile, "%s/t.ini", tdir);
    snprintf(dfile, sizeof dfile, "%s/d.ini", ddir);
    if (mkdir(tdir, 0700) != 0 || mkdir(ddir, 0700) != 0) {
        perror("fuzz_ini: mkdir");
        abort();
    }
    atexit(cleanup);
    return true;
}

static void put(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL, "cannot write %s", path);
    if (n > 0)
        fwrite(p, 1, n, f);
    FUZZ_CHECK(fclose(f) == 0, "cannot write %s", path);
}

/* The next part of [*p, end): up to "\n%%\n" or the end. */
static bool next_part(const uint8_t **p, const uint8_t *end,
                      const uint8_t **part, size_t *n)
{
    static const char sep[] = "\n%%\n";
    if (*p == NULL)
        return false;
    *part = *p;
    const uint8_t *s = memmem(*p, (size_t)(end - *p), sep, sizeof sep - 1);
    if (s == NULL) {
        *n = (size_t)(end - *p);
        *p = NULL;
    } else {
        *n = (size_t)(s - *p) + 1; /* keep the newline */
        *p = s + sizeof sep - 1;
    }
    return true;
}

static void check_config(const certlc_config *cfg)
{
    FUZZ_CHECK(cfg->ca_validity > 0 && cfg->leaf_validity > 0 &&
                   cfg->renew_before > 0 && cfg->leader_lease > 0,
               "a duration is not positive");
    FUZZ_CHECK(cfg->state_dir != NULL && cfg->plugins_dir != NULL &&
                   cfg->tenants_dir != NULL && cfg->datastores_dir != NULL,
               "a folder is not set");
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const certlc_tenant *t = &cfg->tenants[i];
        FUZZ_CHECK(certlc_dns1123_label(t->name), "tenant name \"%s\"",
                   t->name);
        FUZZ_CHECK(certlc_dns1123_label(t->namespace),
                   "tenant namespace \"%s\"", t->namespace);
        FUZZ_CHECK(t->port > 0 && t->port < 65536, "port %d", t->port);
        FUZZ_CHECK(certlc_config_tenant(cfg, t->namespace, t->name) != NULL,
                   "tenant %s/%s not found by name", t->namespace, t->name);
        if (t->datastore != NULL && *t->datastore != '\0')
            FUZZ_CHECK(certlc_datastore_find(cfg->datastores,
                                             cfg->n_datastores,
                                             t->datastore) != NULL,
                       "tenant %s: datastore \"%s\" not loaded", t->name,
                       t->datastore);
    }
    for (size_t i = 0; i < cfg->n_datastores; i++)
        FUZZ_CHECK(certlc_dns1123_label(cfg->datastores[i].name),
                   "datastore name \"%s\"", cfg->datastores[i].name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char minimal[] = "[certlc]\n";
    setup();
    unlink(tfile);
    unlink(dfile);
    const uint8_t *p = data, *end = data + size, *part;
    size_t n;
    if (size == 0)
        p = NULL;
    if (next_part(&p, end, &part, &n) && n > 0)
        put(ini, part, n);
    else
        put(ini, (const uint8_t *)minimal, sizeof minimal - 1);
    if (next_part(&p, end, &part, &n))
        put(tfile, part, n);
    if (next_part(&p, end, &part, &n))
        put(dfile, part, n);

    certlc_config *cfg = NULL;
    certlc_err err;
    if (certlc_config_load(ini, &cfg, &err) == 0) {
        check_config(cfg);
        certlc_config_free(cfg);
    }
    return 0;
}
