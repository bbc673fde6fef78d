-- Purchasing: purchase orders placed with suppliers, received in parts at
-- their lines' costs (on hand and the moving average rise, inventory is
-- posted against goods received), cancelled with a reason.  Every status
-- change, by the API or by plain UPDATE, is checked against
-- purchase_transitions.  An open order past its expected time raises
-- L2_PURCHASE_LATE; receiving it in full or cancelling it resolves it.
SET client_min_messages = warning;
SET datestyle = 'ISO, YMD';
SET intervalstyle = postgres;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main'), ('EAST', 'East');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost) VALUES
  ('A', 'Widget', 10, 4), ('B', 'Gadget', 20, 10), ('C', 'Gizmo', 30, NULL);
INSERT INTO ordermgmt.suppliers (code, name, email, lead_time_days) VALUES
  ('ACME', 'Acme Supplies', 'orders@acme.example', 7), ('FAST', 'Fast Parts', NULL, 0);
SELECT ordermgmt.receive_stock('A', 'MAIN', 10, 4) > 0 AS a_in_stock;

CREATE VIEW pg_temp.stock_now AS
SELECT p.sku, w.code AS warehouse, s.on_hand, s.avg_cost,
       s.on_hand = (SELECT sum(m.qty) FROM ordermgmt.stock_moves m
                     WHERE m.product_id = s.product_id AND m.warehouse_id = s.warehouse_id) AS sum_of_moves
  FROM ordermgmt.stock s JOIN ordermgmt.products p USING (product_id) JOIN ordermgmt.warehouses w USING (warehouse_id)
 ORDER BY p.sku, w.code;
CREATE VIEW pg_temp.lines_now AS
SELECT l.po_id, l.line_no, p.sku, l.qty, l.received_qty, l.unit_cost
  FROM ordermgmt.purchase_lines l JOIN ordermgmt.products p USING (product_id) ORDER BY l.po_id, l.line_no;

--------------------------------------------------------------------------
-- Placing: ordered at once, expected after the supplier's lead time
--------------------------------------------------------------------------
-- A at 5 (given), B at its unit_cost 10
SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": 10, "unit_cost": 5}, {"sku": "B", "qty": 4}]',
                                       '{"reference": "PO-2026-1"}') AS po1 \gset
SELECT status, expected_at - created_at AS lead_time, reference, created_by = session_user AS by_me, cancel_reason
  FROM ordermgmt.purchase_orders WHERE po_id = :po1;
SELECT * FROM pg_temp.lines_now WHERE po_id = :po1;
-- the same reference again: the first order, nothing written
SELECT count(*) AS events_before FROM ordermgmt.events \gset
SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": 99}]', '{"reference": "PO-2026-1"}') = :po1 AS same_order;
SELECT count(*) AS purchase_orders, (SELECT count(*) FROM ordermgmt.events) = :events_before AS no_new_event
  FROM ordermgmt.purchase_orders;
-- a reference is the buyer's key per supplier: another supplier may carry it
SELECT ordermgmt.create_purchase_order('FAST', 'MAIN', '[{"sku": "B", "qty": 1}]', '{"reference": "PO-2026-1"}') AS po_fast \gset
SELECT :po_fast <> :po1 AS another_order, status, expected_at - created_at AS lead_time
  FROM ordermgmt.purchase_orders WHERE po_id = :po_fast;
-- a product without unit_cost nor stock is ordered at cost 0 unless given one
SELECT ordermgmt.create_purchase_order('FAST', 'EAST', '[{"sku": "C", "qty": 2}]') AS po_c \gset
SELECT sku, unit_cost FROM pg_temp.lines_now WHERE po_id = :po_c;
-- an open order waits for its deadline at its expected time
SELECT d.subject_id = :po1 AS po1, d.subject_type, d.anchor_at = po.expected_at AS at_expected, d.due_at = po.expected_at AS no_grace
  FROM ordermgmt.deadlines d JOIN ordermgmt.purchase_orders po ON po.po_id = d.subject_id
 WHERE d.rule_code = 'L2_PURCHASE_LATE' AND d.subject_id = :po1;

