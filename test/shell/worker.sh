#!/usr/bin/env bash
# The background worker: it runs monitor_tick on its own, survives a failing
# tick, comes back after being terminated or killed, and stops promptly.
#
# Starts its own cluster (shared_preload_libraries = ordermgmt) on port
# TAP_PORT (default 5451) and removes it on exit.  Run as root after
# `make install`.  Prints PASS/FAIL lines; exits 1 if anything failed.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/shell_lib.bash"

DB=ordermgmt_worker
shell_cluster_start "${TAP_PORT:-5451}" \
  "shared_preload_libraries = 'ordermgmt'" \
  "ordermgmt.database = '$DB'" \
  "ordermgmt.monitor_interval = 1"
LOG=$(shell_server_log)

# The worker skips its work until the extension exists in its database.
q -c "CREATE DATABASE $DB" || exit 1
q -d "$DB" >/dev/null <<'SQL' || exit 1
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('WH1', 'Main');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost) VALUES ('P1', 'Widget', 10, 4);
INSERT INTO ordermgmt.customers (code, name, email) VALUES ('C1', 'Customer', 'c1@example.com');
SELECT ordermgmt.receive_stock('P1', 'WH1', 1000);
SQL

WORKER_SQL="SELECT pid FROM pg_stat_activity WHERE backend_type = 'ordermgmt worker'"
worker_pid() { q -d "$DB" -c "$WORKER_SQL" 2>/dev/null | head -n1; }

# late_order: a confirmed order whose promised time has passed; prints its id.
late_order() {
  q -d "$DB" -c "SELECT ordermgmt.create_order('C1', '[{\"sku\": \"P1\", \"qty\": 1}]',
                   jsonb_build_object('promised_at', now() - interval '1 hour'))"
}
late_alert_sql() {
  echo "SELECT EXISTS (SELECT 1 FROM ordermgmt.alerts WHERE rule_code = 'L3_DELIVERY_LATE'
                        AND order_id = $1 AND status = 'open')"
}

# ---------------------------------------------------------------------------
# (a) a due deadline raises its alert with nobody calling monitor_tick
# ---------------------------------------------------------------------------
check "worker is running in $DB" \
  wait_for 15 "$DB" "SELECT EXISTS ($WORKER_SQL AND datname = '$DB')"
PID1=$(worker_pid)

o1=$(late_order)
check "late order $o1 has a due L3_DELIVERY_LATE deadline" \
  wait_for 1 "$DB" "SELECT EXISTS (SELECT 1 FROM ordermgmt.deadlines WHERE rule_code = 'L3_DELIVERY_LATE'
                                     AND subject_id = $o1 AND due_at <= now() AND NOT fired)"
check "(a) worker raised L3_DELIVERY_LATE for order $o1 within 10 s" \
  wait_for 10 "$DB" "$(late_alert_sql "$o1")"
check "(a) the deadline is marked fired" \
  wait_for 2 "$DB" "SELECT fired FROM ordermgmt.deadlines WHERE rule_code = 'L3_DELIVERY_LATE' AND subject_id = $o1"
# With each tick the worker also rolls the ledger totals forward: every
# posting so far (the stock receipt) ends up in them, and the trial balance
# reads the same.
check "(a) worker rolled the ledger totals up to the last posting" \
  wait_for 10 "$DB" "SELECT upto_posting_id = (SELECT max(posting_id) FROM ordermgmt.postings)
                       FROM ordermgmt.ledger_rollup"
check "(a) rolled-up totals equal the postings" \
  wait_for 1 "$DB" "SELECT (SELECT sum(debit) FROM ordermgmt.ledger_totals) = (SELECT sum(debit) FROM ordermgmt.postings)"
# Every second it rolls the reporting summaries up too: the order's status
# changes end up in them, and verify() finds them equal to the facts.
check "(a) worker rolled the reporting summaries up to the last status change" \
  wait_for 10 "$DB" "SELECT upto_history_id >= (SELECT max(history_id) FROM ordermgmt.order_status_history)
                       FROM ordermgmt.report_rollup"
