-- Security: what a hostile login finds and must not get (docs/security.md).
-- Each section is one hole of the threat model; every write that is refused
-- leaves nothing behind.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit) VALUES ('ACME', 'Acme', NULL), ('TIGHT', 'Tight', 1000);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost) VALUES
  ('A', 'Widget', 300, 100), ('B', 'Gadget', 10, 4), ('NEW', 'No cost yet', 5, NULL);
SELECT ordermgmt.receive_stock('A', 'MAIN', 100) > 0 AS received;
SELECT ordermgmt.receive_stock('B', 'MAIN', 100) > 0 AS received;

DROP ROLE IF EXISTS om_sec_app;
DROP ROLE IF EXISTS om_sec_admin;
DROP ROLE IF EXISTS om_sec_cfo;
CREATE ROLE om_sec_app LOGIN IN ROLE ordermgmt_app;
CREATE ROLE om_sec_admin LOGIN IN ROLE ordermgmt_admin;
CREATE ROLE om_sec_cfo LOGIN IN ROLE ordermgmt_approver;

--------------------------------------------------------------------------
-- 1. Look-alikes on search_path: every function runs with a pinned path
--------------------------------------------------------------------------
-- no function of the extension resolves names with the caller's path,
-- except rule_delay, which stays inlinable and names nothing unqualified
SELECT p.oid::regprocedure AS function_without_pinned_search_path
  FROM pg_proc p
 WHERE p.pronamespace = 'ordermgmt'::regnamespace
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c = 'search_path=pg_catalog, pg_temp')
 ORDER BY 1;
SELECT count(*) AS unqualified_names_in_rule_delay
  FROM regexp_matches(pg_get_functiondef('ordermgmt.rule_delay(text, jsonb, text)'::regprocedure),
                      '(CASE\s+rule_code\s+WHEN|[^)]\s(=|<>|->>|->)\s)', 'g');

-- the attacker: an app login that plants a look-alike of every operator,
-- function and aggregate over the types the extension's SQL uses, each of
-- which raises "hijacked", in a schema it puts first on its path
CREATE SCHEMA evil AUTHORIZATION om_sec_app;
SET ROLE om_sec_app;
\i test/sql/include/lookalikes.sql
RESET ROLE;
SELECT count(*) > 1000 AS many_lookalikes FROM pg_proc WHERE pronamespace = 'evil'::regnamespace;
SELECT count(*) > 200 AS many_operator_lookalikes FROM pg_operator WHERE oprnamespace = 'evil'::regnamespace;

-- every API function, trigger and view, called with the attacker's path
-- (no statement below names an unqualified function, operator or type)
SET ROLE om_sec_app;
SET search_path = evil, pg_catalog;
SELECT ordermgmt.create_order('ACME', '[{"sku": "B", "qty": 2}]') AS o1 \gset
SELECT ordermgmt.create_order('ACME', '[{"sku": "B", "qty": 1}]', '{"submit": false}') AS d1 \gset
INSERT INTO ordermgmt.order_lines (order_id, line_no, product_id, qty, unit_price)
SELECT :d1, 2, product_id, 3, 10 FROM ordermgmt.products WHERE sku OPERATOR(pg_catalog.=) 'B';
UPDATE ordermgmt.order_lines SET qty = 4 WHERE order_id OPERATOR(pg_catalog.=) :d1 AND line_no OPERATOR(pg_catalog.=) 2;
DELETE FROM ordermgmt.order_lines WHERE order_id OPERATOR(pg_catalog.=) :d1 AND line_no OPERATOR(pg_catalog.=) 1;
SELECT ordermgmt.submit_order(:d1);
-- the confirmed order's lines stay as they are, whatever "=" the caller has
UPDATE ordermgmt.order_lines SET unit_price = 0, qty = 1000 WHERE order_id OPERATOR(pg_catalog.=) :o1;
SELECT ordermgmt.hold_order(:d1, 'checking');
UPDATE ordermgmt.orders SET status = 'pending' WHERE order_id OPERATOR(pg_catalog.=) :d1;
SELECT ordermgmt.confirm_order(:d1);
SELECT ordermgmt.cancel_order(:d1, 'not needed');
SELECT ordermgmt.start_processing(:o1);
SELECT ordermgmt.ship_order(:o1, '[{"sku": "B", "qty": 1}]', 'DHL', 'T-1') AS s1 \gset
SELECT ordermgmt.ship_order(:o1) AS s2 \gset
SELECT ordermgmt.confirm_delivery(:s1);
SELECT ordermgmt.confirm_delivery(:s2);
BEGIN;
SELECT ordermgmt.invoice_order(:o1) AS i1 \gset
COMMIT;
SELECT ordermgmt.record_payment(:i1, 5, 'bank', 'PAY-1') AS p1 \gset
SELECT ordermgmt.return_items(:o1, '[{"sku": "B", "qty": 1}]', 'damaged') AS r1 \gset
SELECT ordermgmt.record_feedback(:o1, 1, 'bad') AS f1 \gset
SELECT ordermgmt.open_ticket(:o1, 'broken', 'high') AS t1 \gset
SELECT ordermgmt.resolve_ticket(:t1, 'replaced');
SELECT ordermgmt.create_order('TIGHT', '[{"sku": "A", "qty": 10, "unit_price": 200}]') AS h1 \gset
SELECT ordermgmt.acknowledge_alert(alert_id, 'seen') FROM ordermgmt.alerts
 WHERE order_id OPERATOR(pg_catalog.=) :h1 AND rule_code OPERATOR(pg_catalog.=) 'L1_PRICE_DEVIATION';
