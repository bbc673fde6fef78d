#!/usr/bin/env bash
#
# Views at scale: the BI views' typical dashboard queries over two years of
# history (1,000,000 orders by default), loaded in bulk by
# bench/views_load.sql.  See docs/benchmarks.md ("BI views with a million
# orders").
#
# Usage (as root, after `make install`): bash bench/views.sh
#
# Starts a throwaway cluster of its own on BENCH_PORT and removes it on
# exit.  Each query runs once to warm up, then RUNS times under
# EXPLAIN (ANALYZE, TIMING OFF); the time reported is planning plus
# execution, best and median of the RUNS, once with the server's defaults
# (parallel query and JIT on) and once with jit = off.  Queries slower than
# TARGET_MS get their EXPLAIN (ANALYZE, BUFFERS) plan printed.  Finally the
# summaries the views read (ledger totals, deliveries per week) are checked
# against the history they stand for.
#
# Settings (environment):
#   BENCH_PORT  port of the throwaway cluster          default 5491
#   BENCH_BUILD, BENCH_CONF                            see bench/lib.bash
#   ORDERS      orders to load                         default 1000000
#   CUSTOMERS   customers                              default 5000
#   PRODUCTS    products                               default 2000
#   RUNS        timed runs per query                   default 5
#   TARGET_MS   the target per query                   default 200
#   KEEP        1: leave the cluster running at the end, for a closer look
#
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
HERE=$BENCH_HERE

BENCH_DB=ordermgmt_views_bench
ORDERS=${ORDERS:-1000000}
CUSTOMERS=${CUSTOMERS:-5000}
PRODUCTS=${PRODUCTS:-2000}
RUNS=${RUNS:-5}
TARGET_MS=${TARGET_MS:-200}

bench_cluster_start 5491
# The clean-up must also run after a failure: under set -e, a failing
# command inside the exit trap would end it before the cluster is removed.
trap 'rc=$?; set +e; (exit "$rc"); bench__on_exit' EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------
echo "== loading $ORDERS orders, $CUSTOMERS customers, $PRODUCTS products into $BENCH_DB"
t0=$(now_ms)
bench_views_load "$BENCH_DB"
t1=$(now_ms)
psql_db -c "VACUUM (ANALYZE)"
t2=$(now_ms)
echo "   bulk load $(( (t1 - t0) / 1000 )) s, VACUUM ANALYZE $(( (t2 - t1) / 1000 )) s, database $(psql_db -At -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"

psql_db -P footer=off <<'SQL'
SELECT c.relname AS "table", to_char(c.reltuples, 'FM999,999,999,999') AS "rows (estimate)",
       pg_size_pretty(pg_total_relation_size(c.oid)) AS "size with indexes"
  FROM pg_class c
 WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'r' AND c.reltuples > 1000
 ORDER BY pg_total_relation_size(c.oid) DESC;
SELECT status, count(*) AS orders FROM ordermgmt.orders GROUP BY status ORDER BY status;
SQL

# ---------------------------------------------------------------------------
# Consistency of the loaded data
# ---------------------------------------------------------------------------
psql_db -At <<'SQL'
SELECT format('orders without lines: %s', count(*))
  FROM ordermgmt.orders o WHERE NOT EXISTS (SELECT 1 FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id);
SELECT format('trial balance, sum of balances per currency: %s',
              string_agg(currency || ' ' || b, ', '))
  FROM (SELECT currency, sum(balance) AS b FROM ordermgmt.v_trial_balance GROUP BY currency) t;
SELECT format('unbalanced journal entries: %s', count(*))
  FROM (SELECT entry_id FROM ordermgmt.postings GROUP BY entry_id HAVING sum(debit) <> sum(credit)) x;
SELECT format('receivable account = open invoices: %s',
              (SELECT sum(balance) FROM ordermgmt.v_trial_balance WHERE account_code = '1100')
              = (SELECT sum(due) FROM ordermgmt.invoices));
SELECT format('v_ar_aging total = open invoices: %s',
              (SELECT sum(total_due) FROM ordermgmt.v_ar_aging) = (SELECT sum(due) FROM ordermgmt.invoices));
SELECT format('stock reserved = reservations: %s',
              (SELECT sum(reserved) FROM ordermgmt.stock) = (SELECT sum(qty) FROM ordermgmt.reservations));
SELECT format('invoiced orders fully invoiced: %s',
              NOT EXISTS (SELECT 1 FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
                           WHERE o.status IN ('shipped', 'delivered', 'completed')
                             AND l.invoiced_qty <> l.shipped_qty));
SELECT format('completed orders with something due: %s',
              (SELECT count(*) FROM ordermgmt.invoices i JOIN ordermgmt.orders o USING (order_id)
                WHERE o.status = 'completed' AND i.due > 0));
SELECT format('open alerts: %s, resolved alerts: %s, open tickets: %s',
              count(*) FILTER (WHERE status <> 'resolved'), count(*) FILTER (WHERE status = 'resolved'),
              (SELECT count(*) FROM ordermgmt.tickets WHERE status = 'open'))
  FROM ordermgmt.alerts;
