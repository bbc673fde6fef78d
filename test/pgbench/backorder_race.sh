#!/usr/bin/env bash
# Backorder race: 8 pgbench clients place 1,000 orders (125 each) of one
# unit of BO-A with allocation partial while a ninth client receives 300
# units in 10 receipts of 30, all at once.  The warehouse starts empty, so
# every order confirms waiting, and each receipt fills the waiting lines
# first-in first-out in its own transaction.  Afterwards:
#   - every order is confirmed, none held (partial allocation never holds
#     for stock);
#   - every unit is allocated exactly once: on hand 300 = reserved 300 =
#     the sum of the reservations = the lines holding a unit;
#   - nothing is lost: sum of reserved + sum of backordered = 1,000 ordered;
#   - first-in first-out: the lines filled are the oldest ones, up to the
#     few orders still uncommitted when a receipt looked at the waiting
#     orders (at most one per ordering client);
#   - no client sees an error: no deadlock, no failed transaction;
#   - every check of verify() holds.
#
# Connects with the usual libpq variables (PGHOST, PGPORT, PGUSER, ...).
# Works in its own database, ordermgmt_backorder_race, dropped first if it
# exists and again at the end (BACKORDER_RACE_KEEP_DB=1 keeps it).
# Prints one PASS or FAIL line per check; exits 1 if any check fails.
set -euo pipefail
# shellcheck source=test/pgbench/pgbench_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/pgbench_lib.bash"

DB=ordermgmt_backorder_race
CLIENTS=8
PER_CLIENT=125
TOTAL=$((CLIENTS * PER_CLIENT))
RECEIPTS=10
PER_RECEIPT=30
STOCK=$((RECEIPTS * PER_RECEIPT))

pgbench_test_start "$DB" "${BACKORDER_RACE_KEEP_DB:-0}"

sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
value() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -At -c "$1"; }

failures=0
check() {  # NAME EXPECTED ACTUAL
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
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('BO', 'Backorder warehouse');
INSERT INTO ordermgmt.customers (code, name, allocation)
SELECT 'C' || i, 'Waiting customer ' || i, 'partial' FROM generate_series(0, $CLIENTS - 1) AS i;
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost) VALUES ('BO-A', 'Scarce item', 10, 4);
-- an empty shelf: the stock row exists, so orders and receipts meet on it
SELECT ordermgmt.count_stock('BO-A', 'BO', 0, 'empty shelf') = 0 AS empty;
SQL

cat >"$workdir/order.sql" <<'SQL'
SELECT ordermgmt.create_order('C' || :client_id, '[{"sku": "BO-A", "qty": 1}]');
SQL
# A receipt every 50 ms or so, while the orders arrive.
cat >"$workdir/receipt.sql" <<SQL
\sleep 50 ms
SELECT ordermgmt.receive_stock('BO-A', 'BO', $PER_RECEIPT);
SQL

echo "== pgbench: $CLIENTS clients x $PER_CLIENT orders, and $RECEIPTS receipts of $PER_RECEIPT at once"
rc_orders=0
rc_receipts=0
(cd "$workdir" &&
  pgbench -n -c "$CLIENTS" -j 2 -t "$PER_CLIENT" --failures-detailed -f order.sql "$DB" >orders.out 2>&1) &
orders_pid=$!
(cd "$workdir" &&
  pgbench -n -c 1 -j 1 -t "$RECEIPTS" --failures-detailed -f receipt.sql "$DB" >receipts.out 2>&1) &
receipts_pid=$!
wait "$orders_pid" || rc_orders=$?
wait "$receipts_pid" || rc_receipts=$?
cat "$workdir/orders.out" "$workdir/receipts.out"

check "pgbench exit status (orders, receipts)" "0 0" "$rc_orders $rc_receipts"
for f in orders receipts; do
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$workdir/$f.out")
  check "$f: failed transactions" 0 "${failed:-none}"
  deadlocks=$(sed -n 's/^number of deadlock failures: \([0-9]*\).*/\1/p' "$workdir/$f.out")
  check "$f: deadlock failures" 0 "${deadlocks:-none}"
  errors=$(grep -Eci 'error|aborted' "$workdir/$f.out" || true)
  check "$f: client errors" 0 "$errors"
done

echo "== final state"
sql -c "SELECT status, count(*) FROM ordermgmt.orders GROUP BY status ORDER BY status" \
    -c "SELECT sku, on_hand, reserved, backordered, available_to_promise FROM ordermgmt.v_available_to_promise"

check "orders placed, all confirmed" "$TOTAL $TOTAL" \
      "$(value "SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'confirmed') FROM ordermgmt.orders")"
check "on hand / reserved / sum of reservations / lines holding a unit" "$STOCK $STOCK $STOCK $STOCK" \
      "$(value "SELECT s.on_hand::int || ' ' || s.reserved::int || ' ' ||
                       (SELECT coalesce(sum(r.qty), 0)::int FROM ordermgmt.reservations r) || ' ' ||
                       (SELECT count(*) FROM ordermgmt.order_lines WHERE reserved_qty = 1)
                  FROM ordermgmt.stock s")"
check "reserved + backordered = ordered" "$TOTAL $TOTAL" \
      "$(value "SELECT (sum(reserved_qty) + sum(backordered_qty))::int || ' ' || sum(qty)::int
                  FROM ordermgmt.order_lines")"
check "lines both holding and waiting, or neither" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.order_lines WHERE reserved_qty + backordered_qty <> qty")"
# First-in first-out: a filled order younger than the oldest one still
# waiting was passed over only because it had not committed when a receipt
# locked the waiting orders; at most one in flight per ordering client.
inversions=$(value "SELECT count(*) FROM ordermgmt.order_lines
                     WHERE reserved_qty = 1
                       AND order_id > (SELECT min(order_id) FROM ordermgmt.order_lines WHERE backordered_qty = 1)")
if [ "$inversions" -le "$CLIENTS" ]; then
  echo "PASS: first-in first-out, filled orders younger than the oldest waiting one ($inversions <= $CLIENTS)"
else
  echo "FAIL: first-in first-out: $inversions filled orders younger than the oldest waiting one (more than $CLIENTS)"
  failures=$((failures + 1))
fi
# Every unit is accounted for by the events: lines reserved as they
# confirmed (a receipt may leave a few units free) plus lines filled later.
check "lines reserved at confirmation + lines filled by receipts (events)" "$STOCK" \
      "$(value "SELECT ($TOTAL - (SELECT count(*) FROM ordermgmt.events e, jsonb_array_elements(e.payload -> 'lines') l
                                   WHERE e.kind = 'order.backorder_created'))
                     + (SELECT count(*) FROM ordermgmt.events e, jsonb_array_elements(e.payload -> 'lines') l
                         WHERE e.kind = 'order.backorder_filled')")"
check "verify(): checks failing" 0 "$(value "SELECT count(*) FROM ordermgmt.verify() WHERE NOT ok")"

if [ "$failures" -eq 0 ]; then
  echo "PASS: backorder race"
else
  echo "FAIL: backorder race ($failures failed checks)"
  exit 1
fi
