-- Access: the three group roles with least privilege, PUBLIC gets nothing,
-- and nobody but the owner writes stock, ledger, events or alerts.  A user
-- who plants look-alike objects earlier on search_path changes nothing.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name) VALUES ('ACME', 'Acme');
INSERT INTO ordermgmt.products (sku, name, list_price) VALUES ('A', 'Widget', 10);
SELECT ordermgmt.receive_stock('A', 'MAIN', 100) > 0 AS received;
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]') AS o1 \gset

DROP ROLE IF EXISTS om_test_reader;
DROP ROLE IF EXISTS om_test_app;
DROP ROLE IF EXISTS om_test_admin;
DROP ROLE IF EXISTS om_test_nobody;
CREATE ROLE om_test_reader LOGIN IN ROLE ordermgmt_reader;
CREATE ROLE om_test_app LOGIN IN ROLE ordermgmt_app;
CREATE ROLE om_test_admin LOGIN IN ROLE ordermgmt_admin;
CREATE ROLE om_test_nobody LOGIN;

-- the same probes for every role
CREATE TEMP TABLE probes (ord int, q text);
GRANT SELECT ON probes TO PUBLIC;
INSERT INTO probes VALUES
  (1,  'SELECT count(*) FROM ordermgmt.v_order_status'),
  (2,  'SELECT count(*) FROM ordermgmt.v_trial_balance'),
  (3,  'SELECT count(*) FROM ordermgmt.orders'),
  (4,  'SELECT count(*) FROM ordermgmt.postings'),
  (5,  'SELECT ordermgmt.create_order(''ACME'', ''[{"sku": "A", "qty": 1}]'')'),
  (6,  'UPDATE ordermgmt.orders SET status = ''on_hold'' WHERE order_id = 1'),
  (7,  'INSERT INTO ordermgmt.orders (customer_id, warehouse_id, status) VALUES (1, 1, ''draft'')'),
  (8,  'UPDATE ordermgmt.stock SET on_hand = on_hand + 1'),
  (9,  'INSERT INTO ordermgmt.events (kind) VALUES (''fake'')'),
  (10, 'UPDATE ordermgmt.alerts SET status = ''resolved'''),
  (11, 'INSERT INTO ordermgmt.journal_entries (memo, source_type, posted_by) VALUES (''x'', ''manual'', ''x'')'),
  (12, 'INSERT INTO ordermgmt.stock_moves (product_id, warehouse_id, qty, kind, moved_by) VALUES (1, 1, 1, ''adjustment'', ''x'')'),
  (13, 'UPDATE ordermgmt.products SET list_price = 11 WHERE sku = ''A'''),
  (14, 'UPDATE ordermgmt.monitor_rules SET enabled = false WHERE rule_code = ''L2_STALLED'''),
  (15, 'INSERT INTO ordermgmt.settings VALUES (''currency'', ''USD'')'),
  (16, 'SELECT ordermgmt.post_entry(''x'', ''[{"account": "1000", "debit": 1}, {"account": "4000", "credit": 1}]'')'),
  (17, 'SELECT ordermgmt.monitor_tick()'),
  (18, 'SELECT count(*) FROM ordermgmt.events_since(0)'),
  (19, 'UPDATE ordermgmt.monitor_rules SET level = 3 WHERE rule_code = ''L2_STALLED'''),
  (20, 'UPDATE ordermgmt.monitor_rules SET thresholds = ''{"stall_time": "6 days"}'' WHERE rule_code = ''L2_STALLED'''),
  (21, 'DELETE FROM ordermgmt.order_transitions WHERE from_status = ''pending'' AND to_status = ''on_hold'''),
  (22, 'SELECT ordermgmt.receive_stock(''A'', ''MAIN'', 5)');

SET ROLE om_test_reader;
SELECT ord, left(q, 60) AS probe, split_part(pg_temp.try(q), ':', 1) AS result FROM probes ORDER BY ord;
RESET ROLE;
SET ROLE om_test_app;
SELECT ord, left(q, 60) AS probe, split_part(pg_temp.try(q), ':', 1) AS result FROM probes ORDER BY ord;
RESET ROLE;
SET ROLE om_test_admin;
SELECT ord, left(q, 60) AS probe, split_part(pg_temp.try(q), ':', 1) AS result FROM probes ORDER BY ord;
RESET ROLE;
SET ROLE om_test_nobody;
SELECT ord, left(q, 60) AS probe, split_part(pg_temp.try(q), ':', 1) AS result FROM probes ORDER BY ord;
RESET ROLE;