SQL

# The customers named by the one-customer queries: the biggest, and one
# with the median number of orders.
read -r BIG BIG_N <<<"$(psql_db -At -F ' ' -c "SELECT c.code, count(*) FROM ordermgmt.orders o
    JOIN ordermgmt.customers c USING (customer_id) GROUP BY c.code ORDER BY count(*) DESC, c.code LIMIT 1")"
read -r MID MID_N <<<"$(psql_db -At -F ' ' -c "SELECT code, n FROM (SELECT c.code, count(*) AS n,
    row_number() OVER (ORDER BY count(*), c.code) AS k, count(*) OVER () AS m FROM ordermgmt.orders o
    JOIN ordermgmt.customers c USING (customer_id) GROUP BY c.code) x WHERE k = (m + 1) / 2")"
echo "biggest customer $BIG ($BIG_N orders), median customer $MID ($MID_N orders)"


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------
# time_query QUERY [SETTINGS]: "rows best median", in ms (planning plus
# execution), over RUNS runs after one warm-up, in a fresh session with the
# SQL of SETTINGS run first.
time_query() {
  psql_db -At -F ' ' -v q="$1" -v runs="$RUNS" -v settings="${2:-}" <<'SQL'
:settings
CREATE FUNCTION pg_temp.time_query(q text, runs int, OUT nrows bigint, OUT best numeric, OUT median numeric)
    LANGUAGE plpgsql AS $f$
DECLARE
    j json;
    t numeric[] := '{}';
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || q INTO j;   -- warm-up
    FOR i IN 1..runs LOOP
        EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || q INTO j;
        t := t || ((j -> 0 ->> 'Planning Time')::numeric + (j -> 0 ->> 'Execution Time')::numeric);
    END LOOP;
    nrows := (j -> 0 -> 'Plan' ->> 'Actual Rows')::bigint;
    SELECT round(min(x), 1), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 1)
      INTO best, median FROM unnest(t) AS x;
END
$f$;
SELECT * FROM pg_temp.time_query(:'q', :runs);
SQL
}

over_target() { awk -v b="$1" -v t="$TARGET_MS" 'BEGIN { exit !(b > t) }'; }

# time_list LIST RESULTS PLANS: time each "name|query" line of LIST with the
# server's defaults and with jit = off; the plans of those over the target
# go to PLANS.
time_list() {
  local list=$1 results=$2 plans=$3 name query r1 r2 nrows best median best_off median_off
  while IFS='|' read -r name query; do
    [ -n "$name" ] || continue
    r1=$(time_query "$query")
    r2=$(time_query "$query" "SET jit = off;")
    read -r nrows best median <<<"$r1"
    read -r _ best_off median_off <<<"$r2"
    printf '%s|%s|%s|%s|%s|%s\n' "$name" "$nrows" "$best" "$median" "$best_off" "$median_off" >>"$results"
    printf '   %-50s %6s rows  best %8s  median %8s  | jit off: best %8s  median %8s\n' \
      "$name" "$nrows" "$best" "$median" "$best_off" "$median_off"
    if over_target "$best" || over_target "$best_off"; then
      {
        echo "---- $name: best $best ms (jit off: $best_off ms)"
        echo "$query;"
        psql_db -c "EXPLAIN (ANALYZE, BUFFERS) $query"
      } >>"$plans"
    fi
  done <<<"$list"
}

# print_table RESULTS: a markdown table.
print_table() {
  local name nrows best median best_off median_off ok
  echo "| view, query | rows | best ms | median ms | best ms, jit off | median ms, jit off | under ${TARGET_MS} ms |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  while IFS='|' read -r name nrows best median best_off median_off; do
    if ! over_target "$best"; then ok=yes
    elif ! over_target "$best_off"; then ok="with jit off"
    else ok="**no**"; fi
    echo "| $name | $nrows | $best | $median | $best_off | $median_off | $ok |"
  done <"$1"
}

