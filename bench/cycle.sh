#!/usr/bin/env bash
#
# Full-cycle benchmark: order-to-cash throughput through the API
# (bench/workloads/cycle.sql: create_order with 3 lines and auto-confirm,
# ship_order, invoice_order, record_payment of the amount due, in one
# transaction) against a bare-writes baseline
# (bench/workloads/cycle_baseline.sql) that writes the same rows into plain
# tables with no triggers, foreign keys, CHECKs or lookups.  See
# docs/benchmarks.md ("Full order-to-cash cycle").
#
# Usage (as root, after `make install`): bash bench/cycle.sh
#
# Starts a throwaway cluster of its own on BENCH_PORT (no preload, so no
# background worker) and removes it on exit.  ordermgmt.notify is off in the
# benchmark database: neither side sends NOTIFY (bench/placement.sh and
# bench/relay.sh measure what NOTIFY costs).
#
# Settings (environment):
#   BENCH_PORT  port of the throwaway cluster          default 5491
#   BENCH_BUILD, BENCH_CONF                            see bench/lib.bash
#   ROUNDS      rounds; each runs every variant        default 5
#   DURATION    seconds per pgbench run                default 20
#   CLIENTS     pgbench clients                        default 8
#   JOBS        pgbench threads                        default 2
#   WARMUP      seconds of warm-up per variant         default 5 (0: none)
#   VARIANTS    any of: cycle base cycle_split base_split  default "cycle base"
#               (*_split: each of the four steps commits on its own)
#   PROFILE_SQL 1: preload pg_stat_statements (track = all) and print the
#               statements the API runs per cycle; pg_stat_statements itself
#               slows the runs, so take the ratios from a run without it
#
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
HERE=$BENCH_HERE

BENCH_DB=ordermgmt_cycle_bench
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-20}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
WARMUP=${WARMUP:-5}
VARIANTS=${VARIANTS:-"cycle base"}
PROFILE_SQL=${PROFILE_SQL:-0}
PROFILE_SQL_CONF=()
if [ "$PROFILE_SQL" = 1 ]; then
  PROFILE_SQL_CONF=("shared_preload_libraries = 'pg_stat_statements'" "pg_stat_statements.track = all"
                    "pg_stat_statements.max = 10000")
fi

# fsync stays on, as in the placement benchmark; commits do not wait for it.
bench_cluster_start 5491 "fsync = on" "${PROFILE_SQL_CONF[@]}"
# The clean-up must also run after a failure: under set -e, a failing
# command inside the exit trap would end it before the cluster is removed.
trap 'rc=$?; set +e; (exit "$rc"); bench__on_exit' EXIT

# ---------------------------------------------------------------------------
# Set-up: 1 warehouse, 1,000 products (tax 20 %), 100 customers, ample stock
# ---------------------------------------------------------------------------
echo "== setting up database $BENCH_DB"
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $BENCH_DB"
psql -X -q -v ON_ERROR_STOP=1 -c "ALTER DATABASE $BENCH_DB SET ordermgmt.notify = off"
psql_db -v tax_rate=0.2 \
  -v base_tables="orders order_lines stock reservations order_status_history events deadlines
                  shipments shipment_lines stock_moves invoices invoice_lines payments journal_entries postings" \
  -f "$HERE/workloads/setup.sql" >/dev/null

# The ledger accounts the extension posts to, for the baseline (-D acc_...).
ACCOUNTS=$(psql_db -At <<'SQL'
SELECT string_agg(format('-Dacc_%s=%s', v.var, pa.account_id), ' ' ORDER BY v.var)
  FROM (VALUES ('cogs', 'shipment', 'cogs'), ('inventory', 'shipment', 'inventory'),
               ('receivable', 'invoice', 'receivable'), ('revenue', 'invoice', 'revenue'),
               ('tax', 'invoice', 'tax_payable'), ('cash', 'payment', 'cash')) AS v(var, event, role)
  JOIN ordermgmt.posting_accounts pa USING (event, role)
SQL
)
[ "$(psql_db -At -c "SELECT count(DISTINCT account_id) FROM ordermgmt.posting_accounts
                      WHERE (event, role) IN (('invoice', 'receivable'), ('payment', 'receivable'))")" = 1 ] \
  || { echo "invoice and payment post to different receivable accounts; the baseline assumes one" >&2; exit 1; }
read -r -a ACC_ARGS <<<"$ACCOUNTS"
[ "${#ACC_ARGS[@]}" = 6 ] || { echo "posting accounts missing: $ACCOUNTS" >&2; exit 1; }

OUT=$(mktemp -d)
# The *_split variants: the same statements without BEGIN and COMMIT, so
# that each step commits on its own (4 transactions per cycle).
for f in cycle cycle_baseline; do
  grep -v -e '^BEGIN;$' -e '^COMMIT;$' "$HERE/workloads/$f.sql" >"$OUT/${f}_split.sql"
