-- Approval rules and approve_order: an order that trips a rule waits on
-- hold until a member of each required role has approved it, level by
-- level; the approver is the session user (never a name passed in), who
-- may not approve an order they entered nor two levels of one order;
-- superusers are no exception; approvals are recorded, emit events and
-- show in v_order_status; rules are data, checked when saved.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

DROP ROLE IF EXISTS om_appr_clerk;
DROP ROLE IF EXISTS om_appr_ann;
DROP ROLE IF EXISTS om_appr_bob;
DROP ROLE IF EXISTS om_appr_dora;
DROP ROLE IF EXISTS om_appr_both;
DROP ROLE IF EXISTS om_appr_finance;
DROP ROLE IF EXISTS om_appr_root;
DROP ROLE IF EXISTS om_appr_managers;
DROP ROLE IF EXISTS om_appr_directors;
CREATE ROLE om_appr_managers NOLOGIN;
CREATE ROLE om_appr_directors NOLOGIN;
-- a sales clerk; ann is a sales manager who also enters orders; bob an
-- approver; dora a director; both a manager and a director at once
CREATE ROLE om_appr_clerk LOGIN IN ROLE ordermgmt_sales;
CREATE ROLE om_appr_ann LOGIN IN ROLE ordermgmt_sales, ordermgmt_approver, om_appr_managers;
CREATE ROLE om_appr_bob LOGIN IN ROLE ordermgmt_approver, om_appr_managers;
CREATE ROLE om_appr_dora LOGIN IN ROLE ordermgmt_approver, om_appr_directors;
CREATE ROLE om_appr_both LOGIN IN ROLE ordermgmt_approver, om_appr_managers, om_appr_directors;
CREATE ROLE om_appr_finance LOGIN IN ROLE ordermgmt_finance;
CREATE ROLE om_appr_root LOGIN SUPERUSER;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit) VALUES ('ACME', 'Acme', NULL), ('TIGHT', 'Tight', 100);
INSERT INTO ordermgmt.products (sku, name, list_price) VALUES ('A', 'Widget', 100), ('B', 'Gadget', 1000);
SELECT ordermgmt.receive_stock('A', 'MAIN', 1000) > 0 AS a, ordermgmt.receive_stock('B', 'MAIN', 1000) > 0 AS b;

-- The built-in rules reproduce the checks approvers always overrode
SELECT rule_id, kind, threshold, required_role, level, enabled, builtin FROM ordermgmt.approval_rules ORDER BY rule_id;

CREATE VIEW pg_temp.waits AS
SELECT a.order_id, r.kind, r.level, r.required_role::text AS required_role, a.approved_by, a.note,
       a.approved_at IS NOT NULL AS approved
  FROM ordermgmt.order_approvals a JOIN ordermgmt.approval_rules r USING (rule_id)
 ORDER BY a.order_id, r.level, a.rule_id;
GRANT SELECT ON pg_temp.waits TO PUBLIC;

--------------------------------------------------------------------------
-- A price outside the tolerance: held for ordermgmt_approver
--------------------------------------------------------------------------
SET SESSION AUTHORIZATION om_appr_ann;
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1, "unit_price": 80}]') AS p1 \gset
RESET SESSION AUTHORIZATION;
SELECT status, hold_reason, created_by FROM ordermgmt.orders WHERE order_id = :p1;
SELECT * FROM pg_temp.waits WHERE order_id = :p1;
SELECT status, approved_by, awaiting_approval FROM ordermgmt.v_order_status WHERE order_id = :p1;
SELECT kind, payload - 'rule_ids' AS payload, jsonb_array_length(payload -> 'rule_ids') AS rules
  FROM ordermgmt.events WHERE order_id = :p1 AND kind LIKE 'order.approv%';

-- ann entered it: her approval is refused, whatever her roles
SET SESSION AUTHORIZATION om_appr_ann;
SELECT pg_temp.try(format('SELECT ordermgmt.approve_order(%s)', :p1)) AS own_order;
RESET SESSION AUTHORIZATION;
-- a superuser who is not an approver: refused by the function itself
SET SESSION AUTHORIZATION om_appr_root;
SELECT pg_temp.try(format('SELECT ordermgmt.approve_order(%s)', :p1)) AS superuser;
RESET SESSION AUTHORIZATION;
-- finance and the clerk may not call it at all
SET SESSION AUTHORIZATION om_appr_finance;
SELECT pg_temp.try(format('SELECT ordermgmt.approve_order(%s)', :p1)) AS finance;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION om_appr_clerk;
SELECT pg_temp.try(format('SELECT ordermgmt.approve_order(%s)', :p1)) AS clerk;
-- nor forge an approval with plain SQL
SELECT pg_temp.try(format('UPDATE ordermgmt.orders SET approved_by = %L WHERE order_id = %s', 'om_appr_bob', :p1)) AS forge_order;
SELECT pg_temp.try(format('UPDATE ordermgmt.order_approvals SET approved_by = %L WHERE order_id = %s', 'om_appr_bob', :p1)) AS forge_row;
SELECT pg_temp.try($$INSERT INTO ordermgmt.orders (customer_id, warehouse_id, created_by) VALUES (1, 1, 'om_appr_bob')$$) AS forge_creator;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS approvals_given FROM ordermgmt.order_approvals WHERE approved_by IS NOT NULL;

