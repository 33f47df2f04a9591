# The mysql driver against a real MariaDB (require_secure_transport, users
# REQUIRE X509, the server's certificate always verified), and the
# external-PKI flow.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/extpki.sh"
. "$(dirname "$0")/mariadb.sh"
. "$(dirname "$0")/extflow.sh"

DRV=mysql
srv_stop() { my_stop; }
srv_restart() { my_restart; }
mk_datastore() { my_datastore "$@"; }
space_exists() {
    [ "$(my_admin "SELECT (SELECT count(*) FROM information_schema.schemata WHERE schema_name = '$1') + (SELECT count(*) FROM mysql.user WHERE User = '$1' AND Host = '%')")" = 2 ]
}
client_as() {
    my_as "$(cfg "$1" "$2" DB_USER)" "$(cfg "$1" "$2" DB_PASSWORD)" "$3" "$4" \
        "$(cfg "$1" "$2" DB_SCHEMA)" -N -B \
        -e "CREATE TABLE IF NOT EXISTS t (a int); INSERT INTO t VALUES (1); SELECT count(*) FROM t"
}

my_start || { finish; exit 1; }
X_PKI=$MY_PKI
ext_flow
my_admin "SHOW GRANTS FOR 'default_alpha'@'%'" > grants 2>&1
contains "alpha's user requires a client certificate" grants "REQUIRE X509"
contains "alpha's grants are on its database only" grants \
    'GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, INDEX, ALTER ON `default_alpha`.* TO `default_alpha`@`%`'
my_as "$(cfg alpha default DB_USER)" "$(cfg alpha default DB_PASSWORD)" "$T/cur-alpha.crt" \
    "$T/cur-alpha.key" -e "CREATE DATABASE other_db" > other-db 2>&1
contains "alpha may not create another database" other-db "Access denied"

# datastore_schema and datastore_user name a tenant's space.
tenant gamma datastore=main datastore_schema=shop_db datastore_user=shop_user
certlc run --once > run-gamma 2>&1
check "DB_SCHEMA is datastore_schema" test "$(cfg gamma default DB_SCHEMA)" = shop_db
check "DB_USER is datastore_user" test "$(cfg gamma default DB_USER)" = shop_user
check "the database and the user are made under those names" test \
    "$(my_admin "SELECT (SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'shop_db') + (SELECT count(*) FROM mysql.user WHERE User = 'shop_user')")" = 2
tenant_cert gamma default "$T/cur-gamma"
check "the real client logs in as shop_user" client_as gamma default "$T/cur-gamma.crt" "$T/cur-gamma.key"
rm "$CONF/tenants.d/gamma.ini"
certlc run --once --prune > prune-gamma 2>&1
check "prune removes them under the names the tenant had" test \
    "$(my_admin "SELECT (SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'shop_db') + (SELECT count(*) FROM mysql.user WHERE User = 'shop_user')")" = 0
tenant delta datastore=main "datastore_user=bad-name"
certlc run --once > bad-name 2>&1
contains "a datastore_user that is no plain name is refused" bad-name "\"bad-name\" is not a name of 1-63 letters, digits and '_'"
rm "$CONF/tenants.d/delta.ini"
finish
