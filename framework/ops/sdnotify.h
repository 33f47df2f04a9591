/* Readiness and state for systemd's Type=notify services. */
#ifndef CERTLC_SDNOTIFY_H
#define CERTLC_SDNOTIFY_H

/* Sends state ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...") to
 * the service manager when $NOTIFY_SOCKET names one; a no-op otherwise.
 * Through libsystemd's sd_notify when built with it (HAVE_SYSTEMD), else
 * through the same datagram protocol written out here. */
void certlc_sd_notify(const char *state);

#endif
