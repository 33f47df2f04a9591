/* CA rotation with a trust overlap (ca_rotation = overlap).
 *
 * Replacing a CA cuts off every client that holds the old CA or a
 * certificate it signed until everything is redistributed. An overlap
 * rotation goes through phases instead, each recorded in the tenant's
 * status (certlc_ca_rotation_status) before it acts, so that a restart at
 * any point resumes the same phase:
 *
 *   trust-both  a new CA is made and stored as <tcp>-<ca>-next; the CA
 *               Secret's ca.crt becomes old+new (the old one still signs)
 *               and every kubeconfig's certificate-authority-data carries
 *               that bundle; no certificate is reissued. Lasts ca_overlap.
 *   move        the CA Secret becomes new+old with the new key: the pass
 *               reissues everything the CA signs under the new CA, trust
 *               still holds both. Lasts ca_overlap.
 *   retire      ca.crt is the new CA alone; kubeconfigs follow; the -next
 *               Secret is removed.
 *   done        the rotation is over.
 *
 * A phase ends when its time is up (or `certlc rotate ca TCP --continue`
 * asks) and the rollout hook has succeeded for it (CERTLC_CA_PHASE), so
 * that a platform can distribute the bundle before the next phase relies
 * on it. `--abort` during trust-both returns to the old CA alone.
 *
 * Requests come as annotations on the CA Secret, like Kamaji's rotate
 * annotation (which starts a rotation; certlc.io/ca-rotation = overlap,
 * or ca_rotation = overlap in the configuration, makes it an overlap).
 */
#ifndef CERTLC_CA_OVERLAP_H
#define CERTLC_CA_OVERLAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "status.h"
#include "store.h"
#include "validation.h"

/* overlap | replace (with the rotate annotation), continue | abort */
#define CERTLC_ANNOTATION_CA_ROTATION "certlc.io/ca-rotation"
/* A duration: how long trust-both and move each last (default ca_overlap) */
#define CERTLC_ANNOTATION_CA_OVERLAP "certlc.io/ca-overlap"

#define CERTLC_CA_PHASE_TRUST_BOTH "trust-both"
#define CERTLC_CA_PHASE_MOVE "move"
#define CERTLC_CA_PHASE_RETIRE "retire"
#define CERTLC_CA_PHASE_ABORT "abort"
#define CERTLC_CA_PHASE_DONE "done"

#define CERTLC_EV_CA_ROTATION_PHASE "CARotationPhase"

/* True while a rotation runs (a phase other than none and done). */
bool certlc_ca_overlap_active(const certlc_tcp_status *st);

/* Run at the start of a pass, before any CA is judged: starts a requested
 * overlap rotation, moves to the next phase when it is time, and brings
 * the Secrets to what the current phase says. *next_due is lowered to when
 * the phase may end. -1 (err names the Secret) when the phase could not be
 * applied: the pass must stop, as its CA Secret may still carry a request
 * that a pass would otherwise read as "replace now". which gets the name
 * of the Secret concerned. loaded is the tenant's status as the pass
 * loaded it (NULL: never provisioned, nothing to do), pre what it peeked
 * (validation.h); *wrote is set when
 * the step saved the status, which the pass must then load again. */
int certlc_ca_overlap_step(certlc_store *store, const certlc_config *cfg,
                           const certlc_tenant *t, int64_t now,
                           const certlc_tcp_status *loaded,
                           const certlc_peeks *pre, bool *wrote,
                           int64_t *next_due, char *which, size_t which_size,
                           certlc_err *err);

/* True while the tenant's status has a CA rotation with overlap running:
 * a rotate request that reaches a CA Secret in the middle of a pass waits
 * for the next pass's step, which refuses it with its reason. */
bool certlc_ca_overlap_running(certlc_store *store, const certlc_tenant *t);

/* At the end of a pass (after the rollout): the tenant is
 * CertificateAuthorityRotating with a condition naming the phase and its
 * end while a rotation runs; a phase whose rollout just succeeded and
 * whose time is up asks for a pass at once. */
void certlc_ca_overlap_note_status(certlc_tcp_status *st, int64_t now,
                                   int64_t *next_due);

/* The duration of a phase for a tenant: its ca_overlap, or certlc.ini's. */
int64_t certlc_ca_overlap_duration(const certlc_config *cfg,
                                   const certlc_tenant *t);

/* The phase gauge's values, in order (for /metrics). */
extern const char *const certlc_ca_overlap_phases[];
extern const size_t certlc_ca_overlap_n_phases;

#endif
