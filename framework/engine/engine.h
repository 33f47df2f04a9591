/* The operator process behind `certlc run`. */
#ifndef CERTLC_ENGINE_H
#define CERTLC_ENGINE_H

#include "runtime.h"

/* Opens rt (rt->config_path set), takes the store's writer lock, and runs
 * until SIGTERM or SIGINT; closes rt. Returns an exit code: 0, or 1 after
 * a message on stderr. */
int certlc_engine_main(certlc_runtime *rt);

#endif
