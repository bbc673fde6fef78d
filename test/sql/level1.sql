-- Level-1 monitoring at confirmation: each rule holds the order, raises one
-- alert, reserves nothing; approval overrides price and credit, never stock;
-- alerts resolve when their check passes; disabled rules are silent.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
-- approve_order's approver is the session user: a login of the approvers
DROP ROLE IF EXISTS om_test_approver;
CREATE ROLE om_test_approver LOGIN IN ROLE ordermgmt_approver;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit, blocked) VALUES
  ('GOOD', 'Good payer', NULL, false),
  ('BLOCK', 'Blocked', NULL, true),
  ('LIMIT', 'Limited', 500, false);
INSERT INTO ordermgmt.products (sku, name, list_price, tax_rate, active) VALUES
  ('WID', 'Widget', 100, 0.25, true),
  ('OLD', 'Retired', 10, 0, false),
  ('FEW', 'Scarce', 10, 0, true);
SELECT ordermgmt.receive_stock('WID', 'MAIN', 100) > 0, ordermgmt.receive_stock('OLD', 'MAIN', 100) > 0,
       ordermgmt.receive_stock('FEW', 'MAIN', 2) > 0;

CREATE VIEW pg_temp.order_alerts AS
SELECT a.order_id, a.rule_code, a.level, a.severity, a.status, a.details
  FROM ordermgmt.alerts a ORDER BY a.alert_id;

-- blocked customer
SELECT ordermgmt.create_order('BLOCK', '[{"sku": "WID", "qty": 1}]') AS o_block \gset
SELECT status, hold_reason FROM ordermgmt.orders WHERE order_id = :o_block;
SELECT rule_code, level, severity, status, details FROM pg_temp.order_alerts WHERE order_id = :o_block;
SELECT count(*) AS reserved_lines FROM ordermgmt.reservations WHERE order_id = :o_block;
-- approval does not override a blocked customer: nothing waits for one
SET SESSION AUTHORIZATION om_test_approver;
SELECT pg_temp.try(format('SELECT ordermgmt.approve_order(%s)', :o_block));
RESET SESSION AUTHORIZATION;
-- unblocking and confirming again resolves the alert
UPDATE ordermgmt.customers SET blocked = false WHERE code = 'BLOCK';
SELECT ordermgmt.confirm_order(:o_block);
SELECT rule_code, status FROM pg_temp.order_alerts WHERE order_id = :o_block;

-- inactive product
SELECT ordermgmt.create_order('GOOD', '[{"sku": "OLD", "qty": 1}]') AS o_old \gset
SELECT status, hold_reason FROM ordermgmt.orders WHERE order_id = :o_old;
SELECT rule_code, details FROM pg_temp.order_alerts WHERE order_id = :o_old;

-- price deviation: 10% tolerance by default, the threshold is data
SELECT ordermgmt.create_order('GOOD', '[{"sku": "WID", "qty": 1, "unit_price": 90}]') AS o_p90 \gset
SELECT ordermgmt.create_order('GOOD', '[{"sku": "WID", "qty": 1, "unit_price": 89.99}]') AS o_p89 \gset
SELECT ordermgmt.create_order('GOOD', '[{"sku": "WID", "qty": 1, "unit_price": 111}]') AS o_p111 \gset
SELECT order_id = :o_p90 AS at_tolerance, status FROM ordermgmt.orders WHERE order_id IN (:o_p90, :o_p89, :o_p111) ORDER BY order_id;
SELECT rule_code, details FROM pg_temp.order_alerts WHERE order_id = :o_p89;
UPDATE ordermgmt.monitor_rules SET thresholds = '{"tolerance": 0.2}' WHERE rule_code = 'L1_PRICE_DEVIATION';
SELECT ordermgmt.confirm_order(:o_p89);
SELECT rule_code, status FROM pg_temp.order_alerts WHERE order_id = :o_p89;
-- approval overrides the price check and is recorded
SET SESSION AUTHORIZATION om_test_approver;
SELECT ordermgmt.approve_order(:o_p111, 'customer contract price');
RESET SESSION AUTHORIZATION;
SELECT status, approved_by, approved_at IS NOT NULL AS approved_at_set FROM ordermgmt.orders WHERE order_id = :o_p111;
SELECT r.kind, a.approved_by, a.note FROM ordermgmt.order_approvals a JOIN ordermgmt.approval_rules r USING (rule_id)
 WHERE a.order_id = :o_p111;
SELECT kind, payload FROM ordermgmt.events WHERE order_id = :o_p111 AND kind = 'order.approved';

-- credit limit 500: open orders (gross, with tax) plus this one
SELECT ordermgmt.create_order('LIMIT', '[{"sku": "WID", "qty": 3}]') AS o_c1 \gset
SELECT ordermgmt.create_order('LIMIT', '[{"sku": "WID", "qty": 2}]') AS o_c2 \gset
SELECT order_id = :o_c1 AS first, status FROM ordermgmt.orders WHERE order_id IN (:o_c1, :o_c2) ORDER BY order_id;
SELECT rule_code, details FROM pg_temp.order_alerts WHERE order_id = :o_c2;
-- cancelling the first frees the limit
SELECT ordermgmt.cancel_order(:o_c1, 'replaced');
SELECT ordermgmt.confirm_order(:o_c2);
SELECT rule_code, status FROM pg_temp.order_alerts WHERE order_id = :o_c2;

