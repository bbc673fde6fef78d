#!/usr/bin/env bash
# Concurrent mixed workload: 8 pgbench clients run the whole order-to-cash
# cycle at once for a fixed time, each transaction one of these scripts
# (weight in parentheses):
#   place (30)         create_order: 1-3 distinct SKUs out of 20, 1-5 units each,
#                      for one of 20 customers; C01-C05 have a credit limit,
#                      so some of their orders go on hold
#   ship (10)          ship_order: everything still reserved of a random order
#                      that can ship
#   partial_ship (6)   ship_order: one unit of one reserved line
#   deliver (8)        confirm_delivery of a random undelivered shipment
#   invoice (8)        invoice_order of a random shipped order
#   pay (10)           record_payment of a random open invoice: the whole due
#                      amount or a random part of it; half of the payments carry
#                      a reference that other clients may repeat (a retry)
#   return (4)         return_items: one unit of a random shipped line
#   cancel (4)         cancel_order of a random open order
#   process (3)        start_processing of a random confirmed order
#   approve (2)        approve_order of a random order on hold
#   receive (3)        receive_stock of 10-50 units at a varying unit cost
# Targets are picked at random among the orders, shipments and invoices in
# the right state, so clients often race for the same document.  The losing
# side of such a race gets a business refusal (OM001 illegal transition,
# OM002 nothing left to ship or return, OM006 nothing to invoice or
# over-payment), which the helper try() records and swallows; any other
# error aborts the client and fails the test, and a deadlock counts as a
# failed transaction.
#
# Afterwards, every invariant that must hold exactly is checked: the ledger
# balances (per entry and in the trial balance, per currency; cash and
# receivables agree with payments and invoices), stock agrees with its moves
# and reservations, every invoice's due amount with its payments and
# credits, every order line's counters with its documents, and statuses
# with quantities.
#
# Connects with the usual libpq variables (PGHOST, PGPORT, PGUSER, ...).
# Works in its own database, ordermgmt_mixed, dropped first if it exists
# and again at the end (set MIXED_KEEP_DB=1 to keep it for a post-mortem).
# MIXED_SECONDS sets the run time (default 25).
# Prints one PASS or FAIL line per check; exits 1 if any check fails.
set -euo pipefail

DB=ordermgmt_mixed
CLIENTS=8
THREADS=4
SECONDS_TO_RUN=${MIXED_SECONDS:-25}
SKUS=20
CUSTOMERS=20

workdir=$(mktemp -d)
cleanup() {
  rm -rf "$workdir"
  if [ "${MIXED_KEEP_DB:-0}" != 1 ]; then
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

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
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MIX', 'Mixed warehouse');
-- C01-C05 have a small credit limit, the others none
INSERT INTO ordermgmt.customers (code, name, credit_limit)
SELECT 'C' || lpad(i::text, 2, '0'), 'Mixed customer ' || i, CASE WHEN i <= 5 THEN 400 END
  FROM generate_series(1, $CUSTOMERS) AS i;
-- SKU01-SKU20: list price 6-25, cost 60% of it, tax 0, 10% or 20%;
-- the last three have a reorder point just under their stock, so low-stock
-- alerts are raised and resolved while the workload runs
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate, reorder_point)
SELECT 'SKU' || lpad(i::text, 2, '0'), 'Mixed item ' || i, 5 + i, (5 + i) * 0.6,
       (i % 3) * 0.1, CASE WHEN i > $SKUS - 3 THEN 49980 ELSE 0 END
  FROM generate_series(1, $SKUS) AS i;
SELECT count(ordermgmt.receive_stock(sku, 'MIX', 50000)) AS skus_stocked FROM ordermgmt.products;

-- Test helpers (not part of the extension).
-- What each workload step did: 'ok', the SQLSTATE of a business refusal,
-- or 'none' when there was nothing to act on.
CREATE UNLOGGED TABLE mix_log (action text NOT NULL, outcome text NOT NULL);

-- Run one API call; swallow (and log) only the refusals a lost race brings.
CREATE FUNCTION try(action text, stmt text) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
  IF stmt IS NULL THEN
    INSERT INTO mix_log VALUES (action, 'none');
    RETURN 'none';
  END IF;
  EXECUTE stmt;
  INSERT INTO mix_log VALUES (action, 'ok');
  RETURN 'ok';
EXCEPTION WHEN SQLSTATE 'OM001' OR SQLSTATE 'OM002' OR SQLSTATE 'OM006' THEN
  INSERT INTO mix_log VALUES (action, SQLSTATE);
  RETURN SQLSTATE;
