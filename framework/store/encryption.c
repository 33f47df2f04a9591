/* Encryption at rest: the EncryptionConfiguration loader and the aesgcm,
 * secretbox and identity providers (see encryption.h for the format).
 *
 * The file is read with libyaml's document loader and walked by hand, so
 * that every fault names the file and line. The keys are decoded into one
 * array, in the order kube-apiserver tries them (providers in order, keys
 * in order); the first entry encrypts. Key material is wiped from the read
 * buffer, from libyaml's copies and on free.
 */
#include "encryption.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "base64.h"

#define ENC_PREFIX "k8s:enc:"
#define GCM_NONCE 12
#define GCM_TAG 16
#define MAX_CONFIG_SIZE ((size_t)1 << 20)
#define MAX_KEY_NAME 200

enum enc_kind { ENC_IDENTITY, ENC_AESGCM, ENC_SECRETBOX };

typedef struct enc_key {
    enum enc_kind kind;
    char name[MAX_KEY_NAME + 1];
    char prefix[MAX_KEY_NAME + 32]; /* "k8s:enc:aesgcm:v1:<name>:"; "" */
    size_t plen;
    unsigned char key[32];
    size_t klen;
    char desc[MAX_KEY_NAME + 32]; /* aesgcm key "key1" */
} enc_key;

struct certlc_encryption {
    char *path;
    enc_key *keys;
    size_t n;
    bool identity; /* plaintext values are readable */
};

static const char *kind_name(enum enc_kind k)
{
    return k == ENC_AESGCM ? "aesgcm" : k == ENC_SECRETBOX ? "secretbox"
                                                          : "identity";
}

/* ---- the file ------------------------------------------------------------ */

/* Reads the configuration after checking who may read it: it holds keys. */
static char *read_config(const char *path, size_t *len, certlc_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0 && errno == ELOOP)
        /* Whoever may change the link decides which keys are read. */
        return certlc_err_set(err, "%s: is a symbolic link: point "
                              "encryption_config at the file itself", path),
               NULL;
    if (fd < 0)
        return certlc_err_set(err, "%s: %s", path, strerror(errno)), NULL;
    struct stat sb;
    char *buf = NULL;
    if (fstat(fd, &sb) != 0) {
        certlc_err_set(err, "%s: %s", path, strerror(errno));
    } else if (!S_ISREG(sb.st_mode)) {
        certlc_err_set(err, "%s: not a regular file", path);
    } else if (sb.st_uid != geteuid()) {
        certlc_err_set(err, "%s: owned by uid %lu, not by the operator's user "
                       "(uid %lu); it holds the encryption keys: chown it",
                       path, (unsigned long)sb.st_uid,
                       (unsigned long)geteuid());
    } else if ((sb.st_mode & 077) != 0) {
        certlc_err_set(err, "%s: mode %04o lets others than its owner read "
                       "the encryption keys it holds: chmod 600 %s", path,
                       (unsigned)(sb.st_mode & 07777), path);
    } else if ((size_t)sb.st_size > MAX_CONFIG_SIZE) {
        certlc_err_set(err, "%s: larger than 1 MiB", path);
    } else if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
        certlc_err_set(err, "out of memory");
    } else {
        size_t n = 0, want = (size_t)sb.st_size;
        while (n < want) {
            ssize_t r = read(fd, buf + n, want - n);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            n += (size_t)r;
        }
        if (n != want) {
            OPENSSL_cleanse(buf, want);
            free(buf);
            buf = NULL;
            certlc_err_set(err, "%s: short read", path);
        } else {
            buf[n] = '\0';
            *len = n;
        }
    }
    close(fd);
    return buf;
}

/* ---- the YAML ------------------------------------------------------------ */

typedef struct walk {
    const char *path;
    yaml_document_t *doc;
    certlc_encryption *enc;
} walk;

static int at(const walk *w, const yaml_node_t *n, certlc_err *err,
              const char *fmt, const char *a, const char *b)
{
    char what[600];
    snprintf(what, sizeof what, fmt, a ? a : "", b ? b : "");
    return certlc_err_set(err, "%s:%lu: %s", w->path,
                          n ? (unsigned long)n->start_mark.line + 1 : 1UL,
                          what);
}

static const char *scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE
               ? (const char *)n->data.scalar.value
               : NULL;
}