--------------------------------------------------------------------------
-- Receiving in parts, at the line's cost
--------------------------------------------------------------------------
-- 6 of A at 5 onto 10 at 4: average (40 + 30) / 16 = 4.375
SELECT ordermgmt.receive_purchase(:po1, '[{"sku": "A", "qty": 6}]') AS r1 \gset
SELECT status FROM ordermgmt.purchase_orders WHERE po_id = :po1;
SELECT * FROM pg_temp.lines_now WHERE po_id = :po1;
SELECT * FROM pg_temp.stock_now;
-- more than is open on the line (4): refused, nothing written
SELECT count(*) AS moves_before FROM ordermgmt.stock_moves \gset
SELECT pg_temp.try(format($$SELECT ordermgmt.receive_purchase(%s, '[{"sku": "A", "qty": 5}]')$$, :po1)) AS over_receipt;
SELECT pg_temp.try(format($$SELECT ordermgmt.receive_purchase(%s, '[{"sku": "A", "qty": 3}, {"sku": "A", "qty": 2}]')$$, :po1)) AS over_in_two;
SELECT count(*) = :moves_before AS nothing_moved FROM ordermgmt.stock_moves;
-- everything still open (NULL): 4 of A at 5 -> (70 + 20) / 20 = 4.5; 4 of B at 10
SELECT ordermgmt.receive_purchase(:po1) AS r2 \gset
SELECT :r2 > :r1 AS second_receipt, status FROM ordermgmt.purchase_orders WHERE po_id = :po1;
SELECT * FROM pg_temp.lines_now WHERE po_id = :po1;
SELECT * FROM pg_temp.stock_now;
-- each receipt line is a receipt move at the line's cost
SELECT r.receipt_id = :r1 AS first, x.line_no, x.qty, m.kind, m.qty AS move_qty, m.unit_cost
  FROM ordermgmt.purchase_receipts r JOIN ordermgmt.purchase_receipt_lines x USING (receipt_id)
  JOIN ordermgmt.stock_moves m USING (move_id)
 WHERE r.po_id = :po1 ORDER BY x.receipt_id, x.line_no;
-- inventory debited, goods received credited, to the cent, one entry per move
SELECT e.memo, a.code, a.name, p.debit, p.credit, p.company_debit, p.company_credit
  FROM ordermgmt.journal_entries e JOIN ordermgmt.postings p USING (entry_id) JOIN ordermgmt.accounts a USING (account_id)
 WHERE e.memo LIKE '%purchase order%' ORDER BY p.posting_id;
-- received in full: the deadline is gone; receiving again is refused
SELECT count(*) AS deadlines FROM ordermgmt.deadlines WHERE subject_type = 'purchase_order' AND subject_id = :po1;
SELECT pg_temp.try(format('SELECT ordermgmt.receive_purchase(%s)', :po1)) AS receive_received;
SELECT pg_temp.try(format($$SELECT ordermgmt.cancel_purchase_order(%s, 'too late')$$, :po1)) AS cancel_received;
-- the events of its life
SELECT kind, payload - 'expected_at' - 'po_id' - 'supplier_id' - 'warehouse_id' AS payload, order_id
  FROM ordermgmt.events WHERE (payload ->> 'po_id')::bigint = :po1 ORDER BY event_id;

--------------------------------------------------------------------------
-- Late: L2_PURCHASE_LATE through monitor_tick
--------------------------------------------------------------------------
-- FAST's orders were expected now (lead time 0); this one in a day
SELECT now() + interval '1 day' AS exp2 \gset
SELECT ordermgmt.create_purchase_order('ACME', 'EAST', '[{"sku": "B", "qty": 3, "unit_cost": 11}]',
                                       format('{"expected_at": "%s"}', :'exp2')::jsonb) AS po2 \gset
SELECT expected_at = :'exp2' AS expected_as_given FROM ordermgmt.purchase_orders WHERE po_id = :po2;
CREATE VIEW pg_temp.late AS
SELECT CASE subject_id WHEN :po2 THEN 'po2' WHEN :po_fast THEN 'po_fast' WHEN :po_c THEN 'po_c' END AS po,
       level, subject_type, order_id, status, note
  FROM ordermgmt.alerts WHERE rule_code = 'L2_PURCHASE_LATE' ORDER BY alert_id;