-- bob approves, with a note: the order confirms and everything is recorded
SET SESSION AUTHORIZATION om_appr_bob;
SELECT ordermgmt.approve_order(:p1, 'contract price for Acme');
-- approving it again: it no longer waits
SELECT pg_temp.try(format('SELECT ordermgmt.approve_order(%s)', :p1)) AS again;
RESET SESSION AUTHORIZATION;
SELECT status, approved_by, approved_at IS NOT NULL AS approved_at_set FROM ordermgmt.orders WHERE order_id = :p1;
SELECT * FROM pg_temp.waits WHERE order_id = :p1;
SELECT kind, payload - 'rule_ids' AS payload FROM ordermgmt.events
 WHERE order_id = :p1 AND kind = 'order.approved';
SELECT status, approved_by, awaiting_approval FROM ordermgmt.v_order_status WHERE order_id = :p1;

--------------------------------------------------------------------------
-- Nothing to approve: a stock shortage, a blocked customer, a confirmed
-- order, an unknown one
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 5000}]') AS short \gset
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]') AS fine \gset
SET SESSION AUTHORIZATION om_appr_bob;
SELECT pg_temp.try(format('SELECT ordermgmt.approve_order(%s)', :short)) AS shortage;
SELECT pg_temp.try(format('SELECT ordermgmt.approve_order(%s)', :fine)) AS confirmed;
SELECT pg_temp.try('SELECT ordermgmt.approve_order(424242)') AS unknown;
SELECT pg_temp.try('SELECT ordermgmt.approve_order(NULL)') AS null_id;
SELECT pg_temp.try(format('SELECT ordermgmt.approve_order(%s, %L)', :short, '')) AS empty_note;
SELECT pg_temp.try(format('SELECT ordermgmt.approve_order(%s, %L)', :short, repeat('x', 4097))) AS long_note;
RESET SESSION AUTHORIZATION;

--------------------------------------------------------------------------
-- Credit: the built-in rule waits for an approver; the approval also
-- keeps the order within the check when it is confirmed again
--------------------------------------------------------------------------
SET SESSION AUTHORIZATION om_appr_clerk;
SELECT ordermgmt.create_order('TIGHT', '[{"sku": "A", "qty": 2}]') AS c1 \gset
RESET SESSION AUTHORIZATION;
SELECT status, hold_reason FROM ordermgmt.orders WHERE order_id = :c1;
SELECT kind, level, required_role, approved FROM pg_temp.waits WHERE order_id = :c1;
SET SESSION AUTHORIZATION om_appr_bob;
SELECT ordermgmt.approve_order(:c1);
RESET SESSION AUTHORIZATION;
SELECT ordermgmt.hold_order(:c1, 'customer called');
SELECT ordermgmt.confirm_order(:c1) AS confirmed_again;

--------------------------------------------------------------------------
-- Rules an admin adds: order value in two levels, and discounts
--------------------------------------------------------------------------
INSERT INTO ordermgmt.approval_rules (kind, threshold, required_role, level, description) VALUES
    ('order_value', 1000, 'om_appr_managers', 1, 'Orders above 1,000'),
    ('order_value', 5000, 'om_appr_directors', 2, 'Orders above 5,000'),
    ('discount_pct', 15, 'om_appr_managers', 1, 'More than 15% off list');

-- 1,000 exactly needs nothing; 2,000 waits for a manager
SELECT ordermgmt.create_order('ACME', '[{"sku": "B", "qty": 1}]') AS v1000 \gset
SET SESSION AUTHORIZATION om_appr_clerk;
SELECT ordermgmt.create_order('ACME', '[{"sku": "B", "qty": 2}]') AS v2000 \gset
RESET SESSION AUTHORIZATION;
SELECT order_id = :v1000 AS at_threshold, status, hold_reason FROM ordermgmt.orders
 WHERE order_id IN (:v1000, :v2000) ORDER BY order_id;
SELECT rule_code, details FROM ordermgmt.alerts WHERE order_id = :v2000 AND rule_code = 'L1_APPROVAL_REQUIRED';
SELECT status, awaiting_approval FROM ordermgmt.v_order_status WHERE order_id = :v2000;
-- dora is a director, not a manager: level 1 comes first
SET SESSION AUTHORIZATION om_appr_dora;
SELECT pg_temp.try(format('SELECT ordermgmt.approve_order(%s)', :v2000)) AS director_first;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION om_appr_bob;
SELECT ordermgmt.approve_order(:v2000, 'big but fine');
RESET SESSION AUTHORIZATION;
SELECT status FROM ordermgmt.orders WHERE order_id = :v2000;
SELECT rule_code, status FROM ordermgmt.alerts WHERE order_id = :v2000 ORDER BY alert_id;

