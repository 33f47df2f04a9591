/* certlc get leader: which operator replica acts.
 *
 * On etcd: the leader key's holder, its lease and the seconds left on it.
 * On the file store: the PID holding the operator lock, if any. */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli.h"
#include "leader.h"
#include "output.h"
#include "store_etcd.h"
#include "wipe_alloc.h"
#include "writer_lock.h"

static const char usage[] =
    "Usage: certlc get leader [-o json|yaml|jsonpath=TEMPLATE|jsonpath-file=FILE]\n"
    "\n"
    "Shows the operator replica that leads (etcd store: the holder of\n"
    "<prefix>/leader and the seconds left on its lease; file store: the PID\n"
    "holding <state_dir>/operator.pid). Exit 1 when nobody leads.\n";

bool certlc_get_is_leader(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "-n") == 0 ||
                strcmp(argv[i], "-l") == 0)
                i++;
            continue;
        }
        return strcmp(argv[i], "leader") == 0;
    }
    return false;
}

/* The leader (V, taken) in the format asked for: -o json as every -o
 * json of certlc, indented with its keys sorted. */
static int print_leader(const certlc_output *out, json_t *v)
{
    certlc_err err;
    int rc = v != NULL ? certlc_output_object(out, v, stdout, &err) : -1;
    if (v == NULL)
        certlc_err_set(&err, "out of memory");
    json_decref(v);
    if (rc != 0) {
        fprintf(stderr, "error: %s\n", err.msg);
        return CERTLC_EXIT_FAIL;
    }
    return CERTLC_EXIT_OK;
}

static int file_leader(certlc_cli *c, const certlc_output *out)
{
    bool json = out->kind != CERTLC_OUT_TABLE;
    char path[4096];
    certlc_writer_lock_path(c->cfg->state_dir, path, sizeof path);
    char pid[32] = "";
    if (certlc_store_writer_holder(c->store, pid, sizeof pid) != 1) {
        fprintf(stderr, "certlc: no operator is running on %s\n", c->cfg->state_dir);
        return CERTLC_EXIT_FAIL;
    }
    if (json)
        return print_leader(out, json_pack("{s:s, s:I, s:s}", "store", "file",
                                           "pid", (json_int_t)atoll(pid),
                                           "lock", path));
    printf("STORE   PID      LOCK\nfile    %-8s %s\n", pid, path);
    return CERTLC_EXIT_OK;
}

static int get_leader(certlc_cli *c, int argc, char **argv,
                      certlc_output *out);

int certlc_cmd_get_leader(certlc_cli *c, int argc, char **argv)
{
    certlc_output out;
    certlc_output_init(&out);
    int rc = get_leader(c, argc, argv, &out);
    certlc_output_fini(&out);
    return rc;
}

static int get_leader(certlc_cli *c, int argc, char **argv,
                      certlc_output *out)
{
    static const struct option opts[] = {
        CERTLC_OUTPUT_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int o;
    certlc_err err;
    while ((o = getopt_long(argc, argv, "o:L:h", opts, NULL)) != -1) {
        int taken = certlc_output_option(out, o, optarg, &err);
        if (taken < 0)
            return certlc_cli_usage("get", "%s", err.msg);
        if (o == 'h') {
            fputs(usage, stdout);
            return CERTLC_EXIT_OK;
        }
        if (taken == 0 || (o == 'o' && (out->kind == CERTLC_OUT_NAME ||
                                        out->kind == CERTLC_OUT_CUSTOM)))
            return certlc_cli_usage("get", "get leader takes -o wide, json, "
                                           "yaml or jsonpath");
    }
    if (out->kind == CERTLC_OUT_WIDE)
        out->kind = CERTLC_OUT_TABLE;
    bool json = out->kind != CERTLC_OUT_TABLE;
    int rc = certlc_cli_open(c);
    if (rc != 0)
        return rc;
    if (certlc_store_has_writer_lock(c->store)) {
        rc = file_leader(c, out);
        certlc_cli_close(c);
        return rc;
    }
    char *text = NULL;
    int64_t ttl = -1;
    int g = certlc_leader_get(c->store, &text, &ttl, &err);
    if (g == CERTLC_NOTFOUND) {
        fprintf(stderr, "certlc: no replica leads (no %s/leader key)\n",
                c->cfg->etcd.prefix);
        rc = CERTLC_EXIT_FAIL;
    } else if (g != 0) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        rc = CERTLC_EXIT_FAIL;
    } else {
        json_error_t je;
        json_t *v = json_loads(text, 0, &je);
        const char *id = json_string_value(json_object_get(v, "identity"));
        const char *lease = json_string_value(json_object_get(v, "lease"));
        const char *since = json_string_value(json_object_get(v, "since"));
        if (json) {
            rc = print_leader(
                out, json_pack("{s:s, s:s, s:s, s:I, s:s}", "store", "etcd",
                               "identity", id ? id : "", "lease",
                               lease ? lease : "", "ttl", (json_int_t)ttl,
                               "since", since ? since : ""));
        } else {
            printf("%-28s %-18s %-6s %s\n", "LEADER", "LEASE", "TTL", "SINCE");
            char t[32];
            snprintf(t, sizeof t, "%llds", (long long)ttl);
            printf("%-28s %-18s %-6s %s\n", id ? id : "?", lease ? lease : "?",
                   ttl >= 0 ? t : "-", since ? since : "?");
        }
        json_decref(v);
        free(text);
    }
    certlc_cli_close(c);
    return rc;
}
