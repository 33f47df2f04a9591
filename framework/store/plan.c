#include "plan.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define X509_LABEL "x509"
#define KC_LABEL "kubeconfig"

static const certlc_item items[] = {
    {.suffix = "ca", .kind = CERTLC_ITEM_CA, .type = CERTLC_TYPE_OPAQUE,
     .cert_key = "ca.crt", .key_key = "ca.key", .cn = "kubernetes"},
    {.suffix = "front-proxy-ca-certificate", .kind = CERTLC_ITEM_CA,
     .type = CERTLC_TYPE_OPAQUE, .cert_key = "front-proxy-ca.crt",
     .key_key = "front-proxy-ca.key", .cn = "front-proxy-ca"},
    {.suffix = "sa-certificate", .kind = CERTLC_ITEM_KEYPAIR,
     .type = CERTLC_TYPE_OPAQUE, .cert_key = "sa.pub", .key_key = "sa.key"},
    {.suffix = "api-server-certificate", .kind = CERTLC_ITEM_LEAF,
     .type = CERTLC_TYPE_OPAQUE, .lifecycle = X509_LABEL,
     .cert_key = "apiserver.crt", .key_key = "apiserver.key", .signer = "ca",
     .cn = "kube-apiserver", .server_auth = true},
    {.suffix = "api-server-kubelet-client-certificate", .kind = CERTLC_ITEM_LEAF,
     .type = CERTLC_TYPE_OPAQUE, .lifecycle = X509_LABEL,
     .cert_key = "apiserver-kubelet-client.crt",
     .key_key = "apiserver-kubelet-client.key", .signer = "ca",
     .cn = "kube-apiserver-kubelet-client", .org = CERTLC_GROUP_CLUSTER_ADMINS,
     .client_auth = true},
    {.suffix = "front-proxy-client-certificate", .kind = CERTLC_ITEM_LEAF,
     .type = CERTLC_TYPE_OPAQUE, .lifecycle = X509_LABEL,
     .cert_key = "front-proxy-client.crt", .key_key = "front-proxy-client.key",
     .signer = "front-proxy-ca-certificate", .cn = "front-proxy-client",
     .client_auth = true},
    {.suffix = "konnectivity-certificate", .kind = CERTLC_ITEM_LEAF,
     .type = CERTLC_TYPE_TLS, .lifecycle = X509_LABEL, .cert_key = "tls.crt",
     .key_key = "tls.key", .signer = "ca", .cn = "system:konnectivity-server",
     .client_auth = true, .konnectivity_only = true},
    {.suffix = "admin-kubeconfig", .kind = CERTLC_ITEM_KUBECONFIG,
     .type = CERTLC_TYPE_OPAQUE, .lifecycle = KC_LABEL, .cert_key = "admin.conf",
     .signer = "ca", .cn = "kubernetes-admin", .org = CERTLC_GROUP_CLUSTER_ADMINS,
     .client_auth = true, .server = CERTLC_SERVER_ENDPOINT},
    {.suffix = "controller-manager-kubeconfig", .kind = CERTLC_ITEM_KUBECONFIG,
     .type = CERTLC_TYPE_OPAQUE, .lifecycle = KC_LABEL,
     .cert_key = "controller-manager.conf", .signer = "ca",
     .cn = "system:kube-controller-manager", .client_auth = true,
     .server = CERTLC_SERVER_LOOPBACK},
    {.suffix = "scheduler-kubeconfig", .kind = CERTLC_ITEM_KUBECONFIG,
     .type = CERTLC_TYPE_OPAQUE, .lifecycle = KC_LABEL,
     .cert_key = "scheduler.conf", .signer = "ca",
     .cn = "system:kube-scheduler", .client_auth = true,
     .server = CERTLC_SERVER_LOOPBACK},
    {.suffix = "konnectivity-kubeconfig", .kind = CERTLC_ITEM_KUBECONFIG,
     .type = CERTLC_TYPE_OPAQUE, .lifecycle = KC_LABEL,
     .cert_key = "konnectivity-server.conf", .signer = "ca",
     .cn = "system:konnectivity-server", .client_auth = true,
     .konnectivity_only = true, .server = CERTLC_SERVER_LOCALHOST},
    /* Issued by the tenant's datastore driver (signer: the DataStore CA,
     * outside the plan), kept by datastore_reconcile.c. */
    {.suffix = "datastore-certificate", .kind = CERTLC_ITEM_LEAF,
     .type = CERTLC_TYPE_OPAQUE, .lifecycle = X509_LABEL,
     .cert_key = "server.crt", .key_key = "server.key", .client_auth = true,
     .datastore_only = true},
    {.suffix = "datastore-config", .kind = CERTLC_ITEM_KEYPAIR,
     .type = CERTLC_TYPE_OPAQUE, .cert_key = "DB_CONNECTION_STRING",
     .datastore_only = true},
};

