/* Encryption at rest of stored Secrets, in kube-apiserver's format.
 *
 * The configuration is kube-apiserver's EncryptionConfiguration file
 * (apiserver.config.k8s.io/v1); the entry whose resources name `secrets`
 * applies. Its first provider's first key encrypts every write; every key
 * of every provider decrypts, chosen by the prefix the value carries:
 *
 *   k8s:enc:aesgcm:v1:<key name>:<nonce 12><ciphertext><tag 16>
 *   k8s:enc:secretbox:v1:<key name>:<nonce 24><tag 16><ciphertext>
 *   identity: the plaintext as is (no prefix)
 *
 * the same bytes kube-apiserver writes. One difference: kube-apiserver's
 * aesgcm authenticates the etcd key alone; certlc authenticates the prefix
 * (which names the provider and the key) followed by the store key, so
 * that neither a value moved to another Secret nor a relabelled key name
 * decrypts. secretbox, as in Kubernetes, authenticates no associated data
 * (the stores check that the Secret inside is the one its key names).
 */
#ifndef CERTLC_ENCRYPTION_H
#define CERTLC_ENCRYPTION_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

typedef struct certlc_encryption certlc_encryption;

/* Loads the EncryptionConfiguration at path. The file holds keys: it must
 * be a regular file of the operator's user (the effective uid) with mode
 * 0600 or stricter, else it is refused, naming the file and the fault. */
certlc_encryption *certlc_encryption_load(const char *path, certlc_err *err);
/* Wipes the keys. NULL is fine. */
void certlc_encryption_free(certlc_encryption *enc);

/* The file it was loaded from. */
const char *certlc_encryption_path(const certlc_encryption *enc);
/* "aesgcm key \"key1\"", "secretbox key \"k\"" or "identity": what writes. */
const char *certlc_encryption_writer(const certlc_encryption *enc);

/* Encrypts plain (n bytes) for the store key `aad` with the first provider.
 * enc NULL: identity. *out is malloc'd (*outn bytes, plus a NUL). */
int certlc_encryption_seal(const certlc_encryption *enc, const char *aad,
                           const void *plain, size_t n, unsigned char **out,
                           size_t *outn, certlc_err *err);

/* Decrypts a stored value. *out is malloc'd (*outn bytes plus a NUL; wipe
 * it before freeing). CERTLC_UNDECRYPTABLE, with a message naming the
 * provider and key the value names and why, when no configured provider
 * can: a key that is not configured, a wrong key, an altered or moved
 * value, or plaintext without an identity provider. enc NULL: plaintext
 * only. */
int certlc_encryption_open(const certlc_encryption *enc, const char *aad,
                           const void *in, size_t n, unsigned char **out,
                           size_t *outn, certlc_err *err);

/* True when a stored value is already written the way seal writes now
 * (the first provider and key): the rewrite can leave it. */
bool certlc_encryption_is_current(const certlc_encryption *enc,
                                  const void *in, size_t n);

#endif
