/* certlc get leader: which operator replica acts.
 *
 * What the store answers (store.h's leader op): on etcd the leader key's
 * holder, its lease and the seconds left on it; on the file store the PID
 * holding the operator lock, if any. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "wipe_alloc.h"

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

/* The store's answer (store.h's leader) as a table: its header row, or
 * its one row. */
static void print_row(const certlc_store_leader *l, bool header)
{
    for (size_t i = 0; i < l->n; i++) {
        const certlc_store_leader_field *f = &l->f[i];
        if (f->header == NULL)
            continue;
        const char *cell = header ? f->header : f->text;
        if (f->width > 0)
            printf("%-*s ", f->width, cell);
        else
            printf("%s\n", cell);
    }
}

/* The same as the JSON object -o json|yaml|jsonpath print. */
static json_t *leader_json(const certlc_store_leader *l)
{
    json_t *v = json_object();
    for (size_t i = 0; v != NULL && i < l->n; i++) {
        const certlc_store_leader_field *f = &l->f[i];
        json_t *x = f->is_number ? json_integer((json_int_t)f->number)
                                 : json_string(f->str);
        if (json_object_set_new(v, f->key, x) != 0) {
            json_decref(v);
            v = NULL;
        }
    }
    return v;
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
    /* On the heap: each field holds a path. */
    certlc_store_leader *l = malloc(sizeof *l);
    int g = l != NULL ? certlc_store_leader_get(c->store, l, &err)
                      : certlc_err_set(&err, "out of memory");
    if (g != 0) {
        fprintf(stderr, "certlc: %s\n", err.msg);
        rc = CERTLC_EXIT_FAIL;
    } else if (json) {
        rc = print_leader(out, leader_json(l));
    } else {
        print_row(l, true);
        print_row(l, false);
    }
    free(l);
    certlc_cli_close(c);
    return rc;
}
