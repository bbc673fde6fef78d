-- Customers' own access: a login that is a member of ordermgmt_customer and
-- that customer_logins maps to its customer reads its own customer's rows
-- only, through the tables and v_my_orders, and may place, submit, rate and
-- open tickets on its own orders, nothing else.  Two real customer logins
-- probe every relation and function they can reach, with SET ROLE and SET
-- SESSION AUTHORIZATION; staff reads are unchanged.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
CREATE FUNCTION pg_temp.rows_of(rel text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN EXECUTE 'SELECT count(*) FROM ' || rel INTO n; RETURN n;
EXCEPTION WHEN insufficient_privilege THEN RETURN NULL; END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text), pg_temp.rows_of(text) TO PUBLIC;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name) VALUES ('ACME', 'Acme'), ('BETA', 'Beta'), ('GAMMA', 'Gamma');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate)
VALUES ('A', 'Widget', 10, 4, 0.2), ('B', 'Gadget', 25, 9, 0);
SELECT ordermgmt.receive_stock('A', 'MAIN', 1000) > 0 AS received,
       ordermgmt.receive_stock('B', 'MAIN', 1000) > 0 AS received;

-- Each customer: a delivered, invoiced, part-paid order with feedback and a
-- ticket, and a second one still confirmed.
CREATE TEMP TABLE docs (customer text, order_id bigint, shipment_id bigint, invoice_id bigint);
GRANT SELECT ON docs TO PUBLIC;
WITH o AS (SELECT c.code, ordermgmt.create_order(c.code, '[{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}]') AS id
             FROM ordermgmt.customers c ORDER BY c.code)
INSERT INTO docs (customer, order_id) SELECT code, id FROM o;
UPDATE docs SET shipment_id = ordermgmt.ship_order(order_id, NULL, 'DHL', 'TRK-' || customer);
SELECT ordermgmt.confirm_delivery(shipment_id, now()) FROM docs;
UPDATE docs SET invoice_id = ordermgmt.invoice_order(order_id);
SELECT ordermgmt.record_payment(invoice_id, 20, 'bank', 'pay-' || customer) > 0 AS paid FROM docs;
SELECT ordermgmt.record_feedback(order_id, 4, 'fine') > 0 AS rated FROM docs;
SELECT ordermgmt.open_ticket(order_id, 'scratch on ' || customer) > 0 AS ticket FROM docs;
SELECT count(*) AS second_orders
  FROM ordermgmt.customers c, LATERAL ordermgmt.create_order(c.code, '[{"sku": "B", "qty": 3}]') AS o;

DROP ROLE IF EXISTS regress_cust_a;
DROP ROLE IF EXISTS regress_cust_b;
DROP ROLE IF EXISTS regress_cust_unmapped;
DROP ROLE IF EXISTS regress_staff;
DROP ROLE IF EXISTS regress_om_admin;
CREATE ROLE regress_cust_a LOGIN IN ROLE ordermgmt_customer;
CREATE ROLE regress_cust_b LOGIN IN ROLE ordermgmt_customer;
CREATE ROLE regress_cust_unmapped LOGIN IN ROLE ordermgmt_customer;
CREATE ROLE regress_staff LOGIN IN ROLE ordermgmt_app;
CREATE ROLE regress_om_admin LOGIN IN ROLE ordermgmt_admin;