SELECT ordermgmt.monitor_tick() AS raised;
SELECT event_id IS NOT NULL AS caught_up FROM ordermgmt.events_since(0, 1);
SELECT ordermgmt.receive_stock('B', 'MAIN', 5, 4) IS NOT NULL AS received;
SELECT FROM ordermgmt.v_order_status LIMIT 0;
SELECT FROM ordermgmt.v_pipeline LIMIT 0;
SELECT FROM ordermgmt.v_daily_sales LIMIT 0;
SELECT FROM ordermgmt.v_fulfillment_times LIMIT 0;
SELECT FROM ordermgmt.v_on_time_delivery LIMIT 0;
SELECT FROM ordermgmt.v_stock_availability LIMIT 0;
SELECT FROM ordermgmt.v_ar_aging LIMIT 0;
SELECT FROM ordermgmt.v_customer_history LIMIT 0;
SELECT FROM ordermgmt.v_monitor_dashboard LIMIT 0;
SELECT FROM ordermgmt.v_trial_balance LIMIT 0;
SELECT FROM ordermgmt.v_feedback_summary LIMIT 0;
SELECT FROM ordermgmt.v_tickets LIMIT 0;
SELECT FROM ordermgmt.v_settings LIMIT 0;
RESET search_path;
RESET ROLE;
-- an approver's approval (the approver is the session user), with the same path
SET SESSION AUTHORIZATION om_sec_cfo;
SET search_path = evil, pg_catalog;
SELECT ordermgmt.approve_order(:h1, 'cfo');
RESET SESSION AUTHORIZATION;
-- the admin's functions and the configuration triggers, with the same path
SET ROLE om_sec_admin;
SET search_path = evil, pg_catalog;
SELECT ordermgmt.post_entry('manual', '[{"account": "1000", "debit": 1}, {"account": "4000", "credit": 1}]') AS e1 \gset
SELECT ordermgmt.reverse_entry(:e1) IS NOT NULL AS reversed;
UPDATE ordermgmt.monitor_rules SET thresholds = '{"stall_time": "6 days"}' WHERE rule_code OPERATOR(pg_catalog.=) 'L2_STALLED';
DELETE FROM ordermgmt.order_transitions WHERE from_status OPERATOR(pg_catalog.=) 'pending' AND to_status OPERATOR(pg_catalog.=) 'on_hold';
INSERT INTO ordermgmt.settings VALUES ('max_text_length', '5000');
SELECT ordermgmt.monitor_tick(pg_catalog.now() OPERATOR(pg_catalog.+) '1 day'::pg_catalog.interval) IS NOT NULL AS ticked;
SELECT events IS NOT NULL AS purged FROM ordermgmt.purge_history();
SELECT ordermgmt.rollup_ledger() IS NOT NULL AS rolled_up;
-- the self-audit reads every table with the same path, and finds nothing
SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;
RESET ROLE;
-- a superuser restoring configuration, with the same path (config_merge)
INSERT INTO ordermgmt.monitor_rules (rule_code, level, severity, enabled, thresholds, description, builtin)
VALUES ('L2_STALLED', 2, 'warning', true, '{"stall_time": "7 days"}', 'Open order without a status change', true);
RESET search_path;
-- what was done is what the same calls do with a clean path
SELECT order_id = :o1 AS o1, status, ordered_net FROM ordermgmt.orders WHERE order_id IN (:o1, :d1, :h1) ORDER BY order_id;
SELECT line_no, qty, unit_price, shipped_qty, invoiced_qty, returned_qty FROM ordermgmt.order_lines
 WHERE order_id = :o1 ORDER BY line_no;
