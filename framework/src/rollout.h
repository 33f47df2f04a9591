/* Rollout: after a pass, tell the control plane that what it consumes
 * changed. A digest of every Secret of the plan is compared with the digests
 * recorded at the last successful rollout; when any differs, the configured
 * rollout_hook runs with CERTLC_TCP, CERTLC_NAMESPACE, CERTLC_CHECKSUM,
 * CERTLC_CHANGED (space-separated Secret names) and CERTLC_STATE_DIR in its
 * environment. Only a hook that exits 0 moves the recorded digests forward,
 * so a failed rollout is tried again on the next pass. */
#ifndef CERTLC_ROLLOUT_H
#define CERTLC_ROLLOUT_H

#include "config.h"
#include "err.h"
#include "status.h"
#include "store.h"

typedef enum certlc_rollout_result {
    CERTLC_ROLLOUT_NONE,   /* nothing changed */
    CERTLC_ROLLOUT_DONE,   /* changed, hook ran and exited 0 (or no hook) */
    CERTLC_ROLLOUT_FAILED, /* changed, hook failed: see err */
} certlc_rollout_result;

/* Updates st (rolled digests, checksum, last_rollout, rollout_error); the
 * caller saves it. */
certlc_rollout_result certlc_rollout_tenant(certlc_store *store,
                                            const certlc_config *cfg,
                                            const certlc_tenant *t,
                                            certlc_tcp_status *st,
                                            int64_t now, certlc_err *err);

#endif