-- history and events record who acted, not the functions' owner
SELECT DISTINCT changed_by FROM ordermgmt.order_status_history ORDER BY 1;

-- look-alike objects earlier on search_path change nothing
CREATE SCHEMA evil;
GRANT USAGE, CREATE ON SCHEMA evil TO om_test_app;
SET ROLE om_test_app;
CREATE TABLE evil.orders (order_id bigint, status text);
CREATE TABLE evil.stock (product_id bigint, on_hand numeric, reserved numeric);
CREATE TABLE evil.events (event_id bigint, kind text);
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '2000-01-01'::timestamptz $$;
CREATE FUNCTION evil.coalesce_text(text, text) RETURNS text LANGUAGE sql AS $$ SELECT 'evil' $$;
CREATE FUNCTION evil.numeric_eq_evil(numeric, numeric) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR evil.= (LEFTARG = numeric, RIGHTARG = numeric, FUNCTION = evil.numeric_eq_evil);
CREATE FUNCTION evil.string_to_array(text, text) RETURNS text[] LANGUAGE sql AS $$ SELECT ARRAY['evil'] $$;
SET search_path = evil, public;
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 2}]') AS o2 \gset
SELECT ordermgmt.ship_order(:o2) > 0 AS shipped;
RESET search_path;
RESET ROLE;
SELECT status, created_at > '2001-01-01' AS real_time FROM ordermgmt.orders WHERE order_id = :o2;
SELECT count(*) AS evil_rows FROM evil.orders;
SELECT count(*) AS evil_events FROM evil.events;
SELECT count(*) > 0 AS real_events FROM ordermgmt.events WHERE order_id = :o2;
-- every SECURITY DEFINER function pins search_path
SELECT count(*) AS definer_functions_without_search_path
  FROM pg_proc p
 WHERE p.pronamespace = 'ordermgmt'::regnamespace AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%');
-- PUBLIC holds nothing in the schema
SELECT count(*) AS public_grants
  FROM information_schema.role_table_grants WHERE table_schema = 'ordermgmt' AND grantee = 'PUBLIC';
SELECT count(*) AS public_function_grants
  FROM information_schema.role_routine_grants WHERE routine_schema = 'ordermgmt' AND grantee = 'PUBLIC';

-- Departments, approvers and customers: a login of each role, acting as
-- itself (SET SESSION AUTHORIZATION), calls every API function with an id
-- that does not exist, reads a table and a view and writes an order.  42501
-- is PostgreSQL's refusal (no privilege); any other SQLSTATE is the
-- function's own answer, past the privilege check.  The grid is the
-- README's access matrix, probed.
DROP ROLE IF EXISTS om_test_sales, om_test_warehouse, om_test_finance, om_test_service,
                    om_test_approver, om_test_customer;
CREATE ROLE om_test_sales LOGIN IN ROLE ordermgmt_sales;
CREATE ROLE om_test_warehouse LOGIN IN ROLE ordermgmt_warehouse;
CREATE ROLE om_test_finance LOGIN IN ROLE ordermgmt_finance;
CREATE ROLE om_test_service LOGIN IN ROLE ordermgmt_service;
CREATE ROLE om_test_approver LOGIN IN ROLE ordermgmt_approver;
CREATE ROLE om_test_customer LOGIN IN ROLE ordermgmt_customer;
INSERT INTO ordermgmt.customer_logins (role_name, customer_id)
SELECT 'om_test_customer', customer_id FROM ordermgmt.customers WHERE code = 'ACME';
CREATE TEMP TABLE dept_probes (ord int, q text);
INSERT INTO dept_probes VALUES
  (1,  'SELECT ordermgmt.create_order(''ACME'', ''[{"sku": "NOPE", "qty": 1}]'')'),
  (2,  'SELECT ordermgmt.submit_order(-1)'),
  (3,  'SELECT ordermgmt.confirm_order(-1)'),
  (4,  'SELECT ordermgmt.hold_order(-1, ''x'')'),
  (5,  'SELECT ordermgmt.cancel_order(-1, ''x'')'),
  (6,  'SELECT ordermgmt.quote_opportunity(-1, ''[]'')'),
  (7,  'SELECT ordermgmt.approve_order(-1)'),
  (8,  'SELECT ordermgmt.receive_stock(''NOPE'', ''MAIN'', 1)'),
  (9,  'SELECT ordermgmt.start_processing(-1)'),
  (10, 'SELECT ordermgmt.ship_order(-1)'),
  (11, 'SELECT ordermgmt.confirm_delivery(-1)'),
  (12, 'SELECT ordermgmt.invoice_order(-1)'),
  (13, 'SELECT ordermgmt.record_payment(-1, 1)'),
  (14, 'SELECT ordermgmt.return_items(-1, ''[{"sku": "A", "qty": 1}]'', ''x'')'),
  (15, 'SELECT ordermgmt.record_feedback(-1, 5)'),
  (16, 'SELECT ordermgmt.open_ticket(-1, ''x'')'),
  (17, 'SELECT ordermgmt.resolve_ticket(-1, ''x'')'),
  (18, 'SELECT ordermgmt.acknowledge_alert(-1)'),
  (19, 'SELECT ordermgmt.finish_notification(-1, 1)'),
  (20, 'SELECT ordermgmt.post_entry(''x'', ''[]'')'),
  (21, 'SELECT count(*) FROM ordermgmt.orders'),
  (22, 'SELECT count(*) FROM ordermgmt.v_order_status'),
  (23, 'SELECT count(*) FROM ordermgmt.v_my_orders'),
  (24, 'INSERT INTO ordermgmt.orders (customer_id, warehouse_id) VALUES (-1, -1)');
