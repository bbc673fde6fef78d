-- ordermgmt demo: a small business day, run by scripts/demo.sh on a
-- throwaway cluster.  Every rule below is enforced by the extension's C code.
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;

\echo '== Installing the extension'
CREATE EXTENSION ordermgmt;
SELECT extversion AS ordermgmt_version FROM pg_extension WHERE extname = 'ordermgmt';

\echo '== Master data: one warehouse, four customers, four products'
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main warehouse');
INSERT INTO ordermgmt.customers (code, name, email, credit_limit, blocked) VALUES
  ('ACME',   'Acme Retail',      'orders@acme.example',   5000, false),
  ('GLOBEX', 'Globex Wholesale', 'buying@globex.example', NULL, false),
  ('INITECH','Initech Offices',  'it@initech.example',     300, false),
  ('HOOLI',  'Hooli (overdue)',  'ap@hooli.example',      NULL, true);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate, reorder_point) VALUES
  ('CHAIR-01', 'Office chair',      149.00,  80.00, 0.20, 5),
  ('DESK-01',  'Standing desk',     499.00, 300.00, 0.20, 2),
  ('LAMP-01',  'Desk lamp',          39.90,  12.00, 0.20, 10),
  ('MAT-01',   'Anti-fatigue mat',   59.00,  20.00, 0.20, 0);
SELECT ordermgmt.receive_stock('CHAIR-01', 'MAIN', 40, 80)  AS move_chairs,
       ordermgmt.receive_stock('DESK-01',  'MAIN', 6, 300)  AS move_desks,
       ordermgmt.receive_stock('LAMP-01',  'MAIN', 100, 12) AS move_lamps,
       ordermgmt.receive_stock('MAT-01',   'MAIN', 3, 20)   AS move_mats;

LISTEN ordermgmt_alerts;

\echo '== Orders arrive (auto-confirm runs the level-1 checks at once)'
SELECT ordermgmt.create_order('ACME', '[{"sku": "CHAIR-01", "qty": 10}, {"sku": "LAMP-01", "qty": 10}]',
                              '{"external_ref": "ACME-PO-1001", "promised_at": "2026-12-01"}') AS acme_order \gset
SELECT ordermgmt.create_order('GLOBEX', '[{"sku": "DESK-01", "qty": 4}, {"sku": "MAT-01", "qty": 5}]') AS globex_order \gset
SELECT ordermgmt.create_order('GLOBEX', '[{"sku": "CHAIR-01", "qty": 5, "unit_price": 99}]') AS discount_order \gset
SELECT ordermgmt.create_order('INITECH', '[{"sku": "DESK-01", "qty": 1}]') AS initech_order \gset
SELECT ordermgmt.create_order('HOOLI', '[{"sku": "LAMP-01", "qty": 2}]') AS hooli_order \gset
\echo '-- a client retry with the same external_ref returns the same order, writes nothing:'
SELECT ordermgmt.create_order('ACME', '[{"sku": "CHAIR-01", "qty": 10}]', '{"external_ref": "ACME-PO-1001"}') = :acme_order AS same_order_returned;

SELECT order_id, customer, status, hold_reason, gross_amount, open_alerts
  FROM ordermgmt.v_order_status ORDER BY order_id;

\echo '== Level-1 alerts raised (NOTIFY ordermgmt_alerts shown above by psql)'
SELECT alert_id, rule_code, severity, order_id, details FROM ordermgmt.alerts ORDER BY alert_id;

\echo '== People act: a manager approves the discount, stock arrives, the shortage clears'
SELECT ordermgmt.approve_order(:discount_order, 'sales.manager') AS discount_order_now;
SELECT ordermgmt.receive_stock('MAT-01', 'MAIN', 10, 20) AS move_more_mats;
SELECT ordermgmt.confirm_order(:globex_order) AS globex_order_now;
SELECT ordermgmt.cancel_order(:hooli_order, 'customer blocked for overdue invoices');

\echo '== Warehouse starts on the first order; a plain UPDATE obeys the same rules'
SELECT ordermgmt.start_processing(:acme_order);
\set ON_ERROR_STOP 0
UPDATE ordermgmt.orders SET status = 'shipped' WHERE order_id = :initech_order;
\set ON_ERROR_STOP 1

\echo '== Pipeline'
SELECT * FROM ordermgmt.v_pipeline;
\echo '== Stock'
SELECT sku, on_hand, reserved, available FROM ordermgmt.v_stock_availability ORDER BY sku;
\echo '== Monitoring dashboard (open alerts)'
SELECT level, rule_code, severity, open, acknowledged FROM ordermgmt.v_monitor_dashboard;
\echo '== Status history of the Globex order'
SELECT from_status, to_status, changed_by, reason
  FROM ordermgmt.order_status_history WHERE order_id = :globex_order ORDER BY history_id;
\echo '== Event outbox, as a listener catching up after a reconnect sees it'
SELECT event_id, kind, order_id, payload FROM ordermgmt.events_since(0, 50);
