# The layers of the framework: which folder of framework/ each source file
# of the core belongs to, and which folders each folder may include from.
# Sourced by scripts/check-layers.sh (the check `make test` runs) and
# scripts/move-layers.sh (the git mv into the folders). A new file of the
# core gets a line here, or the check fails naming it.
#
# From the bottom up; arrows go one way, down:
#
#   cli     main.c, the command table, one file per command, the output
#           formats (table, -o json/yaml/jsonpath), the watches of `get -w`
#   engine  the runtime (configuration + store + DataStore registry), the
#           plan's pass (reconcile, the datastore step, external deliveries,
#           rollout), tenant status, events, deadlines, hooks, leader
#           election, the operator loop and its observer
#   ops     metrics, the HTTP endpoints, sd_notify (nothing of the engine)
#   host    the host side of the driver ABI: the loader of plugins_dir/*.so,
#           the host services table, the DataStore instance registry
#   store   a Secret and its selector, the store interface, the file store,
#           the etcd store and its client, encryption at rest, the writer
#           lock, and the Secrets a tenant has (plan) with the labels and
#           annotations Kamaji reads (kamaji)
#   pki     keys, certificates, kubeconfigs, CA bundles: functions of their
#           inputs (no store, no configuration)
#   config  certlc.ini, tenants.d, datastores.d, INI files, durations,
#           names, the key algorithms
#   util    errors, the log, base64, hex, time formats, the wiping
#           allocator and buffer, joining paths, reading a small file
#           that may hold a secret, the version
#
# framework/include/certlc/ (the driver ABI, <certlc/driver.h>) is below
# them all and may be included by any.

LAYERS="util config pki store host ops engine cli"

# The files of each folder, by name without .c/.h.
FILES_util="err log base64 hex sha256 wipe_alloc wipe_buf timefmt version path file_read grow"
FILES_config="config config_store datastore inifile duration names keyalg"
FILES_pki="pki kubeconfig ca_bundle keypool"
FILES_store="store secret selector store_file store_etcd etcd_client \
encryption writer_lock plan kamaji secret_write store_leader"
FILES_host="plugin_loader ds_registry host"
FILES_ops="metrics httpd sdnotify"
FILES_engine="runtime engine reconcile datastore_reconcile datastore_external \
rollout status events deadline leader hooks delivery cause reissue_guard \
observe obs_tenants inventory ca_overlap workers pass validation"
FILES_cli="main cli cli_targets cmd_apply cmd_check cmd_completion cmd_delete \
cmd_describe cmd_events cmd_get cmd_leader cmd_migrate cmd_plugins \
cmd_rewrite cmd_rotate cmd_run output table jsonpath get_watch get_tcp_watch"

# What each folder may include from (its own files always).
ALLOW_util=""
ALLOW_config="util"
ALLOW_pki="util config"
ALLOW_store="util config pki"
ALLOW_host="util config pki store"
ALLOW_ops="util config"
ALLOW_engine="util config pki store host ops"
ALLOW_cli="util config pki store host ops engine"

# layer_of NAME: the folder of file NAME (without .c/.h), empty when none.
layer_of() {
    for _l in $LAYERS; do
        eval "_files=\$FILES_$_l"
        for _f in $_files; do
            [ "$_f" = "$1" ] && { echo "$_l"; return; }
        done
    done
}
