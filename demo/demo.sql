-- ordermgmt demo: one business day at a small office-furniture wholesaler,
-- run by scripts/demo.sh on a throwaway cluster.  Every rule shown here is
-- enforced by the extension's C code; this script only plays the people.
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;

\echo
\echo '=== 08:00  The system is set up: one warehouse, five customers, five products'
CREATE EXTENSION IF NOT EXISTS ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main warehouse');
INSERT INTO ordermgmt.customers (code, name, email, credit_limit, blocked) VALUES
  ('ACME',    'Acme Retail',      'orders@acme.example',   20000, false),
  ('GLOBEX',  'Globex Wholesale', 'buying@globex.example', NULL,  false),
  ('INITECH', 'Initech Offices',  'it@initech.example',    800,   false),
  ('HOOLI',   'Hooli',            'ap@hooli.example',      NULL,  true),
  ('UMBRELLA','Umbrella Corp',    'desk@umbrella.example', NULL,  false);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate, reorder_point) VALUES
  ('CHAIR-01', 'Office chair',      149.00,  80.00, 0.20, 10),
  ('DESK-01',  'Standing desk',     499.00, 300.00, 0.20, 2),
  ('LAMP-01',  'Desk lamp',          39.90,  12.00, 0.20, 10),
  ('MAT-01',   'Anti-fatigue mat',   59.00,  20.00, 0.20, 0),
  ('SHELF-01', 'Bookshelf',         129.00,  70.00, 0.20, 0);
SELECT count(*) AS receipts FROM (
  SELECT ordermgmt.receive_stock('CHAIR-01', 'MAIN', 40, 80)
  UNION ALL SELECT ordermgmt.receive_stock('DESK-01', 'MAIN', 6, 300)
  UNION ALL SELECT ordermgmt.receive_stock('LAMP-01', 'MAIN', 100, 12)
  UNION ALL SELECT ordermgmt.receive_stock('MAT-01', 'MAIN', 3, 20)
  UNION ALL SELECT ordermgmt.receive_stock('SHELF-01', 'MAIN', 12, 70)) r;
INSERT INTO ordermgmt.customer_contacts (customer_id, name, role, email, is_primary)
SELECT customer_id, c.name, c.role, c.email, true
  FROM (VALUES ('ACME', 'Ann Buyer', 'purchasing', 'ann@acme.example'),
               ('GLOBEX', 'Gus Grant', 'logistics', 'gus@globex.example'),
               ('UMBRELLA', 'Una Ward', 'office manager', 'una@umbrella.example')) AS c(code, name, role, email)
  JOIN ordermgmt.customers USING (code);
\echo '--- the shop e-mails its customers when an order is confirmed (templates are installed disabled)'
UPDATE ordermgmt.notification_templates SET enabled = true WHERE kind = 'order.confirmed';

\echo '--- the people log in as themselves, each in their department: Sam in sales, Maria approves'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sam_sales') THEN
    CREATE ROLE sam_sales LOGIN IN ROLE ordermgmt_sales;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'maria_manager') THEN
    CREATE ROLE maria_manager LOGIN IN ROLE ordermgmt_approver;
  END IF;
END $$;

\echo
\echo '=== 09:00  Orders arrive; each is checked and reserved (or held) as it is placed'
SELECT ordermgmt.create_order('ACME', '[{"sku": "CHAIR-01", "qty": 12}, {"sku": "LAMP-01", "qty": 12}]',
       jsonb_build_object('external_ref', 'ACME-PO-1001', 'promised_at', now() + interval '2 days')) AS acme \gset
