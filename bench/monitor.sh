#!/usr/bin/env bash
#
# Monitoring benchmark: the cost of ordermgmt.monitor_tick.
#   1. a tick with nothing due, with 1,000 and with 100,000 open orders;
#   2. a tick that raises 10,000 due items among 110,000 open orders;
#   3. a tick that raises N due items in a database holding only them,
#      for each N of DUE_SIZES (default 10,000 and 40,000: the cost per
#      item should not depend on N).
# See docs/benchmarks.md ("Monitoring").
#
# Usage (as root, after `make install`): bash bench/monitor.sh
#
# Starts a throwaway cluster of its own (no preload: nobody else ticks) on
# BENCH_PORT and removes it on exit.
#
# Settings (environment):
#   BENCH_PORT  port of the throwaway cluster          default 5455
#   BENCH_BUILD, BENCH_CONF                            see bench/lib.bash
#   RUNS        timed ticks per measurement (median)   default 7
#   DUE_RUNS    timed ticks per due measurement        default 5
#   DUE_SIZES   due items for part 3                   default "10000 40000"
#   CHUNK       orders created per transaction         default 5000
#
# Times are the server's "Execution Time" of EXPLAIN (ANALYZE, TIMING OFF)
# SELECT ordermgmt.monitor_tick(...), in a transaction that is rolled back,
# so every run sees the same due items.  Open orders (one line each: lines
# play no part in monitoring) are created pending (auto_confirm false) with
# a promise 30 days ahead, so each has three deadlines, none due now:
# L1_CONFIRMATION_OVERDUE after 4 hours, L2_STALLED after 5 days and
# L3_DELIVERY_LATE after 30 days.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

RUNS=${RUNS:-7}
DUE_RUNS=${DUE_RUNS:-5}
DUE_SIZES=${DUE_SIZES:-"10000 40000"}
CHUNK=${CHUNK:-5000}

bench_cluster_start 5455
LIB_BEFORE=$(bench_lib_stamp)

q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

# setup_db DB: extension and master data (1,000 products, 100 customers).
setup_db() {
  q -c "CREATE DATABASE $1"
  q -d "$1" >/dev/null <<'SQL'
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('WH1', 'Main warehouse');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost)
SELECT 'SKU-' || n, 'Product ' || n, 5 + n % 97, 2 + n % 41 FROM generate_series(1, 1000) AS n;
INSERT INTO ordermgmt.customers (code, name, email)
SELECT 'C-' || n, 'Customer ' || n, 'c' || n || '@example.com' FROM generate_series(1, 100) AS n;
SQL
}

# add_orders DB COUNT OPTIONS_SQL: COUNT pending 1-line orders, CHUNK per
# transaction; OPTIONS_SQL is a jsonb expression for create_order's options.
add_orders() {
  local db=$1 count=$2 options=$3 done=0 n t0
  t0=$(date +%s%N)
  while [ "$done" -lt "$count" ]; do
    n=$((count - done < CHUNK ? count - done : CHUNK))
    q -d "$db" -c "
      SELECT count(ordermgmt.create_order('C-' || (1 + i % 100),
               jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (1 + i % 1000), 'qty', 1)),
               $options))
        FROM generate_series(1, $n) AS i" >/dev/null
    done=$((done + n))
  done
  q -d "$db" -c "VACUUM ANALYZE" >/dev/null
  echo "   created $count orders in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}
NOT_DUE="jsonb_build_object('auto_confirm', false, 'promised_at', now() + interval '30 days')"

