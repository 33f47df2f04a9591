/* The words for certlc_cause (reconcile.h): metric labels and the cause of
 * events. */
#include "reconcile.h"

const char *certlc_cause_label(certlc_cause c)
{
    switch (c) {
    case CERTLC_CAUSE_NONE: return "";
    case CERTLC_CAUSE_MISSING: return "deleted";
    case CERTLC_CAUSE_UNREADABLE: return "invalid";
    case CERTLC_CAUSE_INVALID: return "invalid";
    case CERTLC_CAUSE_SPEC: return "spec";
    case CERTLC_CAUSE_CA: return "ca";
    case CERTLC_CAUSE_EXPIRING: return "expiring";
    case CERTLC_CAUSE_MANUAL: return "manual";
    case CERTLC_CAUSE_CA_EXPIRED: return "ca-expired";
    case CERTLC_CAUSE_DELIVERED: return "delivered";
    case CERTLC_CAUSE_CA_NOT_YET_VALID: return "ca-not-yet-valid";
    case CERTLC_CAUSE_ISSUE: return "issue";
    case CERTLC_CAUSE_STORE: return "store";
    case CERTLC_CAUSE_CA_UNSTORED: return "ca-unstored";
    case CERTLC_CAUSE_REISSUE_LOOP: return "reissue-loop";
    case CERTLC_CAUSE_DATASTORE: return "datastore";
    case CERTLC_CAUSE_UNREACHABLE: return "unreachable";
    case CERTLC_CAUSE_AWAITING: return "awaiting";
    case CERTLC_CAUSE_REFUSED: return "refused";
    }
    return "invalid";
}