/* The value of key in a mapping node, or NULL. */
static yaml_node_t *get(const walk *w, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        const char *k = scalar(yaml_document_get_node(w->doc, p->key));
        if (k != NULL && strcmp(k, key) == 0)
            return yaml_document_get_node(w->doc, p->value);
    }
    return NULL;
}

/* Every key of map must be one of allowed (NULL-terminated). */
static int only_keys(const walk *w, yaml_node_t *map, const char *where,
                     const char *const *allowed, certlc_err *err)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(w->doc, p->key);
        const char *k = scalar(kn);
        bool ok = false;
        for (size_t i = 0; k != NULL && allowed[i] != NULL && !ok; i++)
            ok = strcmp(k, allowed[i]) == 0;
        if (!ok)
            return at(w, kn, err, "unknown field \"%s\" in %s", k ? k : "?",
                      where);
    }
    return 0;
}

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_at(const walk *w, const yaml_node_t *n, size_t i)
{
    return yaml_document_get_node(w->doc, n->data.sequence.items.start[i]);
}

static int add_key(const walk *w, enum enc_kind kind, yaml_node_t *kn,
                   certlc_err *err)
{
    static const char *const key_fields[] = {"name", "secret", NULL};
    const char *prov = kind_name(kind);
    if (kn == NULL || kn->type != YAML_MAPPING_NODE)
        return at(w, kn, err, "%s: each key must be a mapping with name and "
                  "secret%s", prov, "");
    if (only_keys(w, kn, "a key", key_fields, err) != 0)
        return -1;
    yaml_node_t *nn = get(w, kn, "name"), *sn = get(w, kn, "secret");
    const char *name = scalar(nn), *secret = scalar(sn);
    if (name == NULL || name[0] == '\0')
        return at(w, kn, err, "%s: a key has no name%s", prov, "");
    if (strlen(name) > MAX_KEY_NAME || strchr(name, ':') != NULL)
        return at(w, nn, err, "%s: key name \"%s\" must be at most 200 "
                  "characters without ':'", prov, name);
    certlc_encryption *enc = w->enc;
    for (size_t i = 0; i < enc->n; i++)
        if (enc->keys[i].kind == kind && strcmp(enc->keys[i].name, name) == 0)
            return at(w, nn, err, "%s: key name \"%s\" is used twice", prov,
                      name);
    if (secret == NULL || secret[0] == '\0')
        return at(w, kn, err, "%s key \"%s\": no secret", prov, name);
    size_t klen = 0;
    unsigned char *raw = certlc_base64_decode(secret, strlen(secret), &klen);
    if (raw == NULL)
        return at(w, sn, err, "%s key \"%s\": secret is not base64", prov,
                  name);
    bool size_ok = kind == ENC_AESGCM ? klen == 16 || klen == 24 || klen == 32
                                      : klen == 32;
    if (!size_ok) {
        OPENSSL_cleanse(raw, klen);
        free(raw);
        return at(w, sn, err, kind == ENC_AESGCM
                      ? "aesgcm key \"%s\": secret must decode to 16, 24 or "
                        "32 bytes%s"
                      : "secretbox key \"%s\": secret must decode to 32 "
                        "bytes%s",
                  name, "");
    }
    enc_key *grown = realloc(enc->keys, (enc->n + 1) * sizeof *grown);
    if (grown == NULL) {
        OPENSSL_cleanse(raw, klen);
        free(raw);
        return certlc_err_set(err, "out of memory");
    }
    enc->keys = grown;
    enc_key *k = &enc->keys[enc->n++];
    memset(k, 0, sizeof *k);
    k->kind = kind;
    snprintf(k->name, sizeof k->name, "%s", name);
    snprintf(k->prefix, sizeof k->prefix, ENC_PREFIX "%s:v1:%s:", prov, name);
    k->plen = strlen(k->prefix);
    memcpy(k->key, raw, klen);
    k->klen = klen;
    snprintf(k->desc, sizeof k->desc, "%s key \"%s\"", prov, name);
    OPENSSL_cleanse(raw, klen);
    free(raw);
    return 0;
}

