# shellcheck shell=bash
# The concurrent order-to-cash workload shared by test/pgbench/mixed.sh,
# test/shell/crash.sh and bench/soak.sh.  Source this file, do not run it.
#
# The database (setup.sql) has one warehouse, WL_CUSTOMERS customers and
# WL_SKUS products; each pgbench transaction is one of the scripts of
# WL_MIX, drawn by weight:
#   place (30)          create_order: 1-3 distinct SKUs, 1-5 units each, for
#                       one of 20 customers; C01-C05 have a credit limit, so
#                       some of their orders go on hold; one order in three
#                       has a promised time (some already past), one in four
#                       is in USD (converted for the credit check); C16-C20
#                       take what there is of the scarce SKU17 and wait
#                       for the rest, filled as receive.sql restocks it
#   ship (10)           ship_order: everything still reserved of a random order
#   partial_ship (6)    ship_order: one unit of one reserved line
#   deliver (8)         confirm_delivery of a random undelivered shipment
#   invoice (8)         invoice_order of a random shipped order
#   pay (10)            record_payment of a random open invoice: all that is
#                       due or a part; half carry a reference that other
#                       clients may repeat (a retry)
#   customer_pay (4)    record_customer_payment of a customer with open
#                       invoices: explicit allocations to one or two of them,
#                       or oldest due first with the rest kept as credit
#   apply_credit (2)    apply_credit of a customer's unapplied credit to one
#                       of its open invoices
#   return (4)          return_items: one unit of a random shipped line
#   cancel (4)          cancel_order of a random open order
#   amend (4)           amend_order of a random confirmed or processing order:
#                       one SKU one or two up or down, or a new SKU
#   short_close (1)     short_close of a random partially shipped order
#   process (3)         start_processing of a random confirmed order
#   approve (2)         approve_order of a random order on hold
#   receive (3)         receive_stock of 10-50 units at a varying unit cost
#   feedback (2)        record_feedback, rating 1-5, of a delivered order
#   ticket (2)          open_ticket of a random priority for a shipped order
#   resolve_ticket (2)  resolve_ticket of a random open ticket
#   acknowledge (1)     acknowledge_alert of a random open alert
#   rate (1)            today's USD rate to the company currency moves
#                       between 0.85 and 0.95: payments and credit notes of
#                       dollar invoices post exchange differences
#   purchase (2)        create_purchase_order of 1-2 SKUs with the supplier
#                       MIXSUP, one in four expected already (late)
#   receive_purchase (2) receive_purchase of a random open purchase order:
#                       everything open, or a few units of one line (more
#                       than is open: OM002); one in ten is cancelled
#                       instead (logged as cancel_purchase)
# and, with wl_tick_args, tick: monitor_tick at a simulated time running
# faster than the real one.  Targets are picked at random among the rows in
# the right state, so clients often race for the same document; the losing
# side gets a business refusal (OM001, OM002, OM005, OM006) that the helper try()
# records in mix_log and swallows.  Any other error aborts the client.
#
# Everything connects with the usual libpq variables (PGHOST, PGPORT, ...).

WL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WL_INVARIANTS=$WL_DIR/../../../test/invariants.sql
WL_SKUS=20
WL_CUSTOMERS=20
WL_MIX=(place@30 ship@10 partial_ship@6 deliver@8 invoice@8 pay@10 customer_pay@4 apply_credit@2 return@4 cancel@4
        amend@4 short_close@1
        process@3 approve@2 receive@3 feedback@2 ticket@2 resolve_ticket@2 acknowledge@1 rate@1
        purchase@2 receive_purchase@2)
WL_FAILURES=0

# wl_check NAME EXPECTED ACTUAL: one PASS or FAIL line, counted in
# WL_FAILURES (and in shell_lib.bash's totals when that is loaded).
wl_check() {
  if [ "$2" = "$3" ]; then
    if [ -n "${SHELL_PASSED+set}" ]; then pass "$1 ($3)"; else echo "PASS: $1 ($3)"; fi
  else
    WL_FAILURES=$((WL_FAILURES + 1))
    if [ -n "${SHELL_FAILED+set}" ]; then fail "$1: expected $2, got $3"; else echo "FAIL: $1: expected $2, got $3"; fi
  fi
}

# wl_setup DB: (re)create database DB with the workload's data and helpers.
wl_setup() {
  psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
       -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" &&
  psql -X -q -v ON_ERROR_STOP=1 -d "$1" -v customers="$WL_CUSTOMERS" -v skus="$WL_SKUS" \
       -f "$WL_DIR/setup.sql" >/dev/null
}

# wl_tick_args SPEEDUP WEIGHT: the pgbench options that add the tick script,
# with simulated time running SPEEDUP times faster than real time from now,
# as the array WL_TICK_ARGS.
wl_tick_args() {
  # shellcheck disable=SC2034  # for the caller
  WL_TICK_ARGS=(-f "$WL_DIR/tick.sql@$2" -D "start_epoch=$(date +%s)" -D "speedup=$1")
}

