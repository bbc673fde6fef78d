#!/usr/bin/env bash
#
# Price-list benchmark: placing orders whose lines give their unit_price
# (customers without a price list) against orders priced from the
# customer's price list (three quantity breaks per product), in throughput
# (pgbench, rounds interleaved) and in CPU time per order
# (price_lists_cpu.sql).  The placement workload is bench/placement.sh's
# (auto-confirmed 3-line orders over 1,000 SKUs).  See docs/benchmarks.md.
#
# Usage: PGHOST=... PGPORT=... PGUSER=... bash bench/price_lists.sh
#
# Needs a running PostgreSQL 15 cluster with the extension installed and a
# superuser (PGUSER): it drops and recreates database $BENCH_DB.
#
# Settings (environment):
#   BENCH_DB   database to (re)create            default ordermgmt_bench_prices
#   ROUNDS     rounds; each runs every variant   default 3
#   DURATION   seconds per pgbench run           default 5
#   CLIENTS    pgbench clients                   default 2
#   JOBS       pgbench threads                   default 2
#   WARMUP     seconds of warm-up per variant    default 2 (0: none)
#   VARIANTS   space-separated subset of: priced explicit
#
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

BENCH_DB=${BENCH_DB:-ordermgmt_bench_prices}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CLIENTS=${CLIENTS:-2}
JOBS=${JOBS:-2}
WARMUP=${WARMUP:-2}
VARIANTS=${VARIANTS:-"priced explicit"}

bench_new_placement_db
# One list for customers C-51 to C-100: every product at 98 % of its list
# price from 1 piece, 95 % from 5, 90 % from 10 (since 2021; 50 % the
# year before: an expired item).
psql_db <<'SQL'
INSERT INTO ordermgmt.price_lists (code, currency) VALUES ('CONTRACT', 'EUR');
INSERT INTO ordermgmt.price_list_items (price_list_id, product_id, min_qty, unit_price, valid_from, valid_to)
SELECT l.price_list_id, p.product_id, b.min_qty, round(p.list_price * b.factor, 2), b.valid_from, b.valid_to
  FROM ordermgmt.price_lists l, ordermgmt.products p,
       (VALUES (1, 0.98, NULL::timestamptz, NULL::timestamptz), (5, 0.95, NULL, NULL),
               (10, 0.90, '2021-01-01', NULL), (10, 0.50, '2020-01-01', '2021-01-01'))
       AS b(min_qty, factor, valid_from, valid_to)
 WHERE l.code = 'CONTRACT';
UPDATE ordermgmt.customers SET price_list_id = (SELECT price_list_id FROM ordermgmt.price_lists)
 WHERE customer_id > 50;
VACUUM ANALYZE;
SQL

# One smoke order of each kind: confirmed, priced as the list says.
check=$(psql_db -At <<'SQL'
SELECT ordermgmt.create_order('C-1', '[{"sku": "SKU-1", "qty": 10, "unit_price": 6}]') > 0;
SELECT ordermgmt.create_order('C-51', '[{"sku": "SKU-1", "qty": 10}]') > 0;
SELECT string_agg(o.status || ' ' || l.unit_price, ', ' ORDER BY o.order_id)
  FROM ordermgmt.orders o JOIN ordermgmt.order_lines l USING (order_id);
SQL
)
[ "$(echo "$check" | tail -1)" = "confirmed 6.0000, confirmed 5.4000" ] \
  || { echo "smoke orders are not what they should be: $check" >&2; exit 1; }

OUT=$(mktemp -d)
RESULTS=$OUT/results    # lines: round variant tps

run_variant() {   # $1 variant, $2 seconds, $3 label ("warmup" or round number)
    local v=$1 secs=$2 label=$3 log=$OUT/$1.$3.log
    psql_db -c "CHECKPOINT"
    bench_pgbench "$log" "$v ($label)" -n -M prepared -c "$CLIENTS" -j "$JOBS" -T "$secs" \
                  -f "$BENCH_HERE/workloads/placement_$v.sql" "$BENCH_DB"
    bench_tps "$log"
}

echo "== $ROUNDS rounds x {$VARIANTS}, ${DURATION}s each, $CLIENTS clients, $JOBS threads"
bench_warmup
psql_db -c "VACUUM ANALYZE"
bench_rounds "$RESULTS" 10 alternate

# Sanity: every order confirmed; every priced line at its break's price.
psql_db -At <<'SQL'
SELECT format('orders: %s (%s confirmed); lines priced from the list: %s, at the wrong price: %s',
              (SELECT count(*) FROM ordermgmt.orders),
              (SELECT count(*) FROM ordermgmt.orders WHERE status = 'confirmed'),
              (SELECT count(*) FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
                WHERE o.customer_id > 50),
              (SELECT count(*) FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
                 JOIN ordermgmt.products p USING (product_id)
                WHERE o.customer_id > 50
                  AND l.unit_price <> round(p.list_price * CASE WHEN l.qty >= 10 THEN 0.90
                                                                WHEN l.qty >= 5 THEN 0.95 ELSE 0.98 END, 2)));
SQL
bench_tps_table "$RESULTS" TPS 10 "priced/explicit" " / " \
  "(ratio: per-round ratio of orders per second priced from the list and with explicit prices; last column: median)"
echo "pgbench logs: $OUT"

echo
echo "== CPU time per order, one backend, explicit prices and price list alternately"
psql_db -f "$(dirname "${BASH_SOURCE[0]}")/price_lists_cpu.sql"