const certlc_item *certlc_plan_items(size_t *n)
{
    *n = sizeof items / sizeof items[0];
    return items;
}

const certlc_item *certlc_plan_item(const char *suffix)
{
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        if (strcmp(items[i].suffix, suffix) == 0)
            return &items[i];
    return NULL;
}

bool certlc_plan_enabled(const certlc_item *item, const certlc_tenant *t)
{
    return (!item->konnectivity_only || t->konnectivity) &&
           (!item->datastore_only || t->datastore[0] != '\0');
}

void certlc_plan_secret_name(const certlc_tenant *t, const certlc_item *item,
                             char *buf, size_t size)
{
    snprintf(buf, size, "%s-%s", t->name, item->suffix);
}

void certlc_plan_server_url(const certlc_item *item, const certlc_tenant *t,
                            char *buf, size_t size)
{
    const char *host = t->address;
    if (item->server == CERTLC_SERVER_LOOPBACK)
        host = "127.0.0.1";
    else if (item->server == CERTLC_SERVER_LOCALHOST)
        host = "localhost";
    /* An IPv6 literal needs brackets in a URL. */
    if (strchr(host, ':') != NULL)
        snprintf(buf, size, "https://[%s]:%d", host, t->port);
    else
        snprintf(buf, size, "https://%s:%d", host, t->port);
}

static bool is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Adds a copy of s to the DNS or IP list unless it is already there. */
static int add_san(certlc_plan_spec *ps, const char *s, certlc_err *err)
{
    bool ip = is_ip(s);
    const char **list = ip ? ps->ips : ps->dns;
    size_t *count = ip ? &ps->spec.n_ips : &ps->spec.n_dns;
    for (size_t i = 0; i < *count; i++)
        if (strcmp(list[i], s) == 0)
            return 0;
    char *copy = strdup(s);
    if (copy == NULL)
        return certlc_err_set(err, "out of memory");
    ps->strings[ps->n_strings++] = copy;
    list[(*count)++] = copy;
    return 0;
}

static int api_server_sans(certlc_plan_spec *ps, const certlc_tenant *t,
                           certlc_err *err)
{
    size_t max = 16 + t->n_cert_sans;
    ps->strings = calloc(max, sizeof *ps->strings);
    ps->dns = calloc(max, sizeof *ps->dns);
    ps->ips = calloc(max, sizeof *ps->ips);
    if (ps->strings == NULL || ps->dns == NULL || ps->ips == NULL)
        return certlc_err_set(err, "out of memory");

    char first_ip[64];
    if (certlc_cidr_first_ip(t->service_cidr, first_ip, sizeof first_ip,
                             err) != 0) {
        certlc_err_prefix(err, "tenant %s: service_cidr", t->name);
        return -1;
    }
    char names[7][300];
    snprintf(names[0], sizeof names[0], "kubernetes");
    snprintf(names[1], sizeof names[1], "kubernetes.default");
    snprintf(names[2], sizeof names[2], "kubernetes.default.svc");
    snprintf(names[3], sizeof names[3], "kubernetes.default.svc.%s",
             t->cluster_domain);
    snprintf(names[4], sizeof names[4], "%s", t->name);
    snprintf(names[5], sizeof names[5], "%s.%s.svc", t->name, t->namespace);
    snprintf(names[6], sizeof names[6], "%s.%s.svc.%s", t->name, t->namespace,
             t->cluster_domain);
    for (size_t i = 0; i < 7; i++)
        if (add_san(ps, names[i], err) != 0)
            return -1;
    const char *fixed[] = {"localhost", "127.0.0.1", first_ip, t->address};
    for (size_t i = 0; i < 4; i++)
        if (add_san(ps, fixed[i], err) != 0)
            return -1;
    for (size_t i = 0; i < t->n_cert_sans; i++)
        if (add_san(ps, t->cert_sans[i], err) != 0)
            return -1;
    ps->spec.dns = ps->dns;
    ps->spec.ips = ps->ips;
    return 0;
}

