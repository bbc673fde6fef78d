#!/usr/bin/env bash
# Upgrade path: install the oldest version, fill it with data, walk every
# ALTER EXTENSION ... UPDATE, and prove the result equals a fresh install
# of the current version (every table, column, constraint, index, function,
# view, trigger, privilege, comment and pg_dump mark), with the data intact.
#
# Uses the running cluster of scripts/test.sh (libpq variables).
set -euo pipefail

OLD=ordermgmt_upgrade_old
NEW=ordermgmt_upgrade_new
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
cleanup() {
  rm -rf "$work"
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $OLD WITH (FORCE)" -c "DROP DATABASE IF EXISTS $NEW WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

failures=0
check() {  # NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "PASS: $1"; else echo "FAIL: $1: expected '$2', got '$3'"; failures=$((failures + 1)); fi
}
q() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$1" -c "$2"; }

current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$here/ordermgmt.control")
first=$(ls "$here"/sql/ordermgmt--*.sql | sed -n 's/.*ordermgmt--\([0-9.]*\)\.sql$/\1/p' | sort -V | head -1)

psql -X -q -d postgres -c "SET client_min_messages = warning" \
     -c "DROP DATABASE IF EXISTS $OLD WITH (FORCE)" -c "DROP DATABASE IF EXISTS $NEW WITH (FORCE)" \
     -c "CREATE DATABASE $OLD" -c "CREATE DATABASE $NEW"

# The oldest version, full of data written through its own API only.
q "$OLD" "CREATE EXTENSION ordermgmt VERSION '$first'" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$OLD" >/dev/null <<'SQL'
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit)
SELECT 'C' || i, 'Customer ' || i, CASE WHEN i % 3 = 0 THEN 500 END FROM generate_series(1, 20) i;
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate, reorder_point)
SELECT 'P' || i, 'Product ' || i, 10 * i, 4 * i, 0.2, 5 FROM generate_series(1, 10) i;
SELECT count(ordermgmt.receive_stock('P' || i, 'MAIN', 50)) FROM generate_series(1, 10) i;
CREATE TEMP TABLE o AS
SELECT i, ordermgmt.create_order('C' || (1 + i % 20),
         jsonb_build_array(jsonb_build_object('sku', 'P' || (1 + i % 10), 'qty', 1 + i % 3)),
         jsonb_build_object('promised_at', now() + interval '1 day')) AS order_id
  FROM generate_series(1, 60) i;
SELECT count(ordermgmt.ship_order(order_id)) FROM o JOIN ordermgmt.orders USING (order_id)
 WHERE status = 'confirmed' AND i % 2 = 0;
-- half of the shipments delivered, a third of those after the promise
SELECT ordermgmt.confirm_delivery(shipment_id, now() + CASE WHEN shipment_id % 3 = 0 THEN interval '2 days'
                                                            ELSE interval '1 hour' END)
  FROM ordermgmt.shipments WHERE shipment_id % 2 = 0;
SELECT count(ordermgmt.invoice_order(order_id)) FROM o JOIN ordermgmt.orders USING (order_id)
 WHERE status IN ('shipped', 'delivered');
SELECT count(ordermgmt.record_payment(invoice_id, due)) FROM ordermgmt.invoices WHERE invoice_id % 2 = 0;
SELECT count(ordermgmt.return_items(o.order_id, jsonb_build_array(jsonb_build_object('sku', p.sku, 'qty', 1)), 'test'))
  FROM o JOIN ordermgmt.order_lines l USING (order_id) JOIN ordermgmt.products p USING (product_id)
 WHERE l.shipped_qty > 0 AND o.i % 8 = 0;
SELECT count(ordermgmt.record_feedback(order_id, 1 + i % 5)) FROM o JOIN ordermgmt.orders USING (order_id)
 WHERE status IN ('shipped', 'delivered', 'completed');