-- Mappings: written by admins; an unknown login or customer is refused and
-- nothing is written.
SET ROLE regress_om_admin;
INSERT INTO ordermgmt.customer_logins (role_name, customer_id)
SELECT 'regress_cust_a', customer_id FROM ordermgmt.customers WHERE code = 'ACME';
INSERT INTO ordermgmt.customer_logins (role_name, customer_id)
SELECT 'regress_cust_b', customer_id FROM ordermgmt.customers WHERE code = 'BETA';
SELECT pg_temp.try($$INSERT INTO ordermgmt.customer_logins VALUES ('regress_nobody', 1)$$) AS unknown_login;
SELECT pg_temp.try($$INSERT INTO ordermgmt.customer_logins VALUES ('regress_cust_a', 999)$$) AS unknown_customer;
SELECT pg_temp.try($$INSERT INTO ordermgmt.customer_logins VALUES (4000000000::oid::regrole, 1)$$) AS unknown_role_oid;
SELECT pg_temp.try($$UPDATE ordermgmt.customer_logins SET customer_id = 999$$) AS update_to_unknown;
SELECT pg_temp.try($$INSERT INTO ordermgmt.customer_logins VALUES (NULL, 1)$$) AS null_login;
RESET ROLE;
SELECT role_name, c.code FROM ordermgmt.customer_logins JOIN ordermgmt.customers c USING (customer_id) ORDER BY 1;
-- a customer or the app may not change them
SET ROLE regress_cust_a;
SELECT pg_temp.try($$INSERT INTO ordermgmt.customer_logins SELECT 'regress_cust_a', customer_id FROM ordermgmt.customers$$) AS customer_maps_itself;
SELECT role_name FROM ordermgmt.customer_logins;
RESET ROLE;
SET ROLE regress_staff;
SELECT pg_temp.try($$DELETE FROM ordermgmt.customer_logins$$) AS app_deletes_mapping;
RESET ROLE;

-- Every relation and function a customer login can reach, and nothing more.
SELECT c.relname,
       has_table_privilege('regress_cust_a', c.oid, 'SELECT') AS whole_rows,
       (SELECT string_agg(a.attname, ', ' ORDER BY a.attnum) FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           AND NOT has_table_privilege('regress_cust_a', c.oid, 'SELECT')
           AND has_column_privilege('regress_cust_a', c.oid, a.attnum, 'SELECT')) AS columns,
       c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
       c.relkind = 'v' AND 'security_invoker=true' = ANY (c.reloptions) AS invoker_view
  FROM pg_class c
 WHERE c.relnamespace = 'ordermgmt'::regnamespace
   AND has_any_column_privilege('regress_cust_a', c.oid, 'SELECT')
 ORDER BY 1;
SELECT count(*) AS writable_relations FROM pg_class c
 WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind IN ('r', 'v', 'S')
   AND (has_table_privilege('regress_cust_a', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
        OR has_any_column_privilege('regress_cust_a', c.oid, 'INSERT, UPDATE'));
SELECT p.oid::regprocedure AS callable
  FROM pg_proc p WHERE p.pronamespace = 'ordermgmt'::regnamespace
   AND has_function_privilege('regress_cust_a', p.oid, 'EXECUTE') ORDER BY p.oid::regprocedure::text;
-- the tables a customer reads are the ones with row-level security
SELECT c.relname AS rls_without_customer_grant FROM pg_class c
 WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relrowsecurity
   AND NOT has_any_column_privilege('ordermgmt_customer', c.oid, 'SELECT');

-- Row counts per relation: each customer's own (computed here as the
-- superuser), against what each role reads.
CREATE TEMP TABLE own_rows (rel text, customer text, n bigint);
GRANT SELECT ON own_rows TO PUBLIC;
INSERT INTO own_rows
SELECT r.rel, c.code,
       CASE r.rel
         WHEN 'orders' THEN (SELECT count(*) FROM ordermgmt.orders o WHERE o.customer_id = c.customer_id)
         WHEN 'order_lines' THEN (SELECT count(*) FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
                                   WHERE o.customer_id = c.customer_id)
         WHEN 'shipments' THEN (SELECT count(*) FROM ordermgmt.shipments s JOIN ordermgmt.orders o USING (order_id)
                                 WHERE o.customer_id = c.customer_id)
         WHEN 'shipment_lines' THEN (SELECT count(*) FROM ordermgmt.shipment_lines s JOIN ordermgmt.orders o USING (order_id)
                                      WHERE o.customer_id = c.customer_id)
         WHEN 'invoices' THEN (SELECT count(*) FROM ordermgmt.invoices i WHERE i.customer_id = c.customer_id)
         WHEN 'invoice_lines' THEN (SELECT count(*) FROM ordermgmt.invoice_lines l JOIN ordermgmt.invoices i USING (invoice_id)
                                     WHERE i.customer_id = c.customer_id)
         WHEN 'payments' THEN (SELECT count(*) FROM ordermgmt.payments p JOIN ordermgmt.invoices i USING (invoice_id)
                                WHERE i.customer_id = c.customer_id)
         WHEN 'feedback' THEN (SELECT count(*) FROM ordermgmt.feedback f WHERE f.customer_id = c.customer_id)
         WHEN 'tickets' THEN (SELECT count(*) FROM ordermgmt.tickets t JOIN ordermgmt.orders o USING (order_id)
                               WHERE o.customer_id = c.customer_id)
         WHEN 'v_my_orders' THEN (SELECT count(*) FROM ordermgmt.orders o WHERE o.customer_id = c.customer_id)
         WHEN 'customer_logins' THEN (SELECT count(*) FROM ordermgmt.customer_logins l WHERE l.customer_id = c.customer_id)
       END
  FROM (VALUES ('orders'), ('order_lines'), ('shipments'), ('shipment_lines'), ('invoices'), ('invoice_lines'),
               ('payments'), ('feedback'), ('tickets'), ('v_my_orders'), ('customer_logins')) AS r(rel),
       ordermgmt.customers c;
