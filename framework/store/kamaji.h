/* What a Kamaji user finds on a Secret besides its data: Kamaji's project
 * label, its checksum annotation, the rotate annotation's two meanings,
 * and the Cluster API keys of the CA Secret. The values follow Kamaji's
 * internal/utilities (checksum.go, certs_rotation.go, utilities.go) and
 * internal/resources/ca_certificate.go; docs/kamaji-compatibility.md
 * compares them item by item. */
#ifndef CERTLC_KAMAJI_H
#define CERTLC_KAMAJI_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"
#include "secret.h"

/* Kamaji's checksum of a Secret's data: the hex MD5 of every value
 * concatenated in key order (CalculateMapChecksum). out: 33 bytes. */
void certlc_kamaji_checksum(const certlc_kvlist *data, char out[33]);

/* Sets the project label and the checksum annotation of s from its
 * current data. 0, or -1 when out of memory. */
int certlc_kamaji_metadata(certlc_secret *s);

/* True when the rotate annotation asks for a rotation: present with an
 * empty value. A value (Kamaji's "rotated at" timestamp) asks nothing. */
bool certlc_kamaji_rotation_requested(const certlc_kvlist *annotations);

/* After a rotation: a request (empty value) becomes the RFC 3339 time
 * `now`; any other value is left as it is. 0, or -1 when out of memory. */
int certlc_kamaji_rotation_done(certlc_kvlist *annotations, int64_t now);

/* Brings a valid Secret written by an older certlc up to what Kamaji
 * writes, without issuing anything: a CA Secret gains tls.crt and tls.key
 * (copies of its certificate and key, which Cluster API reads), every
 * Secret the project label and the checksum. *changed says whether s was
 * modified (what into `what`, for the log). 0, or -1 when out of memory. */
int certlc_kamaji_complete(certlc_secret *s, const certlc_item *item,
                           bool *changed, char *what, size_t what_size);

/* The CA Secret's copies of ca.crt and ca.key under the TLS keys; an item
 * that is not a CA gets nothing. 0, or -1 when out of memory. */
int certlc_kamaji_ca_tls_keys(certlc_kvlist *data, const certlc_item *item);

#endif