# tick_times DB AT RUNS: execution times (ms) of RUNS rolled-back ticks at AT,
# one per line, after one untimed warm-up tick in the same session.
tick_times() {
  local db=$1 at=$2 runs=$3 i
  {
    echo "BEGIN; SELECT ordermgmt.monitor_tick($at); ROLLBACK;"
    for ((i = 0; i < runs; i++)); do
      echo "BEGIN; EXPLAIN (ANALYZE, TIMING OFF) SELECT ordermgmt.monitor_tick($at); ROLLBACK;"
    done
  } | q -d "$db" | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
minmax() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s..%s", lo, hi }'; }

# due_idx_reads DB SQL: index entries of deadlines_due_idx read while SQL runs.
due_idx_reads() {
  local db=$1 sql=$2 r0 r1
  r0=$(q -d "$db" -c "SELECT idx_tup_read FROM pg_stat_user_indexes WHERE indexrelname = 'deadlines_due_idx'")
  q -d "$db" -c "BEGIN" -c "$sql" -c "ROLLBACK" >/dev/null
  sleep 1.2    # statistics reach the shared counters within a second
  r1=$(q -d "$db" -c "SELECT idx_tup_read FROM pg_stat_user_indexes WHERE indexrelname = 'deadlines_due_idx'")
  echo $((r1 - r0))
}

report() {   # label, times...
  local label=$1 times=$2
  printf '   %-46s median %9.3f ms  (%s runs: %s)\n' "$label" \
    "$(echo "$times" | median)" "$(echo "$times" | wc -l)" "$(echo "$times" | minmax)"
}

echo "== PostgreSQL $(q -c 'SHOW server_version'), $(nproc) CPUs, shared_buffers $(q -c 'SHOW shared_buffers')"

# ---------------------------------------------------------------------------
# 1. Nothing due, 1,000 then 100,000 open orders
# ---------------------------------------------------------------------------
echo "== 1. monitor_tick(now()) with nothing due"
setup_db om_mon
add_orders om_mon 1000 "$NOT_DUE"
t=$(tick_times om_mon "now()" "$RUNS")
report "1,000 open orders (3,000 deadlines)" "$t"
add_orders om_mon 99000 "$NOT_DUE"
echo "   $(q -d om_mon -c "SELECT format('%s orders, %s deadlines (%s due now), deadlines table %s',
          (SELECT count(*) FROM ordermgmt.orders), count(*), count(*) FILTER (WHERE due_at <= now()),
          pg_size_pretty(pg_total_relation_size('ordermgmt.deadlines'))) FROM ordermgmt.deadlines")"
t=$(tick_times om_mon "now()" "$RUNS")
report "100,000 open orders (300,000 deadlines)" "$t"

# ---------------------------------------------------------------------------
# 2. 10,000 due items among 110,000 open orders
# ---------------------------------------------------------------------------
echo "== 2. monitor_tick(now()) raising 10,000 L3_DELIVERY_LATE among 110,000 open orders"
add_orders om_mon 10000 "jsonb_build_object('auto_confirm', false, 'promised_at', now() - interval '1 minute')"
t=$(tick_times om_mon "now()" "$DUE_RUNS")
report "10,000 due of 330,000 deadlines (rolled back)" "$t"
raised=$(q -d om_mon -c "\\timing on" -c "SELECT ordermgmt.monitor_tick(now())")
echo "   committed tick: raised $(echo "$raised" | head -n1), $(echo "$raised" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p') ms (client-side, with commit)"
t=$(tick_times om_mon "now()" "$RUNS")
report "after that: nothing due, 110,000 open orders" "$t"

# ---------------------------------------------------------------------------
# 3. N due items in a database holding only them
# ---------------------------------------------------------------------------
echo "== 3. monitor_tick(now() + 1 day) raising N L1_CONFIRMATION_OVERDUE (N pending orders only)"
for n in $DUE_SIZES; do
  setup_db "om_due_$n"
  add_orders "om_due_$n" "$n" "'{\"auto_confirm\": false}'"
  t=$(tick_times "om_due_$n" "now() + interval '1 day'" "$DUE_RUNS")
  med=$(echo "$t" | median)
  report "N = $n (rolled back)" "$t"
  reads=$(due_idx_reads "om_due_$n" "SELECT ordermgmt.monitor_tick(now() + interval '1 day')")
  printf '   %-46s %9.1f us per due item; deadlines_due_idx entries read in one tick: %s (%.1f per item)\n' \
    "" "$(echo "$med * 1000 / $n" | bc -l)" "$reads" "$(echo "$reads / $n" | bc -l)"
  q -c "DROP DATABASE om_due_$n"
done

if [ "$LIB_BEFORE" != "$(bench_lib_stamp)" ]; then
  echo "WARNING: ordermgmt.so was reinstalled during the run; discard these figures" >&2
fi