SELECT sum(debit) = sum(credit) AS ledger_balanced FROM ordermgmt.postings;
SELECT thresholds FROM ordermgmt.monitor_rules WHERE rule_code = 'L2_STALLED';
DELETE FROM ordermgmt.settings;
DROP SCHEMA evil CASCADE;

--------------------------------------------------------------------------
-- 2. Columns only the extension writes: refused to plain INSERT, UPDATE, MERGE
--------------------------------------------------------------------------
SET ROLE om_sec_app;
SELECT ordermgmt.create_order('TIGHT', '[{"sku": "A", "qty": 1, "unit_price": 1}]') AS h2 \gset
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]', '{"submit": false}') AS d2 \gset
SELECT (SELECT count(*) FROM ordermgmt.orders) AS orders0,
       (SELECT count(*) FROM ordermgmt.order_lines) AS lines0,
       (SELECT count(*) FROM ordermgmt.events) AS events0 \gset
-- a "pre-approved" draft: a line at 1 against a list price of 300
SELECT c, pg_temp.try(format(
         'INSERT INTO ordermgmt.orders (customer_id, warehouse_id, status, %I) VALUES (2, 1, %L, %L)',
         c, 'draft', v)) AS insert_order
  FROM (VALUES ('approved_by', 'cfo'), ('approved_at', '2026-01-01'), ('created_at', '2020-01-01'),
               ('confirmed_at', '2020-01-01'), ('status_changed_at', '2020-01-01'),
               ('ordered_net', '1'), ('delivered_at', '2020-01-01')) AS t(c, v);
SELECT pg_temp.try($$MERGE INTO ordermgmt.orders o USING (VALUES (2::bigint)) AS s(customer_id) ON false
                     WHEN NOT MATCHED THEN INSERT (customer_id, warehouse_id, status, approved_by)
                                           VALUES (s.customer_id, 1, 'draft', 'cfo')$$) AS merge_insert_order;
-- a held order cannot be approved, backdated or stamped by hand
SELECT c, pg_temp.try(format('UPDATE ordermgmt.orders SET %I = %L WHERE order_id = %s', c, v, :h2)) AS update_order
  FROM (VALUES ('approved_by', 'x'), ('approved_at', '2026-01-01'), ('created_at', '2020-01-01'),
               ('confirmed_at', '2020-01-01'), ('status_changed_at', '2020-01-01')) AS t(c, v);
SELECT pg_temp.try(format($$MERGE INTO ordermgmt.orders o USING (VALUES (%s::bigint)) AS s(id) ON o.order_id = s.id
                            WHEN MATCHED THEN UPDATE SET approved_by = 'x'$$, :h2)) AS merge_update_order;
-- a draft's lines carry no shipped, invoiced, returned or credited quantity
SELECT c, pg_temp.try(format(
         'INSERT INTO ordermgmt.order_lines (order_id, line_no, product_id, qty, unit_price, %I) VALUES (%s, 2, 1, 10, 300, 10)',
         c, :d2)) AS insert_line,
       pg_temp.try(format('UPDATE ordermgmt.order_lines SET %I = 1 WHERE order_id = %s', c, :d2)) AS update_line
  FROM unnest(ARRAY['shipped_qty', 'invoiced_qty', 'returned_qty', 'credited_qty']) AS c;