END \$\$;

-- A random order in one of the given statuses (NULL if there is none).
CREATE FUNCTION pick_order(statuses text[]) RETURNS bigint LANGUAGE sql AS \$\$
  WITH r AS (SELECT floor(random() * coalesce((SELECT max(order_id) FROM ordermgmt.orders), 0))::bigint AS start)
  SELECT coalesce(
    (SELECT o.order_id FROM ordermgmt.orders o, r
      WHERE o.status::text = ANY (statuses) AND o.order_id > r.start ORDER BY o.order_id LIMIT 1),
    (SELECT o.order_id FROM ordermgmt.orders o
      WHERE o.status::text = ANY (statuses) ORDER BY o.order_id LIMIT 1))
\$\$;

-- A random shipment not delivered yet.
CREATE FUNCTION pick_shipment() RETURNS bigint LANGUAGE sql AS \$\$
  WITH r AS (SELECT floor(random() * coalesce((SELECT max(shipment_id) FROM ordermgmt.shipments), 0))::bigint AS start)
  SELECT coalesce(
    (SELECT s.shipment_id FROM ordermgmt.shipments s, r
      WHERE s.delivered_at IS NULL AND s.shipment_id > r.start ORDER BY s.shipment_id LIMIT 1),
    (SELECT s.shipment_id FROM ordermgmt.shipments s
      WHERE s.delivered_at IS NULL ORDER BY s.shipment_id LIMIT 1))
\$\$;

-- A random invoice with something still due.
CREATE FUNCTION pick_invoice() RETURNS bigint LANGUAGE sql AS \$\$
  WITH r AS (SELECT floor(random() * coalesce((SELECT max(invoice_id) FROM ordermgmt.invoices), 0))::bigint AS start)
  SELECT coalesce(
    (SELECT i.invoice_id FROM ordermgmt.invoices i, r
      WHERE i.due > 0 AND i.invoice_id > r.start ORDER BY i.invoice_id LIMIT 1),
    (SELECT i.invoice_id FROM ordermgmt.invoices i WHERE i.due > 0 ORDER BY i.invoice_id LIMIT 1))
\$\$;
SQL

# The workload scripts; each is one transaction.
cat >"$workdir/place.sql" <<SQL
\set cust random(1, $CUSTOMERS)
\set first random(0, $((SKUS - 1)))
\set step random(1, 9)
\set n random(1, 3)
SELECT ordermgmt.create_order(format('C%s', lpad(:cust::text, 2, '0')),
       (SELECT jsonb_agg(jsonb_build_object(
                 'sku', format('SKU%s', lpad(((:first + k * :step) % $SKUS + 1)::text, 2, '0')),
                 'qty', 1 + floor(random() * 5)::int))
          FROM generate_series(0, :n - 1) AS k));
SQL
cat >"$workdir/ship.sql" <<'SQL'
SELECT try('ship', CASE WHEN o IS NOT NULL
                        THEN format('SELECT ordermgmt.ship_order(%s, NULL, %L, %L)', o, 'DHL', 'T-' || o) END)
  FROM pick_order('{confirmed,processing,partially_shipped}') AS o;
SQL
cat >"$workdir/partial_ship.sql" <<'SQL'
SELECT try('partial_ship',
           (SELECT format('SELECT ordermgmt.ship_order(%s, %L)', r.order_id,
                          jsonb_build_array(jsonb_build_object('sku', p.sku, 'qty', 1)))
              FROM pick_order('{confirmed,processing,partially_shipped}') AS o
              JOIN ordermgmt.reservations r ON r.order_id = o
              JOIN ordermgmt.products p ON p.product_id = r.product_id
             WHERE r.qty > 0
             ORDER BY random() LIMIT 1));
SQL
cat >"$workdir/deliver.sql" <<'SQL'
SELECT try('deliver', 'SELECT ordermgmt.confirm_delivery(' || s || ')') FROM pick_shipment() AS s;
SQL
cat >"$workdir/invoice.sql" <<'SQL'
SELECT try('invoice', 'SELECT ordermgmt.invoice_order(' || o || ')')
  FROM pick_order('{partially_shipped,shipped,delivered}') AS o;
