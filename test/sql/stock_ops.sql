-- Stock operations: transfers between warehouses and stock counts.  A
-- transfer moves only stock on hand and not reserved, as a move out and a
-- move in at the sending warehouse's average cost (the receiving one
-- averages it in); a count sets on hand, never below what is reserved,
-- with a count move and a posting of the difference against stock
-- adjustments.  stock = the sum of its moves throughout.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main'), ('EAST', 'East');
INSERT INTO ordermgmt.customers (code, name) VALUES ('ACME', 'Acme');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, reorder_point) VALUES
  ('A', 'Widget', 10, 4, 3), ('B', 'Gadget', 20, 8, 0);
SELECT ordermgmt.receive_stock('A', 'MAIN', 10, 4) > 0 AS main, ordermgmt.receive_stock('A', 'EAST', 10, 6) > 0 AS east;
-- 6 of MAIN's 10 are reserved
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 6}]', '{"warehouse": "MAIN"}') AS o1 \gset

CREATE VIEW pg_temp.stock_now AS
SELECT p.sku, w.code AS warehouse, s.on_hand, s.reserved, s.avg_cost,
       s.on_hand = (SELECT sum(m.qty) FROM ordermgmt.stock_moves m
                     WHERE m.product_id = s.product_id AND m.warehouse_id = s.warehouse_id) AS sum_of_moves
  FROM ordermgmt.stock s JOIN ordermgmt.products p USING (product_id) JOIN ordermgmt.warehouses w USING (warehouse_id)
 ORDER BY p.sku, w.code;

--------------------------------------------------------------------------
-- Transfers
--------------------------------------------------------------------------
-- 5 would take reserved stock: refused, nothing moves
SELECT pg_temp.try($$SELECT ordermgmt.transfer_stock('A', 'MAIN', 'EAST', 5, 'TR-1')$$) AS five;
-- the 4 available move, at MAIN's cost 4; EAST averages (10 x 6 + 4 x 4) / 14
SELECT ordermgmt.transfer_stock('A', 'MAIN', 'EAST', 4, 'TR-2') AS tr2 \gset
SELECT * FROM pg_temp.stock_now;
SELECT m.move_id = :tr2 AS returned, w.code, m.qty, m.unit_cost, m.kind, m.note, m.paired_move_id = :tr2 - 1 AS pairs_the_move_out
  FROM ordermgmt.stock_moves m JOIN ordermgmt.warehouses w USING (warehouse_id)
 WHERE m.kind = 'transfer' ORDER BY m.move_id;
-- the value stayed in inventory: nothing posted
SELECT count(*) AS transfer_postings FROM ordermgmt.journal_entries WHERE memo LIKE '%transfer%';
-- MAIN is now below A's reorder point (6 on hand, 6 reserved, 0 available)
SELECT w.code, a.status FROM ordermgmt.alerts a JOIN ordermgmt.warehouses w ON w.warehouse_id = (a.details ->> 'warehouse_id')::bigint
 WHERE a.rule_code = 'L2_LOW_STOCK' ORDER BY a.alert_id;
-- into a warehouse that never stocked the product: its row, at the cost sent
SELECT ordermgmt.receive_stock('B', 'MAIN', 5, 8) > 0 AS b_received;
SELECT ordermgmt.transfer_stock('B', 'MAIN', 'EAST', 2) > 0 AS b_moved;
SELECT * FROM pg_temp.stock_now WHERE sku = 'B';

--------------------------------------------------------------------------
-- Counts
--------------------------------------------------------------------------
-- below the 6 reserved: refused
SELECT pg_temp.try($$SELECT ordermgmt.count_stock('A', 'MAIN', 5, 'cycle count')$$) AS below_reserved;
-- what the stock says already: nothing written
SELECT ordermgmt.count_stock('A', 'MAIN', 6, 'cycle count') IS NULL AS agrees;
-- 2 missing in EAST at its average cost 5.4286: 10.86 out of inventory
SELECT ordermgmt.count_stock('A', 'EAST', 12, 'scrap: water damage') AS c1 \gset
-- 3 found in MAIN at 4: 12.00 into inventory
SELECT ordermgmt.count_stock('A', 'MAIN', 9, 'found behind the rack') AS c2 \gset
SELECT * FROM pg_temp.stock_now WHERE sku = 'A';
SELECT m.move_id IN (:c1, :c2) AS returned, w.code, m.qty, m.unit_cost, m.kind, m.note
  FROM ordermgmt.stock_moves m JOIN ordermgmt.warehouses w USING (warehouse_id)
 WHERE m.kind = 'count' ORDER BY m.move_id;
SELECT e.source_id IN (:c1, :c2) AS of_the_move, a.code, a.name, p.debit, p.credit
  FROM ordermgmt.journal_entries e JOIN ordermgmt.postings p USING (entry_id) JOIN ordermgmt.accounts a USING (account_id)
 WHERE e.source_type = 'count' ORDER BY p.posting_id;
-- a product never stocked in a warehouse, counted there: its row at the product's cost
SELECT ordermgmt.count_stock('B', 'EAST', 3, 'found') > 0 AS b_counted;
SELECT * FROM pg_temp.stock_now WHERE sku = 'B';
-- the reserved stock still ships
SELECT ordermgmt.ship_order(:o1) > 0 AS shipped;

