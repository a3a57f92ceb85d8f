#!/usr/bin/env bash
# Writes Tests/Fixtures/chain-v1.sqlite and its key chain-v1.sqlite.audit-key: a database
# written by samspar as it was at commit af55bca (migration 8: the keyed audit chain of
# version 1, which named identities in the clear), through its own command line and API, so
# that migration 9 (issue 22) is tested on what that version really wrote. It prints the head
# that version reported, which Tests/SamsparStoreTests/RechainTests.swift keeps by hand.
# Usage: scripts/make-chain-v1-fixture.sh PATH/TO/af55bca/samspar
set -euo pipefail
old=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server=
trap 'if [ -n "$server" ]; then kill $server 2>/dev/null || true; fi; rm -rf "$work"' EXIT
cd "$work"
db="sqlite://$work/chain-v1.sqlite"
"$old" agreement import "$root/../shared/examples/agreement.json" --db "$db" >/dev/null
cat > p.csv <<'CSV'
person_id;given_name;family_name;sex;municipality;first_permit_date;registered_on;exited_on;exit_reason;upper_secondary_completed;education_level
199001012385;Amina;Testsson;;0136;2016-03-01;2017-01-10;;;yes;3
199009132391;Ali;Provsson;;0136;2017-05-15;2018-02-01;;;no;2
199105152392;Omar;Exempel;male;0138;2015-01-31;2016-06-01;2018-06-30;flyttat;no;2
CSV
printf 'person_id;track;event;date\n199001012385;vard;invited;2018-01-15\n199001012385;vard;attended;2018-01-25\n' > e.csv
"$old" import participants p.csv --db "$db" >/dev/null
"$old" import events e.csv --db "$db" >/dev/null
haninge=$("$old" token create --org 212000-0084 --name "Haninge VS" --db "$db" | tail -1)
af=$("$old" token create --org 202100-2114 --name "AF VS" --db "$db" | tail -1)
"$old" serve --db "$db" --port 18392 > serve.log 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs http://127.0.0.1:18392/health >/dev/null && break; sleep 0.2; done
api() { curl -fsS -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -X "$2" "http://127.0.0.1:18392/api/v1$3" ${4:+--data "$4"} >/dev/null; }
# Arbetsförmedlingen registers Amina too; each party reads its own registration of her.
api "$af" POST /participants '{"personId":"199001012385","municipality":"0136","firstPermitDate":"2016-03-01","registeredOn":"2018-05-02","upperSecondaryCompleted":true}'
api "$af" GET /participants/199001012385
api "$haninge" GET /participants/199001012385
# Haninge lets Arbetsförmedlingen see Ali; Arbetsförmedlingen reads him under the consent.
api "$haninge" POST /participants/199009132391/consents '{"party":"202100-2114","validFrom":"2019-01-01"}'
api "$af" GET /participants/199009132391
kill $server
wait $server 2>/dev/null || true
server=
sqlite3 "$work/chain-v1.sqlite" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
"$old" audit head --db "$db"
cp "$work/chain-v1.sqlite" "$root/Tests/Fixtures/chain-v1.sqlite"
cp "$work/chain-v1.sqlite.audit-key" "$root/Tests/Fixtures/chain-v1.sqlite.audit-key"
echo "wrote Tests/Fixtures/chain-v1.sqlite and its key"
