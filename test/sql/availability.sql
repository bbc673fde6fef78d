-- Available to promise, replenishment and the expected fill of backorders:
-- what a warehouse has, owes (backorders) and expects (open purchase
-- orders), what to buy, and when each waiting line will get its stock.
SET client_min_messages = warning;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main'), ('EAST', 'East');
INSERT INTO ordermgmt.settings VALUES ('default_warehouse', 'MAIN');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, reorder_point) VALUES
  ('A', 'Axle', 10, 4, 5), ('B', 'Bolt', 2, 1, 0), ('C', 'Cog', 3, 1, 10);
INSERT INTO ordermgmt.customers (code, name, allocation) VALUES ('PART', 'Takes what there is', 'partial');
INSERT INTO ordermgmt.suppliers (code, name, lead_time_days) VALUES ('FAST', 'Fast', 3), ('SLOW', 'Slow', 10);
SELECT ordermgmt.receive_stock('A', 'MAIN', 4) > 0 AS a_in, ordermgmt.receive_stock('C', 'EAST', 20) > 0 AS c_in;

-- o1: 6 A (4 reserved, 2 wait) and 2 B (nothing in stock: 2 wait), no promise
SELECT ordermgmt.create_order('PART', '[{"sku": "A", "qty": 6}, {"sku": "B", "qty": 2}]') AS o1 \gset
-- o2: 3 A, promised: first in line for A
SELECT ordermgmt.create_order('PART', '[{"sku": "A", "qty": 3}]',
                              jsonb_build_object('promised_at', now() + interval '2 days')) AS o2 \gset
-- on order: 2 A in 3 days, 10 A in 10 days; 5 C drafted (not incoming)
SELECT ordermgmt.create_purchase_order('FAST', 'MAIN', '[{"sku": "A", "qty": 2}]',
                                       jsonb_build_object('expected_at', now() + interval '3 days')) AS po1 \gset
SELECT ordermgmt.create_purchase_order('SLOW', 'MAIN', '[{"sku": "A", "qty": 10}]',
                                       jsonb_build_object('expected_at', now() + interval '10 days')) AS po2 \gset
SELECT ordermgmt.create_purchase_order('SLOW', 'EAST', '[{"sku": "C", "qty": 5}]', '{"submit": false}') > 0 AS c_draft;

-- A in MAIN: 4 on hand, all reserved, 5 waiting, 12 coming: 7 to promise
SELECT sku, warehouse, trim_scale(on_hand) AS on_hand, trim_scale(reserved) AS reserved,
       trim_scale(backordered) AS backordered, trim_scale(incoming) AS incoming,
       trim_scale(available_now) AS available_now, trim_scale(available_to_promise) AS atp,
       round(extract(epoch FROM next_expected_at - now()) / 86400) AS next_in_days
  FROM ordermgmt.v_available_to_promise ORDER BY sku, warehouse;

-- what to buy: B is short by 2 (never bought: no supplier); C in EAST is
-- at 20, over its reorder point of 10 (the draft does not count)
SELECT sku, warehouse, trim_scale(available_to_promise) AS atp, trim_scale(reorder_point) AS reorder_point,
       trim_scale(suggested_qty) AS suggested_qty, supplier, lead_time_days
  FROM ordermgmt.v_replenishment ORDER BY sku, warehouse;

-- when each waiting line gets its stock: o2 (promised) needs 3, the 2
-- coming in 3 days do not cover it, the 10 in 10 days do; o1's 2 A come
-- with them too; nothing is on order for B
SELECT order_id = :o1 AS o1, line_no, customer, sku, trim_scale(backordered) AS backordered,
       promised_at IS NOT NULL AS promised,
       round(extract(epoch FROM expected_fill_at - now()) / 86400) AS fill_in_days
  FROM ordermgmt.v_backorders ORDER BY sku, expected_fill_at, order_id;

-- the fast purchase order arrives: o2 takes both units, 1 still waits
SELECT ordermgmt.receive_purchase(:po1) > 0 AS received;
SELECT order_id = :o1 AS o1, sku, trim_scale(backordered) AS backordered,
       round(extract(epoch FROM expected_fill_at - now()) / 86400) AS fill_in_days
  FROM ordermgmt.v_backorders ORDER BY sku, order_id;
SELECT sku, trim_scale(backordered) AS backordered, trim_scale(incoming) AS incoming,
       trim_scale(available_to_promise) AS atp
  FROM ordermgmt.v_available_to_promise WHERE sku = 'A';

-- C sells down to 8 in EAST: under its reorder point, bought from SLOW
-- last: suggest 2 x 10 - 8 = 12, in 10 days
SELECT ordermgmt.create_order('PART', '[{"sku": "C", "qty": 12}]', '{"warehouse": "EAST"}') > 0 AS c_sold;
SELECT sku, warehouse, trim_scale(available_to_promise) AS atp, trim_scale(suggested_qty) AS suggested_qty,
       supplier, lead_time_days, round(extract(epoch FROM expected_if_ordered_now - now()) / 86400) AS days
  FROM ordermgmt.v_replenishment ORDER BY sku, warehouse;

-- the readers' views
SET ROLE ordermgmt_reader;
SELECT count(*) > 0 AS atp, (SELECT count(*) > 0 FROM ordermgmt.v_replenishment) AS replenishment,
       (SELECT count(*) > 0 FROM ordermgmt.v_backorders) AS backorders
  FROM ordermgmt.v_available_to_promise;
RESET ROLE;

SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
