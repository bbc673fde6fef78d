-- Partial allocation and backorders: an order with allocation partial
-- reserves what is available and backorders the rest; stock arriving by
-- any path fills the backorders first-in first-out (promised_at, then
-- order id, then line) before it is free; cancellation drops what an
-- order waits for and its release goes to the others; L2_BACKORDER_AGED.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
CREATE VIEW pg_temp.lines AS
SELECT l.order_id, o.status, l.line_no, p.sku, trim_scale(l.qty) AS qty, trim_scale(l.shipped_qty) AS shipped,
       trim_scale(l.reserved_qty) AS reserved, trim_scale(l.backordered_qty) AS backordered
  FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
  JOIN ordermgmt.products p USING (product_id)
 ORDER BY l.order_id, l.line_no;
CREATE VIEW pg_temp.stock AS
SELECT sku, warehouse, trim_scale(on_hand) AS on_hand, trim_scale(reserved) AS reserved,
       trim_scale(available) AS available
  FROM ordermgmt.v_stock_availability ORDER BY sku, warehouse;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main'), ('EAST', 'East');
INSERT INTO ordermgmt.settings VALUES ('default_warehouse', 'MAIN');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost) VALUES
  ('A', 'Axle', 10, 4), ('B', 'Bolt', 2, 1);
INSERT INTO ordermgmt.customers (code, name, allocation) VALUES
  ('PART', 'Takes what there is', 'partial'), ('ALL', 'All or nothing', NULL);
SELECT ordermgmt.receive_stock('A', 'MAIN', 5);

--------------------------------------------------------------------------
-- Confirmation: complete holds, partial reserves and waits
--------------------------------------------------------------------------
-- all or nothing: 7 A with 5 on hand is held for L1_STOCK_SHORTAGE
SELECT ordermgmt.create_order('ALL', '[{"sku": "A", "qty": 7}]') AS c1 \gset
SELECT status, hold_reason FROM ordermgmt.orders WHERE order_id = :c1;
-- partial (option): 3 A + 4 A + 2 B: A's 5 go to the lines in line
-- order, B has no stock at all; the order confirms
SELECT ordermgmt.create_order('ALL', '[{"sku": "A", "qty": 3}, {"sku": "A", "qty": 4}, {"sku": "B", "qty": 2}]',
                              '{"allocation": "partial"}') AS o1 \gset
SELECT * FROM pg_temp.lines WHERE order_id = :o1;
SELECT allocation FROM ordermgmt.orders WHERE order_id = :o1;
SELECT payload FROM ordermgmt.events WHERE kind = 'order.backorder_created' AND order_id = :o1;
-- partial by the customer's default, promised earlier than o1: first in line
SELECT ordermgmt.create_order('PART', '[{"sku": "A", "qty": 2}]',
                              jsonb_build_object('promised_at', now() + interval '1 day')) AS o2 \gset
-- partial without a promise, after o1
SELECT ordermgmt.create_order('PART', '[{"sku": "A", "qty": 2}]') AS o3 \gset
-- ... and the customer's default overridden
SELECT ordermgmt.create_order('PART', '[{"sku": "A", "qty": 1}]', '{"allocation": "complete"}') AS c2 \gset
SELECT order_id = :c2 AS c2, status, allocation FROM ordermgmt.orders WHERE order_id IN (:o2, :o3, :c2) ORDER BY order_id;
SELECT * FROM pg_temp.stock;

--------------------------------------------------------------------------
-- Arrivals fill first-in first-out: o2 (promised), then o1, then o3
--------------------------------------------------------------------------
-- 3 A: o2 takes its 2, o1 line 2 takes 1 of its 2
SELECT ordermgmt.receive_stock('A', 'MAIN', 3) > 0 AS received;
SELECT * FROM pg_temp.lines WHERE order_id IN (:o1, :o2, :o3);
SELECT order_id, payload FROM ordermgmt.events WHERE kind = 'order.backorder_filled' ORDER BY event_id;
SELECT * FROM pg_temp.stock;
-- a transfer into MAIN fills: 1 to o1, then 1 of o3's 2
SELECT ordermgmt.receive_stock('A', 'EAST', 10) > 0 AS received_east;
SELECT ordermgmt.transfer_stock('A', 'EAST', 'MAIN', 2) > 0 AS transferred;
SELECT * FROM pg_temp.lines WHERE order_id IN (:o1, :o3);
-- a return's restock fills: o2 ships its 2 and sends 1 back, o3 gets it
SELECT ordermgmt.ship_order(:o2, NULL) > 0 AS o2_shipped;
SELECT ordermgmt.return_items(:o2, '[{"sku": "A", "qty": 1}]', 'one too many') > 0 AS o2_returned;
SELECT * FROM pg_temp.lines WHERE order_id IN (:o2, :o3);
-- a count that finds more: nobody waits for A now, the 2 found are free
SELECT ordermgmt.count_stock('A', 'MAIN', 11, 'found behind the shelf') > 0 AS counted;
SELECT * FROM pg_temp.stock;
-- a count that finds less than what is reserved is refused as before
SELECT pg_temp.try($$SELECT ordermgmt.count_stock('A', 'MAIN', 0, 'lost')$$);

