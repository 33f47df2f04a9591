/* The command line: one binary speaking kubectl's dialect. Each command is a
 * function taking its own argv (argv[0] is the command name) and returning
 * the exit code: 0 ok, 1 failure, 2 usage. */
#ifndef CERTLC_CLI_H
#define CERTLC_CLI_H

#include <stdbool.h>

#include "config.h"
#include "runtime.h"
#include "store.h"

#define CERTLC_EXIT_OK 0
#define CERTLC_EXIT_FAIL 1
#define CERTLC_EXIT_USAGE 2

#include "version.h"

/* A command works on the process's runtime (runtime.h): the
 * configuration path from -c, then what certlc_cli_open loads. */
typedef certlc_runtime certlc_cli;

/* certlc_runtime_open, reporting any error on stderr. Returns 0 or
 * CERTLC_EXIT_FAIL. */
int certlc_cli_open(certlc_cli *c);
#define certlc_cli_encrypt_store certlc_runtime_encrypt_store
#define certlc_cli_close certlc_runtime_close

/* Prints "certlc: <msg>" on stderr; returns CERTLC_EXIT_USAGE so a usage
 * error reads `return certlc_cli_usage(...)`. */
int certlc_cli_usage(const char *cmd, const char *fmt, ...)
    CERTLC_PRINTF(2, 3);

/* What a verb does to one Secret; returns an exit code. */
typedef int (*certlc_secret_fn)(certlc_cli *c, const char *ns,
                                const char *name);

/* Parses `VERB secret NAME... [-n NS]` or `VERB secret -l SELECTOR [-n NS |
 * -A]` (argv[0] is the verb), opens the store and applies fn to each Secret
 * named or selected. Returns the exit code. */
int certlc_cli_each_secret(certlc_cli *c, int argc, char **argv,
                           const char *usage, certlc_secret_fn fn);

int certlc_cmd_run(certlc_cli *c, int argc, char **argv);
int certlc_cmd_get(certlc_cli *c, int argc, char **argv);
int certlc_cmd_delete(certlc_cli *c, int argc, char **argv);
int certlc_cmd_check_expiration(certlc_cli *c, int argc, char **argv);
int certlc_cmd_rotate(certlc_cli *c, int argc, char **argv);
/* cmd_plugins.c */
int certlc_cmd_plugins(certlc_cli *c, int argc, char **argv);
/* cmd_describe.c; cmd_events.c (`get events`, which has options of
 * its own, so `get` hands it its whole argv when the resource is events) */
int certlc_cmd_describe(certlc_cli *c, int argc, char **argv);
/* cmd_apply.c, `apply -f FILE`. */
int certlc_cmd_apply(certlc_cli *c, int argc, char **argv);
/* apply -f's parse of FILE's bytes (JSON or YAML, NUL-terminated or not)
 * into a Secret, without a store: what the fuzzer of apply documents calls. */
certlc_secret *certlc_apply_parse(const char *text, size_t len,
                                  const char *file, certlc_err *err);
int certlc_cmd_get_events(certlc_cli *c, int argc, char **argv);
bool certlc_get_is_events(int argc, char **argv);
/* cmd_leader.c (`get leader`), cmd_migrate.c */
int certlc_cmd_get_leader(certlc_cli *c, int argc, char **argv);
bool certlc_get_is_leader(int argc, char **argv);
int certlc_cmd_migrate(certlc_cli *c, int argc, char **argv);
/* cmd_rewrite.c: `rewrite-secrets` (encryption at rest). */
int certlc_cmd_rewrite_secrets(certlc_cli *c, int argc, char **argv);
/* cmd_completion.c, `completion bash|zsh` */
int certlc_cmd_completion(certlc_cli *c, int argc, char **argv);

#endif
