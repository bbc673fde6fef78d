#!/usr/bin/env bash
# Hostile input: every API function is called thousands of times in total
# with randomized hostile arguments (NULLs, wrong types given as text,
# malformed, huge and deeply nested JSON, unicode and control characters,
# extreme numbers, ids that do not exist, valid ids in the wrong state,
# repeated calls), by login roles that are members of ordermgmt_app and
# ordermgmt_admin, never a superuser.  It passes when
#   (a) the backend never crashes: both sessions survive to their last call
#       and the server log shows no terminated backend;
#   (b) every call succeeds or fails with an allowed SQLSTATE (the spec's
#       OM0xx codes and 22023 from the functions; see hostile.allowed() in
#       hostile_input.sql); anything else, XX000 above all, is printed with
#       its statement;
#   (c) afterwards every check of test/invariants.sql holds: those of
#       ordermgmt.verify() (after purges, reversed automatic entries and
#       manual entries to cash and receivables) and the workload's own;
#   (d) every function succeeded at least once and, if it takes arguments,
#       refused a call at least once (an argument PostgreSQL itself refuses
#       does not count: the function never ran);
#   (e) every batch function (create_orders, ship_orders, invoice_orders,
#       record_payments) had items that went through and items that were
#       refused; each item's SQLSTATE is checked as a call's is in (b).
# The generators (test/shell/hostile_input.sql) cover every function the two
# roles may execute: a function without one fails the test.
#
# The seed is printed; HOSTILE_SEED=n repeats a run, HOSTILE_CALLS and
# HOSTILE_ADMIN_CALLS set the number of calls of each session.  Every
# statement is written to the server log ("hostile app #n: ...") before it
# runs, so a crashing call can be found.  docs/hostile-input.md has more.
#
# Starts its own cluster on TAP_PORT (default 5510) and removes it on exit.
# Run as root after `make install`.  Prints PASS/FAIL lines; exits 1 if
# anything failed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/shell_lib.bash"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SEED=${HOSTILE_SEED:-20261202}
APP_CALLS=${HOSTILE_CALLS:-8000}
ADMIN_CALLS=${HOSTILE_ADMIN_CALLS:-1000}
APPROVER_CALLS=${HOSTILE_APPROVER_CALLS:-300}
DB=ordermgmt_hostile

shell_cluster_start "${TAP_PORT:-5510}"
LOG=$(shell_server_log)
CALL_LOG=$OM_TMP/calls.log
echo "seed $SEED (HOSTILE_SEED=$SEED repeats this run), $APP_CALLS app, $ADMIN_CALLS admin and $APPROVER_CALLS approver calls"

# The extension creates the group roles; the calls are made by login roles
# that are members of them.
q -c "CREATE DATABASE $DB"
q -d "$DB" -c "CREATE EXTENSION ordermgmt" \
           -c "CREATE ROLE hostile_app LOGIN IN ROLE ordermgmt_app" \
           -c "CREATE ROLE hostile_admin LOGIN IN ROLE ordermgmt_admin" \
           -c "CREATE ROLE hostile_approver LOGIN IN ROLE ordermgmt_approver"
q -d "$DB" -f "$HERE/hostile_input.sql" >/dev/null

# value SQL: one value, queried as the superuser.
value() { q -d "$DB" -c "$1"; }