bool certlc_plan_v129(const certlc_tenant *t)
{
    /* config.c has checked the form vMAJOR.MINOR.PATCH. */
    unsigned long major = 0, minor = 0;
    const char *v = t->version != NULL ? t->version : "";
    char *end = NULL;
    if (*v == 'v')
        v++;
    major = strtoul(v, &end, 10);
    if (end != NULL && *end == '.')
        minor = strtoul(end + 1, NULL, 10);
    return major > 1 || (major == 1 && minor >= 29);
}

/* The group an item's certificate carries for the tenant's version: the
 * items kubeadm moved to kubeadm:cluster-admins in v1.29 are in
 * system:masters before. */
static const char *item_org(const certlc_item *item, const certlc_tenant *t)
{
    if (item->org != NULL &&
        strcmp(item->org, CERTLC_GROUP_CLUSTER_ADMINS) == 0 &&
        !certlc_plan_v129(t))
        return CERTLC_GROUP_MASTERS;
    return item->org;
}

size_t certlc_plan_kubeconfigs(const certlc_item *item, const certlc_tenant *t,
                               certlc_plan_kubeconfig out[CERTLC_PLAN_MAX_KUBECONFIGS])
{
    out[0] = (certlc_plan_kubeconfig){item->cert_key, item->cn,
                                      item_org(item, t)};
    if (strcmp(item->suffix, "admin-kubeconfig") != 0 || !certlc_plan_v129(t))
        return 1;
    /* kubeadm's super-admin.conf (kubeconfig.go), in the same Secret as
     * admin.conf, as Kamaji keeps it. */
    out[1] = (certlc_plan_kubeconfig){"super-admin.conf",
                                      "kubernetes-super-admin",
                                      CERTLC_GROUP_MASTERS};
    return 2;
}

const char *certlc_plan_rbac_manifest(const certlc_item *item,
                                      const certlc_tenant *t)
{
    /* What kubeadm's EnsureAdminClusterRoleBinding creates. */
    static const char manifest[] =
        "apiVersion: rbac.authorization.k8s.io/v1\n"
        "kind: ClusterRoleBinding\n"
        "metadata:\n"
        "  name: kubeadm:cluster-admins\n"
        "roleRef:\n"
        "  apiGroup: rbac.authorization.k8s.io\n"
        "  kind: ClusterRole\n"
        "  name: cluster-admin\n"
        "subjects:\n"
        "- apiGroup: rbac.authorization.k8s.io\n"
        "  kind: Group\n"
        "  name: kubeadm:cluster-admins\n";
    if (strcmp(item->suffix, "admin-kubeconfig") != 0 || !certlc_plan_v129(t))
        return NULL;
    return manifest;
}

int certlc_plan_spec_init(certlc_plan_spec *ps, const certlc_item *item,
                          const certlc_tenant *t, const certlc_config *cfg,
                          certlc_err *err)
{
    memset(ps, 0, sizeof *ps);
    ps->spec.cn = item->cn;
    if (item->org != NULL) {
        ps->orgs[0] = item_org(item, t);
        ps->spec.orgs = ps->orgs;
        ps->spec.n_orgs = 1;
    }
    ps->spec.is_ca = item->kind == CERTLC_ITEM_CA;
    ps->spec.server_auth = item->server_auth;
    ps->spec.client_auth = item->client_auth;
    ps->spec.validity = ps->spec.is_ca ? cfg->ca_validity : cfg->leaf_validity;
    ps->spec.extra_sans_ok = t->reissue_on_removed_san >= 0
                                 ? !t->reissue_on_removed_san
                                 : !cfg->reissue_on_removed_san;
    if (item->server_auth && api_server_sans(ps, t, err) != 0) {
        certlc_plan_spec_fini(ps);
        return -1;
    }
    return 0;
}

void certlc_plan_spec_fini(certlc_plan_spec *ps)
{
    for (size_t i = 0; i < ps->n_strings; i++)
        free(ps->strings[i]);
    free(ps->strings);
    free(ps->dns);
    free(ps->ips);
    memset(ps, 0, sizeof *ps);
}