CREATE FUNCTION pg_temp.reads(who text) RETURNS TABLE (rel text, reads bigint, own bigint, all_rows bigint)
LANGUAGE sql AS $$
  SELECT r.rel,
         pg_temp.rows_of(CASE WHEN r.rel = 'shipment_lines'
                              THEN '(SELECT shipment_id, order_id, line_no, qty FROM ordermgmt.shipment_lines) s'
                              ELSE 'ordermgmt.' || r.rel END),
         (SELECT n FROM own_rows o WHERE o.rel = r.rel AND o.customer = who),
         (SELECT sum(n) FROM own_rows o WHERE o.rel = r.rel)::bigint
    FROM (SELECT DISTINCT rel FROM own_rows) r ORDER BY 1
$$;
GRANT EXECUTE ON FUNCTION pg_temp.reads(text) TO PUBLIC;

SET ROLE regress_cust_a;
SELECT rel, reads, reads = own AS own_rows_only FROM pg_temp.reads('ACME');
RESET ROLE;
SET ROLE regress_cust_b;
SELECT rel, reads, reads = own AS own_rows_only FROM pg_temp.reads('BETA');
RESET ROLE;
-- a member of ordermgmt_customer without a mapping reads nothing
SET ROLE regress_cust_unmapped;
SELECT rel, reads FROM pg_temp.reads('GAMMA');
RESET ROLE;
-- the same through a session authorization (current_user is the login)
SELECT customer_id AS beta_id FROM ordermgmt.customers WHERE code = 'BETA' \gset
SET SESSION AUTHORIZATION regress_cust_b;
SELECT current_user, count(*) AS orders, count(*) FILTER (WHERE customer_id <> :beta_id) AS foreign_orders
  FROM ordermgmt.orders;
SELECT count(*) AS lines, count(*) FILTER (WHERE order_id NOT IN (SELECT order_id FROM ordermgmt.orders)) AS foreign_lines
  FROM ordermgmt.order_lines;