missing=$(value "SELECT string_agg(fn || ' argument ' || argno || ' (' || argtype || ')', '; ')
                   FROM hostile.missing_generators")
check "every function ordermgmt_app, ordermgmt_admin or ordermgmt_approver may execute has generators${missing:+: missing $missing}" \
  test -z "$missing"

# run_session ROLE SESSION CALLS SEED: one psql session, one statement per call.
run_session() {
  local role=$1 session=$2 calls=$3 seed=$4 rc=0 t0
  t0=$(now_ms)
  {
    echo "SELECT setseed($seed);"
    seq 1 "$calls" | sed "s/.*/SELECT hostile.call('$session', &);/"
  } | PGOPTIONS="-c statement_timeout=60s" \
      psql -X -q -A -t -v ON_ERROR_STOP=1 -U "$role" -d "$DB" >>"$CALL_LOG" 2>&1 || rc=$?
  echo "$session session: $calls calls in $(($(now_ms) - t0)) ms, psql exit status $rc"
  return "$rc"
}

# setseed() takes a fraction; each session gets its own stream.
seed_of() { awk -v s="$SEED" -v k="$1" 'BEGIN { printf "%.9f", ((s * 7919 + k) % 1000003) / 1000003 }'; }

app_rc=0
run_session hostile_app app "$APP_CALLS" "$(seed_of 1)" || app_rc=$?
admin_rc=0
run_session hostile_admin admin "$ADMIN_CALLS" "$(seed_of 2)" || admin_rc=$?
approver_rc=0
run_session hostile_approver approver "$APPROVER_CALLS" "$(seed_of 3)" || approver_rc=$?
# After a crash the server restarts; wait for it to report what it can.
if [ "$app_rc" -ne 0 ] || [ "$admin_rc" -ne 0 ] || [ "$approver_rc" -ne 0 ]; then
  wait_for 60 "$DB" "SELECT true" || true
fi

# ---------------------------------------------------------------------------
# (a) no crash
# ---------------------------------------------------------------------------
check "(a) the app session survived all $APP_CALLS calls" \
  test "$app_rc" -eq 0 -a "$(value "SELECT count(*) FROM hostile.calls WHERE session = 'app'")" = "$APP_CALLS"
check "(a) the admin session survived all $ADMIN_CALLS calls" \
  test "$admin_rc" -eq 0 -a "$(value "SELECT count(*) FROM hostile.calls WHERE session = 'admin'")" = "$ADMIN_CALLS"
check "(a) the approver session survived all $APPROVER_CALLS calls" \
  test "$approver_rc" -eq 0 -a "$(value "SELECT count(*) FROM hostile.calls WHERE session = 'approver'")" = "$APPROVER_CALLS"
crashes=$(grep -Ec 'terminated by signal|was terminated|PANIC|TRAP:' "$LOG" || true)
check "(a) no backend terminated (server log lines: $crashes)" test "$crashes" -eq 0
if [ "$app_rc" -ne 0 ] || [ "$admin_rc" -ne 0 ] || [ "$approver_rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
  echo "---- what psql said besides the outcomes ----"; grep -Ev '^(app|admin|approver) #' "$CALL_LOG" | head -n 20
  echo "---- last statements in the server log ----"; grep -E 'hostile (app|admin|approver) #' "$LOG" | tail -n 3 | cut -c 1-600
  grep -E -A3 'terminated by signal|was terminated|PANIC|TRAP:' "$LOG" | head -n 20 || true
fi

# ---------------------------------------------------------------------------
# (b) every outcome allowed
# ---------------------------------------------------------------------------
echo "== outcomes by function and SQLSTATE"
# aligned QUERY: print a query's result as a table.
aligned() { q -d "$DB" -P footer=off -c '\pset format aligned' -c '\pset tuples_only off' -c "$1" | sed 's/^/  /'; }
aligned "
  WITH k AS (SELECT session || ': ' || regexp_replace(fn, '^ordermgmt[.]', '') AS fn, outcome,
                    input_code IS NOT NULL AS input, count(*) AS n
               FROM hostile.calls GROUP BY 1, 2, 3)
  SELECT fn AS function, sum(n) AS calls, coalesce(sum(n) FILTER (WHERE outcome = 'ok'), 0) AS ok,
         coalesce(string_agg(outcome || ' ' || n, ', ' ORDER BY outcome)
                    FILTER (WHERE outcome <> 'ok' AND NOT input), '') AS \"refused by the function\",
         coalesce(string_agg(outcome || ' ' || n, ', ' ORDER BY outcome)
                    FILTER (WHERE outcome <> 'ok' AND input), '') AS \"refused as input by PostgreSQL\"
    FROM k GROUP BY fn ORDER BY fn"
aligned "
  SELECT outcome AS sqlstate, count(*) AS calls,
         count(*) FILTER (WHERE input_code IS NOT NULL AND outcome <> 'ok') AS as_input,
         count(*) FILTER (WHERE repeated) AS repeated, max(ms) AS slowest_ms
    FROM hostile.calls GROUP BY 1 ORDER BY 1"

echo "== the batch functions' items: calls whose items ended so (ok or the SQLSTATE)"
aligned "
  SELECT regexp_replace(c.fn, '^ordermgmt[.]', '') AS function, i.outcome, count(*) AS calls
    FROM hostile.calls c CROSS JOIN LATERAL unnest(c.items) AS i(outcome)
   GROUP BY 1, 2 ORDER BY 1, 2"

echo "== slowest calls"
aligned "SELECT session || ' #' || n AS call, outcome, ms, left(sql, 110) AS statement
           FROM hostile.calls ORDER BY ms DESC LIMIT 5"

unexpected=$(value "SELECT count(*) FROM hostile.calls c WHERE NOT hostile.allowed(c)")
check "(b) every call ended ok or with an allowed SQLSTATE ($unexpected unexpected)" test "$unexpected" -eq 0
if [ "$unexpected" -ne 0 ]; then
  q -d "$DB" -F ' | ' -c "SELECT session || ' #' || n, outcome, message, left(sql, 400)
                            FROM hostile.calls c WHERE NOT hostile.allowed(c) ORDER BY session, n LIMIT 30"
fi

# ---------------------------------------------------------------------------
# (c) invariants
# ---------------------------------------------------------------------------
invariants=$(q -d "$DB" -F '|' -f "$HERE/../invariants.sql" 2>&1) || invariants="error|$invariants"
broken=$(echo "$invariants" | awk -F '|' '$2 != "0"' | paste -sd ';' -)
check "(c) every check of test/invariants.sql holds ($(echo "$invariants" | wc -l) checked)${broken:+: $broken}" \
  test -z "$broken"

# ---------------------------------------------------------------------------
# (d) both paths of every function
# ---------------------------------------------------------------------------
one_sided=$(value "
  SELECT string_agg(a.fn || ' (' || coalesce(c.ok, 0) || ' ok, ' || coalesce(c.refused, 0) || ' refused)', '; ')
    FROM hostile.api a
    LEFT JOIN (SELECT fn, count(*) FILTER (WHERE outcome = 'ok') AS ok,
                      count(*) FILTER (WHERE outcome <> 'ok' AND input_code IS NULL) AS refused
                 FROM hostile.calls WHERE permitted GROUP BY fn) c USING (fn)
   WHERE coalesce(c.ok, 0) = 0 OR (coalesce(c.refused, 0) = 0 AND a.nargs > 0)")
check "(d) every function succeeded and was refused at least once${one_sided:+: not $one_sided}" \
  test -z "$one_sided"

# ---------------------------------------------------------------------------
# (e) both outcomes of a batch's items
# ---------------------------------------------------------------------------
items_one_sided=$(value "
  SELECT string_agg(fn, '; ') FROM (
    SELECT a.fn
      FROM hostile.api a LEFT JOIN hostile.calls c ON c.fn = a.fn AND c.items IS NOT NULL
     WHERE hostile.is_batch(a.fn)
     GROUP BY a.fn
    HAVING NOT coalesce(bool_or('ok' = ANY (c.items)), false)
        OR NOT coalesce(bool_or(c.items <> ARRAY['ok']), false)) x")
check "(e) every batch function placed items and refused items${items_one_sided:+: not $items_one_sided}" \
  test -z "$items_one_sided"

echo "$(value "SELECT count(*) FROM hostile.calls") calls: $(value "
  SELECT string_agg(o, ', ') FROM (
    SELECT count(*) FILTER (WHERE outcome = 'ok') || ' ok' AS o FROM hostile.calls
    UNION ALL SELECT count(*) FILTER (WHERE outcome <> 'ok' AND input_code IS NULL) || ' refused by the functions'
      FROM hostile.calls
    UNION ALL SELECT count(*) FILTER (WHERE outcome <> 'ok' AND input_code IS NOT NULL)
                     || ' refused as input by PostgreSQL'
      FROM hostile.calls) x")"
shell_finish
