/* The one DNS-1123 check behind every name certlc accepts: the names of
 * Secrets and namespaces in both stores, and the DNS names of the
 * configuration (address, cert_sans, cluster_domain).
 */
#ifndef CERTLC_NAMES_H
#define CERTLC_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* The DNS limit of a whole name, and of one of its labels. */
#define CERTLC_DNS_NAME_MAX 253
#define CERTLC_DNS_LABEL_MAX 63
/* The longest Secret or namespace name: Kubernetes allows 253, but the
 * file store keeps "<name>.json" in one directory entry (NAME_MAX 255),
 * and both stores must accept the same names so that `certlc migrate`
 * works both ways. */
#define CERTLC_OBJECT_NAME_MAX 250

/* Kubernetes' DNS-1123 subdomain: lowercase letters, digits, '-' and '.',
 * every dot-separated part non-empty and starting and ending with a letter
 * or a digit, 1 to max characters. With label_max > 0, no part longer than
 * that (DNS names; Kubernetes object names have no such limit). */
bool certlc_dns1123_subdomain(const char *s, size_t max, size_t label_max);

/* A Secret's or a namespace's name as both stores accept it: a DNS-1123
 * subdomain of at most CERTLC_OBJECT_NAME_MAX characters. `what` names it
 * in the message ("name", "namespace"). */
int certlc_check_object_name(const char *what, const char *s,
                             certlc_err *err);

/* RFC 1123 label: 1-63 of [a-z0-9-], starting and ending alphanumeric
 * (a tenant's name and namespace, a datastore's name). */
bool certlc_dns1123_label(const char *s);

#endif