-- stock shortage: nothing is reserved, even for lines that would fit
SELECT ordermgmt.create_order('GOOD', '[{"sku": "WID", "qty": 1}, {"sku": "FEW", "qty": 3}]') AS o_short \gset
SELECT status, hold_reason FROM ordermgmt.orders WHERE order_id = :o_short;
SELECT rule_code, details FROM pg_temp.order_alerts WHERE order_id = :o_short;
SELECT count(*) AS reserved_lines FROM ordermgmt.reservations WHERE order_id = :o_short;
-- approval never overrides stock; a second failure does not duplicate the alert
SET SESSION AUTHORIZATION om_test_approver;
SELECT pg_temp.try(format('SELECT ordermgmt.approve_order(%s)', :o_short));
RESET SESSION AUTHORIZATION;
SELECT count(*) AS open_shortage_alerts FROM ordermgmt.alerts
 WHERE order_id = :o_short AND rule_code = 'L1_STOCK_SHORTAGE' AND status <> 'resolved';
-- replenishing and confirming again reserves everything and resolves the alert
SELECT ordermgmt.receive_stock('FEW', 'MAIN', 5) > 0 AS received;
SELECT ordermgmt.confirm_order(:o_short);
SELECT count(*) AS reserved_lines FROM ordermgmt.reservations WHERE order_id = :o_short;
SELECT rule_code, status FROM pg_temp.order_alerts WHERE order_id = :o_short;

-- several failed rules: all reported at once, one alert each
UPDATE ordermgmt.customers SET blocked = true WHERE code = 'GOOD';
SELECT ordermgmt.create_order('GOOD', '[{"sku": "OLD", "qty": 1, "unit_price": 1}, {"sku": "FEW", "qty": 50}]') AS o_many \gset
SELECT hold_reason FROM ordermgmt.orders WHERE order_id = :o_many;
SELECT rule_code FROM pg_temp.order_alerts WHERE order_id = :o_many;
-- the dashboard counts open alerts
SELECT level, rule_code, severity, open, acknowledged FROM ordermgmt.v_monitor_dashboard;
-- cancelling resolves every open alert of the order
SELECT ordermgmt.cancel_order(:o_many, 'bad order');
SELECT count(*) AS still_open FROM ordermgmt.alerts WHERE order_id = :o_many AND status <> 'resolved';
UPDATE ordermgmt.customers SET blocked = false WHERE code = 'GOOD';

-- a disabled rule neither holds nor alerts
UPDATE ordermgmt.monitor_rules SET enabled = false WHERE rule_code = 'L1_PRODUCT_INACTIVE';
SELECT ordermgmt.create_order('GOOD', '[{"sku": "OLD", "qty": 1}]') AS o_dis \gset
SELECT status FROM ordermgmt.orders WHERE order_id = :o_dis;
SELECT count(*) AS alerts FROM ordermgmt.alerts WHERE order_id = :o_dis;
-- with L1_STOCK_SHORTAGE disabled the order is still held (stock cannot be overridden), silently
UPDATE ordermgmt.monitor_rules SET enabled = false WHERE rule_code = 'L1_STOCK_SHORTAGE';
SELECT ordermgmt.create_order('GOOD', '[{"sku": "FEW", "qty": 500}]') AS o_dis2 \gset
SELECT status, hold_reason FROM ordermgmt.orders WHERE order_id = :o_dis2;
SELECT count(*) AS alerts FROM ordermgmt.alerts WHERE order_id = :o_dis2;

-- acknowledging and resolving by hand
SELECT alert_id AS a1 FROM ordermgmt.alerts WHERE order_id = :o_old \gset
SELECT ordermgmt.acknowledge_alert(:a1, 'looking into it');
SELECT ordermgmt.acknowledge_alert(:a1);
SELECT status, acknowledged_by, note FROM ordermgmt.alerts WHERE alert_id = :a1;
SELECT ordermgmt.resolve_alert(:a1, 'product reactivated');
SELECT ordermgmt.resolve_alert(:a1);
SELECT pg_temp.try(format('SELECT ordermgmt.acknowledge_alert(%s)', :a1));
SELECT status, resolved_by, note FROM ordermgmt.alerts WHERE alert_id = :a1;

-- every alert raised or resolved is an event (order_id is the event's own column)
SELECT payload FROM ordermgmt.events WHERE kind LIKE 'alert.%' AND order_id = :o_old ORDER BY event_id;
SELECT (SELECT count(*) FROM ordermgmt.alerts) = (SELECT count(*) FROM ordermgmt.events WHERE kind = 'alert.raised') AS one_event_per_alert,
       (SELECT count(*) FROM ordermgmt.alerts WHERE status = 'resolved') = (SELECT count(*) FROM ordermgmt.events WHERE kind = 'alert.resolved') AS one_event_per_resolution;

-- invariants
SELECT bool_and(s.reserved = (SELECT coalesce(sum(qty), 0) FROM ordermgmt.reservations r
                               WHERE r.product_id = s.product_id AND r.warehouse_id = s.warehouse_id)) AS reserved_ok,
       bool_and(s.reserved <= s.on_hand) AS within_on_hand
  FROM ordermgmt.stock s;

DROP EXTENSION ordermgmt CASCADE;
DROP ROLE om_test_approver;
CREATE EXTENSION ordermgmt;