SQL
cat >"$workdir/pay.sql" <<'SQL'
\set whole random(0, 2)
SELECT try('pay',
           (SELECT format('SELECT ordermgmt.record_payment(%s, %s, %L, %L)', i.invoice_id,
                          CASE WHEN :whole = 0 THEN i.due
                               ELSE greatest(0.01, round(i.due * random()::numeric, 2)) END,
                          'bank',
                          CASE WHEN random() < 0.5
                               THEN 'PAY-' || i.invoice_id || '-' || floor(random() * 3) END)
              FROM pick_invoice() AS x JOIN ordermgmt.invoices i ON i.invoice_id = x));
SQL
cat >"$workdir/return.sql" <<'SQL'
SELECT try('return',
           (SELECT format('SELECT ordermgmt.return_items(%s, %L, %L)', l.order_id,
                          jsonb_build_array(jsonb_build_object('sku', p.sku, 'qty', 1)), 'damaged')
              FROM pick_order('{partially_shipped,shipped,delivered,completed}') AS o
              JOIN ordermgmt.order_lines l ON l.order_id = o
              JOIN ordermgmt.products p ON p.product_id = l.product_id
             WHERE l.shipped_qty > l.returned_qty
             ORDER BY random() LIMIT 1));
SQL
cat >"$workdir/cancel.sql" <<'SQL'
SELECT try('cancel', CASE WHEN o IS NOT NULL
                          THEN format('SELECT ordermgmt.cancel_order(%s, %L)', o, 'changed mind') END)
  FROM pick_order('{pending,on_hold,confirmed,processing}') AS o;
SQL
cat >"$workdir/process.sql" <<'SQL'
SELECT try('process', 'SELECT ordermgmt.start_processing(' || o || ')')
  FROM pick_order('{confirmed}') AS o;
SQL
cat >"$workdir/approve.sql" <<'SQL'
SELECT try('approve', CASE WHEN o IS NOT NULL
                           THEN format('SELECT ordermgmt.approve_order(%s, %L)', o, 'credit desk') END)
  FROM pick_order('{on_hold}') AS o;
SQL
cat >"$workdir/receive.sql" <<SQL
\set sku random(1, $SKUS)
\set qty random(10, 50)
SELECT ordermgmt.receive_stock(format('SKU%s', lpad(:sku::text, 2, '0')), 'MIX', :qty,
       round((5 + :sku) * (0.5 + random()::numeric * 0.2), 2));
SQL

echo "== pgbench: $CLIENTS clients for $SECONDS_TO_RUN s"
rc=0
(cd "$workdir" &&
  pgbench -n -c "$CLIENTS" -j "$THREADS" -T "$SECONDS_TO_RUN" --failures-detailed \
    -f place.sql@30 -f ship.sql@10 -f partial_ship.sql@6 -f deliver.sql@8 -f invoice.sql@8 \
    -f pay.sql@10 -f return.sql@4 -f cancel.sql@4 -f process.sql@3 -f approve.sql@2 \
    -f receive.sql@3 "$DB" >pgbench.out 2>&1) || rc=$?
# The per-script statistics repeat for every script; the summary is enough.
sed -n '1,/^SQL script 1/p' "$workdir/pgbench.out" | sed '$d'

check "pgbench exit status" 0 "$rc"
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$workdir/pgbench.out")
check "transactions processed > 0" yes "$([ "${processed:-0}" -gt 0 ] && echo yes || echo "no (${processed:-none})")"
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$workdir/pgbench.out")
check "failed transactions" 0 "${failed:-none}"
# A deadlock does not stop pgbench: it counts the transaction as failed.
deadlocks=$(sed -n 's/^number of deadlock failures: \([0-9]*\).*/\1/p' "$workdir/pgbench.out")
check "deadlock failures" 0 "${deadlocks:-none}"
serialization=$(sed -n 's/^number of serialization failures: \([0-9]*\).*/\1/p' "$workdir/pgbench.out")
check "serialization failures" 0 "${serialization:-none}"
client_errors=$(grep -Eci 'error|aborted' "$workdir/pgbench.out" || true)
check "client errors in pgbench output" 0 "$client_errors"
if [ "$client_errors" != 0 ]; then
  grep -Ei 'error|aborted' "$workdir/pgbench.out" | head -n 20
fi