SELECT ordermgmt.create_order('GLOBEX', '[{"sku": "DESK-01", "qty": 4}, {"sku": "MAT-01", "qty": 5}]') AS globex \gset
-- Sam enters a discounted order for Globex himself
SET SESSION AUTHORIZATION sam_sales;
SELECT ordermgmt.create_order('GLOBEX', '[{"sku": "CHAIR-01", "qty": 8, "unit_price": 99}]') AS discount \gset
RESET SESSION AUTHORIZATION;
SELECT ordermgmt.create_order('INITECH', '[{"sku": "DESK-01", "qty": 2}]') AS initech \gset
SELECT ordermgmt.create_order('HOOLI', '[{"sku": "LAMP-01", "qty": 2}]') AS hooli \gset
SELECT ordermgmt.create_order('UMBRELLA', '[{"sku": "SHELF-01", "qty": 4}, {"sku": "CHAIR-01", "qty": 4}]',
       jsonb_build_object('promised_at', now() + interval '1 day')) AS umbrella \gset
\echo '--- a client retries ACME-PO-1001 after a timeout: same order, nothing written twice'
SELECT ordermgmt.create_order('ACME', '[{"sku": "CHAIR-01", "qty": 12}]', '{"external_ref": "ACME-PO-1001"}') = :acme
       AS same_order_returned;
SELECT order_id, customer, status, hold_reason, gross_amount FROM ordermgmt.v_order_status ORDER BY order_id;

\echo
\echo '=== 10:00  People act on the level-1 alerts'
\echo '--- the Globex discount waits for an approver; Sam, who entered it, cannot approve it'
SELECT order_id, status, awaiting_approval FROM ordermgmt.v_order_status WHERE order_id = :discount;
SET SESSION AUTHORIZATION sam_sales;
\set ON_ERROR_STOP 0
SELECT ordermgmt.approve_order(:discount, 'my own discount');
\set ON_ERROR_STOP 1
RESET SESSION AUTHORIZATION;
\echo '--- Maria approves it under her own login (the approver is the session user, with her note)'
SET SESSION AUTHORIZATION maria_manager;
SELECT ordermgmt.approve_order(:discount, 'agreed for the Globex framework contract') AS discount_order_now;
RESET SESSION AUTHORIZATION;
SELECT approved_by, note FROM ordermgmt.order_approvals WHERE order_id = :discount;
\echo '--- mats arrive from the supplier; the Globex order confirms'
SELECT ordermgmt.receive_stock('MAT-01', 'MAIN', 10, 20) > 0 AS received;
SELECT ordermgmt.confirm_order(:globex) AS globex_order_now;
\echo '--- Hooli is blocked for overdue invoices: its order is cancelled'
SELECT ordermgmt.cancel_order(:hooli, 'customer blocked for overdue invoices');
INSERT INTO ordermgmt.customer_interactions (customer_id, order_id, kind, subject, notes)
SELECT customer_id, :hooli, 'call', 'Order cancelled', 'Explained the block; they will pay the overdue invoices first'
  FROM ordermgmt.customers WHERE code = 'HOOLI';
\echo '--- a plain UPDATE obeys the same rules as the API:'
\set ON_ERROR_STOP 0
UPDATE ordermgmt.orders SET status = 'shipped' WHERE order_id = :initech;
\set ON_ERROR_STOP 1

\echo
\echo '=== 11:00  The warehouse picks, packs and ships (partial shipments)'
SELECT ordermgmt.start_processing(:acme);
SELECT ordermgmt.ship_order(:acme, '[{"sku": "CHAIR-01", "qty": 8}, {"sku": "LAMP-01", "qty": 12}]', 'DHL', 'DHL-0001') AS acme_ship_1 \gset
SELECT ordermgmt.ship_order(:acme, NULL, 'DHL', 'DHL-0002') AS acme_ship_2 \gset
SELECT ordermgmt.ship_order(:globex, NULL, 'UPS', 'UPS-7001') AS globex_ship \gset
SELECT ordermgmt.ship_order(:umbrella, NULL, 'FedEx', 'FDX-3003') AS umbrella_ship \gset
SELECT order_id, customer, status FROM ordermgmt.v_order_status WHERE order_id IN (:acme, :globex, :umbrella) ORDER BY order_id;

\echo
\echo '=== 12:00  Invoices go out'
SELECT ordermgmt.invoice_order(:acme, 14) AS acme_invoice \gset
SELECT ordermgmt.invoice_order(:globex, 30) AS globex_invoice \gset
SELECT ordermgmt.invoice_order(:umbrella, 0) AS umbrella_invoice \gset
SELECT invoice_id, order_id, net, tax, total, due_at::date AS due FROM ordermgmt.invoices ORDER BY invoice_id;