SELECT count(ordermgmt.open_ticket(order_id, 'Question', 'high')) FROM o WHERE i % 10 = 0;
SELECT ordermgmt.monitor_tick(now() + interval '10 days');
-- a draft, and an order cancelled before it was confirmed
SELECT ordermgmt.create_order('C1', '[{"sku": "P2", "qty": 2}]', '{"submit": false}');
SELECT ordermgmt.cancel_order(ordermgmt.create_order('C2', '[{"sku": "P3", "qty": 1}]', '{"submit": false}'), 'test');
SQL
before=$(q "$OLD" "SELECT (SELECT count(*) FROM ordermgmt.orders) || '/' || (SELECT count(*) FROM ordermgmt.events) || '/' || (SELECT count(*) FROM ordermgmt.postings) || '/' || (SELECT count(*) FROM ordermgmt.alerts)")

trial_before=$(q "$OLD" "SELECT string_agg(account_code || ' ' || currency || ' ' || debit || ' ' || credit, ', ' ORDER BY account_code, currency) FROM ordermgmt.v_trial_balance")
sales_before=$(q "$OLD" "SELECT string_agg(day || ' ' || currency || ' ' || orders_booked || ' ' || booked_net, ', ' ORDER BY day, currency) FROM ordermgmt.v_daily_sales")
deliveries_before=$(q "$OLD" "SELECT count(*) FROM ordermgmt.orders WHERE status IN ('delivered', 'completed')")

# Walk every update step to the current version.
q "$OLD" "ALTER EXTENSION ordermgmt UPDATE" >/dev/null
check "updated to the current version" "$current" "$(q "$OLD" "SELECT extversion FROM pg_extension WHERE extname = 'ordermgmt'")"
q "$NEW" "CREATE EXTENSION ordermgmt" >/dev/null

