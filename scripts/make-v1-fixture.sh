#!/usr/bin/env bash
# Writes Tests/Fixtures/main-v1.sqlite: a database written by samspar as it was on main at
# commit 64a196f (before registrations, issue 7), through its own command line and API, so
# that the migration to registrations is tested on what that version really wrote.
# Usage: scripts/make-v1-fixture.sh PATH/TO/v1/samspar
set -euo pipefail
v1=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
db="sqlite://$work/v1.sqlite"
"$v1" agreement import "$root/../shared/examples/agreement.json" --db "$db"
cat > p.csv <<'CSV'
person_id;given_name;family_name;sex;municipality;first_permit_date;registered_on;exited_on;exit_reason;upper_secondary_completed;education_level
199001012385;Amina;Testsson;;0136;2016-03-01;2017-01-10;;;yes;3
199009132391;Ali;Provsson;;0136;2017-05-15;2018-02-01;;;no;2
199105152392;Omar;Exempel;male;0138;2015-01-31;2016-06-01;2018-06-30;flyttat;no;2
199201202398;Karim;Fiktiv;;0484;2017-01-01;2017-02-01;;;no;2
CSV
printf 'person_id;track;event;date\n199001012385;vard;invited;2018-01-15\n199001012385;vard;attended;2018-01-25\n' > e.csv
printf 'person_id;status;date\n199001012385;work;2018-10-15\n' > s.csv
printf 'person_id;activity;start;end;hours_per_week;provider\n199001012385;sfi;2017-01-15;2017-12-20;15;Haninge vux\n' > a.csv
"$v1" import participants p.csv --db "$db"
"$v1" import events e.csv --db "$db"
"$v1" import statuses s.csv --db "$db"
"$v1" import activities a.csv --db "$db"
echo 'a long enough password' | "$v1" user add --org 212000-0084 --role caseworker --email cw@haninge.se --db "$db"
haninge=$("$v1" token create --org 212000-0084 --name "Haninge VS" --db "$db" | tail -1)
af=$("$v1" token create --org 202100-2114 --name "AF VS" --db "$db" | tail -1)
"$v1" serve --db "$db" --port 18391 > serve.log 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs http://127.0.0.1:18391/health >/dev/null && break; sleep 0.2; done
api() { curl -fsS -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -X "$2" "http://127.0.0.1:18391/api/v1$3" ${4:+--data "$4"}; echo; }
# Arbetsförmedlingen registers a person of its own through the API.
api "$af" POST /participants '{"personId":"200001012384","municipality":"0192","firstPermitDate":"2018-02-28","registeredOn":"2018-03-01","upperSecondaryCompleted":false}'
# Haninge lets Arbetsförmedlingen see Ali, who then records a status under that consent.
api "$haninge" POST /participants/199009132391/consents '{"party":"202100-2114","validFrom":"2019-01-01"}'
api "$af" POST /participants/199009132391/statuses '{"status":"studies","date":"2019-02-01"}'
api "$haninge" GET /participants/199009132391 >/dev/null
kill $server; wait $server 2>/dev/null || true
server=
sqlite3 "$work/v1.sqlite" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
cp "$work/v1.sqlite" "$root/Tests/Fixtures/main-v1.sqlite"
echo "wrote Tests/Fixtures/main-v1.sqlite"
