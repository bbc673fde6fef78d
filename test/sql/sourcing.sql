-- Several warehouses: with setting sourcing = split an order that names no
-- warehouse reserves each line from the warehouses in priority order,
-- ships from each warehouse that holds it (one shipment per warehouse) and
-- restocks returns into the warehouse they left from.  A single order is
-- unchanged.
SET client_min_messages = warning;
-- NORTH is first (priority 10), then EAST and WEST (100, tie by code).
INSERT INTO ordermgmt.warehouses (code, name, priority) VALUES
  ('WEST', 'West', 100), ('EAST', 'East', 100), ('NORTH', 'North', 10);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, reorder_point) VALUES
  ('A', 'Axle', 10, 4, 0), ('B', 'Bolt', 2, 1, 0), ('C', 'Cog', 3, 1, 0);
INSERT INTO ordermgmt.customers (code, name) VALUES ('FULL', 'All or nothing');
INSERT INTO ordermgmt.customers (code, name, allocation) VALUES ('PART', 'Takes what there is', 'partial');
-- A: 3 in NORTH at 4, 5 in EAST at 6, 10 in WEST at 8
SELECT ordermgmt.receive_stock('A', 'NORTH', 3, 4) > 0 AS n, ordermgmt.receive_stock('A', 'EAST', 5, 6) > 0 AS e,
       ordermgmt.receive_stock('A', 'WEST', 10, 8) > 0 AS w, ordermgmt.receive_stock('B', 'WEST', 4) > 0 AS b,
       ordermgmt.receive_stock('C', 'EAST', 2) > 0 AS c;

-- the setting: single by default, and only single or split
SELECT key, value, default_value FROM ordermgmt.v_settings WHERE key = 'sourcing';
\set VERBOSITY terse
INSERT INTO ordermgmt.settings VALUES ('sourcing', 'everywhere');
\set VERBOSITY default

-- single (the default): an order names its warehouse, and holds it for a short line
SELECT ordermgmt.create_order('FULL', '[{"sku": "A", "qty": 4}]', '{"warehouse": "NORTH"}') AS s1 \gset
SELECT status, sourcing FROM ordermgmt.orders WHERE order_id = :s1;
SELECT ordermgmt.create_order('FULL', '[{"sku": "A", "qty": 2}]', '{"warehouse": "EAST"}') AS s2 \gset
SELECT o.status, o.sourcing, w.code, trim_scale(r.qty) AS qty
  FROM ordermgmt.orders o JOIN ordermgmt.reservations r USING (order_id)
  JOIN ordermgmt.warehouses w ON w.warehouse_id = r.warehouse_id WHERE o.order_id = :s2;
SELECT ordermgmt.cancel_order(:s2, 'test');

INSERT INTO ordermgmt.settings VALUES ('sourcing', 'split');

-- o1: 10 A = 3 from NORTH, 5 from EAST, 2 from WEST; 1 B from WEST; its home is NORTH
SELECT ordermgmt.create_order('FULL', '[{"sku": "A", "qty": 10}, {"sku": "B", "qty": 1}]') AS o1 \gset
SELECT o.status, o.sourcing, w.code AS home FROM ordermgmt.orders o JOIN ordermgmt.warehouses w USING (warehouse_id)
 WHERE o.order_id = :o1;
SELECT r.line_no, w.code, trim_scale(r.qty) AS qty
  FROM ordermgmt.reservations r JOIN ordermgmt.warehouses w USING (warehouse_id)
 WHERE r.order_id = :o1 ORDER BY r.line_no, w.priority, w.code;
SELECT line_no, trim_scale(reserved_qty) AS reserved_qty FROM ordermgmt.order_lines WHERE order_id = :o1 ORDER BY line_no;

-- every view that shows stock: per warehouse and in total
SELECT sku, warehouse, trim_scale(on_hand) AS on_hand, trim_scale(available) AS available,
       trim_scale(total_on_hand) AS total_on_hand, trim_scale(total_available) AS total_available
  FROM ordermgmt.v_stock_availability ORDER BY sku, warehouse;
SELECT sku, warehouse, trim_scale(available_now) AS available_now,
       trim_scale(total_on_hand) AS total_on_hand, trim_scale(total_available) AS total_available
  FROM ordermgmt.v_available_to_promise WHERE sku = 'A' ORDER BY warehouse;

-- complete: 9 A wanted, 8 left over every warehouse: held, nothing reserved
SELECT ordermgmt.create_order('FULL', '[{"sku": "A", "qty": 9}]') AS o2 \gset
SELECT status, hold_reason FROM ordermgmt.orders WHERE order_id = :o2;
SELECT count(*) AS o2_reservations FROM ordermgmt.reservations WHERE order_id = :o2;
SELECT a.rule_code, a.details FROM ordermgmt.alerts a WHERE a.order_id = :o2 AND a.resolved_at IS NULL;