RESET SESSION AUTHORIZATION;
-- staff read every row as before (customer_logins: the app reads it, v_my_orders is the customers')
SET ROLE regress_staff;
SELECT rel, reads, reads = all_rows AS every_row FROM pg_temp.reads('ACME');
SELECT count(*) AS v_order_status_rows FROM ordermgmt.v_order_status;
RESET ROLE;

-- Another customer's rows are invisible whatever the query names.
SET ROLE regress_cust_a;
SELECT count(*) AS beta_orders FROM ordermgmt.orders WHERE order_id = (SELECT order_id FROM docs WHERE customer = 'BETA');
SELECT count(*) AS beta_shipments FROM ordermgmt.shipments WHERE tracking = 'TRK-BETA';
SELECT count(*) AS beta_payments FROM ordermgmt.payments WHERE reference = 'pay-BETA';
SELECT count(*) AS beta_tickets FROM ordermgmt.tickets WHERE subject LIKE '%BETA';
-- what the customer reads of its own
SELECT status, carrier, tracking, expected_delivery IS NOT NULL AS has_expected, total, due
  FROM ordermgmt.v_my_orders ORDER BY order_id;
SELECT t.subject, f.rating FROM ordermgmt.tickets t JOIN ordermgmt.feedback f USING (order_id);
SELECT sku, name, list_price FROM ordermgmt.products ORDER BY sku;
-- and what it may not: the cost columns, the other views and tables
SELECT pg_temp.try('SELECT unit_cost FROM ordermgmt.products') AS product_cost;
SELECT pg_temp.try('SELECT unit_cost FROM ordermgmt.shipment_lines') AS shipment_cost;
SELECT pg_temp.try('SELECT count(*) FROM ordermgmt.v_order_status') AS v_order_status;
SELECT pg_temp.try('SELECT count(*) FROM ordermgmt.v_tickets') AS v_tickets;
SELECT pg_temp.try('SELECT count(*) FROM ordermgmt.customers') AS customers;
SELECT pg_temp.try('SELECT count(*) FROM ordermgmt.events') AS events;
SELECT pg_temp.try('SELECT count(*) FROM ordermgmt.alerts') AS alerts;
SELECT pg_temp.try('SELECT count(*) FROM ordermgmt.events_since(0)') AS events_since;
RESET ROLE;

-- The policies use the indexes: each condition is an array built once (an
-- InitPlan) and an index condition, not a filter run per row.  The tables
-- here are tiny, so sequential scans are switched off to show what the
-- planner can use; docs/benchmarks.md measures a million orders.
SET enable_seqscan = off;
SET ROLE regress_cust_a;
EXPLAIN (COSTS OFF) SELECT * FROM ordermgmt.orders;
EXPLAIN (COSTS OFF) SELECT * FROM ordermgmt.order_lines;
EXPLAIN (COSTS OFF) SELECT * FROM ordermgmt.payments;
RESET ROLE;
RESET enable_seqscan;

-- The API for a customer login: its own customer only, never confirming.
SET ROLE regress_cust_a;
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]') AS placed \gset
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]', '{"submit": false}') AS draft \gset
-- (a draft's total counts tax at the product's rate: 10 + 20 %)
SELECT order_id = :placed AS placed, status, total, due FROM ordermgmt.v_my_orders WHERE order_id IN (:placed, :draft) ORDER BY order_id;
SELECT ordermgmt.submit_order(:draft) AS submitted_draft;
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]', '{"external_ref": "web-1"}') =
       ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]', '{"external_ref": "web-1"}') AS idempotent;
