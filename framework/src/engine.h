/* The operator process behind `certlc run`. */
#ifndef CERTLC_ENGINE_H
#define CERTLC_ENGINE_H

#include "cli.h"

/* Opens the configuration and store, takes the operator lock on the state
 * directory, and runs until SIGTERM or SIGINT. Returns an exit code. */
int certlc_engine_main(certlc_cli *c);

#endif
