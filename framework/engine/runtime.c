#include "runtime.h"

#include "encryption.h"
#include "log.h"
#include "store_etcd.h"

int certlc_runtime_load_encryption(const certlc_config *cfg,
                                   struct certlc_encryption **enc,
                                   certlc_err *err)
{
    *enc = NULL;
    if (cfg->encryption_config == NULL)
        return 0;
    *enc = certlc_encryption_load(cfg->encryption_config, err);
    if (*enc != NULL)
        return 0;
    certlc_err_prefix(err, "%s: encryption_config", cfg->path);
    return -1;
}

int certlc_runtime_encrypt_store(const certlc_config *cfg, certlc_store *st,
                                 certlc_err *err)
{
    certlc_encryption *enc;
    if (certlc_runtime_load_encryption(cfg, &enc, err) != 0)
        return -1;
    if (enc != NULL)
        certlc_store_set_encryption(st, enc);
    return 0;
}

static certlc_store *store_open(const certlc_config *cfg, certlc_err *err)
{
    certlc_store *st = cfg->store == CERTLC_STORE_ETCD
                           ? certlc_store_etcd_open(&cfg->etcd, err)
                           : certlc_store_file_open(cfg->state_dir, err);
    if (st == NULL)
        certlc_err_prefix(err, "%s", cfg->store == CERTLC_STORE_ETCD
                                         ? "store" : "state_dir");
    return st;
}

int certlc_runtime_open(certlc_runtime *rt, certlc_err *err)
{
    rt->cfg = NULL;
    rt->store = NULL;
    rt->datastores = NULL;
    if (certlc_config_load(rt->config_path, &rt->cfg, err) != 0)
        return -1;
    certlc_log_set_level(rt->cfg->log_level);
    certlc_log_set_format(rt->cfg->log_format);
    rt->store = store_open(rt->cfg, err);
    if (rt->store == NULL ||
        certlc_runtime_encrypt_store(rt->cfg, rt->store, err) != 0) {
        certlc_runtime_close(rt);
        return -1;
    }
    rt->datastores = certlc_ds_registry_new();
    if (rt->datastores == NULL) {
        certlc_err_set(err, "out of memory");
        certlc_runtime_close(rt);
        return -1;
    }
    return 0;
}

void certlc_runtime_close(certlc_runtime *rt)
{
    /* The instances first: a driver's fini may still use what the store
     * and the configuration hold. */
    certlc_ds_registry_free(rt->datastores);
    certlc_store_close(rt->store);
    certlc_config_free(rt->cfg);
    rt->datastores = NULL;
    rt->store = NULL;
    rt->cfg = NULL;
}
