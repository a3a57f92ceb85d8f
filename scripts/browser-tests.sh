#!/usr/bin/env bash
# Browser tests (Tests/Browser): every page each demo role can reach, in headless Chromium,
# checked with axe-core 4.12 against WCAG 2.1 A/AA; screenshots are kept in screenshots/browser.
#   scripts/browser-tests.sh [SAMSPAR_BINARY] [extra pytest options…]
# Default binary: .build/debug/samspar. Installs what it needs: Debian's chromium and
# chromium-driver (apt), selenium and pytest (pip), and axe.min.js from the
# axe-playwright-python wheel (cached in .build/browser). In a temporary directory it runs
# `samspar demo`, starts `samspar serve --port 0`, runs pytest against it, and stops it on exit.
set -euo pipefail

BIN=${1:-.build/debug/samspar}
shift || true
[ -x "$BIN" ] || { echo "browser-tests.sh: no executable samspar at $BIN (build it first)" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
SELENIUM_VERSION=4.51.0      # 4.52.0 needs a certifi newer than PyPI offers here
AXE_WHEEL_VERSION=0.1.8      # axe-playwright-python 0.1.8 ships axe-core 4.12.1
AXE=.build/browser/axe.min.js
SHOTS=screenshots/browser

# Chromium and its driver, Debian's: nothing is downloaded by Selenium.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q chromium chromium-driver
fi
export SE_OFFLINE=true

if ! "$PYTHON" -c "import pytest, openpyxl, selenium, sys; sys.exit(selenium.__version__ != '$SELENIUM_VERSION')" 2>/dev/null; then
  "$PYTHON" -m pip install -q "selenium==$SELENIUM_VERSION" pytest openpyxl
fi

if ! grep -q '\.version="4\.12\.' "$AXE" 2>/dev/null; then
  wheels=$(mktemp -d)
  "$PYTHON" -m pip download -q --no-deps "axe-playwright-python==$AXE_WHEEL_VERSION" -d "$wheels"
  mkdir -p "$(dirname "$AXE")"
  "$PYTHON" - "$wheels" "$AXE" <<'PY'
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/axe.min.js"))
    pathlib.Path(sys.argv[2]).write_bytes(z.read(name))
PY
  rm -rf "$wheels"
  grep -q '\.version="4\.12\.' "$AXE" || { echo "browser-tests.sh: $AXE is not axe-core 4.12" >&2; exit 1; }
fi
echo "axe-core $(grep -o '\.version="[0-9.]*"' "$AXE" | head -n 1 | cut -d'"' -f2)" >&2

mkdir -p "$SHOTS"
rm -f "$SHOTS"/*.png

WORK=$(mktemp -d "${TMPDIR:-/tmp}/samspar-browser.XXXXXX")
SERVER_PID=
cleanup() {
  local status=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  [ -z "${OIDC_PID:-}" ] || kill -KILL "$OIDC_PID" 2>/dev/null || true
  cp "$WORK/serve.log" "$SHOTS/serve.log" 2>/dev/null || true
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

DB="sqlite://$WORK/demo.sqlite"
"$BIN" demo --db "$DB" >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log" >&2; exit 1; }

# Haninge's identity provider (issue 25): oidc-provider-mock, a real OpenID Connect provider,
# on loopback; the operator sets it as SPEC §5 says, the client secret in the environment.
"$PYTHON" -c 'import oidc_provider_mock' 2>/dev/null || "$PYTHON" -m pip install -q "oidc-provider-mock==0.3.4"
OIDC_PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PYTHON" -m oidc_provider_mock --host 127.0.0.1 --port "$OIDC_PORT" >"$WORK/oidc.log" 2>&1 &
OIDC_PID=$!
disown "$OIDC_PID" 2>/dev/null || true   # its SIGKILL at the end is not news
OIDC_ISSUER=http://127.0.0.1:$OIDC_PORT
for i in $(seq 100); do
  "$PYTHON" -c 'import sys, urllib.request; sys.exit(urllib.request.urlopen(sys.argv[1], timeout=2).status != 200)' \
    "$OIDC_ISSUER/.well-known/openid-configuration" 2>/dev/null && break
  [ "$i" -lt 100 ] || { cat "$WORK/oidc.log" >&2; echo "browser-tests.sh: oidc-provider-mock did not start" >&2; exit 1; }
  sleep 0.1
done
"$BIN" org update 212000-0084 --db "$DB" --oidc-issuer "$OIDC_ISSUER" --oidc-client-id samspar-haninge \
  --oidc-client-secret-env SAMSPAR_BROWSER_OIDC_SECRET --oidc-role-claim groups --oidc-role samspar-handlaggare=caseworker \
  --oidc-two-factor-acr http://id.elegnamnden.se/loa/1.0/loa3 >/dev/null
# A Samspår account with a second factor, as `samspar user add` makes it.
echo "a browser test password" | "$BIN" user add --db "$DB" --org 212000-0084 --role caseworker --email totp@haninge.example \
  | tail -1 >"$WORK/totp.uri"

SAMSPAR_BROWSER_OIDC_SECRET=a-browser-client-secret "$BIN" serve --db "$DB" --host 127.0.0.1 --port 0 >"$WORK/serve.out" 2>"$WORK/serve.log" &
SERVER_PID=$!

# The port: the last ":NUMBER" of the first line that mentions "listening".
port=
for _ in $(seq 300); do
  port=$(grep -i -m 1 listening "$WORK/serve.out" | grep -oE ':[0-9]+' | tail -n 1 | tr -d :) || true
  [ -n "$port" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.out" "$WORK/serve.log" >&2; echo "browser-tests.sh: samspar serve exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$WORK/serve.out" >&2; echo "browser-tests.sh: samspar serve printed no port" >&2; exit 1; }
URL=http://127.0.0.1:$port

for i in $(seq 100); do
  "$PYTHON" -c 'import sys, urllib.request; sys.exit(urllib.request.urlopen(sys.argv[1], timeout=2).status != 200)' \
    "$URL/health" 2>/dev/null && break
  [ "$i" -lt 100 ] || { echo "browser-tests.sh: $URL/health never answered 200" >&2; exit 1; }
  sleep 0.1
done
echo "samspar serve on $URL (pid $SERVER_PID)" >&2

SAMSPAR_URL=$URL SAMSPAR_AXE=$PWD/$AXE SAMSPAR_SCREENSHOTS=$PWD/$SHOTS SAMSPAR_OIDC_ISSUER=$OIDC_ISSUER \
  SAMSPAR_TOTP_URI=$(cat "$WORK/totp.uri") SAMSPAR_SCRIPTS=$PWD/scripts \
  "$PYTHON" -m pytest -q Tests/Browser "$@"