SELECT pg_temp.try(format($$MERGE INTO ordermgmt.order_lines l USING (VALUES (%s::bigint)) AS s(id) ON l.order_id = s.id
                            WHEN MATCHED THEN UPDATE SET shipped_qty = 1$$, :d2)) AS merge_update_line;
-- the draft's own columns stay editable
UPDATE ordermgmt.order_lines SET qty = 2, unit_price = 290 WHERE order_id = :d2;
UPDATE ordermgmt.orders SET promised_at = '2030-01-01' WHERE order_id = :d2;
RESET ROLE;
-- nothing was written by the refused statements: the only event is the
-- one of the promise moved by hand
SELECT (SELECT count(*) FROM ordermgmt.orders) - :orders0 AS new_orders,
       (SELECT count(*) FROM ordermgmt.order_lines) - :lines0 AS new_lines,
       (SELECT count(*) FROM ordermgmt.events) - :events0 AS new_events,
       (SELECT kind || ' ' || (payload ->> 'promised_at')::timestamptz::date
          FROM ordermgmt.events WHERE event_id > :events0) AS the_event;
SELECT status, hold_reason, approved_by FROM ordermgmt.orders WHERE order_id = :h2;
SELECT qty, shipped_qty, invoiced_qty FROM ordermgmt.order_lines WHERE order_id = :d2;
-- so the checks still run: confirming the held order holds it again
SET ROLE om_sec_app;
SELECT ordermgmt.confirm_order(:h2);
-- and a plain draft priced at 1 against 300 is held when submitted
INSERT INTO ordermgmt.orders (customer_id, warehouse_id, status) VALUES (2, 1, 'draft') RETURNING order_id AS d3 \gset
INSERT INTO ordermgmt.order_lines (order_id, line_no, product_id, qty, unit_price) VALUES (:d3, 1, 1, 1, 1);
SELECT ordermgmt.submit_order(:d3);
RESET ROLE;
SELECT rule_code FROM ordermgmt.alerts WHERE order_id = :d3 ORDER BY rule_code;
-- raw loads (pg_restore, replica role) keep writing them
SET session_replication_role = replica;
UPDATE ordermgmt.orders SET created_at = '2026-01-01 00:00+00' WHERE order_id = :d2;
RESET session_replication_role;
SELECT created_at FROM ordermgmt.orders WHERE order_id = :d2;

--------------------------------------------------------------------------
-- 3. monitor_tick in the future: admins only
--------------------------------------------------------------------------
SET ROLE om_sec_app;
SELECT pg_temp.try('SELECT ordermgmt.monitor_tick(''2099-01-01'')') AS app_future_tick;
SELECT pg_temp.try('SELECT ordermgmt.monitor_tick(now())') AS app_tick_now;
SELECT pg_temp.try('SELECT ordermgmt.monitor_tick(now() - interval ''1 day'')') AS app_tick_past;
RESET ROLE;
SELECT count(*) AS fired_deadlines FROM ordermgmt.deadlines WHERE fired AND due_at > now() + interval '1 day';
SET ROLE om_sec_admin;
SELECT pg_temp.try('SELECT ordermgmt.monitor_tick(''2099-01-01'')') AS admin_future_tick;
RESET ROLE;