SELECT ordermgmt.monitor_tick(:'exp2'::timestamptz - interval '1 hour') AS raised_before_due;
SELECT * FROM pg_temp.late;
SELECT ordermgmt.monitor_tick(:'exp2'::timestamptz + interval '1 hour') AS raised_when_late;
SELECT * FROM pg_temp.late;
-- the supplier promises a new date: the alert resolves, the deadline moves with it
UPDATE ordermgmt.purchase_orders SET expected_at = :'exp2'::timestamptz + interval '2 days' WHERE po_id = :po2;
SELECT * FROM pg_temp.late WHERE po = 'po2';
SELECT d.due_at = :'exp2'::timestamptz + interval '2 days' AS moved, d.anchor_at = po.expected_at AS anchored, d.fired
  FROM ordermgmt.deadlines d JOIN ordermgmt.purchase_orders po ON po.po_id = d.subject_id
 WHERE d.rule_code = 'L2_PURCHASE_LATE' AND d.subject_id = :po2;
SELECT ordermgmt.monitor_tick(:'exp2'::timestamptz + interval '1 day') AS raised_before_new_date;
SELECT ordermgmt.monitor_tick(:'exp2'::timestamptz + interval '3 days') AS raised_late_again;
-- a partial receipt does not make it on time; cancelling the rest resolves it
SELECT ordermgmt.receive_purchase(:po2, '[{"sku": "B", "qty": 1}]') > 0 AS partly_received;
SELECT * FROM pg_temp.late WHERE po = 'po2';
SELECT ordermgmt.cancel_purchase_order(:po2, 'supplier cannot deliver the rest');
SELECT status, cancel_reason FROM ordermgmt.purchase_orders WHERE po_id = :po2;
SELECT * FROM pg_temp.lines_now WHERE po_id = :po2;
SELECT * FROM pg_temp.stock_now WHERE warehouse = 'EAST';
SELECT * FROM pg_temp.late WHERE po = 'po2';
SELECT count(*) AS deadlines FROM ordermgmt.deadlines WHERE subject_type = 'purchase_order' AND subject_id = :po2;
-- receiving FAST's C in full resolves its alert
SELECT ordermgmt.receive_purchase(:po_c) > 0 AS c_received;
SELECT * FROM pg_temp.late WHERE po = 'po_c';
SELECT pg_temp.try(format('SELECT ordermgmt.receive_purchase(%s)', :po2)) AS receive_cancelled;
-- a grace period, set by an admin, moves the deadlines waiting
UPDATE ordermgmt.monitor_rules SET thresholds = '{"grace": "2 days"}' WHERE rule_code = 'L2_PURCHASE_LATE';
SELECT d.due_at - po.expected_at AS grace FROM ordermgmt.deadlines d JOIN ordermgmt.purchase_orders po ON po.po_id = d.subject_id
 WHERE d.rule_code = 'L2_PURCHASE_LATE' AND d.subject_id = :po_fast;
SELECT pg_temp.try($$UPDATE ordermgmt.monitor_rules SET thresholds = '{"grace": "-1 day"}' WHERE rule_code = 'L2_PURCHASE_LATE'$$) AS negative_grace;

--------------------------------------------------------------------------
-- Drafts, plain SQL and the transitions
--------------------------------------------------------------------------
SELECT ordermgmt.create_purchase_order('FAST', 'MAIN', '[{"sku": "A", "qty": 1}]', '{"submit": false}') AS po3 \gset
SELECT status, (SELECT count(*) FROM ordermgmt.deadlines WHERE subject_type = 'purchase_order' AND subject_id = :po3) AS deadlines
  FROM ordermgmt.purchase_orders WHERE po_id = :po3;
SELECT pg_temp.try(format('SELECT ordermgmt.receive_purchase(%s)', :po3)) AS receive_draft;
-- placed by hand: the trigger sets its deadline and writes the event
UPDATE ordermgmt.purchase_orders SET status = 'ordered' WHERE po_id = :po3;
SELECT (SELECT count(*) FROM ordermgmt.deadlines WHERE subject_type = 'purchase_order' AND subject_id = :po3) AS deadlines,
       (SELECT string_agg(kind, ', ' ORDER BY event_id) FROM ordermgmt.events WHERE (payload ->> 'po_id')::bigint = :po3) AS events;