-- 6,000 waits for a manager, then a director: two people
SET SESSION AUTHORIZATION om_appr_clerk;
SELECT ordermgmt.create_order('ACME', '[{"sku": "B", "qty": 6}]') AS v6000 \gset
RESET SESSION AUTHORIZATION;
SELECT kind, level, required_role, approved FROM pg_temp.waits WHERE order_id = :v6000;
SELECT awaiting_approval FROM ordermgmt.v_order_status WHERE order_id = :v6000;
SET SESSION AUTHORIZATION om_appr_both;
SELECT ordermgmt.approve_order(:v6000) AS after_level_1;
-- the same person may not approve the second level too
SELECT pg_temp.try(format('SELECT ordermgmt.approve_order(%s)', :v6000)) AS both_levels;
RESET SESSION AUTHORIZATION;
SELECT status, awaiting_approval FROM ordermgmt.v_order_status WHERE order_id = :v6000;
SET SESSION AUTHORIZATION om_appr_dora;
SELECT ordermgmt.approve_order(:v6000) AS after_level_2;
RESET SESSION AUTHORIZATION;
SELECT kind, level, approved_by FROM pg_temp.waits WHERE order_id = :v6000;

-- 12% off trips the price tolerance (10%) only; 20% off trips it and the
-- discount rule: one manager who is an approver approves both at once
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1, "unit_price": 88}]') AS d12 \gset
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1, "unit_price": 80}]') AS d20 \gset
SELECT order_id = :d12 AS twelve, kind, required_role FROM pg_temp.waits WHERE order_id IN (:d12, :d20);
SELECT details FROM ordermgmt.alerts WHERE order_id = :d20 AND rule_code = 'L1_APPROVAL_REQUIRED';
SET SESSION AUTHORIZATION om_appr_bob;
SELECT ordermgmt.approve_order(:d20);
RESET SESSION AUTHORIZATION;
SELECT kind, approved_by FROM pg_temp.waits WHERE order_id = :d20;

-- a disabled rule is not asked for
UPDATE ordermgmt.approval_rules SET enabled = false WHERE kind = 'order_value';
SELECT ordermgmt.create_order('ACME', '[{"sku": "B", "qty": 7}]') AS v7000 \gset
SELECT status FROM ordermgmt.orders WHERE order_id = :v7000;

--------------------------------------------------------------------------
-- Bad rules are refused when saved; only admins write them; built-in
-- rules are disabled, never deleted
--------------------------------------------------------------------------
SELECT pg_temp.try(q) AS result FROM (VALUES
  ($$INSERT INTO ordermgmt.approval_rules (kind, threshold, required_role) VALUES ('bogus', 1, 'ordermgmt_approver')$$),
  ($$INSERT INTO ordermgmt.approval_rules (kind, required_role) VALUES ('order_value', 'ordermgmt_approver')$$),
  ($$INSERT INTO ordermgmt.approval_rules (kind, threshold, required_role) VALUES ('credit_exceeded', 5, 'ordermgmt_approver')$$),
  ($$INSERT INTO ordermgmt.approval_rules (kind, threshold, required_role) VALUES ('discount_pct', 150, 'ordermgmt_approver')$$),
  ($$INSERT INTO ordermgmt.approval_rules (kind, threshold, required_role) VALUES ('order_value', -1, 'ordermgmt_approver')$$),
  ($$INSERT INTO ordermgmt.approval_rules (kind, threshold, required_role) VALUES ('order_value', 1, 'no_such_role')$$),
  ($$INSERT INTO ordermgmt.approval_rules (kind, threshold, required_role, level) VALUES ('order_value', 1, 'ordermgmt_approver', 0)$$),
  ($$INSERT INTO ordermgmt.approval_rules (kind, threshold, required_role) VALUES ('order_value', 1, NULL)$$),
  ($$DELETE FROM ordermgmt.approval_rules WHERE builtin$$)
) AS t(q);
SET SESSION AUTHORIZATION om_appr_clerk;
SELECT pg_temp.try($$UPDATE ordermgmt.approval_rules SET enabled = false$$) AS clerk_disables;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS rules, count(*) FILTER (WHERE builtin AND enabled) AS builtin_enabled FROM ordermgmt.approval_rules;

-- every approval was given by someone other than the order's creator
SELECT count(*) AS self_approvals FROM ordermgmt.order_approvals a JOIN ordermgmt.orders o USING (order_id)
 WHERE a.approved_by = o.created_by;
SELECT check_name, ok FROM ordermgmt.verify() WHERE NOT ok;

DROP EXTENSION ordermgmt CASCADE;
DROP ROLE om_appr_clerk, om_appr_ann, om_appr_bob, om_appr_dora, om_appr_both, om_appr_finance, om_appr_root;
DROP ROLE om_appr_managers, om_appr_directors;
CREATE EXTENSION ordermgmt;
