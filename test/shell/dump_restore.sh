#!/usr/bin/env bash
# pg_dump / pg_restore round trip: a database full of orders, ledger,
# alerts and changed configuration is dumped and restored into a fresh
# database; every table must come back row for row, sequences must go on
# where they were, and every check of ordermgmt.verify() must hold in the
# copy.
#
# Uses the running cluster of scripts/test.sh (libpq variables).
set -euo pipefail

SRC=ordermgmt_dump_src
DST=ordermgmt_dump_dst
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
cleanup() {
  rm -rf "$work"
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $SRC WITH (FORCE)" -c "DROP DATABASE IF EXISTS $DST WITH (FORCE)" >/dev/null 2>&1 || true
  # the logins demo/demo.sql creates (roles are cluster-wide)
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS acme_buyer, sam_sales, maria_manager" >/dev/null 2>&1 || true
}
trap cleanup EXIT

failures=0
check() {  # NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "PASS: $1"; else echo "FAIL: $1: expected '$2', got '$3'"; failures=$((failures + 1)); fi
}
q() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$1" -c "$2"; }

psql -X -q -d postgres -c "SET client_min_messages = warning" \
     -c "DROP DATABASE IF EXISTS $SRC WITH (FORCE)" -c "DROP DATABASE IF EXISTS $DST WITH (FORCE)" \
     -c "CREATE DATABASE $SRC" -c "CREATE DATABASE $DST"

# A business day, then a full cycle on one order, and changed configuration.
psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -f "$here/demo/demo.sql" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" >/dev/null <<'SQL'
UPDATE ordermgmt.notification_templates SET enabled = true, subject = 'Your order {{order_id}}'
 WHERE kind IN ('order.confirmed', 'shipment.created');
SELECT ordermgmt.create_order('ACME', '[{"sku": "LAMP-01", "qty": 5}]') AS o \gset
SELECT ordermgmt.ship_order(:o, '[{"sku": "LAMP-01", "qty": 2}]');
SELECT ordermgmt.invoice_order(:o) AS i \gset
SELECT ordermgmt.record_payment(:i, 10, 'bank', 'REF-1');
SELECT ordermgmt.return_items(:o, '[{"sku": "LAMP-01", "qty": 1}]', 'broken');
SELECT ordermgmt.open_ticket(:o, 'Broken lamp', 'high');
SELECT ordermgmt.post_entry('opening cash', '[{"account": "1000", "debit": 1000}, {"account": "2000", "credit": 1000}]');
SELECT ordermgmt.monitor_tick(now() + interval '10 days');
SELECT ordermgmt.rollup_ledger();   -- arms
SELECT ordermgmt.rollup_ledger();   -- rolls the postings so far into ledger_totals
SELECT ordermgmt.post_entry('after the roll-up', '[{"account": "1000", "debit": 5}, {"account": "2000", "credit": 5}]');
-- January 2020 entered by hand, then closed: the copy loads the closed
-- period's entry as it was saved and keeps the books closed
WITH e AS (INSERT INTO ordermgmt.journal_entries (posted_at, memo, source_type, posted_by)
           VALUES ('2020-01-15 12:00+00', 'January, before the close', 'manual', 'test') RETURNING entry_id)
INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit)
SELECT e.entry_id, a.account_id, 'EUR', CASE a.code WHEN '1000' THEN 7 ELSE 0 END,
       CASE a.code WHEN '2000' THEN 7 ELSE 0 END
  FROM e, ordermgmt.accounts a WHERE a.code IN ('1000', '2000');
SELECT ordermgmt.close_period('2020-01-31');
INSERT INTO ordermgmt.customer_contacts (customer_id, name, email, is_primary)
SELECT customer_id, 'Al Accounts', 'al@acme.example', false FROM ordermgmt.customers WHERE code = 'ACME';
INSERT INTO ordermgmt.customer_interactions (customer_id, kind, subject)
SELECT customer_id, 'call', 'Asked about lamp delivery' FROM ordermgmt.customers WHERE code = 'ACME';
INSERT INTO ordermgmt.opportunities (customer_id, title, expected_value, stage)
SELECT customer_id, t.title, t.value, 'qualified' FROM ordermgmt.customers, (VALUES ('Lobby lamps', 800), ('Desks', 5000)) AS t(title, value)
 WHERE code = 'ACME';