static int add_provider(const walk *w, yaml_node_t *pn, certlc_err *err)
{
    if (pn == NULL || pn->type != YAML_MAPPING_NODE ||
        pn->data.mapping.pairs.top - pn->data.mapping.pairs.start != 1)
        return at(w, pn, err, "each provider must be a mapping with exactly "
                  "one of aesgcm, secretbox or identity%s%s", "", "");
    yaml_node_pair_t *p = pn->data.mapping.pairs.start;
    yaml_node_t *kn = yaml_document_get_node(w->doc, p->key);
    yaml_node_t *vn = yaml_document_get_node(w->doc, p->value);
    const char *kind = scalar(kn);
    if (kind == NULL)
        kind = "";
    if (strcmp(kind, "identity") == 0) {
        if (vn != NULL && vn->type == YAML_MAPPING_NODE &&
            vn->data.mapping.pairs.top != vn->data.mapping.pairs.start)
            return at(w, vn, err, "identity takes no settings (write "
                      "identity: {})%s%s", "", "");
        enc_key *grown = realloc(w->enc->keys,
                                 (w->enc->n + 1) * sizeof *grown);
        if (grown == NULL)
            return certlc_err_set(err, "out of memory");
        w->enc->keys = grown;
        enc_key *k = &grown[w->enc->n++];
        memset(k, 0, sizeof *k);
        k->kind = ENC_IDENTITY;
        snprintf(k->desc, sizeof k->desc, "identity");
        w->enc->identity = true;
        return 0;
    }
    if (strcmp(kind, "kms") == 0)
        return at(w, kn, err, "the kms provider is not supported: certlc "
                  "talks to no KMS plugin; use aesgcm or secretbox%s%s", "",
                  "");
    if (strcmp(kind, "aescbc") == 0)
        return at(w, kn, err, "the aescbc provider is not supported (it is "
                  "not authenticated; Kubernetes advises against it): use "
                  "aesgcm or secretbox%s%s", "", "");
    enum enc_kind k;
    if (strcmp(kind, "aesgcm") == 0)
        k = ENC_AESGCM;
    else if (strcmp(kind, "secretbox") == 0)
        k = ENC_SECRETBOX;
    else
        return at(w, kn, err, "unknown provider \"%s\" (certlc supports "
                  "aesgcm, secretbox and identity)%s", kind, "");
    static const char *const prov_fields[] = {"keys", NULL};
    if (vn == NULL || vn->type != YAML_MAPPING_NODE)
        return at(w, vn, err, "%s: expected a mapping with keys%s", kind, "");
    if (only_keys(w, vn, kind, prov_fields, err) != 0)
        return -1;
    yaml_node_t *keys = get(w, vn, "keys");
    if (keys == NULL || keys->type != YAML_SEQUENCE_NODE || seq_len(keys) == 0)
        return at(w, vn, err, "%s: keys must be a non-empty list%s", kind, "");
    for (size_t i = 0; i < seq_len(keys); i++)
        if (add_key(w, k, seq_at(w, keys, i), err) != 0)
            return -1;
    return 0;
}

/* Does this resources list cover Secrets (core group)? */
static bool covers_secrets(const walk *w, yaml_node_t *list)
{
    if (list == NULL || list->type != YAML_SEQUENCE_NODE)
        return false;
    for (size_t i = 0; i < seq_len(list); i++) {
        const char *r = scalar(seq_at(w, list, i));
        if (r != NULL && (strcmp(r, "secrets") == 0 || strcmp(r, "*.") == 0 ||
                          strcmp(r, "*.*") == 0))
            return true;
    }
    return false;
}