-- partial: 10 A, 8 left (all in WEST) reserved, 2 wait in the home warehouse (NORTH)
SELECT ordermgmt.create_order('PART', '[{"sku": "A", "qty": 10}, {"sku": "C", "qty": 1}]') AS o3 \gset
SELECT r.line_no, w.code, trim_scale(r.qty) AS qty
  FROM ordermgmt.reservations r JOIN ordermgmt.warehouses w USING (warehouse_id)
 WHERE r.order_id = :o3 ORDER BY r.line_no, w.code;
SELECT line_no, trim_scale(reserved_qty) AS reserved_qty, trim_scale(backordered_qty) AS backordered_qty
  FROM ordermgmt.order_lines WHERE order_id = :o3 ORDER BY line_no;
-- stock arriving in the home warehouse fills the backorder
SELECT ordermgmt.receive_stock('A', 'NORTH', 2, 4) > 0 AS arrived;
SELECT r.line_no, w.code, trim_scale(r.qty) AS qty
  FROM ordermgmt.reservations r JOIN ordermgmt.warehouses w USING (warehouse_id)
 WHERE r.order_id = :o3 ORDER BY r.line_no, w.code;
SELECT line_no, trim_scale(reserved_qty) AS reserved_qty, trim_scale(backordered_qty) AS backordered_qty
  FROM ordermgmt.order_lines WHERE order_id = :o3 ORDER BY line_no;

-- an amendment of a split order is refused, nothing written
\set VERBOSITY terse
SELECT ordermgmt.amend_order(:o1, '[{"sku": "A", "qty": 9}]');
-- nor does its sourcing change once it left draft: its reservations follow it
UPDATE ordermgmt.orders SET sourcing = 'single' WHERE order_id = :o1;
\set VERBOSITY default
SELECT count(*) AS o1_revisions FROM ordermgmt.order_amendments WHERE order_id = :o1;

-- shipping o1's 10 A and 1 B: one shipment per warehouse, in priority order
SELECT ordermgmt.ship_order(:o1, carrier => 'DHL') AS ship1 \gset
SELECT s.shipment_id = :ship1 AS first, w.code, s.carrier,
       string_agg(format('line %s: %s at %s', sl.line_no, trim_scale(sl.qty), trim_scale(sl.unit_cost)),
                  ', ' ORDER BY sl.line_no) AS lines
  FROM ordermgmt.shipments s JOIN ordermgmt.warehouses w USING (warehouse_id)
  JOIN ordermgmt.shipment_lines sl USING (shipment_id)
 WHERE s.order_id = :o1 GROUP BY s.shipment_id, w.code, w.priority, s.carrier ORDER BY w.priority, w.code;
SELECT count(*) AS shipment_events FROM ordermgmt.events WHERE order_id = :o1 AND kind = 'shipment.created';
SELECT status FROM ordermgmt.orders WHERE order_id = :o1;
SELECT count(*) AS o1_reservations FROM ordermgmt.reservations WHERE order_id = :o1;
-- cost of goods per warehouse: 3 * 4 + 5 * 6 + 2 * 8 + 1 * 1 = 59
SELECT e.source_id = :ship1 AS first, trim_scale(p.debit) AS cogs
  FROM ordermgmt.journal_entries e JOIN ordermgmt.postings p USING (entry_id)
  JOIN ordermgmt.posting_accounts pa ON pa.account_id = p.account_id AND pa.event = 'shipment' AND pa.role = 'cogs'
 WHERE e.source_type = 'shipment'
   AND e.source_id IN (SELECT shipment_id FROM ordermgmt.shipments WHERE order_id = :o1)
 ORDER BY e.source_id;
SELECT sku, warehouse, trim_scale(on_hand) AS on_hand, trim_scale(reserved) AS reserved,
       trim_scale(total_on_hand) AS total_on_hand
  FROM ordermgmt.v_stock_availability WHERE sku = 'A' ORDER BY warehouse;

-- a part shipment of o3's A: 2 from NORTH (first in priority), 1 from WEST
SELECT ordermgmt.ship_order(:o3, '[{"sku": "A", "qty": 3}]') AS ship3 \gset
SELECT w.code, trim_scale(sl.qty) AS qty
  FROM ordermgmt.shipments s JOIN ordermgmt.warehouses w USING (warehouse_id)
  JOIN ordermgmt.shipment_lines sl USING (shipment_id)
 WHERE s.order_id = :o3 ORDER BY w.priority, w.code;