echo "== what the workload did"
sql -c "SELECT action, count(*) FILTER (WHERE outcome = 'ok') AS ok,
               count(*) FILTER (WHERE outcome = 'OM001') AS om001,
               count(*) FILTER (WHERE outcome = 'OM002') AS om002,
               count(*) FILTER (WHERE outcome = 'OM006') AS om006,
               count(*) FILTER (WHERE outcome = 'none') AS nothing_to_do
          FROM mix_log GROUP BY action ORDER BY action" \
    -c "SELECT status, count(*) FROM ordermgmt.orders GROUP BY status ORDER BY status" \
    -c "SELECT (SELECT count(*) FROM ordermgmt.shipments) AS shipments,
               (SELECT count(*) FROM ordermgmt.invoices) AS invoices,
               (SELECT count(*) FROM ordermgmt.payments) AS payments,
               (SELECT count(*) FROM ordermgmt.returns) AS returns,
               (SELECT count(*) FROM ordermgmt.journal_entries) AS journal_entries,
               (SELECT count(*) FROM ordermgmt.alerts) AS alerts"

check "actions that never succeeded" none \
      "$(value "SELECT coalesce(string_agg(a, ' ' ORDER BY a), 'none') FROM unnest(ARRAY['approve', 'cancel', 'deliver',
                  'invoice', 'partial_ship', 'pay', 'process', 'return', 'ship']) AS a
                 WHERE NOT EXISTS (SELECT 1 FROM mix_log l WHERE l.action = a AND l.outcome = 'ok')")"

echo "== invariants"
# Ledger
check "currencies whose trial balance does not sum to zero" 0 \
      "$(value "SELECT count(*) FROM (SELECT currency FROM ordermgmt.v_trial_balance
                                       GROUP BY currency HAVING sum(balance) <> 0) x")"
check "journal entries out of balance" 0 \
      "$(value "SELECT count(*) FROM (SELECT entry_id FROM ordermgmt.postings
                                       GROUP BY entry_id, currency HAVING sum(debit) <> sum(credit)) x")"
check "cash account = sum of payments" t \
      "$(value "SELECT coalesce((SELECT sum(balance) FROM ordermgmt.v_trial_balance WHERE account_code = '1000'), 0)
                     = (SELECT coalesce(sum(amount), 0) FROM ordermgmt.payments)")"
check "receivable account = invoices due - unapplied credit" t \
      "$(value "SELECT coalesce((SELECT sum(balance) FROM ordermgmt.v_trial_balance WHERE account_code = '1100'), 0)
                     = (SELECT coalesce(sum(due), 0) FROM ordermgmt.invoices)
                       - (SELECT coalesce(sum(amount), 0) FROM ordermgmt.credit_applications
                           WHERE invoice_id IS NULL)")"
check "returns whose credit note differs from its applications" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.returns r
                 WHERE r.credit_net + r.credit_tax <> (SELECT coalesce(sum(c.amount), 0)
                                                         FROM ordermgmt.credit_applications c
                                                        WHERE c.return_id = r.return_id)")"

# Stock
check "stock rows whose on_hand differs from the sum of their moves" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.stock s
                  FULL JOIN (SELECT product_id, warehouse_id, sum(qty) AS q FROM ordermgmt.stock_moves
                              GROUP BY product_id, warehouse_id) m USING (product_id, warehouse_id)
                 WHERE s.on_hand IS DISTINCT FROM m.q")"
check "stock rows whose reserved differs from the sum of their reservations" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.stock s
                  LEFT JOIN (SELECT product_id, warehouse_id, sum(qty) AS q FROM ordermgmt.reservations
                              GROUP BY product_id, warehouse_id) r USING (product_id, warehouse_id)
                 WHERE s.reserved <> coalesce(r.q, 0)")"
check "stock rows with reserved outside 0..on_hand" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.stock WHERE reserved < 0 OR reserved > on_hand")"
check "lines of shippable orders whose reservation is not qty - shipped_qty" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.order_lines l
                  JOIN ordermgmt.orders o USING (order_id)
                  LEFT JOIN ordermgmt.reservations r USING (order_id, line_no)
                 WHERE o.status IN ('confirmed', 'processing', 'partially_shipped')
                   AND coalesce(r.qty, 0) <> l.qty - l.shipped_qty")"
check "reservations of orders that cannot ship" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.reservations r JOIN ordermgmt.orders o USING (order_id)
                 WHERE o.status NOT IN ('confirmed', 'processing', 'partially_shipped', 'on_hold')")"

# Invoices
check "invoices whose paid differs from the sum of their payments" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.invoices i
                 WHERE i.paid <> (SELECT coalesce(sum(p.amount), 0) FROM ordermgmt.payments p
                                   WHERE p.invoice_id = i.invoice_id)")"
