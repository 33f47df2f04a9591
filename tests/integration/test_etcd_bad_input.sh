# The etcd driver on bad input: etcd down at start, a wrong root password,
# an admin certificate from another CA or with a CN, a DataStore without
# ca_key, a tenant naming a datastore that does not exist.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd.sh"

etcd_start bad auth || { finish; exit 1; }
install_drivers etcd
write_conf
etcd_datastore main
tenant alpha datastore=main

# 1. etcd down at start: a clear error, retried, provisioned when it is up.
etcd_stop
"$CERTLC_BIN" -c "$CONF/certlc.ini" run > operator.log 2>&1 &
OP=$!
PIDS="$PIDS $OP"
check "the operator reports etcd unreachable" \
    wait_for 15 grep -q "alpha-datastore-config\" failed: datastore 'main': provision: etcd unreachable: 127.0.0.1:$ETCD_PORT: Failed to connect" operator.log
check "and retries with backoff" wait_for 5 grep -q "default/alpha: incomplete; retrying in 5s" operator.log
check "the rest of the tenant's Secrets are issued meanwhile" \
    sh -c "$CERTLC_BIN -c $CONF/certlc.ini get secret alpha-api-server-certificate -o json"
certlc get tcp > tcp1
check "get tcp shows alpha NotReady" grep -Eq '^alpha +v1.26.0 +NotReady' tcp1
cat "$T/state/default/tcp/alpha.json" > status1.json 2>&1
contains "the status has the DatastoreUnreachable condition" status1.json "DatastoreUnreachable"
contains "with etcd's words" status1.json "Failed to connect to 127.0.0.1 port $ETCD_PORT"
etcd_restart
check "once etcd is up, the operator provisions the tenant" \
    wait_for 40 sh -c "$CERTLC_BIN -c $CONF/certlc.ini get secret alpha-datastore-certificate -o json"
check "and the tenant becomes Ready" \
    wait_for 10 sh -c "$CERTLC_BIN -c $CONF/certlc.ini get tcp | grep -Eq '^alpha +v1.26.0 +Ready'"
check "the role exists in etcd" etcd_admin role get default_alpha
check "DatastoreUnreachable is gone from the status" \
    wait_for 5 sh -c "! grep -q DatastoreUnreachable '$T/state/default/tcp/alpha.json'"

# An unreachable etcd touches nothing already in the store.
certlc get secret alpha-datastore-certificate -o json > ds-before.json
certlc get secret alpha-datastore-config -o json > cfg-before.json
etcd_stop
certlc delete secret alpha-api-server-certificate > /dev/null
check "with etcd down, the operator still reissues the API server certificate" \
    wait_for 15 sh -c "$CERTLC_BIN -c $CONF/certlc.ini get secret alpha-api-server-certificate -o json"
sleep 1
certlc get secret alpha-datastore-certificate -o json > ds-after.json
certlc get secret alpha-datastore-config -o json > cfg-after.json
check "the datastore certificate is untouched while etcd is down" cmp ds-before.json ds-after.json
check "the datastore config is untouched while etcd is down" cmp cfg-before.json cfg-after.json
kill "$OP"
wait "$OP" 2>/dev/null
etcd_restart

# 2. A wrong root password: etcd's words, word for word.
printf 'not-the-password\n' > "$T/wrong.pass"
etcd_datastore wrongpw
sed -i "s|^password_file = .*|password_file = $T/wrong.pass|" "$CONF/datastores.d/wrongpw.ini"
tenant pw datastore=wrongpw
# 3. An admin certificate from another CA.
etcd_pki "$T/rogue"
etcd_datastore rogueca
sed -i -e "s|^client_cert = .*|client_cert = $T/rogue/admin.crt|" \
       -e "s|^client_key = .*|client_key = $T/rogue/admin.key|" "$CONF/datastores.d/rogueca.ini"
tenant rogue datastore=rogueca
# 4. An admin certificate with a CN: the gateway's HTTP 400.
etcd_cert "$ETCD_DIR/pki" cnadmin /CN=root 'extendedKeyUsage=clientAuth\n'
etcd_datastore cn
sed -i -e "s|^client_cert = .*|client_cert = $ETCD_DIR/pki/cnadmin.crt|" \
       -e "s|^client_key = .*|client_key = $ETCD_DIR/pki/cnadmin.key|" "$CONF/datastores.d/cn.ini"
tenant cn datastore=cn
# 5. No ca_key.
etcd_datastore nokey
sed -i '/^ca_key/d' "$CONF/datastores.d/nokey.ini"
tenant nokey datastore=nokey

certlc run --once > run.out 2>&1
check_fails "run --once exits 1" test $? -eq 0
contains "alpha is still fine" run.out "default/alpha: ready"
contains "wrong password: etcd's answer word for word" run.out \
    "datastore 'wrongpw': provision: etcd https://127.0.0.1:$ETCD_PORT/v3/auth/authenticate: HTTP 400: etcdserver: authentication failed, invalid user ID or password"
contains "admin certificate from another CA: refused at the handshake" run.out \
    "datastore 'rogueca': provision: etcd refused the connection: 127.0.0.1:$ETCD_PORT:"
contains "... with a hint at TLS" run.out "(TLS: is client_cert signed by a CA that etcd trusts"
contains "admin certificate with a CN: the gateway's HTTP 400, word for word" run.out \
    "HTTP 400: CommonName of client sending a request against gateway will be ignored and not used as expected"
contains "missing ca_key: a clear error" run.out \
    "[datastore nokey] missing key 'ca_key': driver 'etcd' rotates in mode issue and signs the tenants' certificates with the DataStore CA's key"
check "nothing of pw was created in etcd" sh -c "! etcd_admin user list 2>/dev/null | grep -q default_pw"

# 6. A tenant naming a datastore that does not exist: a configuration error.
tenant ghost datastore=nowhere
certlc run --once > ghost.out 2>&1
check_fails "run --once refuses the configuration" test $? -eq 0
contains "the error names the file, the line and the datastore" ghost.out \
    "tenants.d/ghost.ini:4: [tenant ghost] datastore: no [datastore nowhere] in"

finish