-- a return of o1 restocks where its lines last shipped from: A and B into
-- WEST (not the home warehouse NORTH), at the cost they left with
SELECT ordermgmt.return_items(:o1, '[{"sku": "A", "qty": 1}, {"sku": "B", "qty": 1}]', 'too many') AS ret1 \gset
SELECT p.sku, w.code, trim_scale(m.qty) AS qty, trim_scale(m.unit_cost) AS unit_cost
  FROM ordermgmt.stock_moves m JOIN ordermgmt.products p USING (product_id)
  JOIN ordermgmt.warehouses w USING (warehouse_id)
 WHERE m.order_id = :o1 AND m.kind = 'return' ORDER BY p.sku;
SELECT sku, warehouse, trim_scale(on_hand) AS on_hand, trim_scale(reserved) AS reserved
  FROM ordermgmt.v_stock_availability WHERE sku IN ('A', 'B') ORDER BY sku, warehouse;

-- o4: 4 A = 3 from EAST (arrived) and 1 from WEST (the return); cancelling
-- it gives back what it holds in each warehouse
SELECT ordermgmt.receive_stock('A', 'EAST', 3, 6) > 0 AS arrived;
SELECT ordermgmt.create_order('FULL', '[{"sku": "A", "qty": 4}]') AS o4 \gset
SELECT r.line_no, w.code, trim_scale(r.qty) AS qty
  FROM ordermgmt.reservations r JOIN ordermgmt.warehouses w USING (warehouse_id)
 WHERE r.order_id = :o4 ORDER BY r.line_no, w.priority, w.code;
SELECT ordermgmt.cancel_order(:o4, 'changed mind');
SELECT count(*) AS o4_reservations FROM ordermgmt.reservations WHERE order_id = :o4;
SELECT sku, warehouse, trim_scale(on_hand) AS on_hand, trim_scale(reserved) AS reserved
  FROM ordermgmt.v_stock_availability ORDER BY sku, warehouse;

-- short-closing o3 (partially shipped) gives back what it holds in WEST and EAST
SELECT ordermgmt.short_close(:o3, 'the rest is not needed');
SELECT status FROM ordermgmt.orders WHERE order_id = :o3;
SELECT line_no, trim_scale(qty) AS qty, trim_scale(reserved_qty) AS reserved_qty, trim_scale(shipped_qty) AS shipped_qty
  FROM ordermgmt.order_lines WHERE order_id = :o3 ORDER BY line_no;
SELECT count(*) AS o3_reservations FROM ordermgmt.reservations WHERE order_id = :o3;
SELECT sku, warehouse, trim_scale(on_hand) AS on_hand, trim_scale(reserved) AS reserved
  FROM ordermgmt.v_stock_availability ORDER BY sku, warehouse;

-- an order that names its warehouse stays single under split
SELECT ordermgmt.create_order('FULL', '[{"sku": "A", "qty": 1}]', '{"warehouse": "EAST"}') AS s3 \gset
SELECT o.sourcing, w.code, trim_scale(r.qty) AS qty FROM ordermgmt.orders o JOIN ordermgmt.reservations r USING (order_id)
  JOIN ordermgmt.warehouses w ON w.warehouse_id = r.warehouse_id WHERE o.order_id = :s3;

-- batches: create_orders enters a split order (the stock rows of every
-- warehouse locked first), ship_orders ships it from each warehouse
SELECT ord, order_id AS o5, sqlstate FROM ordermgmt.create_orders($$[
  {"customer": "FULL", "lines": [{"sku": "A", "qty": 5}]}
]$$) AS b \gset
SELECT status, sourcing FROM ordermgmt.orders WHERE order_id = :o5;
SELECT o.sourcing, w.code, trim_scale(r.qty) AS qty FROM ordermgmt.orders o JOIN ordermgmt.reservations r USING (order_id)
  JOIN ordermgmt.warehouses w ON w.warehouse_id = r.warehouse_id WHERE o.order_id = :o5 ORDER BY w.priority, w.code;
SELECT ord, shipment_id IS NOT NULL AS shipped, sqlstate FROM ordermgmt.ship_orders(format('[{"order_id": %s}]', :o5)::jsonb) AS b;
SELECT w.code, trim_scale(sl.qty) AS qty
  FROM ordermgmt.shipments s JOIN ordermgmt.warehouses w USING (warehouse_id)
  JOIN ordermgmt.shipment_lines sl USING (shipment_id)
 WHERE s.order_id = :o5 ORDER BY w.priority, w.code;

SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
