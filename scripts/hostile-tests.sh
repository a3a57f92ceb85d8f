#!/usr/bin/env bash
# Hostile tests (Tests/Hostile, issue 20): one request cannot hurt the server. Attacks a real
# `samspar serve` over HTTP and raw sockets (huge CSV headers and problem lists, multipart
# bodies, over-long and malformed framing, parallel sign-in guessing, metrics on the public
# port, deep JSON, slowloris, path traversal) while watching its memory and /health.
#   scripts/hostile-tests.sh [SAMSPAR_BINARY] [extra pytest options…]
# Default binary: .build/debug/samspar. Installs pytest (pip) if missing; the tests use only
# Python's standard library. In a temporary directory it runs `samspar demo`, starts two
# `samspar serve --port 0 --metrics-port 0 --trusted-proxy 127.0.0.1` on that one database (the
# second for the sign-in limit across instances), runs pytest against them and stops both on
# exit; their logs are kept in screenshots/hostile/.
set -euo pipefail

BIN=${1:-.build/debug/samspar}
shift || true
[ -x "$BIN" ] || { echo "hostile-tests.sh: no executable samspar at $BIN (build it first)" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
LOGS=screenshots/hostile

if ! "$PYTHON" -c "import pytest" 2>/dev/null; then
  "$PYTHON" -m pip install -q pytest
fi

mkdir -p "$LOGS"
rm -f "$LOGS"/*.log

WORK=$(mktemp -d "${TMPDIR:-/tmp}/samspar-hostile.XXXXXX")
SERVER1_PID=
SERVER2_PID=
stop() {
  local pid=$1
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local status=$?
  stop "$SERVER1_PID"
  stop "$SERVER2_PID"
  cp "$WORK/serve1.log" "$LOGS/serve.log" 2>/dev/null || true
  cp "$WORK/serve2.log" "$LOGS/serve2.log" 2>/dev/null || true
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

DB="sqlite://$WORK/demo.sqlite"
"$BIN" demo --db "$DB" >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log" >&2; exit 1; }

# The private metrics port is the contract (issue 20); a binary from before it is still tested,
# without it (the metrics tests then fail and say why).
SERVE_HELP=$("$BIN" serve --help 2>&1 || true)
METRICS_ARGS=()
if [[ $SERVE_HELP == *--metrics-port* ]]; then
  METRICS_ARGS=(--metrics-port 0)
else
  echo "hostile-tests.sh: WARNING: $BIN serve has no --metrics-port; starting it without (the metrics tests will fail)" >&2
fi

# Starts `samspar serve` as NAME (serve1, serve2); sets SERVED_PID, SERVED_URL, SERVED_METRICS.
start_server() {
  local name=$1 out="$WORK/$1.out"
  "$BIN" serve --db "$DB" --host 127.0.0.1 --port 0 ${METRICS_ARGS[@]+"${METRICS_ARGS[@]}"} --trusted-proxy 127.0.0.1 \
    >"$out" 2>"$WORK/$name.log" &
  SERVED_PID=$!
  SERVED_URL=
  SERVED_METRICS=
  # The URL of the first line with "listening" that is not the metrics line, and the metrics
  # URL of the line with "(metrics)", which may come before or after it: up to 30 s for both.
  for _ in $(seq 300); do
    [ -n "$SERVED_URL" ] ||
      SERVED_URL=$(grep -i listening "$out" | grep -v -F '(metrics)' | head -n 1 | grep -oE 'http://[0-9.]+:[0-9]+' | head -n 1 || true)
    [ -n "$SERVED_METRICS" ] ||
      SERVED_METRICS=$(grep -F '(metrics)' "$out" | head -n 1 | grep -oE 'http://[^ ]+/metrics' | head -n 1 || true)
    if [ -n "$SERVED_URL" ] && { [ -n "$SERVED_METRICS" ] || [ ${#METRICS_ARGS[@]} -eq 0 ]; }; then break; fi
    kill -0 "$SERVED_PID" 2>/dev/null || { cat "$out" "$WORK/$name.log" >&2; echo "hostile-tests.sh: samspar serve ($name) exited" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$SERVED_URL" ] || { cat "$out" >&2; echo "hostile-tests.sh: samspar serve ($name) printed no listening URL" >&2; exit 1; }
  if [ -z "$SERVED_METRICS" ] && [ ${#METRICS_ARGS[@]} -gt 0 ]; then
    echo "hostile-tests.sh: WARNING: samspar serve ($name) printed no (metrics) line in 30 s" >&2
  fi
  for i in $(seq 100); do
    "$PYTHON" -c 'import sys, urllib.request; sys.exit(urllib.request.urlopen(sys.argv[1], timeout=2).status != 200)' \
      "$SERVED_URL/health" 2>/dev/null && break
    [ "$i" -lt 100 ] || { echo "hostile-tests.sh: $SERVED_URL/health never answered 200" >&2; exit 1; }
    sleep 0.1
  done
  echo "samspar serve ($name) on $SERVED_URL, metrics ${SERVED_METRICS:-none} (pid $SERVED_PID)" >&2
}

start_server serve1
SERVER1_PID=$SERVED_PID
URL1=$SERVED_URL
METRICS1=$SERVED_METRICS
start_server serve2
SERVER2_PID=$SERVED_PID
URL2=$SERVED_URL

export SAMSPAR_URL=$URL1 SAMSPAR_URL2=$URL2 SAMSPAR_METRICS_URL=$METRICS1 SAMSPAR_PID=$SERVER1_PID \
  SAMSPAR_BIN=$BIN SAMSPAR_DB=$DB
"$PYTHON" -m pytest -q Tests/Hostile "$@"
