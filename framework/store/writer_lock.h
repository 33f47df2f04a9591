/* One writer per file store: the operator (`run`) and `run --once` take an
 * flock on <state_dir>/operator.pid, which holds the PID of the holder so
 * that a refusal can name it.
 *
 * A pass reads, judges and then writes many Secrets; the store's own lock
 * covers one write at a time, so two passes interleaved would each sign
 * with the CA it read, and leave leaves that chain to a CA the store no
 * longer has. The etcd store needs no such lock: its compare-and-swap on
 * every write makes a pass that lost a race on a CA stop (reconcile.c), and
 * replicas elect a leader. */
#ifndef CERTLC_WRITER_LOCK_H
#define CERTLC_WRITER_LOCK_H

#include <stdbool.h>
#include <stddef.h>

/* Takes the lock; with wait, blocks until the holder is gone (saying so on
 * stderr), else refuses at once naming the holder's PID. 0 with *fd_out
 * (close it to release), -1 after a message on stderr. */
int certlc_writer_lock(const char *state_dir, bool wait, int *fd_out);

/* <state_dir>/operator.pid, the lock file, into path. */
void certlc_writer_lock_path(const char *state_dir, char *path, size_t size);

/* The PID in <state_dir>/operator.pid into pid when a process holds the
 * lock: 1; 0 when nobody holds it. */
int certlc_writer_lock_holder(const char *state_dir, char *pid, size_t size);

#endif
