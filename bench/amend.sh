#!/usr/bin/env bash
#
# Amendment benchmark: amend_order of a confirmed 10-line order, one
# client, every call a real change (the quantities go back and forth
# between 5 and 6, so that no call is a repeat that writes nothing):
#   all   every line changes (10 changes: lines, reservations, ten stock rows)
#   one   one line changes
#   base  the same statement building the changes, without amend_order: what
#         the two figures above include besides the amendment itself
# Prints pgbench's average latency of each, then the CPU time one call costs
# its backend (user + system, from /proc/self/stat: less disturbed by other
# work on the machine than the latency).  See docs/benchmarks.md.
#
# Usage: PGHOST=... PGPORT=... PGUSER=... bash bench/amend.sh
#
# Needs a running PostgreSQL 15 cluster with the extension installed and a
# superuser (PGUSER): it drops and recreates database $BENCH_DB.
#
# Settings (environment):
#   BENCH_DB   database to (re)create     default ordermgmt_bench_amend
#   CALLS      calls per run              default 2000
#   ROUNDS     rounds of the three runs   default 3
#
set -euo pipefail

BENCH_DB=${BENCH_DB:-ordermgmt_bench_amend}
CALLS=${CALLS:-2000}
ROUNDS=${ROUNDS:-3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v pgbench >/dev/null || { echo "pgbench not found" >&2; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
     -c "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
psql -X -q -v ON_ERROR_STOP=1 -d "$BENCH_DB" <<'SQL'
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit) VALUES ('C1', 'Customer', 1000000);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate)
SELECT 'P' || i, 'Product ' || i, 10 + i, 4, 0.2 FROM generate_series(1, 10) AS i;
SELECT ordermgmt.receive_stock('P' || i, 'MAIN', 1000000) FROM generate_series(1, 10) AS i;
SELECT ordermgmt.create_order('C1', jsonb_agg(jsonb_build_object('sku', 'P' || i, 'qty', 5)))
  FROM generate_series(1, 10) AS i;
SELECT status FROM ordermgmt.orders WHERE order_id = 1;
SQL

# The changes: every line (or the first) from 5 to 6 or back.
changes_all="(SELECT jsonb_agg(jsonb_build_object('sku', p.sku, 'qty', 11 - l.qty))
                FROM ordermgmt.order_lines l JOIN ordermgmt.products p USING (product_id)
               WHERE l.order_id = 1)"
changes_one="(SELECT jsonb_build_array(jsonb_build_object('sku', p.sku, 'qty', 11 - l.qty))
                FROM ordermgmt.order_lines l JOIN ordermgmt.products p USING (product_id)
               WHERE l.order_id = 1 AND l.line_no = 1)"
echo "SELECT ordermgmt.amend_order(1, $changes_all);" >"$work/all.sql"
echo "SELECT ordermgmt.amend_order(1, $changes_one);" >"$work/one.sql"
echo "SELECT $changes_all;" >"$work/base.sql"

latency() {  # SCRIPT: average latency in ms
  pgbench -n -c 1 -t "$CALLS" -f "$work/$1.sql" "$BENCH_DB" 2>&1 |
    sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p'
}

echo "round  all (ms)  one (ms)  base (ms)"
for r in $(seq 1 "$ROUNDS"); do
  echo "$r      $(latency all)     $(latency one)     $(latency base)"
done
# CPU time per call: CALLS calls, each its own transaction, in one session.
cpu() {  # SCRIPT
  {
    cat "$here/cpu_time.sql"
    cat <<'SQL'
SELECT pg_temp.cpu() AS t0 \gset
\o /dev/null
SQL
    for _ in $(seq 1 "$CALLS"); do cat "$work/$1.sql"; done
    echo '\o'
    echo "SELECT round((pg_temp.cpu() - :t0) * 1e4 / $CALLS) AS us;"
  } | psql -X -q -At -v ON_ERROR_STOP=1 -d "$BENCH_DB"
}
echo "round  all (us CPU)  one (us CPU)  base (us CPU)"
for r in $(seq 1 "$ROUNDS"); do
  echo "$r      $(cpu all)          $(cpu one)          $(cpu base)"
done
psql -X -q -At -v ON_ERROR_STOP=1 -d "$BENCH_DB" \
     -c "SELECT 'revisions: ' || count(*) FROM ordermgmt.order_amendments" \
     -c "SELECT 'verify: ' || coalesce(string_agg(check_name, ', '), 'every check holds')
           FROM ordermgmt.verify() WHERE NOT ok"