--------------------------------------------------------------------------
-- 4. A receipt's cost stays near the product's cost unless an admin receives it
--------------------------------------------------------------------------
SELECT avg_cost AS cost_before FROM ordermgmt.stock WHERE product_id = 1;
SET ROLE om_sec_app;
SELECT pg_temp.try('SELECT ordermgmt.receive_stock(''A'', ''MAIN'', 1, 99999999999999.9999)') AS huge_cost;
SELECT pg_temp.try('SELECT ordermgmt.receive_stock(''A'', ''MAIN'', 1, 1001)') AS above_10x;
SELECT pg_temp.try('SELECT ordermgmt.receive_stock(''A'', ''MAIN'', 1, 9.99)') AS below_10x;
SELECT pg_temp.try('SELECT ordermgmt.receive_stock(''A'', ''MAIN'', 1, 0)') AS zero_cost;
SELECT pg_temp.try('SELECT ordermgmt.receive_stock(''A'', ''MAIN'', 1, 1000)') AS at_10x;
SELECT pg_temp.try('SELECT ordermgmt.receive_stock(''A'', ''MAIN'', 1, 10)') AS at_tenth;
SELECT pg_temp.try('SELECT ordermgmt.receive_stock(''NEW'', ''MAIN'', 1, 123456)') AS no_cost_yet;
RESET ROLE;
SET ROLE om_sec_admin;
SELECT pg_temp.try('SELECT ordermgmt.receive_stock(''A'', ''MAIN'', 1, 5000)') AS admin_above_10x;
INSERT INTO ordermgmt.settings VALUES ('max_cost_factor', '2');
RESET ROLE;
SET ROLE om_sec_app;
SELECT pg_temp.try('SELECT ordermgmt.receive_stock(''A'', ''MAIN'', 1, 201)') AS above_2x;
RESET ROLE;
SELECT pg_temp.try('INSERT INTO ordermgmt.settings VALUES (''max_text_length'', ''0'')') AS bad_text_setting;
SELECT pg_temp.try('UPDATE ordermgmt.settings SET value = ''0.5'' WHERE key = ''max_cost_factor''') AS bad_factor_setting;
DELETE FROM ordermgmt.settings;
SELECT count(*) FILTER (WHERE unit_cost > 1000) AS app_receipts_above_10x FROM ordermgmt.stock_moves
 WHERE moved_by = 'om_sec_app' AND product_id = 1;

--------------------------------------------------------------------------
-- 5. Free text is bounded (setting max_text_length, default 4096)
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('ACME', '[{"sku": "B", "qty": 1}]') AS o3 \gset
SELECT (SELECT count(*) FROM ordermgmt.events) AS events1 \gset
SET ROLE om_sec_app;
SELECT left(q, 40) AS call, pg_temp.try(replace(q, 'LONG', repeat('x', 4097))) AS result FROM (VALUES
  (format('SELECT ordermgmt.hold_order(%s, ''LONG'')', :o3)),
  (format('SELECT ordermgmt.cancel_order(%s, ''LONG'')', :o3)),
  (format('SELECT ordermgmt.open_ticket(%s, ''LONG'')', :o1)),
  (format('SELECT ordermgmt.record_feedback(%s, 5, ''LONG'')', :o1)),
  (format('SELECT ordermgmt.ship_order(%s, NULL, ''LONG'')', :o3)),
  (format('SELECT ordermgmt.ship_order(%s, NULL, ''DHL'', ''LONG'')', :o3)),
  (format('SELECT ordermgmt.return_items(%s, ''[{"sku": "B", "qty": 1}]'', ''LONG'')', :o1)),
  (format('SELECT ordermgmt.acknowledge_alert(1, ''LONG'')')),
  (format('SELECT ordermgmt.approve_order(%s, ''LONG'')', :o3)),
  (format('UPDATE ordermgmt.orders SET status = ''on_hold'', hold_reason = ''LONG'' WHERE order_id = %s', :o3)),
  (format('UPDATE ordermgmt.orders SET status = ''cancelled'', cancel_reason = ''LONG'' WHERE order_id = %s', :o3))
) AS t(q);
-- 4096 multibyte characters are within the bound
SELECT pg_temp.try(format('SELECT ordermgmt.hold_order(%s, %L)', :o3, repeat('é', 4096))) AS longest_reason;
RESET ROLE;
SET ROLE om_sec_admin;
SELECT pg_temp.try(format('SELECT ordermgmt.post_entry(%L, ''[{"account": "1000", "debit": 1}, {"account": "4000", "credit": 1}]'')',
                          repeat('m', 4097))) AS long_memo;