SELECT ordermgmt.quote_opportunity(min(opportunity_id), '[{"sku": "LAMP-01", "qty": 8}]') FROM ordermgmt.opportunities;
UPDATE ordermgmt.opportunities SET stage = 'lost' WHERE title = 'Desks';
UPDATE ordermgmt.opportunity_stages SET probability = 0.5 WHERE stage = 'proposal';
INSERT INTO ordermgmt.price_lists (code, currency) VALUES ('GLOBEX-2026', 'EUR');
INSERT INTO ordermgmt.price_list_items (price_list_id, product_id, min_qty, unit_price, valid_from, valid_to)
SELECT l.price_list_id, p.product_id, b.min_qty, b.price, b.valid_from, NULL
  FROM ordermgmt.price_lists l, ordermgmt.products p,
       (VALUES (1, 36, NULL::timestamptz), (10, 33.5, now() - interval '1 day')) AS b(min_qty, price, valid_from)
 WHERE l.code = 'GLOBEX-2026' AND p.sku = 'LAMP-01';
UPDATE ordermgmt.customers SET price_list_id = (SELECT price_list_id FROM ordermgmt.price_lists) WHERE code = 'GLOBEX';
SELECT ordermgmt.create_order('GLOBEX', '[{"sku": "LAMP-01", "qty": 10}]');
UPDATE ordermgmt.monitor_rules SET thresholds = '{"stall_time": "9 days"}', severity = 'critical' WHERE rule_code = 'L2_STALLED';
UPDATE ordermgmt.monitor_rules SET enabled = false WHERE rule_code = 'L1_PRICE_DEVIATION';
INSERT INTO ordermgmt.accounts (code, name, type) VALUES ('6000', 'Freight', 'expense');
UPDATE ordermgmt.posting_accounts SET account_id = (SELECT account_id FROM ordermgmt.accounts WHERE code = '6000')
 WHERE event = 'shipment' AND role = 'cogs';
INSERT INTO ordermgmt.settings VALUES ('auto_confirm', 'false');
UPDATE ordermgmt.order_transitions SET enabled = false WHERE from_status = 'confirmed' AND to_status = 'on_hold';
-- purchasing: an order received in part and late, one cancelled, a
-- disabled purchase transition
INSERT INTO ordermgmt.suppliers (code, name, lead_time_days) VALUES ('LIGHTCO', 'Light Co', 5);
SELECT ordermgmt.create_purchase_order('LIGHTCO', 'MAIN', '[{"sku": "LAMP-01", "qty": 20, "unit_cost": 11}]',
                                       '{"reference": "PO-1", "expected_at": "2020-02-01"}') AS po \gset
SELECT ordermgmt.receive_purchase(:po, '[{"sku": "LAMP-01", "qty": 5}]');
SELECT ordermgmt.cancel_purchase_order(ordermgmt.create_purchase_order('LIGHTCO', 'MAIN', '[{"sku": "LAMP-01", "qty": 1}]'),
                                       'ordered twice');
SELECT ordermgmt.monitor_tick();
UPDATE ordermgmt.purchase_transitions SET enabled = false WHERE from_status = 'draft' AND to_status = 'cancelled';
SQL

check "the source has rolled-up ledger totals and a tail" t \
  "$(q "$SRC" "SELECT (SELECT count(*) FROM ordermgmt.ledger_totals) > 0
                  AND (SELECT upto_posting_id FROM ordermgmt.ledger_rollup) < (SELECT max(posting_id) FROM ordermgmt.postings)")"
check "the source has notifications" t \
  "$(q "$SRC" "SELECT count(DISTINCT kind) = 2 FROM ordermgmt.notifications WHERE subject LIKE 'Your order %'")"
check "the source has counted deliveries" t "$(q "$SRC" "SELECT count(*) > 0 FROM ordermgmt.delivery_weeks")"
check "the source has a late purchase order received in part" "partially_received open" \
  "$(q "$SRC" "SELECT po.status || ' ' || a.status FROM ordermgmt.purchase_orders po
               JOIN ordermgmt.alerts a ON a.subject_type = 'purchase_order' AND a.subject_id = po.po_id
              WHERE po.reference = 'PO-1'")"