\echo
\echo '=== Two days later: deliveries, one of them late; monitoring catches up'
SELECT ordermgmt.confirm_delivery(:acme_ship_1, now() + interval '1 day');
SELECT ordermgmt.confirm_delivery(:acme_ship_2, now() + interval '1 day');
SELECT ordermgmt.confirm_delivery(:globex_ship, now() + interval '2 days');
SELECT ordermgmt.monitor_tick(now() + interval '2 days') AS alerts_raised_by_the_clock;

\echo
\echo '=== After-sales: Umbrella got its order late and unhappy'
SELECT ordermgmt.confirm_delivery(:umbrella_ship, now() + interval '2 days 4 hours');
SELECT ordermgmt.record_feedback(:umbrella, 2, 'Late, and one shelf was scratched') > 0 AS feedback_recorded;
SELECT ordermgmt.open_ticket(:umbrella, 'Scratched bookshelf', 'high') AS ticket \gset
SELECT ordermgmt.return_items(:umbrella, '[{"sku": "SHELF-01", "qty": 1}]', 'scratched in transit') > 0 AS returned;
SELECT ordermgmt.resolve_ticket(:ticket, 'Credit note issued, replacement offered');
INSERT INTO ordermgmt.customer_interactions (customer_id, order_id, kind, subject)
SELECT customer_id, :umbrella, 'email', 'Apology and credit note for the scratched shelf'
  FROM ordermgmt.customers WHERE code = 'UMBRELLA';
SELECT customer, ratings, average_rating, negative FROM ordermgmt.v_feedback_summary;

\echo
\echo '=== Payments come in; fully paid delivered orders complete themselves'
SELECT ordermgmt.record_payment(:acme_invoice, 1000.00, 'bank', 'ACME-TRF-1') > 0 AS partial_payment;
SELECT ordermgmt.record_payment(:acme_invoice, 1000.00, 'bank', 'ACME-TRF-1') > 0 AS retried_payment_is_not_doubled;
SELECT ordermgmt.record_payment(:globex_invoice, due, 'card') > 0 AS paid_in_full
  FROM ordermgmt.invoices WHERE invoice_id = :globex_invoice;
SELECT invoice_id, total, paid, credited, due FROM ordermgmt.invoices ORDER BY invoice_id;

\echo
\echo '=== 15:00  Initech takes what there is of bookshelves; the rest waits for a purchase order'
UPDATE ordermgmt.customers SET credit_limit = 10000 WHERE code = 'INITECH';
SELECT ordermgmt.create_order('INITECH', '[{"sku": "SHELF-01", "qty": 15}]', '{"allocation": "partial"}') AS initech_shelves \gset
SELECT o.status, trim_scale(l.qty) AS ordered, trim_scale(l.reserved_qty) AS held, trim_scale(l.backordered_qty) AS waiting
  FROM ordermgmt.orders o JOIN ordermgmt.order_lines l USING (order_id) WHERE o.order_id = :initech_shelves;
\echo '--- what to buy, and the purchase order placed with the usual supplier'
INSERT INTO ordermgmt.suppliers (code, name, email, lead_time_days) VALUES ('NORDIC', 'Nordic Furniture', 'sales@nordic.example', 5);
SELECT sku, warehouse, trim_scale(available_to_promise) AS atp, trim_scale(suggested_qty) AS suggested_qty
  FROM ordermgmt.v_replenishment ORDER BY sku;
SELECT ordermgmt.create_purchase_order('NORDIC', 'MAIN', '[{"sku": "SHELF-01", "qty": 10, "unit_cost": 68}]',
                                       '{"reference": "NORDIC-PO-1"}') AS po \gset
SELECT order_id = :initech_shelves AS initech, sku, trim_scale(backordered) AS waiting,
       expected_fill_at::date - current_date AS expected_in_days
  FROM ordermgmt.v_backorders;