# ---------------------------------------------------------------------------
# The dashboard queries (name|query)
# ---------------------------------------------------------------------------
QUERIES="\
v_order_status, biggest customer|SELECT order_id, status, time_in_status, gross_amount, due_total, open_alerts FROM ordermgmt.v_order_status WHERE customer = '$BIG' ORDER BY created_at DESC LIMIT 50
v_order_status, median customer|SELECT order_id, status, time_in_status, gross_amount, due_total, open_alerts FROM ordermgmt.v_order_status WHERE customer = '$MID' ORDER BY created_at DESC LIMIT 50
v_pipeline, open statuses|SELECT * FROM ordermgmt.v_pipeline WHERE status NOT IN ('completed', 'cancelled')
v_daily_sales, last 30 days|SELECT * FROM ordermgmt.v_daily_sales WHERE day >= current_date - 30
v_fulfillment_times, last 4 weeks|SELECT * FROM ordermgmt.v_fulfillment_times WHERE week >= date_trunc('week', current_date - 28)
v_on_time_delivery, last 4 weeks|SELECT * FROM ordermgmt.v_on_time_delivery WHERE week >= date_trunc('week', current_date - 28)
v_on_time_delivery, all weeks, customer IS NULL|SELECT week, on_time_rate FROM ordermgmt.v_on_time_delivery WHERE customer IS NULL ORDER BY week
v_on_time_delivery, biggest customer, by week|SELECT week, on_time_rate FROM ordermgmt.v_on_time_delivery WHERE customer = '$BIG' ORDER BY week
v_stock_availability, full|SELECT * FROM ordermgmt.v_stock_availability
v_ar_aging, full|SELECT * FROM ordermgmt.v_ar_aging ORDER BY total_due DESC
v_customer_history, biggest customer|SELECT * FROM ordermgmt.v_customer_history WHERE customer = '$BIG'
v_customer_history, median customer|SELECT * FROM ordermgmt.v_customer_history WHERE customer = '$MID'
v_monitor_dashboard|SELECT * FROM ordermgmt.v_monitor_dashboard
v_trial_balance|SELECT * FROM ordermgmt.v_trial_balance
v_feedback_summary|SELECT * FROM ordermgmt.v_feedback_summary
v_tickets, open|SELECT * FROM ordermgmt.v_tickets WHERE status = 'open' ORDER BY due_at"

LIB_BEFORE=$(bench_lib_stamp)
RESULTS=${OM_TMP}/results
PLANS=${OM_TMP}/plans
: >"$RESULTS"
: >"$PLANS"
echo
echo "== each query: 1 warm-up, then best and median of $RUNS, in ms (planning + execution)"
time_list "$QUERIES" "$RESULTS" "$PLANS"
echo
print_table "$RESULTS"

# ---------------------------------------------------------------------------
# What the views read instead of the history must equal the history
# ---------------------------------------------------------------------------
echo
echo "== summaries against the history"
psql_db -At <<'SQL'
SELECT '   v_trial_balance (ledger totals + tail) vs all postings: ' ||
       CASE WHEN count(*) = 0 THEN 'same rows' ELSE count(*) || ' rows differ' END
  FROM ((SELECT a.code, p.currency, sum(p.debit), sum(p.credit)
           FROM ordermgmt.postings p JOIN ordermgmt.accounts a USING (account_id) GROUP BY 1, 2
         EXCEPT SELECT account_code, currency, debit, credit FROM ordermgmt.v_trial_balance)
        UNION ALL
        (SELECT account_code, currency, debit, credit FROM ordermgmt.v_trial_balance
         EXCEPT SELECT a.code, p.currency, sum(p.debit), sum(p.credit)
                  FROM ordermgmt.postings p JOIN ordermgmt.accounts a USING (account_id) GROUP BY 1, 2)) d;
SELECT '   delivery_weeks vs delivered orders: ' ||
       CASE WHEN count(*) = 0 THEN 'same counts' ELSE count(*) || ' weeks or customers differ' END
  FROM (SELECT date_trunc('week', timezone('UTC', delivered_at))::date AS week, customer_id,
               count(*) AS delivered, count(*) FILTER (WHERE delivered_at <= promised_at) AS on_time
          FROM ordermgmt.orders WHERE delivered_at IS NOT NULL AND promised_at IS NOT NULL GROUP BY 1, 2) h
  FULL JOIN ordermgmt.delivery_weeks w USING (week, customer_id)
 WHERE (h.delivered, h.on_time) IS DISTINCT FROM (w.delivered, w.on_time);
SELECT '   orders.ordered_net vs order lines: ' ||
       CASE WHEN count(*) = 0 THEN 'same amounts' ELSE count(*) || ' orders differ' END
  FROM ordermgmt.orders o
 WHERE o.status <> 'draft'
   AND o.ordered_net IS DISTINCT FROM (SELECT round(coalesce(sum(l.qty * l.unit_price), 0), 2)
                                         FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id);
SELECT '   ledger tail: ' || count(*) || ' postings after the roll-up'
  FROM ordermgmt.postings WHERE posting_id > (SELECT upto_posting_id FROM ordermgmt.ledger_rollup);
SQL

if [ -s "$PLANS" ]; then
  echo
  echo "== plans of the queries over ${TARGET_MS} ms"
  cat "$PLANS"
fi

LIB_AFTER=$(bench_lib_stamp)
if [ "$LIB_BEFORE" != "$LIB_AFTER" ]; then
  echo "WARNING: ordermgmt.so was reinstalled during the run ($LIB_BEFORE -> $LIB_AFTER)" >&2
fi
echo
echo "extension $(psql_db -At -c "SELECT extversion FROM pg_extension WHERE extname = 'ordermgmt'") ($BENCH_VERSION)"
if [ "${KEEP:-0}" = 1 ]; then
  trap - EXIT
  echo "cluster left running: PGHOST=$PGHOST PGPORT=$PGPORT; stop it with"
  echo "  runuser -u postgres -- $OM_BINDIR/pg_ctl -D $OM_TMP/data stop"
fi