--------------------------------------------------------------------------
-- Shipping ships what is held; the rest still waits
--------------------------------------------------------------------------
SELECT ordermgmt.ship_order(:o1, NULL) > 0 AS shipped;
SELECT * FROM pg_temp.lines WHERE order_id = :o1;
-- B arrives, 1 then 1: o1 gets both
SELECT ordermgmt.receive_stock('B', 'MAIN', 1) > 0 AS one_b;
SELECT * FROM pg_temp.lines WHERE order_id = :o1;
-- a count that finds one more B fills the rest
SELECT ordermgmt.count_stock('B', 'MAIN', 2, 'miscounted') > 0 AS counted_b;
SELECT * FROM pg_temp.lines WHERE order_id = :o1;
-- everything held now: o1 ships the rest and is shipped
SELECT ordermgmt.ship_order(:o1, NULL) > 0 AS shipped_rest;
SELECT status FROM ordermgmt.orders WHERE order_id = :o1;
SELECT count(*) AS o1_filled_events FROM ordermgmt.events WHERE kind = 'order.backorder_filled' AND order_id = :o1;

--------------------------------------------------------------------------
-- Cancellation drops the backorder and its release fills the others
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('PART', '[{"sku": "A", "qty": 5}]') AS o4 \gset
SELECT ordermgmt.create_order('PART', '[{"sku": "A", "qty": 4}]') AS o5 \gset
SELECT * FROM pg_temp.lines WHERE order_id IN (:o4, :o5);
SELECT ordermgmt.cancel_order(:o4, 'changed their mind');
SELECT * FROM pg_temp.lines WHERE order_id IN (:o4, :o5);
SELECT * FROM pg_temp.stock;

--------------------------------------------------------------------------
-- L2_BACKORDER_AGED: a deadline while something waits
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('PART', '[{"sku": "A", "qty": 3}]') AS o6 \gset
SELECT rule_code, subject_id = :o6 AS o6, due_at - anchor_at AS age
  FROM ordermgmt.deadlines WHERE rule_code = 'L2_BACKORDER_AGED' ORDER BY subject_id;
SELECT ordermgmt.monitor_tick(now() + interval '8 days') > 0 AS raised;
SELECT rule_code, order_id = :o6 AS o6, status FROM ordermgmt.alerts WHERE rule_code = 'L2_BACKORDER_AGED';
-- filled: the alert resolves, the deadline goes
SELECT ordermgmt.receive_stock('A', 'MAIN', 10) > 0 AS received;
SELECT rule_code, status FROM ordermgmt.alerts WHERE rule_code = 'L2_BACKORDER_AGED';
SELECT count(*) AS backorder_deadlines FROM ordermgmt.deadlines WHERE rule_code = 'L2_BACKORDER_AGED';

--------------------------------------------------------------------------
-- Bad input
--------------------------------------------------------------------------
SELECT q, pg_temp.try(q) AS result FROM (VALUES
  ($$SELECT ordermgmt.create_order('PART', '[{"sku": "A", "qty": 1}]', '{"allocation": "some"}')$$),
  ($$SELECT ordermgmt.create_order('PART', '[{"sku": "A", "qty": 1}]', '{"allocation": 1}')$$),
  ($$SELECT ordermgmt.create_order('PART', '[{"sku": "A", "qty": 1}]', '{"allocation": null}')$$),
  ($$UPDATE ordermgmt.customers SET allocation = 'most' WHERE code = 'PART'$$),
  ($$UPDATE ordermgmt.order_lines SET backordered_qty = 0$$),
  ($$UPDATE ordermgmt.order_lines SET reserved_qty = 99$$)
) AS t(q);

SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