done
script_of() {
  case $1 in
    cycle) echo "$HERE/workloads/cycle.sql" ;;
    base) echo "$HERE/workloads/cycle_baseline.sql" ;;
    cycle_split) echo "$OUT/cycle_split.sql" ;;
    base_split) echo "$OUT/cycle_baseline_split.sql" ;;
    *) echo "unknown variant $1" >&2; exit 1 ;;
  esac
}

# One cycle of each script, so that a broken set-up fails here.
for v in $VARIANTS; do
  pgbench -n -M prepared -t 1 "${ACC_ARGS[@]}" -f "$(script_of "$v")" "$BENCH_DB" >/dev/null 2>&1 \
    || { pgbench -n -M prepared -t 1 "${ACC_ARGS[@]}" -f "$(script_of "$v")" "$BENCH_DB"; exit 1; }
  side=ordermgmt
  case $v in base*) side=bench_base ;; esac
  smoke=$(psql_db -At -c "SELECT o.status || '/' || i.due FROM $side.orders o JOIN $side.invoices i USING (order_id)
                           ORDER BY o.order_id DESC LIMIT 1")
  [ "$smoke" = "shipped/0.00" ] || { echo "smoke cycle of $v ended as '$smoke'" >&2; exit 1; }
done
psql_db -c "SELECT pg_stat_reset()" >/dev/null
if [ "$PROFILE_SQL" = 1 ]; then
  psql_db -c "CREATE EXTENSION pg_stat_statements" >/dev/null
fi

# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------
RESULTS=$OUT/results    # lines: round variant tps

run_variant() {   # $1 variant, $2 seconds, $3 label ("warmup" or round number)
  local v=$1 secs=$2 label=$3 log=$OUT/$1.$3.log
  # Each run starts from vacuumed tables and a fresh checkpoint: otherwise
  # autovacuum, woken by the other variant's writes, runs during this one.
  psql_db -c "VACUUM ANALYZE" -c "CHECKPOINT"
  bench_pgbench "$log" "$v ($label)" -n -r -M prepared -c "$CLIENTS" -j "$JOBS" -T "$secs" \
                "${ACC_ARGS[@]}" -f "$(script_of "$v")" "$BENCH_DB"
  bench_tps "$log"
}

LIB_BEFORE=$(bench_lib_stamp)

echo "== PostgreSQL $(psql_db -At -c 'SHOW server_version'), $(nproc) CPUs"
echo "== $ROUNDS rounds x {$VARIANTS}, ${DURATION}s each, $CLIENTS clients, $JOBS threads"
bench_warmup

# The profile counts the rounds only: during the warm-up, the kept plans were
# made for nearly empty tables.
if [ "$PROFILE_SQL" = 1 ]; then
  psql_db -c "SELECT pg_stat_statements_reset()" -c "SELECT pg_stat_reset()" >/dev/null
  PROFILE_FROM=$(psql_db -At -c "SELECT coalesce(max(order_id), 0) FROM ordermgmt.orders")
fi

bench_rounds "$RESULTS" 12

# ---------------------------------------------------------------------------
# Checks: the ledger balances, every cycled order is shipped with its
# invoice paid, stock adds up; rows written per cycle match on both sides
# ---------------------------------------------------------------------------
echo
psql_db -At <<'SQL'
SELECT format('cycled orders: %s API (%s), %s baseline (%s)',
              (SELECT count(*) FROM ordermgmt.orders),
              (SELECT string_agg(status || ' ' || n, ', ') FROM
                 (SELECT status::text, count(*) AS n FROM ordermgmt.orders GROUP BY 1 ORDER BY 1) s),
              (SELECT count(*) FROM bench_base.orders),
              (SELECT string_agg(status || ' ' || n, ', ') FROM
                 (SELECT status::text, count(*) AS n FROM bench_base.orders GROUP BY 1 ORDER BY 1) s));
SELECT format('orders with exactly one invoice, fully paid: API %s, baseline %s',
              (SELECT count(*) FROM ordermgmt.orders o
                WHERE (SELECT count(*) FILTER (WHERE i.due = 0 AND i.paid = i.total AND i.total > 0)
                         FROM ordermgmt.invoices i WHERE i.order_id = o.order_id) = 1),
              (SELECT count(*) FROM bench_base.orders o
                WHERE (SELECT count(*) FILTER (WHERE i.due = 0 AND i.paid = i.total AND i.total > 0)
                         FROM bench_base.invoices i WHERE i.order_id = o.order_id) = 1));
SELECT format('trial balance (v_trial_balance, sum of balances per currency): %s; baseline postings: %s',
              (SELECT string_agg(currency || ' ' || b, ', ') FROM
                 (SELECT currency, sum(balance) AS b FROM ordermgmt.v_trial_balance GROUP BY currency) t),
              (SELECT sum(debit) - sum(credit) FROM bench_base.postings));
SELECT format('unbalanced journal entries: API %s, baseline %s',
              (SELECT count(*) FROM (SELECT entry_id FROM ordermgmt.postings GROUP BY entry_id
                                      HAVING sum(debit) <> sum(credit)) x),
              (SELECT count(*) FROM (SELECT entry_id FROM bench_base.postings GROUP BY entry_id
                                      HAVING sum(debit) <> sum(credit)) x));
SELECT format('stock: reservations left API %s, baseline %s; reserved left API %s, baseline %s; '
              'on_hand = sum of moves (API): %s',
              (SELECT count(*) FROM ordermgmt.reservations), (SELECT count(*) FROM bench_base.reservations),
              (SELECT sum(reserved) FROM ordermgmt.stock), (SELECT sum(reserved) FROM bench_base.stock),
              (SELECT bool_and(s.on_hand = m.q) FROM ordermgmt.stock s
                 JOIN (SELECT product_id, warehouse_id, sum(qty) AS q FROM ordermgmt.stock_moves GROUP BY 1, 2) m
                USING (product_id, warehouse_id)));
SELECT format('shipped = ordered = invoiced, stock moves = shipped: API %s, baseline %s',
              (SELECT sum(qty) = sum(shipped_qty) AND sum(qty) = sum(invoiced_qty)
                      AND sum(qty) = (SELECT -sum(qty) FROM ordermgmt.stock_moves WHERE kind = 'shipment')
                 FROM ordermgmt.order_lines),
              (SELECT sum(qty) = sum(shipped_qty) AND sum(qty) = sum(invoiced_qty)
                      AND sum(qty) = (SELECT -sum(qty) FROM bench_base.stock_moves WHERE kind = 'shipment')
                 FROM bench_base.order_lines));
SQL
echo
echo "rows written per cycle (inserted/updated/deleted):"
sleep 1   # the pgbench backends report their statistics as they exit
bench_rows_written "$BENCH_DB" api check

# ---------------------------------------------------------------------------
# Table: TPS per variant per round, medians, ratio
# ---------------------------------------------------------------------------
bench_tps_table "$RESULTS" "TPS (cycles per second)" 24 "cycle/base cycle_split/base_split" / \
  "(ratio row: per-round ratio; last column: median of the per-round ratios)"

if [ "$PROFILE_SQL" = 1 ]; then
  # Statements run inside the API calls (toplevel = false) per cycle, from
  # pg_stat_statements; foreign-key checks are the "FOR KEY SHARE" queries.
  echo
  psql_db -P footer=off -v from="$PROFILE_FROM" <<'SQL'
WITH n AS (SELECT count(*) AS cycles FROM ordermgmt.orders WHERE order_id > :from),
s AS (SELECT calls, total_exec_time, query LIKE '%FOR KEY SHARE OF%' AS fk
        FROM pg_stat_statements
       WHERE NOT toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND query NOT LIKE '%bench_base.%')
SELECT format('statements inside the API calls per cycle: %s, of which foreign-key checks: %s '
              'taking %s ms per cycle (times of the other statements include what they run inside them)',
              round(sum(calls) / n.cycles, 1), round(sum(calls) FILTER (WHERE fk) / n.cycles, 1),
              round((sum(total_exec_time) FILTER (WHERE fk) / n.cycles)::numeric, 3)) AS profile
  FROM s, n GROUP BY n.cycles;
WITH n AS (SELECT count(*) AS cycles FROM ordermgmt.orders WHERE order_id > :from)
SELECT round(calls::numeric / n.cycles, 2) AS "per cycle",
       round((total_exec_time * 1000 / calls)::numeric, 1) AS "exec us",
       left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS statement
  FROM pg_stat_statements, n
 WHERE NOT toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND calls >= n.cycles / 2
 ORDER BY total_exec_time DESC
 LIMIT 40;
-- Sequential scans in the API's tables, a sign of a plan made for an empty table.
WITH n AS (SELECT count(*) AS cycles FROM ordermgmt.orders WHERE order_id > :from)
SELECT relname AS "table", round(seq_scan::numeric / n.cycles, 2) AS "seq scans per cycle",
       round(seq_tup_read::numeric / n.cycles, 1) AS "rows read by them per cycle"
  FROM pg_stat_user_tables, n
 WHERE schemaname = 'ordermgmt' AND seq_scan > 0
 ORDER BY seq_tup_read DESC;
SQL
fi

# Where the time goes: mean latency of each statement in the last round
# (under CLIENTS clients on the machine's cores, so it includes waiting).
for v in $VARIANTS; do
  echo
  echo "statement latencies (ms), $v, round $ROUNDS:"
  sed -n '/^statement latencies/,$p' "$OUT/$v.$ROUNDS.log" | grep -v '\\set' | sed -n '2,$p' | cut -c1-100
done
echo

LIB_AFTER=$(bench_lib_stamp)
if [ "$LIB_BEFORE" != "$LIB_AFTER" ]; then
  echo "WARNING: ordermgmt.so was reinstalled during the run ($LIB_BEFORE -> $LIB_AFTER); discard these figures" >&2
fi
echo "extension $(psql_db -At -c "SELECT extversion FROM pg_extension WHERE extname = 'ordermgmt'") ($BENCH_VERSION)"
echo "pgbench logs: $OUT"