check "invoices whose credited differs from the credit applied to them" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.invoices i
                 WHERE i.credited <> (SELECT coalesce(sum(c.amount), 0) FROM ordermgmt.credit_applications c
                                       WHERE c.invoice_id = i.invoice_id)")"
check "invoices whose due is not total - payments - credits" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.invoices i
                 WHERE i.due <> i.total
                               - (SELECT coalesce(sum(p.amount), 0) FROM ordermgmt.payments p
                                   WHERE p.invoice_id = i.invoice_id)
                               - (SELECT coalesce(sum(c.amount), 0) FROM ordermgmt.credit_applications c
                                   WHERE c.invoice_id = i.invoice_id)
                    OR i.due < 0")"
check "invoices whose total differs from their lines" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.invoices i
                 WHERE i.net IS DISTINCT FROM (SELECT sum(il.net) FROM ordermgmt.invoice_lines il
                                                WHERE il.invoice_id = i.invoice_id)
                    OR i.tax IS DISTINCT FROM (SELECT sum(il.tax) FROM ordermgmt.invoice_lines il
                                                WHERE il.invoice_id = i.invoice_id)")"

# Order lines
# counter on order_lines, document lines, quantity column there
for counter in "shipped_qty shipment_lines qty" "returned_qty return_lines qty" \
               "invoiced_qty invoice_lines qty" "credited_qty return_lines credited_qty"; do
  read -r column lines qty <<<"$counter"
  check "order lines whose $column differs from the sum of their $lines.$qty" 0 \
        "$(value "SELECT count(*) FROM ordermgmt.order_lines l
                   WHERE l.$column <> (SELECT coalesce(sum(d.$qty), 0) FROM ordermgmt.$lines d
                                        WHERE d.order_id = l.order_id AND d.line_no = l.line_no)")"
done
check "order lines billed beyond what was kept (invoiced - credited > shipped - returned)" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.order_lines
                 WHERE invoiced_qty - credited_qty > shipped_qty - returned_qty")"

# Statuses
check "shipped, delivered or completed orders with unshipped quantity" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.orders o
                 WHERE o.status IN ('shipped', 'delivered', 'completed')
                   AND EXISTS (SELECT 1 FROM ordermgmt.order_lines l
                                WHERE l.order_id = o.order_id AND l.shipped_qty < l.qty)")"
check "partially shipped orders with nothing or everything shipped" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.orders o
                 WHERE o.status = 'partially_shipped'
                   AND (NOT EXISTS (SELECT 1 FROM ordermgmt.order_lines l
                                     WHERE l.order_id = o.order_id AND l.shipped_qty < l.qty)
                        OR NOT EXISTS (SELECT 1 FROM ordermgmt.order_lines l
                                        WHERE l.order_id = o.order_id AND l.shipped_qty > 0))")"
check "orders never shipped that have shipments" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.orders o
                 WHERE o.status IN ('draft', 'pending', 'on_hold', 'confirmed', 'processing', 'cancelled')
                   AND EXISTS (SELECT 1 FROM ordermgmt.shipments s WHERE s.order_id = o.order_id)")"
check "delivered or completed orders with an undelivered shipment" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.orders o
                 WHERE o.status IN ('delivered', 'completed')
                   AND EXISTS (SELECT 1 FROM ordermgmt.shipments s
                                WHERE s.order_id = o.order_id AND s.delivered_at IS NULL)")"
check "completed orders not fully billed and paid" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.orders o
                 WHERE o.status = 'completed'
                   AND (EXISTS (SELECT 1 FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id
                                   AND l.shipped_qty - l.returned_qty <> l.invoiced_qty - l.credited_qty)
                        OR EXISTS (SELECT 1 FROM ordermgmt.invoices i
                                    WHERE i.order_id = o.order_id AND i.due > 0))")"
check "orders whose status is not the last one in their history" 0 \
      "$(value "SELECT count(*) FROM ordermgmt.orders o
                 WHERE o.status IS DISTINCT FROM
                       (SELECT h.to_status FROM ordermgmt.order_status_history h
                         WHERE h.order_id = o.order_id ORDER BY h.history_id DESC LIMIT 1)")"
check "open alerts per rule and subject above one" 0 \
      "$(value "SELECT count(*) FROM (SELECT 1 FROM ordermgmt.alerts WHERE status <> 'resolved'
                                       GROUP BY rule_code, subject_type, subject_id HAVING count(*) > 1) x")"

if [ "$failures" -eq 0 ]; then
  echo "PASS: mixed workload"
else
  echo "FAIL: mixed workload ($failures failed checks)"
  exit 1
fi