INSERT INTO ordermgmt.settings VALUES ('max_text_length', '5000');
RESET ROLE;
-- a changed setting applies at once
SET ROLE om_sec_app;
SELECT pg_temp.try(format('SELECT ordermgmt.cancel_order(%s, %L)', :o3, repeat('x', 4097))) AS within_raised_bound;
RESET ROLE;
DELETE FROM ordermgmt.settings;
SELECT status, length(hold_reason) AS hold_reason_length, length(cancel_reason) AS cancel_reason_length
  FROM ordermgmt.orders WHERE order_id = :o3;
SELECT max(length(payload::text)) < 9000 AS events_stay_small FROM ordermgmt.events WHERE event_id > :events1;

--------------------------------------------------------------------------
-- 6. Alerts are acknowledged and resolved by the service desk and approvers
--------------------------------------------------------------------------
DROP ROLE IF EXISTS om_sec_service;
DROP ROLE IF EXISTS om_sec_approver;
DROP ROLE IF EXISTS om_sec_reader;
CREATE ROLE om_sec_service LOGIN IN ROLE ordermgmt_service;
CREATE ROLE om_sec_approver LOGIN IN ROLE ordermgmt_approver;
CREATE ROLE om_sec_reader LOGIN IN ROLE ordermgmt_reader;
SELECT min(alert_id) AS a1, max(alert_id) AS a2 FROM ordermgmt.alerts WHERE status = 'open' \gset
SELECT r AS role,
       pg_temp.try(format('SET ROLE %I; SELECT ordermgmt.acknowledge_alert(%s, ''seen'')', r, :a1)) AS acknowledge,
       pg_temp.try(format('SET ROLE %I; SELECT ordermgmt.resolve_alert(%s, ''done'')', r, :a2)) AS resolve,
       pg_temp.try(format('SET ROLE %I; SELECT count(*) FROM ordermgmt.create_order(''ACME'', ''[{"sku": "B", "qty": 1}]'')', r)) AS create_order
  FROM unnest(ARRAY['om_sec_reader', 'om_sec_service', 'om_sec_approver', 'om_sec_app']) AS r;
RESET ROLE;
DROP ROLE om_sec_service;
DROP ROLE om_sec_approver;
DROP ROLE om_sec_reader;

--------------------------------------------------------------------------
-- 7. Definer rights without a superuser
--------------------------------------------------------------------------
-- every table, view, sequence and function belongs to ordermgmt_owner
SELECT pg_describe_object(d.classid, d.objid, 0) AS not_owned_by_ordermgmt_owner
  FROM pg_depend d
  LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
  LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ordermgmt')
   AND coalesce(c.relowner, p.proowner) IS DISTINCT FROM 'ordermgmt_owner'::regrole
   AND d.classid IN ('pg_class'::regclass, 'pg_proc'::regclass)
 ORDER BY 1;
SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls,
       (SELECT count(*) FROM pg_auth_members m WHERE 'ordermgmt_owner'::regrole IN (m.roleid, m.member)) AS memberships
  FROM pg_roles WHERE rolname = 'ordermgmt_owner';
-- so SECURITY DEFINER functions do not run as a superuser
SELECT count(*) AS definer_functions_of_a_superuser
  FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
 WHERE p.pronamespace = 'ordermgmt'::regnamespace AND p.prosecdef AND r.rolsuper;
-- the owner reaches only its own objects: no other schema's tables
SELECT has_table_privilege('ordermgmt_owner', 'pg_catalog.pg_authid', 'SELECT') AS reads_pg_authid;
-- an owner role someone could log in as, or act as, stops the install
DROP EXTENSION ordermgmt CASCADE;
ALTER ROLE ordermgmt_owner LOGIN;
SELECT pg_temp.try('CREATE EXTENSION ordermgmt') AS install_with_login_owner;
ALTER ROLE ordermgmt_owner NOLOGIN;
GRANT ordermgmt_owner TO om_sec_app;
SELECT pg_temp.try('CREATE EXTENSION ordermgmt') AS install_with_member_of_owner;
REVOKE ordermgmt_owner FROM om_sec_app;

DROP ROLE om_sec_app;
DROP ROLE om_sec_admin;
DROP ROLE om_sec_cfo;
CREATE EXTENSION ordermgmt;
