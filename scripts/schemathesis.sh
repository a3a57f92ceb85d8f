#!/usr/bin/env bash
# Property-based API test: fuzzes the operations of the served OpenAPI document with
# Schemathesis and fails on server errors (5xx, or the server dying) or on any response the
# document does not describe (status code, content type, headers, body schema).
#   scripts/schemathesis.sh [SAMSPAR_BINARY] [extra `schemathesis run` options…]
# Default binary: .build/debug/samspar. In a fresh temporary directory it runs
# `samspar demo`, creates an API token for Haninge kommun (212000-0084) and one signed-in
# user each for the admin, auditor and coordinator roles, starts `samspar serve --port 0`
# and points Schemathesis at the served /api/v1/openapi.json: every operation with the
# token, then the users and tokens, audit and agreements operations as those users (session
# cookie + X-CSRF-Token). A server that dies is reported and started again for the next
# run. The server is stopped and the directory removed on exit; non-zero exit on failures.
# Environment:
#   SCHEMATHESIS_MAX_EXAMPLES  test cases per operation and phase (default 100; half for users)
#   SCHEMATHESIS_SEED          default 2018, so that runs repeat
#   SCHEMATHESIS_WORKERS       default 1: Schemathesis's workers are threads, which gain little
#                              under the GIL, make runs depend on timing, and can trip CPython
#                              3.11's "AST constructor recursion depth mismatch" race
#   SCHEMATHESIS_REPORT_DIR    keep a JUnit report, a VCR cassette of every request and the
#                              server's log there
#   PYTHON                     default python3; Schemathesis is installed with pip if missing
set -euo pipefail

