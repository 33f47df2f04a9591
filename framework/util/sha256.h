/* SHA-256, fetched once. OpenSSL 3 fetches the implementation again (a
 * lookup in its method store, under a lock) each time EVP_sha256() is
 * handed to EVP_Digest or EVP_DigestInit_ex; a cold scan digests every
 * Secret, on every core, and the fetches showed in its profile. */
#ifndef CERTLC_SHA256_H
#define CERTLC_SHA256_H

#include <openssl/evp.h>

/* The process's SHA-256 (never NULL: EVP_sha256() if the fetch fails).
 * Kept until exit. */
const EVP_MD *certlc_sha256(void);

#endif
