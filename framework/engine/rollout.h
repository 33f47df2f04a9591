/* Rollout: after a pass, tell the control plane that what it consumes
 * changed. A digest of every Secret of the plan is compared with the digests
 * recorded at the last successful rollout; when any differs, the configured
 * rollout_hook runs with CERTLC_TCP, CERTLC_NAMESPACE, CERTLC_CHECKSUM,
 * CERTLC_CHANGED (space-separated Secret names) and CERTLC_STATE_DIR in its
 * environment. Only a hook that exits 0 moves the recorded digests forward,
 * so a failed rollout is tried again on the next pass.
 *
 * In the operator the hook runs in the background under the engine's
 * supervisor (hooks.h): the pass only starts it, and its end is recorded
 * later by certlc_rollout_hook_ended. Without a supervisor (run --once)
 * the pass waits for the hook. Either way it gets rollout_hook_timeout,
 * after which its process group is killed. */
#ifndef CERTLC_ROLLOUT_H
#define CERTLC_ROLLOUT_H

#include "config.h"
#include "err.h"
#include "hooks.h"
#include "pass.h"
#include "status.h"
#include "store.h"

typedef enum certlc_rollout_result {
    CERTLC_ROLLOUT_NONE,   /* nothing changed */
    CERTLC_ROLLOUT_DONE,   /* changed, hook ran and exited 0 (or no hook) */
    CERTLC_ROLLOUT_FAILED, /* changed, hook failed: see err */
    CERTLC_ROLLOUT_STARTED, /* changed, the hook runs in the background */
    CERTLC_ROLLOUT_WAITING, /* the tenant's previous hook still runs */
} certlc_rollout_result;

/* Hooks run under h from now on (NULL: in the pass). */
void certlc_rollout_supervise(certlc_hooks *h);

/* For the supervisor's callback: records how the hook ended in the
 * tenant's status (the digests only when it exited 0, the exit status or
 * timeout, the end of its output) and as an event, and frees end->ctx.
 * Returns 0 when the hook succeeded. */
int certlc_rollout_hook_ended(certlc_store *store, const certlc_hook_end *end);

/* After pass p: updates p->status (rolled digests, checksum,
 * last_rollout, rollout_error), saved with the pass. The digests are those
 * of the Secrets as the pass read or wrote them. */
certlc_rollout_result certlc_rollout_tenant(certlc_pass *p, certlc_err *err);

#endif