CREATE TEMP TABLE dept_results (login text, ord int, outcome text);
GRANT SELECT ON dept_probes TO PUBLIC;
GRANT INSERT ON dept_results TO PUBLIC;
SET SESSION AUTHORIZATION om_test_reader;
INSERT INTO dept_results SELECT 'reader', ord, split_part(pg_temp.try(q), ':', 1) FROM dept_probes;
SET SESSION AUTHORIZATION om_test_sales;
INSERT INTO dept_results SELECT 'sales', ord, split_part(pg_temp.try(q), ':', 1) FROM dept_probes;
SET SESSION AUTHORIZATION om_test_warehouse;
INSERT INTO dept_results SELECT 'warehouse', ord, split_part(pg_temp.try(q), ':', 1) FROM dept_probes;
SET SESSION AUTHORIZATION om_test_finance;
INSERT INTO dept_results SELECT 'finance', ord, split_part(pg_temp.try(q), ':', 1) FROM dept_probes;
SET SESSION AUTHORIZATION om_test_service;
INSERT INTO dept_results SELECT 'service', ord, split_part(pg_temp.try(q), ':', 1) FROM dept_probes;
SET SESSION AUTHORIZATION om_test_approver;
INSERT INTO dept_results SELECT 'approver', ord, split_part(pg_temp.try(q), ':', 1) FROM dept_probes;
SET SESSION AUTHORIZATION om_test_app;
INSERT INTO dept_results SELECT 'app', ord, split_part(pg_temp.try(q), ':', 1) FROM dept_probes;
SET SESSION AUTHORIZATION om_test_admin;
INSERT INTO dept_results SELECT 'admin', ord, split_part(pg_temp.try(q), ':', 1) FROM dept_probes;
SET SESSION AUTHORIZATION om_test_customer;
INSERT INTO dept_results SELECT 'customer', ord, split_part(pg_temp.try(q), ':', 1) FROM dept_probes;
RESET SESSION AUTHORIZATION;
SELECT p.ord, left(regexp_replace(p.q, '^SELECT (count\(\*\) FROM )?(ordermgmt\.)?', ''), 26) AS probe,
       max(r.outcome) FILTER (WHERE r.login = 'reader') AS reader,
       max(r.outcome) FILTER (WHERE r.login = 'sales') AS sales,
       max(r.outcome) FILTER (WHERE r.login = 'warehouse') AS warehouse,
       max(r.outcome) FILTER (WHERE r.login = 'finance') AS finance,
       max(r.outcome) FILTER (WHERE r.login = 'service') AS service,
       max(r.outcome) FILTER (WHERE r.login = 'approver') AS approver,
       max(r.outcome) FILTER (WHERE r.login = 'app') AS app,
       max(r.outcome) FILTER (WHERE r.login = 'admin') AS admin,
       max(r.outcome) FILTER (WHERE r.login = 'customer') AS customer
  FROM dept_probes p JOIN dept_results r USING (ord)
 GROUP BY p.ord, p.q ORDER BY p.ord;
DELETE FROM ordermgmt.customer_logins WHERE role_name = 'om_test_customer'::regrole;
DROP ROLE om_test_sales, om_test_warehouse, om_test_finance, om_test_service, om_test_approver, om_test_customer;

DROP SCHEMA evil CASCADE;
DROP ROLE om_test_reader;
DROP ROLE om_test_app;
DROP ROLE om_test_admin;
DROP ROLE om_test_nobody;
DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