# Everything the extension defines, described from the catalogs.
describe="
WITH n AS (SELECT 'ordermgmt'::regnamespace AS nsp)
SELECT line FROM (
  SELECT 'rel ' || c.relname || ' ' || c.relkind::text || ' ' || coalesce(array_to_string(c.relacl, ','), '') AS line
    FROM pg_class c, n WHERE c.relnamespace = n.nsp
  UNION ALL
  SELECT 'col ' || c.relname || '.' || a.attnum || ' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
         || ' ' || a.attnotnull || ' ' || a.attidentity::text || a.attgenerated::text || ' '
         || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ' ' || coalesce(array_to_string(a.attacl, ','), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN n ON c.relnamespace = n.nsp
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'con ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint, n WHERE connamespace = n.nsp
  UNION ALL
  SELECT 'idx ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN n ON c.relnamespace = n.nsp
  UNION ALL
  SELECT 'fn ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid)) || ' '
         || coalesce(array_to_string(p.proacl, ','), '')
    FROM pg_proc p, n WHERE p.pronamespace = n.nsp
  UNION ALL
  SELECT 'view ' || c.relname || ' ' || md5(pg_get_viewdef(c.oid))
    FROM pg_class c, n WHERE c.relnamespace = n.nsp AND c.relkind = 'v'
  UNION ALL
  SELECT 'trg ' || pg_get_triggerdef(t.oid)
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN n ON c.relnamespace = n.nsp WHERE NOT t.tgisinternal
  UNION ALL
  SELECT 'comment ' || d.classoid::regclass || ' ' || coalesce(c.relname, p.proname, '?') || ' ' || d.objsubid || ' ' || md5(d.description)
    FROM pg_description d
    LEFT JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
    LEFT JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid, n
   WHERE c.relnamespace = n.nsp OR p.pronamespace = n.nsp
  UNION ALL
  SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid, n WHERE t.typnamespace = n.nsp GROUP BY t.typname
  UNION ALL
  SELECT 'dump ' || x::regclass || ' ' || coalesce(c, '')
    FROM pg_extension, unnest(extconfig, extcondition) AS u(x, c) WHERE extname = 'ordermgmt'
) all_lines ORDER BY line"
q "$OLD" "$describe" >"$work/updated.txt"
q "$NEW" "$describe" >"$work/fresh.txt"
if diff -u "$work/fresh.txt" "$work/updated.txt" >"$work/diff.txt"; then
  echo "PASS: updated schema equals a fresh install ($(wc -l <"$work/fresh.txt") catalog lines)"
else
  echo "FAIL: updated schema differs from a fresh install:"; cat "$work/diff.txt"; failures=$((failures + 1))
fi

# The data survived and the updated database works.
check "data intact after the update" "$before" "$(q "$OLD" "SELECT (SELECT count(*) FROM ordermgmt.orders) || '/' || (SELECT count(*) FROM ordermgmt.events) || '/' || (SELECT count(*) FROM ordermgmt.postings) || '/' || (SELECT count(*) FROM ordermgmt.alerts)")"
check "trial balance still zero" "0.00" "$(q "$OLD" "SELECT sum(balance) FROM ordermgmt.v_trial_balance")"
check "booked sales unchanged by the update" "$sales_before" "$(q "$OLD" "SELECT string_agg(day || ' ' || currency || ' ' || orders_booked || ' ' || booked_net, ', ' ORDER BY day, currency) FROM ordermgmt.v_daily_sales")"
check "orders still flow after the update" "confirmed" \
  "$(q "$OLD" "SELECT ordermgmt.submit_order(ordermgmt.create_order('C1', '[{\"sku\": \"P1\", \"qty\": 1}]', '{\"submit\": false}'))")"
# What 0.3.0 derives from the history was backfilled exactly.
check "some orders were delivered before the update" t "$([ "$deliveries_before" -gt 5 ] && echo t || echo "f ($deliveries_before)")"
check "delivered orders carry their last delivery time" 0 "$(q "$OLD" "
  SELECT count(*) FROM ordermgmt.orders o
   WHERE o.delivered_at IS DISTINCT FROM
         CASE WHEN o.status IN ('delivered', 'completed')
              THEN (SELECT max(s.delivered_at) FROM ordermgmt.shipments s WHERE s.order_id = o.order_id) END")"
check "deliveries per week and customer equal the history" 0 "$(q "$OLD" "
  SELECT count(*) FROM (
    SELECT date_trunc('week', timezone('UTC', delivered_at))::date AS week, customer_id,
           count(*) AS delivered, count(*) FILTER (WHERE delivered_at <= promised_at) AS on_time
      FROM ordermgmt.orders WHERE delivered_at IS NOT NULL AND promised_at IS NOT NULL GROUP BY 1, 2) h
  FULL JOIN ordermgmt.delivery_weeks w USING (week, customer_id)
   WHERE (h.delivered, h.on_time) IS DISTINCT FROM (w.delivered, w.on_time)")"
check "some deliveries were late, some on time" t "$(q "$OLD" "SELECT sum(on_time) > 0 AND sum(on_time) < sum(delivered) FROM ordermgmt.delivery_weeks")"
check "every feedback row names its order's customer" 0 "$(q "$OLD" "
  SELECT count(*) FROM ordermgmt.feedback f JOIN ordermgmt.orders o USING (order_id)
   WHERE f.customer_id IS DISTINCT FROM o.customer_id")"
check "every order out of draft carries its lines' net, drafts none" 0 "$(q "$OLD" "
  SELECT count(*) FROM ordermgmt.orders o
   WHERE o.ordered_net IS DISTINCT FROM
         CASE WHEN o.status <> 'draft'
              THEN (SELECT round(coalesce(sum(l.qty * l.unit_price), 0), 2)
                      FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id) END")"
check "trial balance unchanged by the update" "$trial_before" "$(q "$OLD" "SELECT string_agg(account_code || ' ' || currency || ' ' || debit || ' ' || credit, ', ' ORDER BY account_code, currency) FROM ordermgmt.v_trial_balance")"
q "$OLD" "SELECT ordermgmt.rollup_ledger()" >/dev/null
check "the first roll-up adds every posting" t "$(q "$OLD" "SELECT ordermgmt.rollup_ledger() = (SELECT count(*) FROM ordermgmt.postings)")"
check "trial balance unchanged by the roll-up" "$trial_before" "$(q "$OLD" "SELECT string_agg(account_code || ' ' || currency || ' ' || debit || ' ' || credit, ', ' ORDER BY account_code, currency) FROM ordermgmt.v_trial_balance")"
check "the new version's function works on old data" "0|0" "$(q "$OLD" "SELECT events || '|' || alerts FROM ordermgmt.purge_history()")"

[ "$failures" -eq 0 ] && echo "upgrade: all checks passed" || { echo "upgrade: $failures check(s) failed"; exit 1; }