-- what needs the API, or skips a step, or rewrites history, is refused
SELECT pg_temp.try(format($$UPDATE ordermgmt.purchase_orders SET status = 'received' WHERE po_id = %s$$, :po3)) AS received_by_hand;
SELECT pg_temp.try(format($$UPDATE ordermgmt.purchase_orders SET status = 'draft' WHERE po_id = %s$$, :po3)) AS back_to_draft;
SELECT pg_temp.try(format($$UPDATE ordermgmt.purchase_orders SET status = 'cancelled' WHERE po_id = %s$$, :po3)) AS cancelled_without_reason;
SELECT pg_temp.try(format($$UPDATE ordermgmt.purchase_orders SET warehouse_id = warehouse_id + 1 WHERE po_id = %s$$, :po3)) AS other_warehouse;
SELECT pg_temp.try(format($$DELETE FROM ordermgmt.purchase_orders WHERE po_id = %s$$, :po3)) AS delete_ordered;
SELECT pg_temp.try($$INSERT INTO ordermgmt.purchase_orders (supplier_id, warehouse_id, status, expected_at) VALUES (1, 1, 'received', now())$$) AS insert_received;
-- a transition disabled by an admin is refused at once, by the API too
UPDATE ordermgmt.purchase_transitions SET enabled = false WHERE from_status = 'ordered' AND to_status = 'cancelled';
SELECT pg_temp.try(format($$SELECT ordermgmt.cancel_purchase_order(%s, 'not needed')$$, :po3)) AS cancel_disabled;
UPDATE ordermgmt.purchase_transitions SET enabled = true WHERE from_status = 'ordered' AND to_status = 'cancelled';
SELECT pg_temp.try($$DELETE FROM ordermgmt.purchase_transitions WHERE from_status = 'ordered' AND to_status = 'cancelled'$$) AS delete_builtin;
SELECT ordermgmt.cancel_purchase_order(:po3, 'not needed');
SELECT status, cancel_reason FROM ordermgmt.purchase_orders WHERE po_id = :po3;
SELECT pg_temp.try(format($$SELECT ordermgmt.cancel_purchase_order(%s, 'twice')$$, :po3)) AS cancel_twice;
-- a draft is cancelled without ever being ordered, and raises no deadline
SELECT ordermgmt.create_purchase_order('FAST', 'MAIN', '[{"sku": "A", "qty": 1}]', '{"submit": false}') AS po4 \gset
SELECT ordermgmt.cancel_purchase_order(:po4, 'changed our mind');
SELECT string_agg(kind, ', ' ORDER BY event_id) AS events FROM ordermgmt.events WHERE (payload ->> 'po_id')::bigint = :po4;

--------------------------------------------------------------------------
-- Bad input: clear errors, nothing written
--------------------------------------------------------------------------
SELECT count(*) AS pos_before FROM ordermgmt.purchase_orders \gset
SELECT count(*) AS moves_before FROM ordermgmt.stock_moves \gset
SELECT left(q, 90) AS call, pg_temp.try(q) AS result FROM (VALUES
  ($$SELECT ordermgmt.create_purchase_order('NOPE', 'MAIN', '[{"sku": "A", "qty": 1}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'NOPE', '[{"sku": "A", "qty": 1}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "NOPE", "qty": 1}]')$$),
  ($$SELECT ordermgmt.create_purchase_order(NULL, 'MAIN', '[{"sku": "A", "qty": 1}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('', 'MAIN', '[{"sku": "A", "qty": 1}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', NULL, '[{"sku": "A", "qty": 1}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', NULL)$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '{"sku": "A"}')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[1]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"qty": 1}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A"}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": 0}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": -2}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": "ten"}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": 1.00001}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": 1, "unit_cost": -1}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": 1, "price": 1}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": 1}, {"sku": "B", "qty": 1}, {"sku": "A", "qty": 2}]')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": 1}]', '{"due": "tomorrow"}')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": 1}]', '{"reference": ""}')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": 1}]', '{"reference": 7}')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": 1}]', '{"expected_at": "infinity"}')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": 1}]', '{"submit": "yes"}')$$),
  ($$SELECT ordermgmt.create_purchase_order('ACME', 'MAIN', '[{"sku": "A", "qty": 1}]', '[]')$$),
  ($$SELECT ordermgmt.receive_purchase(NULL)$$),
  ($$SELECT ordermgmt.receive_purchase(987654)$$),
  ($$SELECT ordermgmt.receive_purchase(NULL::bigint, '[{"sku": "B", "qty": 1}]')$$),
  ($$SELECT ordermgmt.cancel_purchase_order(987654, 'x')$$),
  ($$SELECT ordermgmt.cancel_purchase_order(NULL, 'x')$$)
) AS t(q);
-- against the open order from FAST (1 of B)
SELECT left(q, 90) AS call, pg_temp.try(format(q, :po_fast)) AS result FROM (VALUES
  ($$SELECT ordermgmt.receive_purchase(%s, '[]')$$),
  ($$SELECT ordermgmt.receive_purchase(%s, '{"sku": "B"}')$$),
  ($$SELECT ordermgmt.receive_purchase(%s, '[{"sku": "A", "qty": 1}]')$$),
  ($$SELECT ordermgmt.receive_purchase(%s, '[{"sku": "B", "qty": 0}]')$$),
  ($$SELECT ordermgmt.receive_purchase(%s, '[{"sku": "B", "qty": -1}]')$$),
  ($$SELECT ordermgmt.receive_purchase(%s, '[{"sku": "B"}]')$$),
  ($$SELECT ordermgmt.receive_purchase(%s, '[{"sku": "B", "qty": 2}]')$$),
  ($$SELECT ordermgmt.cancel_purchase_order(%s, NULL)$$),
  ($$SELECT ordermgmt.cancel_purchase_order(%s, '')$$)
) AS t(q);
SELECT count(*) = :pos_before AS no_order_written, (SELECT count(*) FROM ordermgmt.stock_moves) = :moves_before AS no_move_written
  FROM ordermgmt.purchase_orders;
