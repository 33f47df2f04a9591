/* Kubeconfigs: the standard `apiVersion: v1, kind: Config` YAML document with
 * one cluster, one user and one context, certificates and key embedded as
 * base64 *-data fields. Written and read with libyaml. */
#ifndef CERTLC_KUBECONFIG_H
#define CERTLC_KUBECONFIG_H

#include <stddef.h>

#include "err.h"

typedef struct certlc_kubeconfig {
    char *cluster; /* clusters[0].name: the tenant */
    char *user;    /* users[0].name, e.g. kubernetes-admin */
    char *context; /* "<user>@<cluster>", also current-context */
    char *server;  /* clusters[0].cluster.server */
    unsigned char *ca_pem;   size_t ca_len;   /* certificate-authority-data */
    unsigned char *cert_pem; size_t cert_len; /* client-certificate-data */
    unsigned char *key_pem;  size_t key_len;  /* client-key-data (cleansed on free) */
} certlc_kubeconfig;

/* Writes the YAML for kc (context is derived: "<user>@<cluster>"; kc->context
 * is ignored). malloc'd, NUL-terminated; free with certlc_kubeconfig_yaml_free
 * as it holds the key. */
char *certlc_kubeconfig_write(const certlc_kubeconfig *kc, size_t *len,
                              certlc_err *err);
void certlc_kubeconfig_yaml_free(char *yaml, size_t len);

/* Reads a kubeconfig: the current context's cluster and user (the first ones
 * when there is no current-context). Errors name what is missing or broken,
 * e.g. "users[0].user.client-certificate-data: not valid base64". */
certlc_kubeconfig *certlc_kubeconfig_parse(const void *yaml, size_t len,
                                           certlc_err *err);
void certlc_kubeconfig_free(certlc_kubeconfig *kc);

#endif
