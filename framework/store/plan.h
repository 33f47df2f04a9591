/* The plan: which Secrets a tenant control plane needs and what each one
 * holds. This is DESIGN section 3's Secret table as data, so that the
 * reconciler, check-expiration and the tests all read one definition. */
#ifndef CERTLC_PLAN_H
#define CERTLC_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "pki.h"
#include "secret.h"

/* Label keys: the same as the system certlc follows, so that the selectors
 * people already type keep working. */
#define CERTLC_LABEL_NAME "kamaji.clastix.io/name"
#define CERTLC_LABEL_COMPONENT "kamaji.clastix.io/component"
#define CERTLC_LABEL_LIFECYCLE "kamaji.clastix.io/certificate_lifecycle_controller"
#define CERTLC_LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
/* Kamaji's own label on everything it makes (kamaji.h writes it). */
#define CERTLC_LABEL_PROJECT "kamaji.clastix.io/project"
#define CERTLC_LABEL_PROJECT_VALUE "kamaji"
/* Kamaji's checksum of a Secret's data (kamaji.h computes it). */
#define CERTLC_ANNOTATION_CHECKSUM "kamaji.clastix.io/checksum"
/* Annotations certlc writes on what it issues. */
#define CERTLC_ANNOTATION_ROTATED "certlc.io/last-rotation"
#define CERTLC_ANNOTATION_REASON "certlc.io/rotation-reason"
/* Kamaji's rotation annotation: an empty value asks for a rotation
 * (certlc rotate secret NAME writes it); once rotated, the value becomes
 * the RFC 3339 time of the rotation, which asks for nothing. */
#define CERTLC_ANNOTATION_ROTATE "certs.kamaji.clastix.io/rotate"

/* The groups kubeadm puts its administrators in: system:masters bypasses
 * RBAC; kubeadm:cluster-admins (v1.29 and later) is bound to
 * cluster-admin by a ClusterRoleBinding of the same name. */
#define CERTLC_GROUP_MASTERS "system:masters"
#define CERTLC_GROUP_CLUSTER_ADMINS "kubeadm:cluster-admins"

typedef enum certlc_item_kind {
    CERTLC_ITEM_CA,         /* self-signed CA certificate and key */
    CERTLC_ITEM_KEYPAIR,    /* a bare key pair (service accounts) */
    CERTLC_ITEM_LEAF,       /* a certificate signed by a CA of the plan */
    CERTLC_ITEM_KUBECONFIG, /* a kubeconfig embedding a client certificate */
} certlc_item_kind;

typedef enum certlc_server_kind {
    CERTLC_SERVER_ENDPOINT,  /* https://<address>:<port> */
    CERTLC_SERVER_LOOPBACK,  /* https://127.0.0.1:<port> */
    CERTLC_SERVER_LOCALHOST, /* https://localhost:<port> */
} certlc_server_kind;

typedef struct certlc_item {
    const char *suffix;     /* Secret name is <tcp>-<suffix> */
    certlc_item_kind kind;
    const char *type;       /* Secret type */
    const char *lifecycle;  /* lifecycle label value, NULL when untracked */
    const char *cert_key;   /* data key of the certificate (sa: public key,
                               kubeconfig: the kubeconfig) */
    const char *key_key;    /* data key of the private key; NULL for
                               kubeconfigs */
    const char *signer;     /* suffix of the signing CA item; NULL for CAs */
    const char *cn;
    const char *org;        /* NULL when none */
    bool server_auth;
    bool client_auth;
    bool konnectivity_only; /* only when the tenant enables konnectivity */
    /* Only when the tenant has a datastore. These Secrets are made by the
     * datastore code (datastore_reconcile.c, through the tenant's driver),
     * not by reconcile.c's item loop; they are listed here so that rollout
     * digests, check-expiration and the watch see them. */
    bool datastore_only;
    certlc_server_kind server; /* kubeconfigs only */
} certlc_item;

/* Every item, CAs first, so that a pass in this order always has the
 * signer of an item before the item. */
const certlc_item *certlc_plan_items(size_t *n);
const certlc_item *certlc_plan_item(const char *suffix);
bool certlc_plan_enabled(const certlc_item *item, const certlc_tenant *t);

/* The Secret name "<tcp>-<suffix>" into buf. */
void certlc_plan_secret_name(const certlc_tenant *t, const certlc_item *item,
                             char *buf, size_t size);

/* The certificate spec of an item for a tenant: subject, SANs, usages and
 * validity. The strings it points at live in *storage until
 * certlc_plan_spec_fini. */
typedef struct certlc_plan_spec {
    certlc_cert_spec spec;
    char **strings; /* owned copies behind spec's arrays */
    size_t n_strings;
    const char **dns;
    const char **ips;
    const char *orgs[1];
} certlc_plan_spec;

int certlc_plan_spec_init(certlc_plan_spec *ps, const certlc_item *item,
                          const certlc_tenant *t, const certlc_config *cfg,
                          certlc_err *err);
void certlc_plan_spec_fini(certlc_plan_spec *ps);

/* True when the tenant's version is v1.29 or later: from then on kubeadm
 * issues admin.conf and apiserver-kubelet-client in kubeadm:cluster-admins
 * and adds super-admin.conf in system:masters. */
bool certlc_plan_v129(const certlc_tenant *t);

/* One kubeconfig held by a kubeconfig item's Secret. */
typedef struct certlc_plan_kubeconfig {
    const char *key; /* data key */
    const char *cn;  /* client certificate CN and kubeconfig user */
    const char *org; /* client certificate O; NULL when none */
} certlc_plan_kubeconfig;

#define CERTLC_PLAN_MAX_KUBECONFIGS 2
/* The kubeconfigs of a kubeconfig item for the tenant, the item's own
 * first; the admin Secret of a v1.29+ tenant also holds super-admin.conf
 * as Kamaji stores it. Returns how many (1 or 2). */
size_t certlc_plan_kubeconfigs(const certlc_item *item, const certlc_tenant *t,
                               certlc_plan_kubeconfig out[CERTLC_PLAN_MAX_KUBECONFIGS]);

/* A fixed text entry of a Secret besides its certificates: the admin
 * Secret of a v1.29+ tenant carries the ClusterRoleBinding manifest that
 * gives kubeadm:cluster-admins its rights. NULL when the item has none. */
#define CERTLC_RBAC_KEY "cluster-admins-rbac.yaml"
const char *certlc_plan_rbac_manifest(const certlc_item *item,
                                      const certlc_tenant *t);

/* The server URL a kubeconfig item must point at, into buf. */
void certlc_plan_server_url(const certlc_item *item, const certlc_tenant *t,
                            char *buf, size_t size);

#endif