SELECT status FROM ordermgmt.purchase_orders WHERE po_id = :po_fast;

--------------------------------------------------------------------------
-- Who may: the warehouse buys, sales does not; admins keep the suppliers
--------------------------------------------------------------------------
DROP ROLE IF EXISTS om_pur_warehouse, om_pur_sales, om_pur_admin;
CREATE ROLE om_pur_warehouse LOGIN IN ROLE ordermgmt_warehouse;
CREATE ROLE om_pur_sales LOGIN IN ROLE ordermgmt_sales;
CREATE ROLE om_pur_admin LOGIN IN ROLE ordermgmt_admin;
SET SESSION AUTHORIZATION om_pur_warehouse;
SELECT ordermgmt.create_purchase_order('FAST', 'MAIN', '[{"sku": "A", "qty": 2}]') AS po5 \gset
SELECT ordermgmt.receive_purchase(:po5) > 0 AS warehouse_receives;
-- a cost far from the product's (4, max_cost_factor 10): only an admin may
SELECT pg_temp.try($$SELECT ordermgmt.create_purchase_order('FAST', 'MAIN', '[{"sku": "A", "qty": 1, "unit_cost": 400}]')$$) AS far_cost;
SELECT pg_temp.try($$INSERT INTO ordermgmt.suppliers (code, name) VALUES ('NEW', 'New')$$) AS warehouse_adds_supplier;
SELECT count(*) AS warehouse_reads FROM ordermgmt.purchase_lines;
SET SESSION AUTHORIZATION om_pur_sales;
SELECT pg_temp.try($$SELECT ordermgmt.create_purchase_order('FAST', 'MAIN', '[{"sku": "A", "qty": 1}]')$$) AS sales_buys;
SELECT pg_temp.try(format($$UPDATE ordermgmt.purchase_orders SET expected_at = now() WHERE po_id = %s$$, :po_fast)) AS sales_moves_date;
SELECT count(*) AS sales_reads FROM ordermgmt.suppliers;
SET SESSION AUTHORIZATION om_pur_admin;
SELECT pg_temp.try($$INSERT INTO ordermgmt.suppliers (code, name, lead_time_days) VALUES ('NEW', 'New', 3)$$) AS admin_adds_supplier;
SELECT pg_temp.try($$INSERT INTO ordermgmt.suppliers (code, name, lead_time_days) VALUES ('NEG', 'Negative', -1)$$) AS negative_lead_time;
SELECT ordermgmt.create_purchase_order('FAST', 'MAIN', '[{"sku": "A", "qty": 1, "unit_cost": 400}]') > 0 AS admin_far_cost;
RESET SESSION AUTHORIZATION;
SELECT moved_by, kind, qty, unit_cost FROM ordermgmt.stock_moves WHERE moved_by = 'om_pur_warehouse' ORDER BY move_id;

-- the readers' view: ordered and received, their value as posted, late or not
SET ROLE ordermgmt_reader;
SELECT po_id, supplier, warehouse, status, reference, lines, ordered_qty, received_qty, ordered_value,
       received_value, late
  FROM ordermgmt.v_purchase_orders ORDER BY po_id;
RESET ROLE;

-- every invariant holds (received = receipts, status agrees with lines, deadlines, ledger, ...)
SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;

DROP EXTENSION ordermgmt CASCADE;
DROP ROLE om_pur_warehouse, om_pur_sales, om_pur_admin;
CREATE EXTENSION ordermgmt;
