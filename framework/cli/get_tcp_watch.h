/* `certlc get tcp -w`: a new row each time a tenant's status changes. */
#ifndef CERTLC_GET_TCP_WATCH_H
#define CERTLC_GET_TCP_WATCH_H

#include "cli.h"
#include "status.h"
#include "table.h"

/* The cells of one `get tcp` row: NAME, VERSION, STATUS, CONTROL-PLANE
 * ENDPOINT, KUBECONFIG, DATASTORE, AGE, then NAMESPACE. */
void certlc_tcp_row(const certlc_tenant *t, const certlc_tcp_status *st,
                    char cells[8][320]);

/* Prints rows (with the column widths of `header`) until interrupted. ns
 * NULL: every namespace (rows then start with NAMESPACE). */
int certlc_tcp_watch(certlc_cli *c, const certlc_table *header,
                     const char *ns);

#endif
