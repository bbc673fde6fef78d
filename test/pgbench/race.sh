#!/usr/bin/env bash
# Concurrency race: 8 pgbench clients place 800 orders (100 each) of one
# unit of each of two SKUs, RACE-A and RACE-B, with 300 units of each on
# hand.  Clients with an even client_id list the lines A then B, odd ones
# B then A, so exactly half of the orders name the SKUs in the opposite
# order.  Every order confirms at once (auto-confirm) and reserves both
# lines or neither, so:
#   - exactly 300 orders are confirmed and 500 on hold;
#   - both SKUs end with reserved = on_hand = 300, and stock.reserved equals
#     the sum of the reservations;
#   - no client sees an error: no deadlock, no failed transaction.
#
# Connects with the usual libpq variables (PGHOST, PGPORT, PGUSER, ...).
# Works in its own database, ordermgmt_race, dropped first if it exists
# and again at the end (set RACE_KEEP_DB=1 to keep it for a post-mortem).
# Prints one PASS or FAIL line per check; exits 1 if any check fails.
set -euo pipefail
# shellcheck source=test/pgbench/pgbench_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/pgbench_lib.bash"

DB=ordermgmt_race
CLIENTS=8
THREADS=2
PER_CLIENT=100
STOCK=300
TOTAL=$((CLIENTS * PER_CLIENT))
HELD=$((TOTAL - STOCK))

pgbench_test_start "$DB" "${RACE_KEEP_DB:-0}"

sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
# value QUERY: the single value a query returns
value() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -At -c "$1"; }

failures=0
# check NAME EXPECTED ACTUAL
check() {
  if [ "$2" = "$3" ]; then
    echo "PASS: $1 ($3)"
  else
    echo "FAIL: $1: expected $2, got $3"
    failures=$((failures + 1))
  fi
}

echo "== setting up database $DB"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
     -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
sql <<SQL
SET client_min_messages = warning;
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('RACE', 'Race warehouse');
INSERT INTO ordermgmt.customers (code, name)
SELECT 'C' || i, 'Race customer ' || i FROM generate_series(0, $CLIENTS - 1) AS i;
INSERT INTO ordermgmt.products (sku, name, list_price)
VALUES ('RACE-A', 'Race item A', 10), ('RACE-B', 'Race item B', 20);
SELECT ordermgmt.receive_stock('RACE-A', 'RACE', $STOCK) > 0 AS received_a,
       ordermgmt.receive_stock('RACE-B', 'RACE', $STOCK) > 0 AS received_b;
SQL

# One transaction per order; pgbench's client_id runs from 0 to CLIENTS - 1.
cat >"$workdir/order.sql" <<'SQL'
\if :client_id % 2 = 0
SELECT ordermgmt.create_order('C' || :client_id,
       '[{"sku": "RACE-A", "qty": 1}, {"sku": "RACE-B", "qty": 1}]');
\else
SELECT ordermgmt.create_order('C' || :client_id,
       '[{"sku": "RACE-B", "qty": 1}, {"sku": "RACE-A", "qty": 1}]');
\endif
SQL

echo "== pgbench: $CLIENTS clients x $PER_CLIENT orders"
rc=0
(cd "$workdir" &&
  pgbench -n -c "$CLIENTS" -j "$THREADS" -t "$PER_CLIENT" --failures-detailed -f order.sql "$DB" >pgbench.out 2>&1) || rc=$?
cat "$workdir/pgbench.out"

check "pgbench exit status" 0 "$rc"
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\/[0-9]*\).*/\1/p' "$workdir/pgbench.out")
check "transactions processed" "$TOTAL/$TOTAL" "${processed:-none}"
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$workdir/pgbench.out")
check "failed transactions" 0 "${failed:-none}"
# A deadlock does not stop pgbench: it counts the transaction as failed.
deadlocks=$(sed -n 's/^number of deadlock failures: \([0-9]*\).*/\1/p' "$workdir/pgbench.out")
check "deadlock failures" 0 "${deadlocks:-none}"
client_errors=$(grep -Eci 'error|aborted' "$workdir/pgbench.out" || true)
check "client errors in pgbench output" 0 "$client_errors"

echo "== final state"
sql -c "SELECT status, count(*) FROM ordermgmt.orders GROUP BY status ORDER BY status" \
    -c "SELECT sku, on_hand, reserved, available FROM ordermgmt.v_stock_availability ORDER BY sku"

check "orders placed" "$TOTAL" "$(value "SELECT count(*) FROM ordermgmt.orders")"
check "orders confirmed" "$STOCK" \
      "$(value "SELECT count(*) FROM ordermgmt.orders WHERE status = 'confirmed'")"
check "orders on hold" "$HELD" \
      "$(value "SELECT count(*) FROM ordermgmt.orders WHERE status = 'on_hold'")"
check "orders in any other status" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.orders WHERE status NOT IN ('confirmed', 'on_hold')")"
check "orders in each line order" "$((TOTAL / 2)) $((TOTAL / 2))" \
      "$(value "SELECT string_agg(n::text, ' ') FROM (
                  SELECT count(*) AS n FROM ordermgmt.order_lines l
                    JOIN ordermgmt.products p USING (product_id)
                   WHERE l.line_no = 1 GROUP BY p.sku) s")"
for sku in RACE-A RACE-B; do
  check "$sku on_hand / reserved / sum of reservations" "$STOCK $STOCK $STOCK" \
        "$(value "SELECT s.on_hand::int || ' ' || s.reserved::int || ' ' ||
                         (SELECT coalesce(sum(r.qty), 0)::int FROM ordermgmt.reservations r
                           WHERE r.product_id = s.product_id AND r.warehouse_id = s.warehouse_id)
                    FROM ordermgmt.stock s JOIN ordermgmt.products p USING (product_id)
                   WHERE p.sku = '$sku'")"
done
check "stock rows with reserved outside 0..on_hand" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.stock WHERE reserved < 0 OR reserved > on_hand")"
check "confirmed orders without both lines reserved" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.orders o WHERE o.status = 'confirmed'
                   AND (SELECT count(*) FROM ordermgmt.reservations r WHERE r.order_id = o.order_id) <> 2")"
check "held orders with any reservation" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.orders o WHERE o.status = 'on_hold'
                   AND EXISTS (SELECT 1 FROM ordermgmt.reservations r WHERE r.order_id = o.order_id)")"
check "held orders with an open L1_STOCK_SHORTAGE alert" "$HELD" \
      "$(value "SELECT count(DISTINCT a.order_id) FROM ordermgmt.alerts a
                  JOIN ordermgmt.orders o USING (order_id)
                 WHERE o.status = 'on_hold' AND a.rule_code = 'L1_STOCK_SHORTAGE'
                   AND a.status = 'open'")"

if [ "$failures" -eq 0 ]; then
  echo "PASS: race test"
else
  echo "FAIL: race test ($failures failed checks)"
  exit 1
fi