static int walk_doc(const walk *w, certlc_err *err)
{
    static const char *const top_fields[] = {"apiVersion", "kind", "resources",
                                             NULL};
    static const char *const res_fields[] = {"resources", "providers", NULL};
    yaml_node_t *root = yaml_document_get_root_node(w->doc);
    if (root == NULL || root->type != YAML_MAPPING_NODE)
        return at(w, root, err, "not an EncryptionConfiguration (expected a "
                  "mapping)%s%s", "", "");
    if (only_keys(w, root, "EncryptionConfiguration", top_fields, err) != 0)
        return -1;
    const char *api = scalar(get(w, root, "apiVersion"));
    const char *kind = scalar(get(w, root, "kind"));
    if (api == NULL || strcmp(api, "apiserver.config.k8s.io/v1") != 0)
        return at(w, root, err, "apiVersion is \"%s\", expected "
                  "apiserver.config.k8s.io/v1%s", api ? api : "", "");
    if (kind == NULL || strcmp(kind, "EncryptionConfiguration") != 0)
        return at(w, root, err, "kind is \"%s\", expected "
                  "EncryptionConfiguration%s", kind ? kind : "", "");
    yaml_node_t *res = get(w, root, "resources");
    if (res == NULL || res->type != YAML_SEQUENCE_NODE)
        return at(w, root, err, "resources must be a list%s%s", "", "");
    for (size_t i = 0; i < seq_len(res); i++) {
        yaml_node_t *e = seq_at(w, res, i);
        if (e == NULL || e->type != YAML_MAPPING_NODE)
            return at(w, e, err, "each resources entry must be a mapping "
                      "with resources and providers%s%s", "", "");
        if (only_keys(w, e, "a resources entry", res_fields, err) != 0)
            return -1;
        /* The first entry naming Secrets applies, as in kube-apiserver. */
        if (!covers_secrets(w, get(w, e, "resources")))
            continue;
        yaml_node_t *provs = get(w, e, "providers");
        if (provs == NULL || provs->type != YAML_SEQUENCE_NODE ||
            seq_len(provs) == 0)
            return at(w, e, err, "providers must be a non-empty list%s%s", "",
                      "");
        for (size_t j = 0; j < seq_len(provs); j++)
            if (add_provider(w, seq_at(w, provs, j), err) != 0)
                return -1;
        return 0;
    }
    return at(w, res, err, "no resources entry lists secrets: add "
              "\"resources: [secrets]\" with its providers%s%s", "", "");
}

/* libyaml frees its scalars without wiping them: the secrets are among. */
static void wipe_doc(yaml_document_t *doc)
{
    for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++)
        if (n->type == YAML_SCALAR_NODE && n->data.scalar.value != NULL)
            OPENSSL_cleanse(n->data.scalar.value, n->data.scalar.length);
}

certlc_encryption *certlc_encryption_load(const char *path, certlc_err *err)
{
    if (sodium_init() < 0) {
        certlc_err_set(err, "%s: libsodium cannot initialise", path);
        return NULL;
    }
    size_t len = 0;
    char *buf = read_config(path, &len, err);
    if (buf == NULL)
        return NULL;
    certlc_encryption *enc = calloc(1, sizeof *enc);
    yaml_parser_t parser;
    yaml_document_t doc;
    bool have_doc = false;
    int rc = -1;
    if (enc == NULL || (enc->path = strdup(path)) == NULL) {
        certlc_err_set(err, "out of memory");
        goto out;
    }
    if (!yaml_parser_initialize(&parser)) {
        certlc_err_set(err, "out of memory");
        goto out;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        certlc_err_set(err, "%s:%lu: not YAML: %s", path,
                       (unsigned long)parser.problem_mark.line + 1,
                       parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        goto out;
    }
    have_doc = true;
    yaml_parser_delete(&parser);
    walk w = {path, &doc, enc};
    rc = walk_doc(&w, err);
out:
    if (have_doc) {
        wipe_doc(&doc);
        yaml_document_delete(&doc);
    }
    OPENSSL_cleanse(buf, len);
    free(buf);
    if (rc != 0) {
        certlc_encryption_free(enc);
        return NULL;
    }
    return enc;
}

void certlc_encryption_free(certlc_encryption *enc)
{
    if (enc == NULL)
        return;
    if (enc->keys != NULL) {
        OPENSSL_cleanse(enc->keys, enc->n * sizeof *enc->keys);
        free(enc->keys);
    }
    free(enc->path);
    free(enc);
}

const char *certlc_encryption_path(const certlc_encryption *enc)
{
    return enc != NULL ? enc->path : "";
}

const char *certlc_encryption_writer(const certlc_encryption *enc)
{
    return enc != NULL && enc->n > 0 ? enc->keys[0].desc : "identity";
}

/* ---- the providers ------------------------------------------------------- */

static const EVP_CIPHER *gcm_cipher(size_t klen)
{
    return klen == 16 ? EVP_aes_128_gcm()
                      : klen == 24 ? EVP_aes_192_gcm() : EVP_aes_256_gcm();
}

/* out: nonce || ciphertext || tag, n + 28 bytes. */
static int gcm_seal(const enc_key *k, const unsigned char *aad, size_t aadn,
                    const unsigned char *in, size_t n, unsigned char *out,
                    certlc_err *err)
{
    if (RAND_bytes(out, GCM_NONCE) != 1)
        return certlc_err_ssl(err, "encrypting: no random nonce");
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    int ok = ctx != NULL &&
             EVP_EncryptInit_ex(ctx, gcm_cipher(k->klen), NULL, k->key, out) == 1 &&
             EVP_EncryptUpdate(ctx, NULL, &l1, aad, (int)aadn) == 1 &&
             EVP_EncryptUpdate(ctx, out + GCM_NONCE, &l1, in, (int)n) == 1 &&
             EVP_EncryptFinal_ex(ctx, out + GCM_NONCE + l1, &l2) == 1 &&
             (size_t)(l1 + l2) == n &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG,
                                 out + GCM_NONCE + n) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : certlc_err_ssl(err, "encrypting with %s", k->desc);
}