check "the source has a line priced from a price list" 33.5000 \
  "$(q "$SRC" "SELECT l.expected_price FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
               JOIN ordermgmt.customers c USING (customer_id) WHERE c.code = 'GLOBEX' ORDER BY order_id DESC LIMIT 1")"

pg_dump -Fc -d "$SRC" -f "$work/db.dump" 2>"$work/dump.err" || { cat "$work/dump.err"; exit 1; }
pg_restore -d "$DST" "$work/db.dump" 2>"$work/restore.err"
check "pg_restore reports no error" "" "$(cat "$work/restore.err")"

# Every table of the extension, row for row.
tables=$(q "$SRC" "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'r' ORDER BY 1")
for t in $tables; do
  sum="SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM ordermgmt.$t x"
  check "table $t restored row for row" "$(q "$SRC" "$sum")" "$(q "$DST" "$sum")"
done
# Sequences go on where they were.
seqs=$(q "$SRC" "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'S' ORDER BY 1")
for s in $seqs; do
  check "sequence $s restored" "$(q "$SRC" "SELECT last_value FROM ordermgmt.$s")" "$(q "$DST" "SELECT last_value FROM ordermgmt.$s")"
done

# The copy works and every check of verify() holds in it, as in the source.
invariants="SELECT coalesce(string_agg(check_name || ': ' || detail, '; '), 'all hold') FROM ordermgmt.verify() WHERE NOT ok"
check "verify() in the source" "all hold" "$(q "$SRC" "$invariants")"
check "verify() in the copy" "all hold" "$(q "$DST" "$invariants")"
check "new order in the copy gets the next id" \
  "$(( $(q "$SRC" "SELECT last_value FROM ordermgmt.orders_order_id_seq") + 1 ))" \
  "$(q "$DST" "SELECT ordermgmt.create_order('GLOBEX', '[{\"sku\": \"LAMP-01\", \"qty\": 1}]')")"
check "the restored price list prices a line (the first break)" "36.0000" \
  "$(q "$DST" "SELECT unit_price FROM ordermgmt.order_lines WHERE order_id = (SELECT max(order_id) FROM ordermgmt.orders)")"
late_entry="CREATE FUNCTION pg_temp.late() RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
  INSERT INTO ordermgmt.journal_entries (posted_at, memo, source_type, posted_by)
  VALUES ('2020-01-20 12:00+00', 'late', 'manual', 'test');
  RETURN 'inserted';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE;
END \$\$; SELECT pg_temp.late()"
check "the books stay closed in the copy (OM008)" OM008 "$(q "$DST" "$late_entry")"
check "restored settings apply (auto_confirm off)" "pending" \
  "$(q "$DST" "SELECT status FROM ordermgmt.orders ORDER BY order_id DESC LIMIT 1")"
check "the new order confirmed in the copy" "confirmed" \
  "$(q "$DST" "SELECT ordermgmt.confirm_order(max(order_id)) FROM ordermgmt.orders")"
q "$DST" "SELECT ordermgmt.receive_purchase(po_id) FROM ordermgmt.purchase_orders WHERE reference = 'PO-1'" >/dev/null
check "the restored purchase order receives the rest; its alert resolves" "received resolved" \
  "$(q "$DST" "SELECT po.status || ' ' || a.status FROM ordermgmt.purchase_orders po
                 JOIN ordermgmt.alerts a ON a.subject_type = 'purchase_order' AND a.subject_id = po.po_id
                WHERE po.reference = 'PO-1'")"
check "the restored purchase transitions apply (a draft cannot be cancelled)" OM001 \
  "$(q "$DST" "CREATE FUNCTION pg_temp.c() RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
  PERFORM ordermgmt.cancel_purchase_order(ordermgmt.create_purchase_order('LIGHTCO', 'MAIN',
            '[{\"sku\": \"LAMP-01\", \"qty\": 1}]', '{\"submit\": false}'), 'x');
  RETURN 'cancelled';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE;
END \$\$; SELECT pg_temp.c()")"
check "restored templates apply (a confirmation notice)" "Your order $(q "$DST" "SELECT max(order_id) FROM ordermgmt.orders")" \
  "$(q "$DST" "SELECT subject FROM ordermgmt.notifications ORDER BY notification_id DESC LIMIT 1")"

[ "$failures" -eq 0 ] && echo "dump/restore: all checks passed" || { echo "dump/restore: $failures check(s) failed"; exit 1; }