SELECT ordermgmt.record_feedback(:placed, 5) > 0 AS rated_own;
SELECT ordermgmt.open_ticket(:placed, 'where is it?') > 0 AS ticket_own;
RESET ROLE;
SELECT count(*) AS orders_before FROM ordermgmt.orders \gset
SELECT count(*) AS events_before FROM ordermgmt.events \gset
SELECT order_id AS beta_order FROM docs WHERE customer = 'BETA' \gset
SET ROLE regress_cust_a;
-- refused, and nothing written
SELECT pg_temp.try($$SELECT ordermgmt.create_order('BETA', '[{"sku": "A", "qty": 1}]')$$) AS other_customer;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('NOSUCH', '[{"sku": "A", "qty": 1}]')$$) AS unknown_customer;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1, "unit_price": 1}]')$$) AS own_price;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]', '{"auto_confirm": true}')$$) AS auto_confirm;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('ACME', '[{"sku": "NOPE", "qty": 1}]')$$) AS unknown_sku;
SELECT pg_temp.try(format('SELECT ordermgmt.submit_order(%s)', :beta_order)) AS submit_other;
SELECT pg_temp.try(format('SELECT ordermgmt.record_feedback(%s, 1)', :beta_order)) AS feedback_other;
SELECT pg_temp.try(format('SELECT ordermgmt.open_ticket(%s, %L)', :beta_order, 'x')) AS ticket_other;
SELECT pg_temp.try('SELECT ordermgmt.open_ticket(987654, ''x'')') AS ticket_missing;
SELECT pg_temp.try(format('SELECT ordermgmt.confirm_order(%s)', :placed)) AS confirm_own;
SELECT pg_temp.try(format('SELECT ordermgmt.cancel_order(%s, %L)', :placed, 'x')) AS cancel_own;
SELECT pg_temp.try(format('SELECT ordermgmt.ship_order(%s)', :placed)) AS ship_own;
SELECT pg_temp.try(format('SELECT ordermgmt.resolve_ticket(1, %L)', 'x')) AS resolve_ticket;
SELECT pg_temp.try($$SELECT * FROM ordermgmt.create_orders('[]')$$) AS batch;
-- plain SQL writes, its own rows included
SELECT pg_temp.try(format('UPDATE ordermgmt.orders SET status = %L WHERE order_id = %s', 'cancelled', :placed)) AS update_own;
SELECT pg_temp.try(format('DELETE FROM ordermgmt.order_lines WHERE order_id = %s', :draft)) AS delete_own_lines;
SELECT pg_temp.try($$INSERT INTO ordermgmt.orders (customer_id, warehouse_id) SELECT customer_id, 1 FROM ordermgmt.customer_logins$$) AS insert_order;
SELECT pg_temp.try(format('INSERT INTO ordermgmt.feedback (order_id, rating, recorded_by, customer_id) VALUES (%s, 1, %L, 1)', :placed, 'x')) AS insert_feedback;
SELECT pg_temp.try('UPDATE ordermgmt.invoices SET paid = total') AS pay_by_update;
RESET ROLE;
SELECT count(*) - :orders_before AS orders_written, (SELECT count(*) FROM ordermgmt.events) - :events_before AS events_written
  FROM ordermgmt.orders;
-- the customer's orders: pending, never confirmed by themselves; feedback
-- and the ticket recorded with the login's name
SELECT o.status, count(*) FROM ordermgmt.orders o JOIN ordermgmt.customers c USING (customer_id)
 WHERE c.code = 'ACME' AND o.order_id >= :placed GROUP BY 1 ORDER BY 1;
SELECT (SELECT recorded_by FROM ordermgmt.feedback WHERE order_id = :placed) AS feedback_by,
       (SELECT opened_by FROM ordermgmt.tickets WHERE order_id = :placed) AS ticket_by;

-- The outer role decides, however the session got there: a superuser that
-- SET ROLE to a customer login is that customer; staff are not checked and
-- their orders still auto-confirm.
SET ROLE regress_cust_b;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]')$$) AS b_for_acme;
SELECT ordermgmt.create_order('BETA', '[{"sku": "A", "qty": 1}]') > 0 AS b_for_beta;
RESET ROLE;
SET ROLE regress_staff;
SELECT ordermgmt.create_order('GAMMA', '[{"sku": "A", "qty": 1, "unit_price": 10}]') AS staff_order \gset
SELECT status FROM ordermgmt.orders WHERE order_id = :staff_order;
RESET ROLE;
SET ROLE regress_cust_unmapped;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('GAMMA', '[{"sku": "A", "qty": 1}]')$$) AS unmapped_places;
RESET ROLE;

-- The owner runs the API past the policies: they are not forced, and the
-- owner has no BYPASSRLS.
SELECT count(*) AS forced_tables FROM pg_class
 WHERE relnamespace = 'ordermgmt'::regnamespace AND relforcerowsecurity;
SELECT rolbypassrls FROM pg_roles WHERE rolname = 'ordermgmt_owner';

DROP EXTENSION ordermgmt CASCADE;
DROP ROLE regress_cust_a;
DROP ROLE regress_cust_b;
DROP ROLE regress_cust_unmapped;
DROP ROLE regress_staff;
DROP ROLE regress_om_admin;
CREATE EXTENSION ordermgmt;