/* in: nonce || ciphertext || tag; out: n - 28 bytes. -1: not authentic. */
static int gcm_open(const enc_key *k, const unsigned char *aad, size_t aadn,
                    const unsigned char *in, size_t n, unsigned char *out)
{
    size_t cn = n - GCM_NONCE - GCM_TAG;
    unsigned char tag[GCM_TAG];
    memcpy(tag, in + n - GCM_TAG, GCM_TAG);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    int ok = ctx != NULL &&
             EVP_DecryptInit_ex(ctx, gcm_cipher(k->klen), NULL, k->key, in) == 1 &&
             EVP_DecryptUpdate(ctx, NULL, &l1, aad, (int)aadn) == 1 &&
             EVP_DecryptUpdate(ctx, out, &l1, in + GCM_NONCE, (int)cn) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG, tag) == 1 &&
             EVP_DecryptFinal_ex(ctx, out + l1, &l2) == 1;
    EVP_CIPHER_CTX_free(ctx);
    certlc_err_ssl_clear();
    return ok ? 0 : -1;
}

/* The associated data: the value's prefix, then the store key. */
static unsigned char *make_aad(const enc_key *k, const char *store_key,
                               size_t *n)
{
    size_t sl = strlen(store_key);
    unsigned char *a = malloc(k->plen + sl + 1);
    if (a == NULL)
        return NULL;
    memcpy(a, k->prefix, k->plen);
    memcpy(a + k->plen, store_key, sl + 1);
    *n = k->plen + sl;
    return a;
}

int certlc_encryption_seal(const certlc_encryption *enc, const char *aad,
                           const void *plain, size_t n, unsigned char **out,
                           size_t *outn, certlc_err *err)
{
    const enc_key *k = enc != NULL && enc->n > 0 ? &enc->keys[0] : NULL;
    size_t over = k == NULL || k->kind == ENC_IDENTITY
                      ? 0
                      : k->plen + (k->kind == ENC_AESGCM
                                       ? GCM_NONCE + GCM_TAG
                                       : crypto_secretbox_NONCEBYTES +
                                             crypto_secretbox_MACBYTES);
    if (n > INT_MAX - 4096)
        return certlc_err_set(err, "encrypting: value too large");
    unsigned char *o = malloc(n + over + 1);
    if (o == NULL)
        return certlc_err_set(err, "out of memory");
    int rc = 0;
    if (over == 0) {
        memcpy(o, plain, n);
    } else if (k->kind == ENC_AESGCM) {
        memcpy(o, k->prefix, k->plen);
        size_t an = 0;
        unsigned char *a = make_aad(k, aad, &an);
        rc = a == NULL ? certlc_err_set(err, "out of memory")
                       : gcm_seal(k, a, an, plain, n, o + k->plen, err);
        free(a);
    } else {
        memcpy(o, k->prefix, k->plen);
        unsigned char *nonce = o + k->plen;
        randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
        if (crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, plain,
                                  n, nonce, k->key) != 0)
            rc = certlc_err_set(err, "encrypting with %s failed", k->desc);
    }
    if (rc != 0) {
        OPENSSL_cleanse(o, n + over + 1);
        free(o);
        return -1;
    }
    o[n + over] = '\0';
    *out = o;
    *outn = n + over;
    return 0;
}

