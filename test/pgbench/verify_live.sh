#!/usr/bin/env bash
# verify() on a live database: while 6 pgbench clients run the order-to-
# cash mix (bench/workloads/mixed) with monitor ticks at a simulated time,
# an admin session keeps house the way an operator does (rollup_ledger,
# rollup_reports, purge_history of everything older than a few seconds,
# resolve_alert of a random open alert by hand), and another session runs
# ordermgmt.verify() again and again.  Every check must hold on every
# snapshot it takes, and again at the end: the checks are exact with
# writers running, after manual resolutions and after purges.
#
# Connects with the usual libpq variables (PGHOST, PGPORT, PGUSER, ...).
# Works in its own database, ordermgmt_verify_live, dropped first if it
# exists and again at the end (VERIFY_LIVE_KEEP_DB=1 keeps it).
# VERIFY_LIVE_SECONDS sets the run time (default 30).
# Prints one PASS or FAIL line per check; exits 1 if any check fails.
set -euo pipefail
# shellcheck source=test/pgbench/pgbench_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/pgbench_lib.bash"
# shellcheck source=bench/workloads/mixed/workload.bash
. "$(dirname "${BASH_SOURCE[0]}")/../../bench/workloads/mixed/workload.bash"

DB=ordermgmt_verify_live
CLIENTS=6
THREADS=3
SECONDS_TO_RUN=${VERIFY_LIVE_SECONDS:-30}

pgbench_test_start "$DB" "${VERIFY_LIVE_KEEP_DB:-0}"
value() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

echo "== setting up database $DB"
wl_setup "$DB"

# The operator: roll the ledger and the reports up (purge_history keeps the
# events the reports have not rolled up), purge what is older than 3 seconds,
# resolve an open alert by hand; twice a second.  An alert resolved and
# purged between the pick and the call is gone (OM005): a lost race.
housekeeping() {
  while [ ! -e "$workdir/stop" ]; do
    psql -X -q -At -v ON_ERROR_STOP=0 -d "$DB" \
         -c "SELECT 'rolled up ' || ordermgmt.rollup_ledger()" \
         -c "SELECT 'rolled up reports ' || ordermgmt.rollup_reports()" \
         -c "SELECT 'purged ' || events || ' events' FROM ordermgmt.purge_history('3 seconds')" \
         -c "SELECT 'resolved alert ' || a.alert_id
               FROM (SELECT alert_id FROM ordermgmt.alerts WHERE status <> 'resolved'
                      ORDER BY random() LIMIT 1) a,
                    LATERAL (SELECT ordermgmt.resolve_alert(a.alert_id, 'by hand')) r" \
         >>"$workdir/housekeeping.out" 2>>"$workdir/housekeeping.err" || true
    echo >>"$workdir/housekeeping.runs"
    sleep 0.5
  done
}
# The audit: verify() again and again; every failing check is written down.
auditing() {
  while [ ! -e "$workdir/stop" ]; do
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" \
         -c "SELECT check_name || ': ' || detail FROM ordermgmt.verify() WHERE NOT ok" \
         >>"$workdir/audit.out" 2>&1 || echo "verify() did not run" >>"$workdir/audit.out"
    echo >>"$workdir/audit.runs"
  done
}

echo "== pgbench: $CLIENTS clients for $SECONDS_TO_RUN s, an operator keeping house, verify() in a loop"
: >"$workdir/audit.out"
: >"$workdir/housekeeping.err"
: >"$workdir/housekeeping.out"
housekeeping & housekeeping_pid=$!
auditing & auditing_pid=$!
# simulated time runs 2000 times faster: deadlines of hours and days fall due
wl_tick_args 2000 3
rc=0
wl_pgbench "$DB" "$workdir/pgbench.out" -c "$CLIENTS" -j "$THREADS" -T "$SECONDS_TO_RUN" "${WL_TICK_ARGS[@]}" || rc=$?
touch "$workdir/stop"
wait "$housekeeping_pid" "$auditing_pid"
wl_pgbench_summary "$workdir/pgbench.out"
wl_check_pgbench "$workdir/pgbench.out" "$rc"

echo "== what the operator did"
purged=$(awk '$1 == "purged" { n += $2 } END { print n + 0 }' "$workdir/housekeeping.out")
resolved=$(grep -c '^resolved alert' "$workdir/housekeeping.out" || true)
echo "$(wc -l <"$workdir/housekeeping.runs") rounds: $(value "SELECT coalesce(max(upto_posting_id), 0) FROM ordermgmt.ledger_rollup") postings rolled up, $purged events purged, $resolved alerts resolved by hand"
wl_check "the roll-up moved" t "$(value "SELECT coalesce((SELECT upto_posting_id > 0 FROM ordermgmt.ledger_rollup), false)")"
wl_check "events were purged while the workload ran" yes "$([ "$purged" -gt 0 ] && echo yes || echo no)"
wl_check "alerts were resolved by hand while the workload ran" yes "$([ "$resolved" -gt 0 ] && echo yes || echo no)"
unexpected=$(grep -E 'ERROR' "$workdir/housekeeping.err" | grep -cv 'does not exist' || true)
wl_check "housekeeping errors other than a lost race" 0 "$unexpected"
if [ "$unexpected" != 0 ]; then grep -E 'ERROR' "$workdir/housekeeping.err" | head -n 5; fi

echo "== verify() while the workload ran"
runs=$(wc -l <"$workdir/audit.runs")
wl_check "verify() runs during the workload" yes "$([ "$runs" -gt 2 ] && echo yes || echo "no ($runs)")"
echo "verify() ran $runs times"
wl_check "checks that failed on a live snapshot" 0 "$(grep -c . "$workdir/audit.out" || true)"
sort "$workdir/audit.out" | uniq -c | sort -rn | head -n 10

echo "== verify() at the end"
wl_check "checks that fail at the end" 0 "$(value "SELECT count(*) FROM ordermgmt.verify() WHERE NOT ok")"
value "SELECT check_name || ': ' || detail FROM ordermgmt.verify() WHERE NOT ok"

if [ "$WL_FAILURES" -eq 0 ]; then
  echo "PASS: verify() on a live database"
else
  echo "FAIL: verify() on a live database ($WL_FAILURES failed checks)"
  exit 1
fi
