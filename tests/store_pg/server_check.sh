#!/usr/bin/env bash
# Checks the server scripts/postgres starts, as a client on 127.0.0.1 sees it: with the
# password, sslmode=verify-full to localhost with the test CA connects over TLS; a wrong
# password is refused; verify-full to 127.0.0.1 is refused (the certificate names localhost
# only); it listens on 127.0.0.1 only; fsync is on. One line per failure.
#   server_check.sh [DIR]   DIR: the server's folder (default: $NOTIFY_TEST_PG_DIR)
set -euo pipefail
dir=${1:-${NOTIFY_TEST_PG_DIR:?usage: server_check.sh DIR}}
[ -r "$dir/env" ] || { echo "store-pg: no $dir/env: the postgres fixture did not start" >&2; exit 1; }
# shellcheck disable=SC1091
source "$dir/env"
psql=${NOTIFY_PG_BINDIR:-/usr/lib/postgresql/15/bin}/psql
# Only the connection strings below reach libpq: none of the caller's PG* variables, no
# ~/.psqlrc (-X); with PGPASSWORD always set, no password file is read.
while IFS= read -r var; do
    case $var in PG*) unset "$var" ;; esac
done < <(compgen -e)
export PGCONNECT_TIMEOUT=10

fail() {
    echo "store-pg: $*" >&2
    exit 1
}

# query PASSWORD HOST SSLMODE SQL: runs SQL as notify (the password in the environment, not
# on the command line); its output, or psql's error on one line, in $out.
query() {
    local conninfo="host=$2 port=$NOTIFY_TEST_PG_PORT dbname=notify user=notify sslmode=$3 sslrootcert=$NOTIFY_TEST_PG_CA"
    local status=0
    out=$(PGPASSWORD=$1 "$psql" -X -At -d "$conninfo" -c "$4" 2>&1) || status=$?
    out=$(printf '%s' "$out" | tr '\n\t' '  ')
    return "$status"
}

# 1. TLS, the certificate checked against the test CA and the name localhost.
query "$NOTIFY_TEST_PG_PASSWORD" localhost verify-full "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" ||
    fail "sslmode=verify-full to localhost with the test CA and the password did not connect: $out"
[ "$out" = t ] || fail "the connection with sslmode=verify-full is not TLS (pg_stat_ssl.ssl is '$out')"

# 2. A wrong password.
if query "wrong-$NOTIFY_TEST_PG_PASSWORD" localhost verify-full "SELECT 1"; then
    fail "a wrong password was accepted"
fi
[[ $out == *"password authentication failed"* ]] ||
    fail "a wrong password was refused, but not by password authentication: $out"

# 3. 127.0.0.1 is not a name of the certificate.
if query "$NOTIFY_TEST_PG_PASSWORD" 127.0.0.1 verify-full "SELECT 1"; then
    fail "sslmode=verify-full to 127.0.0.1 connected (the certificate should name localhost only)"
fi
[[ $out == *"does not match host name"* ]] ||
    fail "sslmode=verify-full to 127.0.0.1 was refused, but not for the certificate's name: $out"

# 4. Loopback only.
query "$NOTIFY_TEST_PG_PASSWORD" localhost verify-full "SHOW listen_addresses" ||
    fail "SHOW listen_addresses failed: $out"
[ "$out" = 127.0.0.1 ] || fail "the server listens on '$out', not on 127.0.0.1 only"

# 5. Durable commits.
query "$NOTIFY_TEST_PG_PASSWORD" localhost verify-full "SHOW fsync" || fail "SHOW fsync failed: $out"
[ "$out" = on ] || fail "fsync is '$out', not on"