--------------------------------------------------------------------------
-- Bad input: clear errors, nothing written
--------------------------------------------------------------------------
SELECT count(*) AS moves_before FROM ordermgmt.stock_moves \gset
SELECT left(q, 70) AS call, pg_temp.try(q) AS result FROM (VALUES
  ($$SELECT ordermgmt.transfer_stock('A', 'MAIN', 'MAIN', 1)$$),
  ($$SELECT ordermgmt.transfer_stock('NOPE', 'MAIN', 'EAST', 1)$$),
  ($$SELECT ordermgmt.transfer_stock('A', 'WEST', 'EAST', 1)$$),
  ($$SELECT ordermgmt.transfer_stock('A', 'MAIN', 'WEST', 1)$$),
  ($$SELECT ordermgmt.transfer_stock('A', 'EAST', 'MAIN', 0)$$),
  ($$SELECT ordermgmt.transfer_stock('A', 'EAST', 'MAIN', -1)$$),
  ($$SELECT ordermgmt.transfer_stock('A', 'EAST', 'MAIN', NULL)$$),
  ($$SELECT ordermgmt.transfer_stock('A', 'EAST', 'MAIN', 'NaN')$$),
  ($$SELECT ordermgmt.transfer_stock('A', 'EAST', 'MAIN', 1e30)$$),
  ($$SELECT ordermgmt.transfer_stock('A', 'EAST', 'MAIN', 0.00001)$$),
  ($$SELECT ordermgmt.transfer_stock(NULL, 'EAST', 'MAIN', 1)$$),
  ($$SELECT ordermgmt.transfer_stock('A', '', 'MAIN', 1)$$),
  ($$SELECT ordermgmt.transfer_stock('B', 'EAST', 'MAIN', 100)$$),
  ($$SELECT ordermgmt.count_stock('A', 'MAIN', -1, 'x')$$),
  ($$SELECT ordermgmt.count_stock('A', 'MAIN', NULL, 'x')$$),
  ($$SELECT ordermgmt.count_stock('A', 'MAIN', 10, NULL)$$),
  ($$SELECT ordermgmt.count_stock('A', 'MAIN', 10, '')$$),
  ($$SELECT ordermgmt.count_stock('NOPE', 'MAIN', 1, 'x')$$),
  ($$SELECT ordermgmt.count_stock('A', 'WEST', 1, 'x')$$),
  ($$SELECT ordermgmt.count_stock('A', 'MAIN', 1e30, 'x')$$)
) AS t(q);
SELECT count(*) = :moves_before AS nothing_written FROM ordermgmt.stock_moves;

--------------------------------------------------------------------------
-- Who may: the warehouse counts and transfers, finance does not
--------------------------------------------------------------------------
DROP ROLE IF EXISTS om_ops_warehouse, om_ops_finance;
CREATE ROLE om_ops_warehouse LOGIN IN ROLE ordermgmt_warehouse;
CREATE ROLE om_ops_finance LOGIN IN ROLE ordermgmt_finance;
SET SESSION AUTHORIZATION om_ops_warehouse;
SELECT ordermgmt.transfer_stock('A', 'EAST', 'MAIN', 1, 'by the warehouse') > 0 AS warehouse_transfers;
SELECT ordermgmt.count_stock('A', 'EAST', 10, 'by the warehouse') > 0 AS warehouse_counts;
SET SESSION AUTHORIZATION om_ops_finance;
SELECT pg_temp.try($$SELECT ordermgmt.transfer_stock('A', 'EAST', 'MAIN', 1)$$) AS finance_transfers;
SELECT pg_temp.try($$SELECT ordermgmt.count_stock('A', 'EAST', 1, 'x')$$) AS finance_counts;
RESET SESSION AUTHORIZATION;
SELECT moved_by, kind, qty FROM ordermgmt.stock_moves WHERE moved_by = 'om_ops_warehouse' ORDER BY move_id;

-- A return that would lift on hand past the largest quantity is refused,
-- as a receipt is, with nothing written.
SELECT ordermgmt.receive_stock('B', 'EAST', 1, 8) > 0 AS received;
SELECT ordermgmt.create_order('ACME', '[{"sku": "B", "qty": 1}]', '{"warehouse": "EAST"}') AS o_full \gset
SELECT status FROM ordermgmt.orders WHERE order_id = :o_full;
SELECT ordermgmt.ship_order(:o_full) > 0 AS shipped;
SELECT ordermgmt.count_stock('B', 'EAST', 99999999999999.9999, 'found a warehouse full') > 0 AS counted;
SELECT pg_temp.try(format($$SELECT ordermgmt.return_items(%s, '[{"sku": "B", "qty": 1}]', 'x')$$, :o_full)) AS full_return;
SELECT count(*) AS returns FROM ordermgmt.returns WHERE order_id = :o_full;

-- every invariant holds (stock = its moves, 0 <= reserved <= on hand, entries balanced, ...)
SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;

DROP EXTENSION ordermgmt CASCADE;
DROP ROLE om_ops_warehouse, om_ops_finance;
CREATE EXTENSION ordermgmt;
