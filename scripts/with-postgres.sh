#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster and removes the cluster afterwards,
# whatever the command's outcome; exits with the command's status.
#
#   scripts/with-postgres.sh swift test --skip-build
#
# The cluster listens on 127.0.0.1 on a free port, owned by a non-root user (the `postgres`
# system user when run as root), with password authentication over TCP. The command sees
#   SAMSPAR_TEST_POSTGRES_URL=postgres://samspar:PASSWORD@127.0.0.1:PORT/samspar
# fsync is off (a throwaway cluster) unless SAMSPAR_PG_FSYNC=on (benchmarks);
# SAMSPAR_PG_OPTIONS adds server settings ("-c name=value …"). The server's log is
# SAMSPAR_TEST_POSTGRES_LOG.
# Installs Debian's `postgresql` first when it is missing and we are root.
set -euo pipefail

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
BIN=$(pg_bin)
if [ -z "$BIN" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
    BIN=$(pg_bin)
  else
    echo "with-postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2
    exit 1
  fi
fi

DIR=$(mktemp -d /tmp/samspar-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PASSWORD="samspar-$(date +%s)-$$"
echo "$PASSWORD" > "$DIR/pwfile"
if [ "$(id -u)" = 0 ]; then
  chown -R postgres "$DIR"
  AS=(runuser -u postgres --)
else
  AS=()
fi

cleanup() {
  "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

# A self-signed certificate for 127.0.0.1, so the tests can connect with sslmode=require and
# verify-full (issue 10, part 4); the command sees it as SAMSPAR_TEST_POSTGRES_CA.
if ! command -v openssl >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl >/dev/null
fi
TLS_OPTS=""
if command -v openssl >/dev/null 2>&1; then
  openssl req -new -x509 -days 2 -nodes -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$DIR/server.key" -out "$DIR/server.crt" >/dev/null 2>&1
  chmod 600 "$DIR/server.key"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR/server.key" "$DIR/server.crt"
  TLS_OPTS="-c ssl=on -c ssl_cert_file=$DIR/server.crt -c ssl_key_file=$DIR/server.key"
  export SAMSPAR_TEST_POSTGRES_CA="$DIR/server.crt"
fi

"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U samspar --pwfile="$DIR/pwfile" \
  --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
  || { cat "$DIR/initdb.log" >&2; exit 1; }
# max_locks_per_transaction: a fresh database migrates in one transaction, which holds a lock
# on every table, index, trigger and constraint it makes until it commits, and the tests make
# dozens of fresh databases at once; the shared lock table (this times max_connections) ran
# out at the default 64 ("out of shared memory") once migration 14 added its triggers. One
# installation migrates one database at a time and needs no such setting.
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=${SAMSPAR_PG_FSYNC:-off} -c max_connections=200 -c max_locks_per_transaction=256 $TLS_OPTS ${SAMSPAR_PG_OPTIONS:-}" start >/dev/null \
  || { cat "$DIR/server.log" >&2; exit 1; }
PGPASSWORD="$PASSWORD" "$BIN/psql" -q -h 127.0.0.1 -p "$PORT" -U samspar -d postgres -c "CREATE DATABASE samspar" >/dev/null

export SAMSPAR_TEST_POSTGRES_LOG="$DIR/server.log"
export SAMSPAR_TEST_POSTGRES_URL="postgres://samspar:$PASSWORD@127.0.0.1:$PORT/samspar"
set +e
"$@"
status=$?
set -e
exit $status