BIN=${1:-.build/debug/samspar}
shift || true
[ -x "$BIN" ] || { echo "schemathesis.sh: no executable samspar at $BIN (build it first)" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
PYTHON=${PYTHON:-python3}
TOTP=$(cd "$(dirname "$0")" && pwd)/totp.py
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-100}
SEED=${SCHEMATHESIS_SEED:-2018}
WORKERS=${SCHEMATHESIS_WORKERS:-1}
REPORT_DIR=${SCHEMATHESIS_REPORT_DIR:-}
[ -z "$REPORT_DIR" ] || { mkdir -p "$REPORT_DIR" && REPORT_DIR=$(cd "$REPORT_DIR" && pwd); }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/samspar-schemathesis.XXXXXX")
SERVER_PID=
SERVER_STARTS=0
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      kill -TERM "$SERVER_PID" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
cleanup() {
  local status=$?
  stop_server
  if [ -n "$REPORT_DIR" ]; then
    cp "$WORK"/serve-*.log "$REPORT_DIR/" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Schemathesis itself (its console script may not be on PATH, so it is run through Python).
if ! "$PYTHON" -c 'import schemathesis' 2>/dev/null; then
  echo "Installing schemathesis with pip…" >&2
  "$PYTHON" -m pip install --quiet schemathesis >&2
fi
schemathesis() {
  "$PYTHON" -c 'import sys; from schemathesis.cli import schemathesis as cli; sys.argv[0] = "schemathesis"; sys.exit(cli())' "$@"
}
echo "schemathesis $("$PYTHON" -c 'import schemathesis; print(schemathesis.__version__)')" >&2

# Starts `samspar serve --port 0` and sets BASE once /health answers.
start_server() {
  SERVER_STARTS=$((SERVER_STARTS + 1))
  local log="serve-$SERVER_STARTS.log" port=
  "$BIN" serve --port 0 >serve.out 2>"$log" &
  SERVER_PID=$!
  for _ in $(seq 300); do
    # "Samspår lyssnar på http://127.0.0.1:PORT (listening)"
    port=$(sed -n 's#.*http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' serve.out | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; echo "schemathesis.sh: samspar serve exited" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { echo "schemathesis.sh: samspar serve printed no port" >&2; exit 1; }
  BASE=http://127.0.0.1:$port
  for i in $(seq 100); do
    curl -fsS -o /dev/null "$BASE/health" 2>/dev/null && break
    [ "$i" -lt 100 ] || { echo "schemathesis.sh: $BASE/health never answered" >&2; exit 1; }
    sleep 0.1
  done
  echo "samspar serve on $BASE (pid $SERVER_PID)" >&2
}

cd "$WORK"
"$BIN" demo >demo.log 2>&1 || { cat demo.log >&2; exit 1; }
TOKEN=$("$BIN" token create --org 212000-0084 --name schemathesis | tail -n 1)
[ -n "$TOKEN" ] || { echo "schemathesis.sh: samspar token create printed no token" >&2; exit 1; }
start_server

# People, for the operations a system token may not use (403 to it): one signed-in user per
# role, each fuzzing only its own operations. They sign in before the token's run, whose
# failed sign-ins rate-limit 127.0.0.1, and fuzz after it, since the admin may revoke the
# token. Sessions live in the database, so they survive a restart of the server.
PASSWORD='schemathesis-password-1'
declare -A COOKIES CSRFS
for role in admin auditor coordinator; do
  email="$role@schemathesis.example"
  # `user add` prints the account's TOTP secret on its last line (issue 25): sign in with a code.
  uri=$(echo "$PASSWORD" | "$BIN" user add --org 212000-0084 --role "$role" --email "$email" | tail -1)
  code=$("$PYTHON" "$TOTP" "$uri")
  answer=$(curl -fsS -c "cookies-$role" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$PASSWORD\",\"code\":\"$code\"}" "$BASE/api/v1/session")
  CSRFS[$role]=$(printf '%s' "$answer" | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["csrfToken"])')
  COOKIES[$role]=$(awk '$6 == "samspar_session" { print $7 }' "cookies-$role")
  [ -n "${COOKIES[$role]}" ] && [ -n "${CSRFS[$role]}" ] || { echo "schemathesis.sh: could not sign in as $role" >&2; exit 1; }
done

# `unsupported_method` is left out on purpose: an unknown method is a JSON 404 like an
# unknown path (as documented), not a 405. Security parameters are not generated, so every
# request carries exactly the credentials given here.
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
FAILED=()
run_pass() { # NAME MAX_EXAMPLES [schemathesis options…]
  local name=$1 examples=$2 status
  shift 2
  local report=()
  [ -z "$REPORT_DIR" ] || report=(--report junit,vcr --report-dir "$REPORT_DIR/$name")
  echo "=== schemathesis: $name ===" >&2
  set +e
  schemathesis run "$BASE/api/v1/openapi.json" \
    --checks "$CHECKS" \
    --max-examples "$examples" \
    --seed "$SEED" \
    --workers "$WORKERS" \
    --request-timeout 60 \
    --generation-with-security-parameters false \
    --generation-database none \
    --suppress-health-check too_slow \
    --no-color \
    "${report[@]}" \
    "$@"
  status=$?
  set -e
  [ "$status" -eq 0 ] || FAILED+=("$name: schemathesis exit $status")
  if ! kill -0 "$SERVER_PID" 2>/dev/null || ! curl -fsS -m 10 -o /dev/null "$BASE/health" 2>/dev/null; then
    FAILED+=("$name: samspar serve died or stopped answering (its log: serve-$SERVER_STARTS.log)")
    echo "--- samspar serve died or stopped answering ---" >&2
    { grep -E -m1 -B2 -A8 ' crashed:' "serve-$SERVER_STARTS.log" || tail -n 20 "serve-$SERVER_STARTS.log"; } >&2 || true
    stop_server
    start_server
  fi
}

START=$(date +%s)
run_pass system-token "$MAX_EXAMPLES" --header "Authorization: Bearer $TOKEN" "$@"
ROLE_EXAMPLES=$(((MAX_EXAMPLES + 1) / 2))
run_pass admin "$ROLE_EXAMPLES" --include-path-regex '^/api/v1/(users|tokens)' \
  --header "Cookie: samspar_session=${COOKIES[admin]}" --header "X-CSRF-Token: ${CSRFS[admin]}" "$@"
run_pass auditor "$ROLE_EXAMPLES" --include-path-regex '^/api/v1/audit' \
  --header "Cookie: samspar_session=${COOKIES[auditor]}" --header "X-CSRF-Token: ${CSRFS[auditor]}" "$@"
run_pass coordinator "$ROLE_EXAMPLES" --include-path-regex '^/api/v1/agreements' \
  --header "Cookie: samspar_session=${COOKIES[coordinator]}" --header "X-CSRF-Token: ${CSRFS[coordinator]}" "$@"
echo "schemathesis ran for $(($(date +%s) - START)) s" >&2
if [ "${#FAILED[@]}" -gt 0 ]; then
  printf 'schemathesis.sh: FAILED: %s\n' "${FAILED[@]}" >&2
  exit 1
fi
echo "schemathesis.sh: no failures" >&2
