/* The status of a tenant control plane, kept in the store beside its
 * Secrets as a small JSON document (kind TenantControlPlaneStatus). */
#ifndef CERTLC_STATUS_H
#define CERTLC_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

#define CERTLC_PHASE_PROVISIONING "Provisioning"
#define CERTLC_PHASE_READY "Ready"
#define CERTLC_PHASE_CA_ROTATING "CertificateAuthorityRotating"
#define CERTLC_PHASE_NOT_READY "NotReady"
/* ca_source = provided and no usable CA delivered yet. */
#define CERTLC_PHASE_AWAITING_CA "AwaitingCA"
/* Stopped by the reissue guard (reissue_guard.h): needs a person. */
#define CERTLC_PHASE_FAILED "Failed"

#define CERTLC_STATUS_MAX_CONDITIONS 16

typedef struct certlc_condition {
    char type[48];    /* e.g. Ready, CertificateAuthorityExpiring */
    bool status;      /* "True" / "False" */
    char reason[64];
    char message[512];
    int64_t last_transition; /* Unix seconds */
} certlc_condition;

#define CERTLC_STATUS_MAX_DIGESTS 24

/* The digest of one Secret as it was last rolled out. */
typedef struct certlc_rolled_secret {
    char name[256];
    char digest[20]; /* first 16 hex digits of SHA-256 over its data */
} certlc_rolled_secret;

/* A CA rotation with a trust overlap (ca_overlap.h), recorded before each
 * of its phases acts, so that a restart resumes the same phase. */
typedef struct certlc_ca_rotation_status {
    char phase[16];     /* "" (never), trust-both, move, retire, abort, done */
    char ca[40];        /* the CA item's suffix: ca, front-proxy-ca-... */
    int64_t phase_ends; /* Unix seconds: the phase may end from then on */
    int64_t overlap;    /* seconds each of trust-both and move lasts */
    int64_t started;    /* when the rotation began */
    char rolled[16];    /* the last phase the rollout hook succeeded for */
    bool deleted;       /* started by the deletion of the CA Secret: the
                         * old CA is kept trusted from the kubeconfigs */
} certlc_ca_rotation_status;
#define CERTLC_STATUS_MAX_VALIDATIONS 32

/* How a Secret was last judged in full (validation.h): by its content, the
 * CA it was verified against and what shaped it, so that the same content
 * is not parsed again. */
typedef struct certlc_validation {
    char name[256];
    uint64_t rv;          /* its resourceVersion when judged */
    char data[65];        /* SHA-256 over its data (hex) */
    char ca[65];          /* the data digest of its CA's Secret; "" none */
    char inputs[65];      /* SHA-256 over what shapes it (validation.h) */
    char stored[65];      /* of its stored bytes (secret.h stored_digest);
                           * "": unknown, it is then read and decoded */
    int64_t not_before;   /* of its certificates (the latest); 0: none */
    int64_t not_after;    /* of its certificates (the earliest); 0: none */
    int64_t ca_not_after; /* its CA's, when it ends with it; 0 otherwise */
    char verdict[16];     /* "valid": only good verdicts are kept */
} certlc_validation;

typedef struct certlc_tcp_status {
    char phase[48];
    char version[64];
    int64_t created; /* first provisioned; the AGE column */
    int64_t updated;
    char checksum[72];      /* of the Secrets last rolled out */
    int64_t last_rollout;
    certlc_rolled_secret rolled[CERTLC_STATUS_MAX_DIGESTS];
    size_t n_rolled;
    char rollout_error[256]; /* the last failure of the hook, "" when ok */
    char rollout_output[416]; /* the end of the hook's last output */
    certlc_condition conditions[CERTLC_STATUS_MAX_CONDITIONS];
    size_t n_conditions;
    certlc_ca_rotation_status ca_rotation;
    certlc_validation validations[CERTLC_STATUS_MAX_VALIDATIONS];
    size_t n_validations;
} certlc_tcp_status;

/* CERTLC_NOTFOUND leaves *st zeroed. */
int certlc_status_load(certlc_store *store, const char *ns, const char *tcp,
                       certlc_tcp_status *st, certlc_err *err);
int certlc_status_save(certlc_store *store, const char *ns, const char *tcp,
                       const certlc_tcp_status *st, certlc_err *err);

/* Sets (or adds) a condition; last_transition changes only when the status
 * value flips. */
void certlc_status_set_condition(certlc_tcp_status *st, const char *type,
                                 bool status, const char *reason,
                                 const char *message, int64_t now);
/* Removes a condition; no-op when absent. */
void certlc_status_clear_condition(certlc_tcp_status *st, const char *type);
const certlc_condition *certlc_status_condition(const certlc_tcp_status *st,
                                                const char *type);

/* The status as JSON (malloc'd) / from JSON, for status_get / status_put. */
char *certlc_status_to_json(const certlc_tcp_status *st, certlc_err *err);
int certlc_status_from_json(const char *json, certlc_tcp_status *st,
                            certlc_err *err);

#endif
