/* The key algorithms certlc can generate, by the names certlc.ini's
 * key_algorithm takes. The configuration parses them here; pki.h generates
 * the keys (the enum lives here so that the configuration does not depend
 * on the PKI). */
#ifndef CERTLC_KEYALG_H
#define CERTLC_KEYALG_H

typedef enum certlc_key_alg {
    CERTLC_KEY_RSA2048 = 0, /* the default, as kubeadm */
    CERTLC_KEY_RSA3072,
    CERTLC_KEY_RSA4096,
    CERTLC_KEY_ECDSA_P256,
    CERTLC_KEY_ECDSA_P384,
} certlc_key_alg;

/* "rsa-2048", "rsa-3072", "rsa-4096", "ecdsa-p256", "ecdsa-p384". */
int certlc_key_alg_parse(const char *text, certlc_key_alg *out);
const char *certlc_key_alg_name(certlc_key_alg alg);

#endif
