#include "kamaji.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"
#include "timefmt.h"

#define TLS_CERT_KEY "tls.crt"
#define TLS_KEY_KEY "tls.key"

void certlc_kamaji_checksum(const certlc_kvlist *data, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    out[0] = '\0';
    /* The kvlist is sorted by key with strcmp, the byte order of Go's
     * sort.Strings, so the concatenation is Kamaji's. MD5 is no security
     * choice here: it is what Kamaji compares against. */
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    for (size_t i = 0; ok && i < data->n; i++)
        ok = EVP_DigestUpdate(ctx, data->items[i].value, data->items[i].len);
    ok = ok && EVP_DigestFinal_ex(ctx, md, &len) && len == 16;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return;
    certlc_hex(md, len, out);
}

int certlc_kamaji_metadata(certlc_secret *s)
{
    char sum[33];
    certlc_kamaji_checksum(&s->data, sum);
    int rc = certlc_kvlist_set_str(&s->labels, CERTLC_LABEL_PROJECT,
                                   CERTLC_LABEL_PROJECT_VALUE);
    if (sum[0] != '\0')
        rc |= certlc_kvlist_set_str(&s->annotations, CERTLC_ANNOTATION_CHECKSUM,
                                    sum);
    return rc != 0 ? -1 : 0;
}

bool certlc_kamaji_rotation_requested(const certlc_kvlist *annotations)
{
    const certlc_kv *kv = certlc_kvlist_get(annotations,
                                            CERTLC_ANNOTATION_ROTATE);
    return kv != NULL && kv->len == 0;
}

int certlc_kamaji_rotation_done(certlc_kvlist *annotations, int64_t now)
{
    if (!certlc_kamaji_rotation_requested(annotations))
        return 0;
    char when[32];
    certlc_time_rfc3339(now, when, sizeof when);
    return certlc_kvlist_set_str(annotations, CERTLC_ANNOTATION_ROTATE, when);
}

static bool same_value(const certlc_kv *a, const certlc_kv *b)
{
    return a != NULL && b != NULL && a->len == b->len &&
           memcmp(a->value, b->value, a->len) == 0;
}

int certlc_kamaji_ca_tls_keys(certlc_kvlist *data, const certlc_item *item)
{
    if (item->kind != CERTLC_ITEM_CA || strcmp(item->suffix, "ca") != 0)
        return 0;
    /* Kamaji's ca_certificate.go: "Required for Cluster API integration
     * which is reading the basic TLS keys". Only the tenant CA has them. */
    const certlc_kv *crt = certlc_kvlist_get(data, item->cert_key);
    const certlc_kv *key = certlc_kvlist_get(data, item->key_key);
    if (crt == NULL || key == NULL)
        return 0;
    /* Copies first: setting may move the list's entries. */
    certlc_kvlist tmp = {0};
    int rc = certlc_kvlist_set(&tmp, TLS_CERT_KEY, crt->value, crt->len) |
             certlc_kvlist_set(&tmp, TLS_KEY_KEY, key->value, key->len);
    for (size_t i = 0; rc == 0 && i < tmp.n; i++)
        rc = certlc_kvlist_set(data, tmp.items[i].key, tmp.items[i].value,
                               tmp.items[i].len);
    certlc_kvlist_clear(&tmp);
    return rc != 0 ? -1 : 0;
}

static void add_what(char *what, size_t size, const char *part)
{
    size_t used = strlen(what);
    if (used < size)
        snprintf(what + used, size - used, "%s%s", used ? ", " : "", part);
}

int certlc_kamaji_complete(certlc_secret *s, const certlc_item *item,
                           bool *changed, char *what, size_t what_size)
{
    *changed = false;
    what[0] = '\0';
    if (item->kind == CERTLC_ITEM_CA && strcmp(item->suffix, "ca") == 0 &&
        (!same_value(certlc_kvlist_get(&s->data, TLS_CERT_KEY),
                     certlc_kvlist_get(&s->data, item->cert_key)) ||
         !same_value(certlc_kvlist_get(&s->data, TLS_KEY_KEY),
                     certlc_kvlist_get(&s->data, item->key_key)))) {
        if (certlc_kamaji_ca_tls_keys(&s->data, item) != 0)
            return -1;
        add_what(what, what_size, "tls.crt and tls.key");
        *changed = true;
    }
    const char *project = certlc_kvlist_str(&s->labels, CERTLC_LABEL_PROJECT);
    if (project == NULL || strcmp(project, CERTLC_LABEL_PROJECT_VALUE) != 0) {
        add_what(what, what_size, "label " CERTLC_LABEL_PROJECT);
        *changed = true;
    }
    char sum[33];
    certlc_kamaji_checksum(&s->data, sum);
    const char *old = certlc_kvlist_str(&s->annotations,
                                        CERTLC_ANNOTATION_CHECKSUM);
    if (old == NULL || strcmp(old, sum) != 0) {
        add_what(what, what_size, "annotation " CERTLC_ANNOTATION_CHECKSUM);
        *changed = true;
    }
    return *changed ? certlc_kamaji_metadata(s) : 0;
}