\echo '--- the goods arrive: the waiting line is filled first, the rest is free stock'
SELECT ordermgmt.receive_purchase(:po) > 0 AS received;
SELECT trim_scale(l.reserved_qty) AS held, trim_scale(l.backordered_qty) AS waiting
  FROM ordermgmt.order_lines l WHERE l.order_id = :initech_shelves;
SELECT kind, payload FROM ordermgmt.events WHERE kind LIKE 'order.backorder%' ORDER BY event_id;
\echo '--- a second warehouse opens; chairs move there from the main one'
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('EAST', 'East depot');
INSERT INTO ordermgmt.settings VALUES ('default_warehouse', 'MAIN');  -- orders naming none still ship from MAIN
SELECT ordermgmt.transfer_stock('CHAIR-01', 'MAIN', 'EAST', 5, 'open the east depot') > 0 AS transferred;
SELECT sku, warehouse, on_hand, reserved, available, total_on_hand, total_available
  FROM ordermgmt.v_stock_availability WHERE sku = 'CHAIR-01' ORDER BY warehouse;

\echo
\echo '=== Acme''s buyer logs in: its own orders with tracking, nobody else''s'
-- A customer login: a member of ordermgmt_customer mapped to its customer.
-- Row-level security shows it its own rows only.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'acme_buyer') THEN
    CREATE ROLE acme_buyer LOGIN IN ROLE ordermgmt_customer;
  END IF;
END $$;
INSERT INTO ordermgmt.customer_logins (role_name, customer_id)
SELECT 'acme_buyer', customer_id FROM ordermgmt.customers WHERE code = 'ACME';
SET ROLE acme_buyer;
SELECT order_id, status, expected_delivery::date, carrier, tracking, total, due FROM ordermgmt.v_my_orders;
SELECT count(*) AS orders_acme_buyer_sees, (SELECT count(*) FROM ordermgmt.shipments) AS shipments_it_sees
  FROM ordermgmt.orders;
-- It reorders chairs; its order waits for the office to confirm it.
SELECT ordermgmt.create_order('ACME', '[{"sku": "CHAIR-01", "qty": 4}]') AS acme_reorder \gset
SELECT order_id, status, total FROM ordermgmt.v_my_orders WHERE order_id = :acme_reorder;
RESET ROLE;

\echo
\echo '=== End of day: the reports'
\echo '--- pipeline'
SELECT status, orders, net_amount FROM ordermgmt.v_pipeline;
\echo '--- stock'
SELECT sku, on_hand, reserved, available, reorder_point FROM ordermgmt.v_stock_availability ORDER BY sku;
\echo '--- monitoring dashboard (open alerts)'
SELECT level, rule_code, severity, open, acknowledged FROM ordermgmt.v_monitor_dashboard;
\echo '--- on-time delivery by customer'
SELECT customer, delivered, on_time, on_time_rate FROM ordermgmt.v_on_time_delivery WHERE week IS NULL;
\echo '--- receivables by age'
SELECT * FROM ordermgmt.v_ar_aging;
\echo '--- trial balance (sums to zero)'
SELECT account_code, account_name, debit, credit, balance FROM ordermgmt.v_trial_balance;
SELECT sum(balance) AS trial_balance_total FROM ordermgmt.v_trial_balance;
\echo '--- customers'
SELECT customer, orders, open_orders, lifetime_value, balance_due, average_rating, segment,
       primary_contact, last_interaction_at IS NOT NULL AS contacted
  FROM ordermgmt.v_customer_history;
\echo '--- interaction log'
SELECT customer, kind, subject, contact FROM ordermgmt.v_customer_interactions;
\echo '--- confirmation notices, written with the orders (ordermgmt-notify sends them)'
SELECT c.code AS customer, n.recipient, n.subject, n.status
  FROM ordermgmt.notifications n JOIN ordermgmt.customers c USING (customer_id) ORDER BY n.notification_id;
\echo '--- the last events, as a listener catching up after a reconnect sees them'
SELECT event_id, kind, order_id FROM ordermgmt.events_since((SELECT max(event_id) - 12 FROM ordermgmt.events), 12);
