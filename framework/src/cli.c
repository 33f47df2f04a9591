#include "cli.h"

#include <stdio.h>

#include "encryption.h"
#include "log.h"

int certlc_cli_encrypt_store(const certlc_config *cfg, certlc_store *st,
                             certlc_err *err)
{
    if (cfg->encryption_config == NULL)
        return 0;
    certlc_encryption *enc = certlc_encryption_load(cfg->encryption_config,
                                                    err);
    if (enc == NULL) {
        certlc_err_prefix(err, "%s: encryption_config", cfg->path);
        return -1;
    }
    certlc_store_set_encryption(st, enc);
    return 0;
}

int certlc_cli_open(certlc_cli *c)
{
    certlc_err err;
    if (certlc_config_load(c->config_path, &c->cfg, &err) != 0) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    certlc_log_set_level(c->cfg->log_level);
    certlc_log_set_format(c->cfg->log_format);
    /* store = etcd */
    if (c->cfg->store == CERTLC_STORE_ETCD)
        c->store = certlc_store_etcd_open(&c->cfg->etcd, &err);
    else
        c->store = certlc_store_file_open(c->cfg->state_dir, &err);
    if (c->store != NULL &&
        certlc_cli_encrypt_store(c->cfg, c->store, &err) != 0) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        certlc_store_close(c->store);
        c->store = NULL;
        certlc_config_free(c->cfg);
        c->cfg = NULL;
        return CERTLC_EXIT_FAIL;
    }
    if (c->store == NULL) {
        fprintf(stderr, "certlc: %s: %s\n",
                c->cfg->store == CERTLC_STORE_ETCD ? "store" : "state_dir",
                err.msg);
        certlc_config_free(c->cfg);
        c->cfg = NULL;
        return CERTLC_EXIT_FAIL;
    }
    return CERTLC_EXIT_OK;
}

void certlc_cli_close(certlc_cli *c)
{
    certlc_store_close(c->store);
    certlc_config_free(c->cfg);
    c->store = NULL;
    c->cfg = NULL;
}