check "(a) rolled-up summaries equal the facts" \
  wait_for 1 "$DB" "SELECT bool_and(ok) FROM ordermgmt.verify() WHERE check_name LIKE 'summaries.%'"

# ---------------------------------------------------------------------------
# (b) a failing tick is logged and the worker goes on
# ---------------------------------------------------------------------------
log_lines_before=$(wc -l <"$LOG")
q -d "$DB" -c "ALTER FUNCTION ordermgmt.monitor_tick(timestamptz) RENAME TO monitor_tick_gone"
o2=$(late_order)
# Wait until the worker has tried (and failed) at least twice.
deadline=$(($(date +%s) + 10))
while [ "$(date +%s)" -lt "$deadline" ]; do
  n=$(tail -n +"$((log_lines_before + 1))" "$LOG" | grep -c 'function ordermgmt.monitor_tick(timestamp with time zone) does not exist')
  [ "$n" -ge 2 ] && break
  sleep 0.2
done
check "(b) server log shows the worker's failing tick (twice: it keeps trying)" \
  test "${n:-0}" -ge 2
check "(b) no alert for order $o2 while monitor_tick is missing" \
  test "$(q -d "$DB" -c "$(late_alert_sql "$o2")")" = f
check "(b) the failing tick did not end the worker (same pid $PID1)" \
  test "$(worker_pid)" = "$PID1"
q -d "$DB" -c "ALTER FUNCTION ordermgmt.monitor_tick_gone(timestamptz) RENAME TO monitor_tick"
check "(b) after the repair the worker raised the alert for order $o2" \
  wait_for 10 "$DB" "$(late_alert_sql "$o2")"

# ---------------------------------------------------------------------------
# (c) terminated, then killed: the worker comes back and keeps raising
# ---------------------------------------------------------------------------
q -d "$DB" -c "SELECT pg_terminate_backend($PID1)" >/dev/null
check "(c) after pg_terminate_backend the worker is back with a new pid" \
  wait_for 15 "$DB" "SELECT EXISTS ($WORKER_SQL AND pid <> $PID1)"
PID2=$(worker_pid)
o3=$(late_order)
check "(c) the restarted worker raised the alert for order $o3" \
  wait_for 10 "$DB" "$(late_alert_sql "$o3")"

# SIGKILL makes the postmaster reinitialize (crash restart) and start the
# worker again.
if [ -n "$PID2" ]; then kill -KILL "$PID2"; fi
deadline=$(($(date +%s) + 15))
until q -d "$DB" -c "SELECT 1" >/dev/null 2>&1 || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.2; done
check "(c) server log shows the crash restart" \
  grep -q "terminated by signal 9" "$LOG"
check "(c) after SIGKILL the worker is back with a new pid" \
  wait_for 15 "$DB" "SELECT EXISTS ($WORKER_SQL AND pid <> ${PID2:-0})"
o4=$(late_order)
check "(c) the worker raised the alert for order $o4 after the crash restart" \
  wait_for 10 "$DB" "$(late_alert_sql "$o4")"
check "exactly one L3_DELIVERY_LATE alert per late order" \
  test "$(q -d "$DB" -c "SELECT count(*) = 4 AND count(DISTINCT order_id) = 4 FROM ordermgmt.alerts
                          WHERE rule_code = 'L3_DELIVERY_LATE'")" = t

# ---------------------------------------------------------------------------
# (d) the worker does not hold up a fast shutdown
# ---------------------------------------------------------------------------
check "worker running before shutdown" test -n "$(worker_pid)"
t0=$(now_ms)
om__as_postgres "$OM_BINDIR/pg_ctl" -D "$OM_TMP/data" -m fast -t 30 -w stop >/dev/null 2>&1
rc=$?
elapsed=$(($(now_ms) - t0))
check "(d) pg_ctl stop -m fast succeeded in ${elapsed} ms (< 5000)" \
  test "$rc" -eq 0 -a "$elapsed" -lt 5000

shell_finish