# wl_pgbench DB OUTFILE [pgbench option...]: run the mix (add -c, -j, -T and
# the like); pgbench's output goes to OUTFILE; returns pgbench's status.
wl_pgbench() {
  local db=$1 out=$2 scripts=() s
  shift 2
  for s in "${WL_MIX[@]}"; do scripts+=(-f "$WL_DIR/${s%@*}.sql@${s#*@}"); done
  pgbench -n --failures-detailed -D "skus=$WL_SKUS" -D "customers=$WL_CUSTOMERS" \
          "${scripts[@]}" "$@" "$db" >"$out" 2>&1
}

# wl_pgbench_summary OUTFILE: pgbench's summary without the per-script
# statistics.
wl_pgbench_summary() {
  sed -n '1,/^SQL script 1/p' "$1" | sed '$d' | grep -v '^progress: '
}

# wl_pgbench_value OUTFILE LABEL: a number of pgbench's summary, e.g.
# "number of failed transactions"; "none" if absent.
wl_pgbench_value() {
  local v
  v=$(sed -n "s/^$2: \([0-9.]*\).*/\1/p" "$1")
  echo "${v:-none}"
}

# wl_check_pgbench OUTFILE STATUS: the run had no error at all.
wl_check_pgbench() {
  local out=$1 processed errors
  wl_check "pgbench exit status" 0 "$2"
  processed=$(wl_pgbench_value "$out" "number of transactions actually processed")
  wl_check "transactions processed > 0" yes \
           "$([ "${processed/none/0}" -gt 0 ] && echo yes || echo "no ($processed)")"
  wl_check "failed transactions" 0 "$(wl_pgbench_value "$out" "number of failed transactions")"
  # A deadlock does not stop pgbench: it counts the transaction as failed.
  wl_check "deadlock failures" 0 "$(wl_pgbench_value "$out" "number of deadlock failures")"
  wl_check "serialization failures" 0 "$(wl_pgbench_value "$out" "number of serialization failures")"
  errors=$(grep -Eci 'error|aborted' "$out" || true)
  wl_check "client errors in pgbench output" 0 "$errors"
  if [ "$errors" != 0 ]; then grep -Ei 'error|aborted' "$out" | head -n 20; fi
}

# wl_report DB: what the workload did, per action and outcome, and what it
# left in the tables.
wl_report() {
  psql -X -q -v ON_ERROR_STOP=1 -d "$1" \
    -c "SELECT action, count(*) FILTER (WHERE outcome = 'ok') AS ok,
               count(*) FILTER (WHERE outcome = 'OM001') AS om001,
               count(*) FILTER (WHERE outcome = 'OM002') AS om002,
               count(*) FILTER (WHERE outcome = 'OM005') AS om005,
               count(*) FILTER (WHERE outcome = 'OM006') AS om006,
               count(*) FILTER (WHERE outcome = 'none') AS nothing_to_do
          FROM mix_log GROUP BY action ORDER BY action" \
    -c "SELECT status, count(*) FROM ordermgmt.orders GROUP BY status ORDER BY status" \
    -c "SELECT status AS purchase_status, count(*) FROM ordermgmt.purchase_orders GROUP BY status ORDER BY status" \
    -c "SELECT (SELECT count(*) FROM ordermgmt.shipments) AS shipments,
               (SELECT count(*) FROM ordermgmt.invoices) AS invoices,
               (SELECT count(*) FROM ordermgmt.payments) AS payments,
               (SELECT count(*) FROM ordermgmt.returns) AS returns,
               (SELECT count(*) FROM ordermgmt.tickets) AS tickets,
               (SELECT count(*) FROM ordermgmt.journal_entries) AS journal_entries,
               (SELECT count(*) FROM ordermgmt.events) AS events" \
    -c "SELECT rule_code, count(*) AS alerts, count(*) FILTER (WHERE status <> 'resolved') AS open
          FROM ordermgmt.alerts GROUP BY rule_code ORDER BY rule_code" \
    -c "SELECT kind, count(*) FROM ordermgmt.events WHERE kind LIKE 'order.backorder%' GROUP BY kind ORDER BY kind"
}

# wl_check_actions DB: every action of the mix succeeded at least once.
wl_check_actions() {
  local names=() s
  for s in "${WL_MIX[@]}"; do
    case ${s%@*} in place|receive|purchase) ;; *) names+=("'${s%@*}'") ;; esac
  done
  wl_check "actions that never succeeded" none \
    "$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "
        SELECT coalesce(string_agg(a, ' ' ORDER BY a), 'none')
          FROM unnest(ARRAY[$(IFS=,; echo "${names[*]}")]) AS a
         WHERE NOT EXISTS (SELECT 1 FROM mix_log l WHERE l.action = a AND l.outcome = 'ok')")"
}

# wl_invariants DB: one PASS or FAIL line per check of test/invariants.sql;
# returns 1 if any failed.
wl_invariants() {
  local before=$WL_FAILURES out name n
  if ! out=$(psql -X -q -At -F '|' -v ON_ERROR_STOP=1 -d "$1" -f "$WL_INVARIANTS"); then
    wl_check "invariant checks ran" yes no
    return 1
  fi
  while IFS='|' read -r name n; do
    wl_check "$name" 0 "$n"
  done <<<"$out"
  [ "$WL_FAILURES" -eq "$before" ]
}