/* The provider and key name a foreign prefix names, for the message. */
static void describe_prefix(const char *in, size_t n, char *buf, size_t size)
{
    const char *p = in + strlen(ENC_PREFIX), *end = in + n;
    const char *c1 = memchr(p, ':', (size_t)(end - p));
    const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
    const char *c3 = c2 ? memchr(c2 + 1, ':', (size_t)(end - c2 - 1)) : NULL;
    if (c3 == NULL || c1 - p > 20 || c3 - c2 - 1 > MAX_KEY_NAME) {
        snprintf(buf, size, "an unrecognised " ENC_PREFIX " prefix");
        return;
    }
    snprintf(buf, size, "%.*s key \"%.*s\"", (int)(c1 - p), p,
             (int)(c3 - c2 - 1), c2 + 1);
}

static int undecryptable(certlc_err *err, const certlc_encryption *enc,
                         const char *in, size_t n, const char *why)
{
    char what[MAX_KEY_NAME + 64];
    describe_prefix(in, n, what, sizeof what);
    certlc_err_set(err, "encrypted with %s, %s%s%s", what, why,
                   enc != NULL ? " " : "", enc != NULL ? enc->path : "");
    return CERTLC_UNDECRYPTABLE;
}

int certlc_encryption_open(const certlc_encryption *enc, const char *aad,
                           const void *in, size_t n, unsigned char **out,
                           size_t *outn, certlc_err *err)
{
    const char *s = in;
    size_t el = strlen(ENC_PREFIX);
    if (n < el || memcmp(s, ENC_PREFIX, el) != 0) {
        if (enc != NULL && !enc->identity) {
            certlc_err_set(err, "stored unencrypted, and %s has no identity "
                           "provider to read plaintext (add \"- identity: "
                           "{}\" after the keys until the rewrite is done)",
                           enc->path);
            return CERTLC_UNDECRYPTABLE;
        }
        unsigned char *o = malloc(n + 1);
        if (o == NULL)
            return certlc_err_set(err, "out of memory");
        memcpy(o, in, n);
        o[n] = '\0';
        *out = o;
        *outn = n;
        return 0;
    }
    if (enc == NULL)
        return undecryptable(err, enc, s, n, "but no encryption_config is set");
    const enc_key *k = NULL;
    for (size_t i = 0; i < enc->n && k == NULL; i++)
        if (enc->keys[i].kind != ENC_IDENTITY && n >= enc->keys[i].plen &&
            memcmp(s, enc->keys[i].prefix, enc->keys[i].plen) == 0)
            k = &enc->keys[i];
    if (k == NULL)
        return undecryptable(err, enc, s, n, "which is not listed in");
    const unsigned char *body = (const unsigned char *)s + k->plen;
    size_t bn = n - k->plen;
    size_t over = k->kind == ENC_AESGCM
                      ? GCM_NONCE + GCM_TAG
                      : crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (bn < over || bn > INT_MAX)
        return undecryptable(err, enc, s, n, "but the value is truncated; "
                             "the key is from");
    unsigned char *o = malloc(bn - over + 1);
    if (o == NULL)
        return certlc_err_set(err, "out of memory");
    int bad;
    if (k->kind == ENC_AESGCM) {
        size_t an = 0;
        unsigned char *a = make_aad(k, aad, &an);
        if (a == NULL) {
            free(o);
            return certlc_err_set(err, "out of memory");
        }
        bad = gcm_open(k, a, an, body, bn, o);
        free(a);
    } else {
        bad = crypto_secretbox_open_easy(o, body + crypto_secretbox_NONCEBYTES,
                                         bn - crypto_secretbox_NONCEBYTES,
                                         body, k->key);
    }
    if (bad != 0) {
        OPENSSL_cleanse(o, bn - over + 1);
        free(o);
        return undecryptable(err, enc, s, n, "but that key does not decrypt "
                             "it (the key's secret differs, or the value was "
                             "altered or moved from another Secret); the key "
                             "is from");
    }
    o[bn - over] = '\0';
    *out = o;
    *outn = bn - over;
    return 0;
}

bool certlc_encryption_is_current(const certlc_encryption *enc,
                                  const void *in, size_t n)
{
    const enc_key *k = enc != NULL && enc->n > 0 ? &enc->keys[0] : NULL;
    size_t el = strlen(ENC_PREFIX);
    if (k == NULL || k->kind == ENC_IDENTITY)
        return n < el || memcmp(in, ENC_PREFIX, el) != 0;
    return n >= k->plen && memcmp(in, k->prefix, k->plen) == 0;
}
