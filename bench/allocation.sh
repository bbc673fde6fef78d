#!/usr/bin/env bash
#
# Allocation benchmark: placing orders with allocation 'partial' against
# allocation 'complete', the same orders with stock for every line, in
# throughput (pgbench, rounds interleaved) and in CPU time per order
# (allocation_cpu.sql, which also times partial orders that backorder a
# line); then the time of one receipt that fills 1,000 backorders
# (backorder_fill.sql).  The placement workload is bench/placement.sh's
# (auto-confirmed 3-line orders over 1,000 SKUs).  See docs/benchmarks.md.
#
# Usage: PGHOST=... PGPORT=... PGUSER=... bash bench/allocation.sh
#
# Needs a running PostgreSQL 15 cluster with the extension installed and a
# superuser (PGUSER): it drops and recreates database $BENCH_DB.
#
# Settings (environment):
#   BENCH_DB   database to (re)create            default ordermgmt_bench_allocation
#   ROUNDS     rounds; each runs every variant   default 3
#   DURATION   seconds per pgbench run           default 5
#   CLIENTS    pgbench clients                   default 2
#   JOBS       pgbench threads                   default 2
#   WARMUP     seconds of warm-up per variant    default 2 (0: none)
#   VARIANTS   space-separated subset of: partial complete partial_short
#
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

BENCH_DB=${BENCH_DB:-ordermgmt_bench_allocation}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CLIENTS=${CLIENTS:-2}
JOBS=${JOBS:-2}
WARMUP=${WARMUP:-2}
VARIANTS=${VARIANTS:-"partial complete"}

bench_new_placement_db
# Two products without stock: SKU-OUT (the short line of partial_short) and
# SKU-FILL (the backorders of backorder_fill.sql).
psql_db <<'SQL'
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate)
VALUES ('SKU-OUT', 'Out of stock', 10, 4, 0), ('SKU-FILL', 'Arriving', 10, 4, 0);
VACUUM ANALYZE;
SQL

# One smoke order of each kind: confirmed, holding or waiting as it should.
check=$(psql_db -At <<'SQL'
SELECT ordermgmt.create_order('C-1', '[{"sku": "SKU-1", "qty": 1}, {"sku": "SKU-OUT", "qty": 2}]',
                              '{"allocation": "partial"}') > 0;
SELECT ordermgmt.create_order('C-2', '[{"sku": "SKU-1", "qty": 1}]', '{"allocation": "complete"}') > 0;
SELECT string_agg(o.status || ' ' || o.allocation || ' ' || l.reserved_qty::int || '/' || l.backordered_qty::int,
                  ', ' ORDER BY o.order_id, l.line_no)
  FROM ordermgmt.orders o JOIN ordermgmt.order_lines l USING (order_id);
SQL
)
[ "$(echo "$check" | tail -1)" = "confirmed partial 1/0, confirmed partial 0/2, confirmed complete 1/0" ] \
  || { echo "smoke orders are not what they should be: $check" >&2; exit 1; }

OUT=$(mktemp -d)
RESULTS=$OUT/results    # lines: round variant tps

run_variant() {   # $1 variant, $2 seconds, $3 label ("warmup" or round number)
    local v=$1 secs=$2 label=$3 log=$OUT/$1.$3.log partial=1 short=0
    case $v in complete) partial=0 ;; partial_short) short=1 ;; esac
    psql_db -c "CHECKPOINT"
    bench_pgbench "$log" "$v ($label)" -n -M prepared -c "$CLIENTS" -j "$JOBS" -T "$secs" \
                  -D partial=$partial -D short=$short \
                  -f "$BENCH_HERE/workloads/placement_allocation.sql" "$BENCH_DB"
    bench_tps "$log"
}

echo "== $ROUNDS rounds x {$VARIANTS}, ${DURATION}s each, $CLIENTS clients, $JOBS threads"
bench_warmup
psql_db -c "VACUUM ANALYZE"
bench_rounds "$RESULTS" 13 alternate

# Sanity: every order confirmed, with its policy; nothing of SKU-OUT held.
psql_db -At <<'SQL'
SELECT format('orders: %s (%s confirmed, %s partial); lines waiting: %s; SKU-OUT held: %s',
              (SELECT count(*) FROM ordermgmt.orders),
              (SELECT count(*) FROM ordermgmt.orders WHERE status = 'confirmed'),
              (SELECT count(*) FROM ordermgmt.orders WHERE allocation = 'partial'),
              (SELECT count(*) FROM ordermgmt.order_lines WHERE backordered_qty > 0),
              (SELECT coalesce(sum(reserved), 0) FROM ordermgmt.stock JOIN ordermgmt.products USING (product_id)
                WHERE sku = 'SKU-OUT'));
SQL
bench_tps_table "$RESULTS" TPS 13 "partial/complete" " / " \
  "(ratio: per-round ratio of orders per second with allocation partial and complete; last column: median)"
echo "pgbench logs: $OUT"

echo
echo "== CPU time per order, one backend, complete, partial and partial with a backorder alternately"
psql_db -f "$BENCH_HERE/allocation_cpu.sql"

echo
echo "== one receipt filling 1,000 backorders"
psql_db -f "$BENCH_HERE/backorder_fill.sql"
psql_db -At -c "SELECT 'verify: ' || coalesce(string_agg(check_name, ', '), 'every check holds')
                  FROM ordermgmt.verify() WHERE NOT ok"
